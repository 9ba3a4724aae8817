// The collectors sample what the config's target names, nothing of the reference pipeline: here a
// database, outbox table and columns, completion query, stream, consumer and application names
// that the reference never uses.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollectors } from '../../collectors/collectorSet.ts';
import { readHlog } from '../../record/hlog.ts';
import { parseHlogTag } from '../../record/hlogTag.ts';
import { isGaugePoint, readSeries } from '../../record/series.ts';
import { validateConfig } from '../../runner/config/validateConfig.ts';
import { waitFor } from '../support/recordingRecorder.ts';
import { NATS_URL, PG_ADMIN_URL } from '../support/testEnv.ts';

const tag = `tc_${process.pid}`;
const DB_NAME = `pipesoak_t_${tag}`;
const STREAM = `T_${tag.toUpperCase()}_ORDERS`;
const DLQ = `T_${tag.toUpperCase()}_DEAD`;
const SUBJECT = `t_${tag}.orders`;
const CONSUMER = `t-${tag}-billing`;
const DLQ_CONSUMER = `t-${tag}-dead`;
const APP = `t-${tag}-billing-app`;

const dbUrl = new URL(PG_ADMIN_URL);
dbUrl.pathname = `/${DB_NAME}`;
let db: pg.Client;
let app: pg.Client;
let nc: NatsConnection;
let runDir: string;

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  await admin(`DROP DATABASE IF EXISTS "${DB_NAME}"`);
  await admin(`CREATE DATABASE "${DB_NAME}"`);
  db = new pg.Client({ connectionString: dbUrl.toString() });
  await db.connect();
  await db.query(`CREATE TABLE order_events (event_key text PRIMARY KEY, made_at timestamptz NOT NULL,
    sent_at timestamptz)`);
  await db.query(`CREATE TABLE billed (ref text, ordered_at timestamptz, billed_at timestamptz)`);
  // Two rows the relay has not sent, one sent long ago (history: not lag).
  await db.query(`INSERT INTO order_events VALUES ('p1', now() - interval '5 s', NULL),
    ('p2', now() - interval '2 s', NULL), ('old', now() - interval '1 h', now() - interval '59 min')`);
  app = new pg.Client({ connectionString: dbUrl.toString(), application_name: APP });
  await app.connect();

  nc = await connect({ servers: NATS_URL });
  const jsm = await jetstreamManager(nc);
  for (const name of [STREAM, DLQ]) await jsm.streams.delete(name).catch(() => undefined);
  await jsm.streams.add({ name: STREAM, subjects: [`${SUBJECT}.>`] });
  await jsm.streams.add({ name: DLQ, subjects: [`t_${tag}.dead.>`] });
  await jsm.consumers.add(STREAM, { durable_name: CONSUMER, ack_policy: AckPolicy.Explicit });
  await jsm.consumers.add(DLQ, { durable_name: DLQ_CONSUMER, ack_policy: AckPolicy.Explicit });
  const js = jetstream(nc);
  for (let i = 0; i < 7; i++) await js.publish(`${SUBJECT}.created`, `o${i}`);
  runDir = await mkdtemp(join(tmpdir(), 'pipesoak-target-'));
});

afterAll(async () => {
  await app?.end();
  await db?.end();
  const jsm = await jetstreamManager(nc);
  for (const name of [STREAM, DLQ]) await jsm.streams.delete(name).catch(() => undefined);
  await nc?.close();
  await admin(`DROP DATABASE IF EXISTS "${DB_NAME}"`);
  await rm(runDir, { recursive: true, force: true });
});

describe('collectors driven by the target', () => {
  it('collectors - sample the outbox table, completion query, stream, consumer and applications the target names', async () => {
    const config = validateConfig({
      target: {
        gatewayUrl: 'http://127.0.0.1:1',
        databaseUrl: dbUrl.toString(),
        natsUrl: NATS_URL,
        workerMetricsUrl: 'http://127.0.0.1:1/metrics',
        stream: STREAM,
        consumer: CONSUMER,
        dlqStream: DLQ,
        dlqConsumer: DLQ_CONSUMER,
        applications: { worker: APP, relay: `${APP}-r`, gateway: `${APP}-g`, sink: `${APP}-s` },
        outbox: {
          table: 'order_events',
          idColumn: 'event_key',
          createdAtColumn: 'made_at',
          publishedAtColumn: 'sent_at',
        },
        completionQuery: `SELECT ref AS correlation_id, ordered_at AS accepted_at, billed_at AS completed_at
          FROM billed WHERE billed_at > $1 ORDER BY billed_at LIMIT $2`,
      },
      load: { rate: 1, duration: '1m' },
    });
    const collectors = await startCollectors({
      runDir,
      target: config.target,
      intervalMs: 200,
      collectors: { prometheus: false, harness: false },
    });
    try {
      // After start: two rows sent with a lag of 300 and 700 ms, two completions of 40 and 90 ms.
      await db.query(`INSERT INTO order_events VALUES
        ('s1', now() - interval '300 ms', now()), ('s2', now() - interval '700 ms', now())`);
      await db.query(`INSERT INTO billed VALUES
        ('c1', now() - interval '40 ms', now()), ('c2', now() - interval '90 ms', now())`);
      await waitFor(
        () => collectors.completed() === 2 && collectors.latencyCount('outbox.lag') === 2,
        10_000,
      );
      await waitFor(() => collectors.latestGauge('consumer.pending') === 7, 5000);
    } finally {
      await collectors.stop();
    }
    expect(collectors.kinds).toEqual(['outbox', 'pool', 'jetstream', 'completion']);
    expect(collectors.stats().every((s) => s.failures === 0)).toBe(true);

    const gauges = (await readSeries(collectors.seriesPath)).filter(isGaugePoint);
    const last = (name: string, tags: Record<string, string> = {}) =>
      gauges
        .filter((g) => g.gauge === name && Object.entries(tags).every(([k, v]) => g.tags[k] === v))
        .at(-1);
    expect(last('outbox.pending')?.value).toBe(2);
    expect(last('outbox.oldest.age')?.value).toBeGreaterThanOrEqual(5000);
    expect(last('consumer.pending')?.tags).toEqual({ stream: STREAM, consumer: CONSUMER });
    expect(last('consumer.pending')?.value).toBe(7);
    expect(last('stream.messages', { stream: STREAM })?.value).toBe(7);
    expect(last('dlq.depth')).toMatchObject({ value: 0, tags: { stream: DLQ } });
    expect(last('db.connections', { application: APP, state: 'all' })?.value).toBe(1);

    const hlogMetrics = new Set(
      (await readHlog(collectors.hlogPath)).intervals.map((i) => parseHlogTag(i.tag).metric),
    );
    const summaries = collectors.summaries();
    expect(summaries['outbox.lag']?.count).toBe(2);
    expect(summaries['outbox.lag']?.min).toBeCloseTo(300, -1);
    expect(summaries['outbox.lag']?.max).toBeCloseTo(700, -1);
    expect(summaries['e2e.latency']?.count).toBe(2);
    expect(summaries['e2e.latency']?.min).toBeCloseTo(40, 0);
    expect(summaries['e2e.latency']?.max).toBeCloseTo(90, 0);
    expect([...hlogMetrics].sort()).toEqual(['e2e.latency', 'outbox.lag']);
  });
});
