import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OutboxCollector } from '../../collectors/outbox/outboxCollector.ts';
import { HistogramSnapshot } from '../../record/histogramSnapshot.ts';
import { REFERENCE_OUTBOX } from '../../reference/referenceTarget.ts';
import { RecordingRecorder } from '../support/recordingRecorder.ts';
import { createTestEnv, type TestEnv } from '../support/testEnv.ts';

let env: TestEnv;
const collectors: OutboxCollector[] = [];

beforeAll(async () => {
  env = await createTestEnv('outbox_collector');
});
afterAll(async () => {
  await Promise.all(collectors.map((c) => c.stop()));
  await env?.teardown();
});
beforeEach(async () => {
  await env.db.query('TRUNCATE outbox_events');
});

async function started(config: Partial<ConstructorParameters<typeof OutboxCollector>[0]> = {}) {
  const collector = new OutboxCollector({
    databaseUrl: env.settings.databaseUrl,
    ...REFERENCE_OUTBOX,
    ...config,
  });
  collectors.push(collector);
  const recorder = new RecordingRecorder();
  await collector.start(recorder);
  return { collector, recorder };
}

/**
 * Rows (the test writes them, never the harness) with created_at = published_at - lag; the batch
 * shares one published_at, as a relay batch does.
 */
async function insertPublished(lagsMs: number[], publishedAt: string): Promise<void> {
  await env.db.query(
    `INSERT INTO outbox_events (id, aggregate_type, aggregate_id, event_type, subject, payload, created_at, published_at)
     SELECT gen_random_uuid(), 'message', 'agg-' || i, 'message.created', 'events.message.created', '{}',
            p.at - lag * interval '1 millisecond', p.at
     FROM (SELECT ${publishedAt} AS at) AS p, unnest($1::double precision[]) WITH ORDINALITY AS l(lag, i)`,
    [lagsMs],
  );
}

function summaryOf(values: number[]) {
  const s = HistogramSnapshot.empty();
  for (const v of values) s.record(v);
  return s.summary();
}

