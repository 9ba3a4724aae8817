// Small helpers for the reference pipeline's integration tests: post messages, wait for conditions.
export async function postMessages(
  gatewayUrl: string,
  count: number,
  prefix: string,
  extra: Record<string, unknown> = {},
): Promise<string[]> {
  const responses = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      fetch(`${gatewayUrl}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          conversationId: `${prefix}-conv-${i % 17}`,
          userId: `${prefix}-user-${i % 5}`,
          text: `message ${i}`,
          correlationId: `${prefix}-${i}`,
          ...extra,
        }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as { correlationId?: string } })),
    ),
  );
  const bad = responses.filter((r) => r.status !== 202);
  if (bad.length) throw new Error(`${bad.length} posts were not accepted, e.g. ${JSON.stringify(bad[0])}`);
  return responses.map((r) => r.body.correlationId ?? '');
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await probe();
  while (!done(last)) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, everyMs));
    last = await probe();
  }
  return last;
}
