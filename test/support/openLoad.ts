// An open-model load on the reference gateway: request i starts at start + i / rate, whether or not
// earlier ones have answered, so a slow pipeline shows up as latency rather than as a lower rate.
// Bounded in count (rate x duration) and in time (each request has a timeout).

export interface OpenLoadOptions {
  gatewayUrl: string;
  ratePerSecond: number;
  durationMs: number;
  /** Correlation ids are `<prefix>-<i>`. */
  prefix: string;
  /** Extra request headers (e.g. traceparent). */
  headers?: Record<string, string>;
  requestTimeoutMs?: number;
}

export interface OpenLoadResult {
  sent: number;
  /** Answered 202. */
  accepted: number;
  /** Correlation ids of the accepted requests, in send order. */
  correlationIds: string[];
  /** Non-202 answers and transport errors, by status or error name. */
  failures: Record<string, number>;
  /** Send window, first request to last request start (ms). */
  sendMs: number;
  /** First request start to last answer (ms). */
  elapsedMs: number;
  /** How late the latest request started against its schedule (ms): a loaded load generator shows here. */
  maxStartDelayMs: number;
}

export async function openLoad(options: OpenLoadOptions): Promise<OpenLoadResult> {
  const { gatewayUrl, ratePerSecond, durationMs, prefix } = options;
  if (!(ratePerSecond > 0) || !(durationMs > 0)) throw new Error('openLoad: rate and duration must be > 0');
  const total = Math.max(1, Math.round((ratePerSecond * durationMs) / 1000));
  const intervalMs = 1000 / ratePerSecond;
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const accepted: (string | undefined)[] = new Array(total);
  const failures: Record<string, number> = {};
  const inflight: Promise<void>[] = [];
  let maxStartDelayMs = 0;
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    maxStartDelayMs = Math.max(maxStartDelayMs, performance.now() - due);
    const correlationId = `${prefix}-${i}`;
    inflight.push(
      fetch(`${gatewayUrl}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...options.headers },
        body: JSON.stringify({
          conversationId: `${prefix}-conv-${i % 17}`,
          userId: `${prefix}-user-${i % 5}`,
          text: `open load ${i}`,
          correlationId,
        }),
        signal: AbortSignal.timeout(timeoutMs),
      }).then(
        async (res) => {
          // Read the body so the keep-alive connection is reused.
          await res.arrayBuffer().catch(() => undefined);
          if (res.status === 202) accepted[i] = correlationId;
          else failures[res.status] = (failures[res.status] ?? 0) + 1;
        },
        (err: Error) => {
          failures[err.name] = (failures[err.name] ?? 0) + 1;
        },
      ),
    );
  }
  const sendMs = performance.now() - start;
  await Promise.all(inflight);
  const elapsedMs = performance.now() - start;
  const correlationIds = accepted.filter((id): id is string => id !== undefined);
  return {
    sent: total,
    accepted: correlationIds.length,
    correlationIds,
    failures,
    sendMs,
    elapsedMs,
    maxStartDelayMs,
  };
}
