// The `slos` section of a config, as the runner validates it and run.start records it in
// series.ndjson (so `pipesoak report` judges a run by the SLOs it ran with). Every default comes
// from the system contract (record/contract.ts) or is stated here once.
import { z } from 'zod';
import { CONTRACT } from './contract.ts';
import { gaugeKey } from './gaugeKey.ts';
import { METRIC } from './metricCatalog.ts';
import { typeError } from './zodFields.ts';

export const positive = z
  .number({ error: 'must be a number' })
  .refine(Number.isFinite, { error: 'must be a finite number' })
  .refine((n) => n > 0, { error: 'must be greater than 0' });
export const nonNegative = z
  .number({ error: 'must be a number' })
  .refine(Number.isFinite, { error: 'must be a finite number' })
  .refine((n) => n >= 0, { error: 'must be 0 or more' });
const PERCENTILE_ORDER = ['p50', 'p90', 'p99', 'p999', 'max'] as const;

/** Latency objectives in ms, each a strict upper bound (`p99 < 1000`); `false` turns the SLO off. */
function latencyObjectives(defaults: { p99: number }) {
  const objectives = z
    .strictObject({
      p50: positive.optional(),
      p90: positive.optional(),
      p99: positive.default(defaults.p99),
      p999: positive.optional(),
      max: positive.optional(),
    })
    .superRefine((o, ctx) => {
      // A higher percentile can never be below a lower one, so such an objective is a typo.
      let lower: { key: string; value: number } | undefined;
      for (const key of PERCENTILE_ORDER) {
        const value = o[key];
        if (value === undefined) continue;
        if (lower && value < lower.value) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `must be at least ${lower.key} (${lower.value} ms)`,
          });
        }
        lower = { key, value };
      }
    });
  return z.union([z.literal(false), objectives]).default({ p99: defaults.p99 });
}

/** An upper bound (`<=`) or `false` for off. */
function bound(defaultValue: number) {
  return z.union([z.literal(false), nonNegative]).default(defaultValue);
}

const driftGaugeSchema = z.strictObject({
  /** Growth below this many units per minute is not worth failing a run for. */
  minSlopePerMin: nonNegative.default(0),
  /** ...nor growth below this share of the gauge's mean per minute (0.001 = 0.1 %/min = 6 %/h). */
  minRelativeSlopePerMin: nonNegative.default(0.001),
  /** ...nor growth totalling less than this (gauge units) over the steady window, however steady the slope. */
  minGrowth: nonNegative.default(0),
  /** A steady window shorter than this many seconds is "not judged": too short to tell a trend from settling. */
  minWindowS: nonNegative.default(0),
  /** Without samples the check fails; `false` says "not judged" instead (a gauge not every target has). */
  required: z.boolean({ error: 'must be true or false' }).default(true),
});

const MB = 1024 * 1024;

/** The target component whose memory the worker-RSS drift SLO judges (`target.rss` tag `component`). */
export const DRIFT_WORKER_COMPONENT = 'worker';

/**
 * Keys are gauge names or one tagged series, `gauge{tag=value}` (record/gaugeKey.ts). Outbox bloat
 * (outbox.table.bytes, outbox.dead_tuples) is left out on purpose: a table grows until vacuum
 * catches up, which is not a failure by itself; the report gives its slope instead.
 */
export const DRIFT_DEFAULTS: Record<
  string,
  {
    minSlopePerMin: number;
    minRelativeSlopePerMin: number;
    minGrowth?: number;
    minWindowS?: number;
    required: boolean;
  }
