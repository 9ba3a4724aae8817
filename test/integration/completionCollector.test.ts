import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CompletionCollector,
  type CompletionCollectorConfig,
} from '../../collectors/completion/completionCollector.ts';
import { REFERENCE_COMPLETION_QUERY } from '../../reference/referenceTarget.ts';
import { RecordingRecorder } from '../support/recordingRecorder.ts';
import { createTestEnv, type TestEnv } from '../support/testEnv.ts';

let env: TestEnv;
const collectors: CompletionCollector[] = [];
let batch = 0;

beforeAll(async () => {
  env = await createTestEnv('completion_collector');
});
afterAll(async () => {
  await Promise.all(collectors.map((c) => c.stop()));
  await env?.teardown();
});
beforeEach(async () => {
  await env.db.query('TRUNCATE kg_facts');
});

async function started(config: Partial<CompletionCollectorConfig> = {}) {
  const collector = new CompletionCollector({
    databaseUrl: env.settings.databaseUrl,
    query: REFERENCE_COMPLETION_QUERY,
    settleMs: 0,
    ...config,
  });
  collectors.push(collector);
  const recorder = new RecordingRecorder();
  await collector.start(recorder);
  return { collector, recorder };
}

/**
 * kg_facts rows as the sink writes them (the test writes them, never the harness): applied_at is
 * `appliedAt` plus `stepUs` µs per row (0: the batch shares one timestamp) and the payload's
 * acceptedAt lies `latency` ms before it; a null latency leaves acceptedAt out.
 */
async function insertFacts(
  latenciesMs: Array<number | null>,
  appliedAt: string,
  stepUs = 0,
): Promise<string[]> {
  batch++;
  const { rows } = await env.db.query<{ correlation_id: string }>(
    `INSERT INTO kg_facts (event_id, event_type, correlation_id, payload, applied_at)
     SELECT 'ev-' || $2::int || '-' || i, 'message.created', 'corr-' || $2::int || '-' || i,
            CASE WHEN lat IS NULL THEN '{}'::jsonb
                 ELSE jsonb_build_object('acceptedAt', p.at + (i - 1) * $3::int * interval '1 microsecond'
                                                       - lat * interval '1 millisecond') END,
            p.at + (i - 1) * $3::int * interval '1 microsecond'
     FROM (SELECT ${appliedAt} AS at) AS p, unnest($1::double precision[]) WITH ORDINALITY AS l(lat, i)
     RETURNING correlation_id`,
    [latenciesMs, batch, stepUs],
  );
  return rows.map((r) => r.correlation_id);
}

const sorted = (values: number[]): number[] => [...values].sort((a, b) => a - b);

describe('completion collector', () => {
  it('completion collector - records e2e latency of completions after start and none before', async () => {
    await insertFacts([1, 2, 3], `now() - interval '1 minute'`, 1);
    const { collector, recorder } = await started();
    const latencies = Array.from({ length: 50 }, (_, i) => 5 + i * 37.25);
    await insertFacts(latencies, 'clock_timestamp()', 3);
    await collector.sample();
    expect(collector.completedCount).toBe(50);
    expect(sorted(recorder.latencyValues('e2e.latency'))).toEqual(latencies);
    await collector.sample();
    expect(collector.completedCount).toBe(50);
  });

  it('completion collector - pages through more completions than its limit, ties included', async () => {
    const { collector, recorder } = await started({ pageSize: 10, keepCorrelationIds: true });
    const spread = Array.from({ length: 95 }, (_, i) => 100 + i);
    const tied = Array.from({ length: 25 }, (_, i) => 500 + i);
    const ids = [
      ...(await insertFacts(spread, 'clock_timestamp()', 1)),
      // 25 rows sharing one applied_at: more than a page, so the collector must widen its query.
      ...(await insertFacts(tied, `(SELECT max(applied_at) + interval '1 microsecond' FROM kg_facts)`, 0)),
      ...(await insertFacts([7, 8, 9], 'clock_timestamp()', 0)),
    ];
    await collector.sample();
    expect(collector.completedCount).toBe(123);
    expect(sorted(recorder.latencyValues('e2e.latency'))).toEqual(sorted([...spread, ...tied, 7, 8, 9]));
    expect([...collector.correlationIds].sort()).toEqual([...ids].sort());
  });

  it('completion collector - caps the rows read per sample and keeps the rest for the next', async () => {
    const { collector } = await started({ pageSize: 10, maxRowsPerSample: 20 });
    await insertFacts(
      Array.from({ length: 35 }, () => 1),
      'clock_timestamp()',
      1,
    );
    await collector.sample();
    expect(collector.completedCount).toBe(20);
    await collector.sample();
    expect(collector.completedCount).toBe(35);
  });

  it('completion collector - counts completions without acceptedAt but records no latency for them', async () => {
    const { collector, recorder } = await started();
    await insertFacts([10, null, 30], 'clock_timestamp()', 1);
    await collector.sample();
    expect(collector.completedCount).toBe(3);
    expect(collector.missingAcceptedCount).toBe(1);
    expect(sorted(recorder.latencyValues('e2e.latency'))).toEqual([10, 30]);
  });

  it('completion collector - reads completions inside the settle window on a later sample', async () => {
    const { collector, recorder } = await started({ settleMs: 500 });
    await insertFacts([12], 'clock_timestamp()');
    await collector.sample();
    expect(collector.completedCount).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 700));
    await collector.sample();
    expect(recorder.latencyValues('e2e.latency')).toEqual([12]);
  });

  it('completion collector - rejects a query without the cursor and limit parameters', () => {
    expect(
      () =>
        new CompletionCollector({ databaseUrl: env.settings.databaseUrl, query: 'SELECT 1 FROM kg_facts' }),
    ).toThrow(/\$1 \(cursor\) and \$2 \(limit\)/);
  });

  it('completion collector - keeps no correlation ids unless asked', async () => {
    const { collector } = await started();
    expect(() => collector.correlationIds).toThrow(/keepCorrelationIds is off/);
  });
});
