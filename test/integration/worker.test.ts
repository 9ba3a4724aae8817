// The worker against real Postgres, NATS and the real sink: inbox de-duplication, retries, the DLQ
// and parking, throttling, and its Postgres connection bound.
import { randomUUID } from 'node:crypto';
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OwnNatsServer } from '../../faults/ownNatsServer.ts';
import type { RunningComponent } from '../../reference/component.ts';
import { createLogger } from '../../reference/logger.ts';
import { startRelay } from '../../reference/relay.ts';
import type { ReferenceSettings } from '../../reference/settings.ts';
import { startSink } from '../../reference/sink.ts';
import { SINK_HEADER_IDEMPOTENCY_KEY, startWorker } from '../../reference/worker.ts';
import { sampleConnections } from '../support/connectionSampler.ts';
import { waitFor } from '../support/load.ts';
import { createTestEnv, type TestEnv } from '../support/testEnv.ts';

const log = createLogger('worker-test', process.env.TEST_LOG_LEVEL ?? 'silent');

interface Pipeline {
  t: TestEnv;
  settings: ReferenceSettings;
  sink: RunningComponent;
  worker: RunningComponent;
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  close(): Promise<void>;
}

async function startPipeline(label: string, overrides: Record<string, string>): Promise<Pipeline> {
  const t = await createTestEnv(label, overrides);
  const sink = await startSink(t.settings, log);
  const settings = { ...t.settings, sinkUrl: sink.url ?? '' };
  const worker = await startWorker(settings, log);
  const nc = await connect({ servers: settings.natsUrl });
  return {
    t,
    settings,
    sink,
    worker,
    nc,
    js: jetstream(nc),
    jsm: await jetstreamManager(nc),
    async close() {
      await worker.close();
      await sink.close();
      await nc.close();
      await t.teardown();
    },
  };
}

/** Publishes an event the way the relay does: Nats-Msg-Id = the event id, Correlation-Id beside it. */
function publishEvent(p: Pipeline, id: string, payload: Record<string, unknown>, correlationId = id) {
  const h = headers();
  h.set('Correlation-Id', correlationId);
  return p.js.publish(`${p.settings.subjectPrefix}.message.created`, JSON.stringify(payload), {
    msgID: id,
    headers: h,
  });
}

/** Sum of a metric's samples whose labels include every given label. */
async function metric(p: Pipeline, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${p.worker.url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = m[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => have.includes(`${k}="${v}"`))) sum += Number(m[3]);
  }
  return sum;
}

const count = async (p: Pipeline, sql: string, params: unknown[] = []) =>
  Number((await p.t.db.query<{ n: string }>(sql, params)).rows[0]?.n);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * What a worker killed between the sink's answer and its inbox write leaves behind: the sink has
 * applied the event (with the key that worker sent, if any), the inbox knows nothing of it.
 */
async function appliedBeforeTheCrash(
  p: Pipeline,
  id: string,
  payload: Record<string, unknown>,
  key?: string,
) {
  const res = await fetch(`${p.sink.url}/api/events/message.created`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'Nats-Msg-Id': id,
      ...(key === undefined ? {} : { [SINK_HEADER_IDEMPOTENCY_KEY]: key }),
    },
    body: JSON.stringify(payload),
  });
  expect(res.status).toBe(200);
}

const factOf = async (p: Pipeline, id: string) =>
  (
    await p.t.db.query<{ deliveries: number; replays: number; idempotency_key: string | null }>(
      'SELECT deliveries, replays, idempotency_key FROM kg_facts WHERE event_id = $1',
      [id],
    )
  ).rows;