describe('outbox collector', () => {
  it('outbox collector - reports pending count and oldest age of unpublished rows', async () => {
    // 500 unpublished rows created 1..500 s ago.
    await env.db.query(
      `INSERT INTO outbox_events (id, aggregate_type, aggregate_id, event_type, subject, payload, created_at)
       SELECT gen_random_uuid(), 'message', 'agg-' || g, 'message.created', 'events.message.created', '{}',
              now() - g * interval '1 second'
       FROM generate_series(1, 500) g`,
    );
    const { collector, recorder } = await started();
    await collector.sample();
    expect(recorder.lastGauge('outbox.pending')).toBe(500);
    const age = recorder.lastGauge('outbox.oldest.age') ?? 0;
    expect(Math.abs(age - 500_000)).toBeLessThan(1_000);
    expect(recorder.latencyValues('outbox.lag')).toEqual([]);
  });

  it('outbox collector - reports zero pending and zero oldest age when all rows are published', async () => {
    await insertPublished([5, 6], `now() - interval '1 hour'`);
    const { collector, recorder } = await started();
    await collector.sample();
    expect(recorder.lastGauge('outbox.pending')).toBe(0);
    expect(recorder.lastGauge('outbox.oldest.age')).toBe(0);
  });

  it('outbox collector - reports the lag of every row published after start and none before', async () => {
    await insertPublished([111, 222, 333], `now() - interval '10 minutes'`);
    // A small page size makes the cursor walk through many pages and through ties on published_at.
    const { collector, recorder } = await started({ pageSize: 7, settleMs: 0 });
    const lags = Array.from({ length: 100 }, (_, i) => (i + 1) * 10.5);
    await insertPublished(lags.slice(0, 60), 'now()');
    await insertPublished(lags.slice(60), 'clock_timestamp()');
    await collector.sample();
    const recorded = recorder.latencyValues('outbox.lag');
    expect(recorded).toHaveLength(100);
    expect([...recorded].sort((a, b) => a - b)).toEqual(lags);
    expect(summaryOf(recorded)).toEqual(summaryOf(lags));
    // Nothing new: the next sample records nothing more.
    await collector.sample();
    expect(recorder.latencyValues('outbox.lag')).toHaveLength(100);
    await insertPublished([42], 'clock_timestamp()');
    await collector.sample();
    expect(recorder.latencyValues('outbox.lag').at(-1)).toBe(42);
  });

  it('outbox collector - reads rows published inside the settle window on a later sample', async () => {
    const { collector, recorder } = await started({ settleMs: 500 });
    await insertPublished([25], 'clock_timestamp()');
    await collector.sample();
    expect(recorder.latencyValues('outbox.lag')).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 700));
    await collector.sample();
    expect(recorder.latencyValues('outbox.lag')).toEqual([25]);
  });

  it('outbox collector - caps the rows read per sample and keeps the rest for the next', async () => {
    const { collector, recorder } = await started({ pageSize: 10, maxRowsPerSample: 30, settleMs: 0 });
    await insertPublished(
      Array.from({ length: 45 }, (_, i) => i + 1),
      'clock_timestamp()',
    );
    await collector.sample();
    expect(recorder.latencyValues('outbox.lag')).toHaveLength(30);
    await collector.sample();
    expect(recorder.latencyValues('outbox.lag')).toHaveLength(45);
  });

  it('outbox collector - rejects identifiers that are not plain', () => {
    const databaseUrl = env.settings.databaseUrl;
    expect(
      () => new OutboxCollector({ databaseUrl, ...REFERENCE_OUTBOX, table: 'outbox_events; DROP TABLE x' }),
    ).toThrow(/table "outbox_events; DROP TABLE x" is not a plain identifier/);
    expect(
      () =>
        new OutboxCollector({ databaseUrl, ...REFERENCE_OUTBOX, publishedAtColumn: 'public.published_at' }),
    ).toThrow(/publishedAtColumn/);
  });

  it('outbox collector - samples a 1,000,000-row outbox in under 50 ms through indexes', async () => {
    await env.db.query(
      `INSERT INTO outbox_events (id, aggregate_type, aggregate_id, event_type, subject, payload, created_at, published_at)
       SELECT gen_random_uuid(), 'message', 'agg-' || g, 'message.created', 'events.message.created', '{}',
              now() - interval '1 day' + g * interval '1 millisecond',
              now() - interval '1 day' + g * interval '1 millisecond' + interval '50 milliseconds'
       FROM generate_series(1, 1000000) g`,
    );
    await env.db.query(
      `INSERT INTO outbox_events (id, aggregate_type, aggregate_id, event_type, subject, payload, created_at)
       SELECT gen_random_uuid(), 'message', 'pending-' || g, 'message.created', 'events.message.created', '{}',
              now() - g * interval '10 milliseconds'
       FROM generate_series(1, 1000) g`,
    );
    await env.db.query('ANALYZE outbox_events');
    const { collector, recorder } = await started();

    const timings: number[] = [];
    for (let round = 1; round <= 5; round++) {
      // 1,000 rows published 1.5 s ago (outside the default settle window), after the cursor.
      await insertPublished(
        Array.from({ length: 1000 }, (_, i) => 20 + (i % 100)),
        `clock_timestamp() - interval '1500 milliseconds'`,
      );
      const t0 = performance.now();
      await collector.sample();
      timings.push(performance.now() - t0);
      expect(recorder.latencyValues('outbox.lag')).toHaveLength(1000 * round);
    }
    expect(recorder.lastGauge('outbox.pending')).toBe(1000);
    const median = [...timings].sort((a, b) => a - b)[2] ?? Number.POSITIVE_INFINITY;
    console.log(
      `outbox sample over 1M rows: median ${median.toFixed(1)} ms of [${timings.map((t) => t.toFixed(1))}]`,
    );
    expect(median).toBeLessThan(50);

    const cursor = await env.db.query<{ published_at: string; id: string }>(
      `SELECT published_at::text AS published_at, id::text AS id FROM outbox_events
       WHERE published_at IS NOT NULL ORDER BY published_at DESC, id DESC OFFSET 1500 LIMIT 1`,
    );
    const from = cursor.rows[0];
    const explain = async (sql: string, params: unknown[]): Promise<string> => {
      const { rows } = await env.db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params);
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    };
    const plans = {
      pending: await explain(collector.queries.pending, [1000]),
      prime: await explain(collector.queries.prime, []),
      lagPage: await explain(collector.queries.lagPage, [from?.published_at, from?.id, 'now()', 5000]),
    };
    if (process.env.SHOW_PLANS) console.log(plans);
    for (const [name, plan] of Object.entries(plans)) {
      expect(plan, name).toContain('Index');
      expect(plan, name).not.toContain('Seq Scan on outbox_events');
    }
  }, 180_000);
});