> = {
  [METRIC.consumerPending]: { minSlopePerMin: 10, minRelativeSlopePerMin: 0.001, required: true },
  [METRIC.outboxPending]: { minSlopePerMin: 10, minRelativeSlopePerMin: 0.001, required: true },
  // Each run starts the engine in new worker threads, whose heaps grow in steps of 10-20 MB between
  // major collections for their first minutes (275 → 287 → 300 MB at 100/s over 2 min, then flat):
  // less than 32 MB in all is that settling, not a leak; a leak outgrows it in any soak.
  [METRIC.harnessRss]: {
    minSlopePerMin: 256 * 1024,
    minRelativeSlopePerMin: 0.001,
    minGrowth: 32 * MB,
    required: true,
  },
  // Worker memory: a Node worker's RSS settles within minutes of warm-up and then only wobbles
  // with GC. 10 MB/h (240 MB a day) is a leak worth acting on; 3 %/h of its size keeps a large
  // worker's GC swings from failing a run. In its first minutes under load a healthy Node worker's
  // heap grows 30-80 MB in steps between major collections (measured on the reference at 30 and
  // 60 events/s): a steady window under 3 min is not judged, and less than 16 MB in all (its
  // allocator and JIT code settling) is no leak. The default 5 min soak with a 30 s warm-up is
  // judged; past 1.6 h of steady window the 10 MB/h floor is the stricter rule.
  [gaugeKey(METRIC.targetRss, { key: 'component', value: DRIFT_WORKER_COMPONENT })]: {
    minSlopePerMin: (10 * MB) / 60,
    minRelativeSlopePerMin: 0.0005,
    minGrowth: 16 * MB,
    minWindowS: 180,
    // Not every target's worker memory can be read (no pid, no process metrics): say so, do not fail.
    required: false,
  },
  // Connections are small integers per application: one more every 30 min exhausts a pool of 10
  // within a 5 h soak. A pool opening and closing idle connections wobbles without a trend.
  [METRIC.dbConnections]: { minSlopePerMin: 1 / 30, minRelativeSlopePerMin: 0, required: false },
  // The pending query runs on a partial index in about a millisecond; growing 3 ms/h, or 30 %/h
  // of itself, means the index or table is bloating and the relay's poll slows with it. The
  // relative floor is high because a shared host's noise is large against a millisecond.
  [METRIC.outboxQueryTime]: { minSlopePerMin: 0.05, minRelativeSlopePerMin: 0.005, required: false },
};

const driftSchema = z
  .strictObject({
    /** One-sided confidence that the slope is above zero. */
    confidence: z
      .number({ error: 'must be a number' })
      .refine((c) => c >= 0.5 && c < 1, { error: 'must be at least 0.5 and below 1' })
      .default(0.99),
    gauges: z.record(z.string(), z.union([z.literal(false), driftGaugeSchema])).default({}),
  })
  .prefault({})
  .transform((drift) => ({ ...drift, gauges: { ...DRIFT_DEFAULTS, ...drift.gauges } }));

export const slosSchema = z
  .strictObject({
    [METRIC.gatewayLatency]: latencyObjectives({ p99: 500 }),
    [METRIC.e2eLatency]: latencyObjectives({ p99: 1000 }),
    [METRIC.dispatchLatency]: latencyObjectives({ p99: CONTRACT.dispatchP99Ms }),
    [METRIC.outboxLag]: latencyObjectives({ p99: 1000 }),
    [METRIC.consumerAckLatency]: latencyObjectives({ p99: 1000 }),
    /** Failed requests / requests. */
    errorRate: z
      .union([
        z.literal(false),
        nonNegative.refine((r) => r <= 1, { error: 'must be a share between 0 and 1' }),
      ])
      .default(0.001),
    droppedIterations: bound(0),
    /** The worker retries INBOX_MAX_RETRIES times, so an event is delivered at most that + 1 times. */
    deliveriesPerEvent: bound(CONTRACT.inboxMaxRetries + 1),
    dlqAttempts: bound(CONTRACT.dlqMaxAttempts),
    /** Per application's pool (pg_stat_activity by application_name). */
    dbConnections: bound(CONTRACT.dbPoolMax),
    /** Queue depth stays bounded: a hundred full worker batches. */
    consumerPending: bound(CONTRACT.batchSize * CONTRACT.pendingBatches),
    integrity: z.strictObject({ lost: bound(0), duplicated: bound(0) }).prefault({}),
    drift: driftSchema,
    /** Extra checks in the SLO expression language, e.g. `p999(e2e.latency) < 5000`. */
    custom: z.array(z.string({ error: typeError('must be an SLO expression string') })).default([]),
  })
  .prefault({});

export type SloConfig = z.output<typeof slosSchema>;
