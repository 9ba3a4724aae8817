// W3C trace context across the reference pipeline: the traceparent a client sends the gateway must
// reach the outbox row, the JetStream message headers and the sink's fact (DESIGN section 1).
import { randomBytes } from 'node:crypto';
import { type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import { connect, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReferenceSupervisor } from '../../runner/referenceSupervisor.ts';
import { waitFor } from '../support/load.ts';
import { createTestEnv, type TestEnv } from '../support/testEnv.ts';

let t: TestEnv;
let supervisor: ReferenceSupervisor;
let nc: NatsConnection;
let jsm: JetStreamManager;

beforeAll(async () => {
  t = await createTestEnv('trace_context');
  supervisor = new ReferenceSupervisor({ env: { ...process.env, ...t.env } });
  await supervisor.start();
  nc = await connect({ servers: t.settings.natsUrl });
  jsm = await jetstreamManager(nc);
});

afterAll(async () => {
  await nc?.close();
  await supervisor?.stopAll();
  await t?.teardown();
});

const traceIdOf = (traceparent: string | null | undefined) => traceparent?.split('-')[1];

async function post(traceparent: string, correlationId: string): Promise<string> {
  const res = await fetch(`${supervisor.url('gateway')}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', traceparent },
    body: JSON.stringify({ conversationId: 'trace-conv', userId: 'trace-user', text: 'hi', correlationId }),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { eventId: string }).eventId;
}

describe('trace context', () => {
  it('trace context - the traceparent sent to the gateway reaches the outbox row, the NATS message and the sink fact', async () => {
    const { settings } = t;
    // Two requests with different trace ids: a hop that stamps one trace on everything fails too.
    const traces = [0, 1].map(() => ({
      traceId: randomBytes(16).toString('hex'),
      traceparent: '',
      eventId: '',
    }));
    for (const trace of traces)
      trace.traceparent = `00-${trace.traceId}-${randomBytes(8).toString('hex')}-01`;

    // What goes over the wire to subscribers, as well as what the stream stored.
    const onWire = new Map<string, string | undefined>();
    const sub = nc.subscribe(`${settings.subjectPrefix}.>`, {
      callback: (_err, msg: Msg) => {
        const id = msg.headers?.get('Nats-Msg-Id');
        if (id) onWire.set(id, msg.headers?.get('traceparent'));
      },
    });
    await nc.flush();

    for (const [i, trace] of traces.entries()) trace.eventId = await post(trace.traceparent, `trace-${i}`);
    const eventIds = traces.map((trace) => trace.eventId);
    await waitFor(
      'both events to reach the sink',
      async () =>
        Number(
          (
            await t.db.query<{ n: string }>('SELECT count(*) AS n FROM kg_facts WHERE event_id = ANY($1)', [
              eventIds,
            ])
          ).rows[0]?.n,
        ),
      (n) => n === traces.length,
      15_000,
    );
    await waitFor(
      'both events on the core subscription',
      async () => onWire.size,
      (n) => n >= traces.length,
      5_000,
    );
    sub.unsubscribe();

    const stored = new Map<string, string | undefined>();
    const last = (await jsm.streams.info(settings.stream)).state.last_seq;
    for (let seq = 1; seq <= last; seq++) {
      const m = await jsm.streams.getMessage(settings.stream, { seq });
      if (m) stored.set(m.header.get('Nats-Msg-Id'), m.header.get('traceparent'));
    }

    for (const trace of traces) {
      const outbox = await t.db.query<{ traceparent: string | null }>(
        'SELECT traceparent FROM outbox_events WHERE id = $1',
        [trace.eventId],
      );
      const fact = await t.db.query<{ traceparent: string | null }>(
        'SELECT traceparent FROM kg_facts WHERE event_id = $1',
        [trace.eventId],
      );
      const hops = {
        outbox: outbox.rows[0]?.traceparent,
        stream: stored.get(trace.eventId),
        wire: onWire.get(trace.eventId),
        sink: fact.rows[0]?.traceparent,
      };
      // The same trace at every hop; the header stays well formed wherever a hop adds its own span.
      expect(Object.fromEntries(Object.entries(hops).map(([hop, tp]) => [hop, traceIdOf(tp)]))).toEqual({
        outbox: trace.traceId,
        stream: trace.traceId,
        wire: trace.traceId,
        sink: trace.traceId,
      });
      for (const tp of Object.values(hops)) expect(tp).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/);
      expect(hops.outbox).toBe(trace.traceparent);
    }
  }, 60_000);
});
