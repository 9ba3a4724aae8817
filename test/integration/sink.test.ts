import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningComponent } from '../../reference/component.ts';
import { createLogger } from '../../reference/logger.ts';
import { loadSettings } from '../../reference/settings.ts';
import { startSink } from '../../reference/sink.ts';
import { createTestEnv, type TestEnv } from '../support/testEnv.ts';

const log = createLogger('sink-test', 'silent');
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

let env: TestEnv;
let sinkUrl: string;
const running: RunningComponent[] = [];

async function startWith(overrides: Record<string, string> = {}): Promise<string> {
  const sink = await startSink(loadSettings({ ...env.env, ...overrides }), log);
  running.push(sink);
  return sink.url ?? '';
}

function payload(extra: Record<string, unknown> = {}) {
  return {
    messageId: randomUUID(),
    conversationId: 'conv-1',
    text: 'hi',
    correlationId: 'corr-payload',
    ...extra,
  };
}

function deliver(
  url: string,
  eventId: string | undefined,
  body: unknown,
  headers: Record<string, string> = {},
) {
  return fetch(`${url}/api/events/message.created`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      ...(eventId === undefined ? {} : { 'Nats-Msg-Id': eventId }),
      ...headers,
    },
    body: JSON.stringify(body),
  });
}

async function facts(eventId: string) {
  const { rows } = await env.db.query('SELECT * FROM kg_facts WHERE event_id = $1', [eventId]);
  return rows;
}

async function factCount(): Promise<number> {
  const { rows } = await env.db.query<{ n: number }>('SELECT count(*)::int AS n FROM kg_facts');
  return rows[0]?.n ?? -1;
}

beforeAll(async () => {
  env = await createTestEnv('sink');
  sinkUrl = await startWith();
});

afterAll(async () => {
  await Promise.all(running.map((c) => c.close()));
  await env?.teardown();
});