describe('worker', () => {
  let p: Pipeline;

  beforeAll(async () => {
    // A 1 s duplicate window lets a test get a second copy of one Nats-Msg-Id past JetStream.
    p = await startPipeline('worker', { DEDUPE_WINDOW_S: '1' });
  });
  afterAll(async () => {
    await p?.close();
  });

  it('worker - serves /healthz and Prometheus text on its metrics port', async () => {
    const health = await fetch(`${p.worker.url}/healthz`);
    expect(health.status).toBe(200);
    const text = await (await fetch(`${p.worker.url}/metrics`)).text();
    for (const name of [
      'worker_events_processed_total',
      'worker_dispatch_duration_seconds',
      'worker_retries_total',
      'worker_dead_lettered_total',
      'worker_dlq_attempts_total',
      'worker_parked_total',
      'worker_in_flight',
      'worker_main_deliveries_total',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
  });

  it('the same Nats-Msg-Id delivered twice to the worker yields one side effect', async () => {
    const id = randomUUID();
    const first = await publishEvent(p, id, { text: 'once' });
    expect(first.duplicate).toBe(false);
    await waitFor(
      'the first copy to complete',
      () => count(p, `SELECT count(*) AS n FROM inbox WHERE message_id = $1 AND status = 'done'`, [id]),
      (n) => n === 1,
      5_000,
    );
    // Republish until the stream's 1 s duplicate window has let go of the id.
    let second = await publishEvent(p, id, { text: 'once' });
    const deadline = Date.now() + 10_000;
    while (second.duplicate && Date.now() < deadline) {
      await sleep(250);
      second = await publishEvent(p, id, { text: 'once' });
    }
    expect(second.duplicate).toBe(false);
    expect(second.seq).toBeGreaterThan(first.seq);

    await waitFor(
      'the duplicate to be skipped',
      () => metric(p, 'worker_events_processed_total', { outcome: 'duplicate' }),
      (n) => n === 1,
      5_000,
    );
    // The inbox skipped it: the sink was not even asked again (no replay).
    expect(await factOf(p, id)).toEqual([{ deliveries: 1, replays: 0, idempotency_key: id }]);
    expect(await metric(p, 'worker_events_processed_total', { outcome: 'ok' })).toBe(1);
    const consumer = await p.jsm.consumers.info(p.settings.stream, p.settings.consumer);
    expect(consumer.num_ack_pending).toBe(0);
    expect(consumer.num_pending).toBe(0);
  });

  it('worker - re-asked for an event the sink applied before a crash, sends its Idempotency-Key and the effect stays applied once', async () => {
    const id = randomUUID();
    const okBefore = await metric(p, 'worker_events_processed_total', { outcome: 'ok' });
    await appliedBeforeTheCrash(p, id, { text: 'crash window' }, id);
    await publishEvent(p, id, { text: 'crash window' });
    await waitFor(
      'the redelivered event to complete',
      () => count(p, `SELECT count(*) AS n FROM inbox WHERE message_id = $1 AND status = 'done'`, [id]),
      (n) => n === 1,
      5_000,
    );
    // No inbox row, so the worker dispatched it; the sink matched the key and applied nothing.
    expect(await factOf(p, id)).toEqual([{ deliveries: 1, replays: 1, idempotency_key: id }]);
    expect(await metric(p, 'worker_events_processed_total', { outcome: 'ok' })).toBe(okBefore + 1);
  });

  it('worker - a poison event is delivered 4 times, dead-lettered once, tried 6 times from the DLQ, then parked', async () => {
    const names = [
      'worker_main_deliveries_total',
      'worker_retries_total',
      'worker_dead_lettered_total',
      'worker_dlq_attempts_total',
      'worker_parked_total',
    ];
    const before = await Promise.all(names.map((n) => metric(p, n)));
    const id = randomUUID();
    await publishEvent(p, id, { text: 'poison', poison: true }, 'poison-1');

    await waitFor(
      'the poison event to be parked',
      () => count(p, 'SELECT count(*) AS n FROM parked_events WHERE message_id = $1', [id]),
      (n) => n === 1,
      15_000,
    );
    // Room for any extra delivery to show before counting (backoffs here are 50-200 ms).
    await sleep(800);
    const after = await Promise.all(names.map((n) => metric(p, n)));
    const delta = Object.fromEntries(names.map((n, i) => [n, (after[i] ?? 0) - (before[i] ?? 0)]));
    expect(delta).toEqual({
      worker_main_deliveries_total: 4,
      worker_retries_total: 3,
      worker_dead_lettered_total: 1,
      worker_dlq_attempts_total: 6,
      worker_parked_total: 1,
    });
    expect(await metric(p, 'worker_events_processed_total', { outcome: 'dead_lettered' })).toBe(1);
    expect(await metric(p, 'worker_events_processed_total', { outcome: 'parked' })).toBe(1);

    const dlq = await p.jsm.streams.info(p.settings.dlqStream);
    expect(dlq.state.messages).toBe(1);
    const dead = await p.jsm.streams.getMessage(p.settings.dlqStream, { seq: dlq.state.first_seq });
    expect(dead?.subject).toBe(`${p.settings.dlqSubjectPrefix}.${p.settings.subjectPrefix}.message.created`);
    expect(dead?.header.get('Nats-Msg-Id')).toBe(id);
    expect(dead?.header.get('Dlq-Deliveries')).toBe('4');
    expect(dead?.header.get('Dlq-Reason')).toBe('sink answered 500');

    const parked = await p.t.db.query(
      'SELECT subject, reason, main_deliveries, dlq_attempts, headers, payload FROM parked_events WHERE message_id = $1',
      [id],
    );
    expect(parked.rows[0]).toMatchObject({
      subject: `${p.settings.subjectPrefix}.message.created`,
      reason: 'sink answered 500',
      main_deliveries: 4,
      dlq_attempts: 6,
      payload: { text: 'poison', poison: true },
    });
    expect(parked.rows[0]?.headers).toMatchObject({
      'Dlq-Original-Subject': `${p.settings.subjectPrefix}.message.created`,
      'Dlq-Deliveries': '4',
      'Correlation-Id': 'poison-1',
    });
    expect(
      await count(p, `SELECT count(*) AS n FROM inbox WHERE message_id = $1 AND status = 'dead_lettered'`, [
        id,
      ]),
    ).toBe(1);
    expect(await count(p, 'SELECT count(*) AS n FROM kg_facts WHERE event_id = $1', [id])).toBe(0);
  });

  it('worker - stays at or under 10 Postgres connections while 300 events are processed', async () => {
    const sampler = sampleConnections(p.t.db, p.settings.workerAppName, 50);
    const ids = Array.from({ length: 300 }, () => randomUUID());
    await Promise.all(ids.map((id, i) => publishEvent(p, id, { text: `pool ${i}` })));
    // The inbox row is written after the sink's fact, so it is the later of the two to wait for.
    await waitFor(
      'the 300 inbox rows',
      () => count(p, `SELECT count(*) AS n FROM inbox WHERE message_id = ANY($1) AND status = 'done'`, [ids]),
      (n) => n === 300,
      20_000,
    );
    const max = await sampler.stop();
    expect(max).toBeGreaterThan(0);
    expect(max).toBeLessThanOrEqual(10);
    expect(await count(p, 'SELECT count(*) AS n FROM kg_facts WHERE event_id = ANY($1)', [ids])).toBe(300);
  });
});

describe('worker throttle', () => {
  let p: Pipeline;

  beforeAll(async () => {
    p = await startPipeline('worker_throttle', { WORKER_THROTTLE_EPS: '20' });
  });
  afterAll(async () => {
    await p?.close();
  });

  it('worker - WORKER_THROTTLE_EPS=20 takes at least 2.5 s for 60 events', async () => {
    const ids = Array.from({ length: 60 }, () => randomUUID());
    const started = Date.now();
    await Promise.all(ids.map((id, i) => publishEvent(p, id, { text: `throttled ${i}` })));
    await waitFor(
      'the 60 facts',
      () => count(p, 'SELECT count(*) AS n FROM kg_facts WHERE event_id = ANY($1)', [ids]),
      (n) => n === 60,
      15_000,
    );
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(2_500);
    // Paced, not stalled: 59 intervals of 50 ms plus overhead.
    expect(elapsed).toBeLessThan(6_000);
  });
});

describe('worker negative control', () => {
  let p: Pipeline;

  beforeAll(async () => {
    p = await startPipeline('worker_nodedup', { INBOX_DEDUP: 'false', DEDUPE_WINDOW_S: '1' });
  });
  afterAll(async () => {
    await p?.close();
  });

  it('worker - with INBOX_DEDUP=false the same Nats-Msg-Id delivered twice is dispatched twice', async () => {
    const id = randomUUID();
    await publishEvent(p, id, { text: 'twice' });
    await waitFor(
      'the first dispatch',
      () => metric(p, 'worker_events_processed_total', { outcome: 'ok' }),
      (n) => n === 1,
      5_000,
    );
    let second = await publishEvent(p, id, { text: 'twice' });
    const deadline = Date.now() + 10_000;
    while (second.duplicate && Date.now() < deadline) {
      await sleep(250);
      second = await publishEvent(p, id, { text: 'twice' });
    }
    expect(second.duplicate).toBe(false);
    await waitFor(
      'the second dispatch',
      () => metric(p, 'worker_events_processed_total', { outcome: 'ok' }),
      (n) => n === 2,
      5_000,
    );
    const facts = await p.t.db.query<{ deliveries: number }>(
      'SELECT deliveries FROM kg_facts WHERE event_id = $1',
      [id],
    );
    expect(facts.rows).toEqual([{ deliveries: 2 }]);
    expect(await count(p, 'SELECT count(*) AS n FROM inbox')).toBe(0);
    expect(await metric(p, 'worker_events_processed_total', { outcome: 'duplicate' })).toBe(0);
  });

  it('worker - with INBOX_DEDUP=false an event the sink applied before a crash is applied again: no Idempotency-Key', async () => {
    const id = randomUUID();
    await appliedBeforeTheCrash(p, id, { text: 'crash window' });
    await publishEvent(p, id, { text: 'crash window' });
    await waitFor(
      'the second application',
      async () => (await factOf(p, id))[0]?.deliveries ?? 0,
      (n) => n === 2,
      5_000,
    );
    expect(await factOf(p, id)).toEqual([{ deliveries: 2, replays: 0, idempotency_key: null }]);
  });
});

describe('worker resilience', () => {
  let nats: OwnNatsServer;
  let p: Pipeline;
  let relay: RunningComponent;

  beforeAll(async () => {
    nats = await OwnNatsServer.start();
    p = await startPipeline('worker_resilience', { NATS_URL: nats.url });
    relay = await startRelay(p.settings, log);
  });
  afterAll(async () => {
    await relay?.close();
    await p?.close();
    await nats?.dispose();
  });

  async function insertOutbox(count: number, label: string): Promise<string[]> {
    const ids = Array.from({ length: count }, () => randomUUID());
    await p.t.db.query(
      `INSERT INTO outbox_events (id, aggregate_type, aggregate_id, event_type, subject, payload, correlation_id)
       SELECT id, 'message', id::text, 'message.created', $2, jsonb_build_object('text', $3 || '-' || n), $3 || '-' || n
         FROM unnest($1::uuid[]) WITH ORDINALITY AS u(id, n)`,
      [ids, `${p.settings.subjectPrefix}.message.created`, label],
    );
    return ids;
  }

  const facts = (ids: string[]) =>
    count(p, 'SELECT count(*) AS n FROM kg_facts WHERE event_id = ANY($1)', [ids]);

  it('relay and worker - keep going after NATS is killed and restarted', async () => {
    const warmup = await insertOutbox(20, 'warm');
    await waitFor(
      'the warm-up facts',
      () => facts(warmup),
      (n) => n === 20,
      10_000,
    );
    await nats.kill();
    const during = await insertOutbox(50, 'during');
    await sleep(1_500);
    await nats.restart();
    const after = await insertOutbox(50, 'after');
    const all = [...during, ...after];
    await waitFor(
      'every fact after the outage',
      () => facts(all),
      (n) => n === all.length,
      30_000,
      100,
    );
    expect(await count(p, 'SELECT count(*) AS n FROM outbox_events WHERE published_at IS NULL')).toBe(0);
  });

  it('relay and worker - keep going after their Postgres connections are terminated', async () => {
    const first = await insertOutbox(100, 'before-kill');
    await p.t.db.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ANY($1)',
      [[p.settings.workerAppName, p.settings.relayAppName]],
    );
    const second = await insertOutbox(100, 'after-kill');
    const all = [...first, ...second];
    await waitFor(
      'every fact after the kill',
      () => facts(all),
      (n) => n === all.length,
      30_000,
      100,
    );
    expect(await count(p, 'SELECT count(*) AS n FROM outbox_events WHERE published_at IS NULL')).toBe(0);
    // The relay's LISTEN connection comes back too: a new row is picked up without waiting for a poll.
    const late = await insertOutbox(1, 'late');
    await waitFor(
      'the late fact',
      () => facts(late),
      (n) => n === 1,
      10_000,
    );
  });
});