describe('sink', () => {
  it('sink - the first delivery applies one fact with its headers and payload', async () => {
    const eventId = randomUUID();
    const body = payload();
    const res = await deliver(sinkUrl, eventId, body, {
      traceparent: TRACEPARENT,
      'X-Correlation-Id': 'corr-header',
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ eventId, deliveries: 1 });
    const rows = await facts(eventId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      event_id: eventId,
      event_type: 'message.created',
      correlation_id: 'corr-header',
      traceparent: TRACEPARENT,
      payload: body,
      deliveries: 1,
    });
  });

  it('sink - a redelivery without an Idempotency-Key keeps one fact and counts it as applied again', async () => {
    const eventId = randomUUID();
    const body = payload();
    expect(await (await deliver(sinkUrl, eventId, body)).json()).toEqual({ eventId, deliveries: 1 });
    const [first] = await facts(eventId);
    const again = await deliver(sinkUrl, eventId, body);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ eventId, deliveries: 2 });
    const rows = await facts(eventId);
    expect(rows).toHaveLength(1);
    expect(rows[0].deliveries).toBe(2);
    expect(rows[0].applied_at).toEqual(first.applied_at);
    expect(rows[0].last_delivery_at.getTime()).toBeGreaterThan(first.last_delivery_at.getTime());
    // Without headers, the correlation id comes from the payload and a missing traceparent is null.
    expect(rows[0]).toMatchObject({ correlation_id: 'corr-payload', traceparent: null });
  });

  it('sink - a repeated Idempotency-Key is answered from the row and does not apply the effect again', async () => {
    const eventId = randomUUID();
    const body = payload();
    const key = { 'Idempotency-Key': eventId };
    const first = await deliver(sinkUrl, eventId, body, key);
    expect(first.status).toBe(200);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(await first.json()).toEqual({ eventId, deliveries: 1 });
    const [applied] = await facts(eventId);
    for (let i = 0; i < 2; i++) {
      const again = await deliver(sinkUrl, eventId, body, key);
      expect(again.status).toBe(200);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(await again.json()).toEqual({ eventId, deliveries: 1 });
    }
    const rows = await facts(eventId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ deliveries: 1, replays: 2, idempotency_key: eventId });
    expect(rows[0].last_delivery_at).toEqual(applied.last_delivery_at);
  });

  it('sink - concurrent asks with one Idempotency-Key apply the effect once', async () => {
    const eventId = randomUUID();
    const body = payload();
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => deliver(sinkUrl, eventId, body, { 'Idempotency-Key': eventId })),
    );
    expect(answers.map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(answers.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(7);
    expect(await facts(eventId)).toEqual([expect.objectContaining({ deliveries: 1, replays: 7 })]);
  });

  it('sink - an ask without the key, or with another one, applies the effect again', async () => {
    const eventId = randomUUID();
    const body = payload();
    await deliver(sinkUrl, eventId, body);
    // The first key this event sees is a new request: applied, and remembered.
    const keyed = await deliver(sinkUrl, eventId, body, { 'Idempotency-Key': 'k1' });
    expect(await keyed.json()).toEqual({ eventId, deliveries: 2 });
    expect(keyed.headers.get('idempotent-replayed')).toBeNull();
    const other = await deliver(sinkUrl, eventId, body, { 'Idempotency-Key': 'k2' });
    expect(await other.json()).toEqual({ eventId, deliveries: 3 });
    expect(await (await deliver(sinkUrl, eventId, body)).json()).toEqual({ eventId, deliveries: 4 });
    // k2 applied last: it is the one a repeat matches; k1 no longer is.
    expect(
      (await deliver(sinkUrl, eventId, body, { 'Idempotency-Key': 'k2' })).headers.get('idempotent-replayed'),
    ).toBe('true');
    expect(await (await deliver(sinkUrl, eventId, body, { 'Idempotency-Key': 'k1' })).json()).toEqual({
      eventId,
      deliveries: 5,
    });
    expect(await facts(eventId)).toEqual([
      expect.objectContaining({ deliveries: 5, replays: 1, idempotency_key: 'k1' }),
    ]);
  });

  it('sink - an Idempotency-Key over 200 characters is 400 and applies nothing', async () => {
    const eventId = randomUUID();
    const res = await deliver(sinkUrl, eventId, payload(), { 'Idempotency-Key': 'k'.repeat(201) });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'Idempotency-Key must be at most 200 characters' });
    expect(await facts(eventId)).toHaveLength(0);
  });

  it('sink - a poison payload is answered 500 and applies nothing', async () => {
    const before = await factCount();
    const eventId = randomUUID();
    const res = await deliver(sinkUrl, eventId, payload({ poison: true }));
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: 'poison event rejected' });
    expect(await facts(eventId)).toHaveLength(0);
    expect(await factCount()).toBe(before);
  });

  it('sink - a poison payload is applied when SINK_FAIL_POISON is off', async () => {
    const url = await startWith({ SINK_FAIL_POISON: 'false' });
    const eventId = randomUUID();
    expect((await deliver(url, eventId, payload({ poison: true }))).status).toBe(200);
    expect(await facts(eventId)).toHaveLength(1);
  });

  it('sink - SINK_FAIL_RATE=1 answers 500 and applies nothing', async () => {
    const url = await startWith({ SINK_FAIL_RATE: '1' });
    const before = await factCount();
    for (let i = 0; i < 5; i++) {
      const eventId = randomUUID();
      const res = await deliver(url, eventId, payload());
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({ error: expect.stringContaining('SINK_FAIL_RATE') });
    }
    expect(await factCount()).toBe(before);
  });

  it('sink - PUT /admin/fail-rate changes the failure share at run time', async () => {
    const url = await startWith();
    const setShare = (body: unknown) =>
      fetch(`${url}/admin/fail-rate`, { method: 'PUT', body: JSON.stringify(body) });
    expect(await (await fetch(`${url}/admin/fail-rate`)).json()).toEqual({ share: 0 });

    const failAll = await setShare({ share: 1 });
    expect(failAll.status).toBe(200);
    expect(await failAll.json()).toEqual({ share: 1 });
    expect(await (await fetch(`${url}/admin/fail-rate`)).json()).toEqual({ share: 1 });
    const before = await factCount();
    for (let i = 0; i < 3; i++) expect((await deliver(url, randomUUID(), payload())).status).toBe(500);
    expect(await factCount()).toBe(before);

    expect(await (await setShare({ share: 0 })).json()).toEqual({ share: 0 });
    const eventId = randomUUID();
    expect((await deliver(url, eventId, payload())).status).toBe(200);
    expect(await facts(eventId)).toHaveLength(1);
  });

  it.each([
    ['a share above 1', { share: 1.5 }],
    ['a negative share', { share: -0.1 }],
    ['a string share', { share: '0.5' }],
    ['a missing share', {}],
    ['an array body', [0.5]],
  ])('sink - PUT /admin/fail-rate with %s is 400 and keeps the share', async (_case, body) => {
    const url = await startWith({ SINK_FAIL_RATE: '0.25' });
    const res = await fetch(`${url}/admin/fail-rate`, { method: 'PUT', body: JSON.stringify(body) });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: expect.any(String) });
    expect(await (await fetch(`${url}/admin/fail-rate`)).json()).toEqual({ share: 0.25 });
  });

  it('sink - a missing Nats-Msg-Id is 400 and applies nothing', async () => {
    const before = await factCount();
    const res = await deliver(sinkUrl, undefined, payload());
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'Nats-Msg-Id header is required' });
    expect(await factCount()).toBe(before);
  });

  it.each([
    ['malformed JSON', '{"a":', 400],
    ['an array body', '[1,2]', 400],
    ['an empty body', '', 400],
    ['a body over 256 KiB', JSON.stringify({ text: 'x'.repeat(300 * 1024) }), 413],
  ])('sink - %s is refused and applies nothing', async (_case, body, status) => {
    const before = await factCount();
    const res = await fetch(`${sinkUrl}/api/events/message.created`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Nats-Msg-Id': randomUUID() },
      body,
    });
    expect(res.status).toBe(status);
    expect(await res.json()).toEqual({ error: expect.any(String) });
    expect(await factCount()).toBe(before);
  });

  it('sink - a wrong method is 405 and an unknown path 404', async () => {
    expect((await fetch(`${sinkUrl}/api/events/message.created`)).status).toBe(405);
    expect((await fetch(`${sinkUrl}/api/events`, { method: 'POST', body: '{}' })).status).toBe(404);
  });

  it('sink - SINK_LATENCY_MS=150 delays the answer by at least 150 ms', async () => {
    const url = await startWith({ SINK_LATENCY_MS: '150' });
    const eventId = randomUUID();
    const started = performance.now();
    const res = await deliver(url, eventId, payload());
    const elapsed = performance.now() - started;
    expect(res.status).toBe(200);
    expect(elapsed).toBeGreaterThanOrEqual(150);
    expect(await facts(eventId)).toHaveLength(1);
  });

  it('sink - SINK_ANSWER_DELAY_MS=300 answers at least 300 ms after the fact is committed', async () => {
    const url = await startWith({ SINK_ANSWER_DELAY_MS: '300' });
    const eventId = randomUUID();
    const started = performance.now();
    const answer = deliver(url, eventId, payload());
    // Committed while the answer is still on its way: what a caller killed meanwhile leaves behind.
    let committedAt = Number.POSITIVE_INFINITY;
    while (performance.now() - started < 5_000) {
      if ((await facts(eventId)).length === 1) {
        committedAt = performance.now();
        break;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    const res = await answer;
    const answeredAt = performance.now();
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ eventId, deliveries: 1 });
    // 10 ms of polling granularity aside.
    expect(answeredAt - committedAt).toBeGreaterThanOrEqual(300 - 20);
  });

  it('sink - healthz answers ok when the database does', async () => {
    const res = await fetch(`${sinkUrl}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });
});
