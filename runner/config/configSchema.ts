// The shape of pipesoak.config.ts: strict objects (an unknown key is a typo, so it is an error),
// durations as strings turned into ms, and an SLO default for every row of DESIGN section 1 taken
// from the system contract (record/contract.ts), the one place those numbers live.
import { z } from 'zod';
import type { CollectorTarget } from '../../collectors/collectorTarget.ts';
import { PLAIN_IDENTIFIER } from '../../collectors/outbox/outboxQueries.ts';
import { CONTRACT } from '../../record/contract.ts';
import { METRIC } from '../../record/metricCatalog.ts';
import { formatDuration } from './duration.ts';
import { duration, typeError } from './zodFields.ts';

function url(protocols: string[]) {
  return z.string({ error: typeError('must be a URL string') }).check((ctx) => {
    let parsed: URL;
    try {
      parsed = new URL(ctx.value);
    } catch {
      ctx.issues.push({ code: 'custom', message: `"${ctx.value}" is not a URL`, input: ctx.value });
      return;
    }
    if (!protocols.includes(parsed.protocol)) {
      ctx.issues.push({
        code: 'custom',
        message: `must be a ${protocols.join(' or ')} URL (got ${parsed.protocol})`,
        input: ctx.value,
      });
    }
  });
}

const name = z.string({ error: typeError('must be a string') }).min(1, { error: 'must not be empty' });
const identifier = z
  .string({ error: 'must be a string' })
  .regex(PLAIN_IDENTIFIER, { error: 'must be a plain SQL identifier' });
const positive = z
  .number({ error: 'must be a number' })
  .refine(Number.isFinite, { error: 'must be a finite number' })
  .refine((n) => n > 0, { error: 'must be greater than 0' });
const nonNegative = z
  .number({ error: 'must be a number' })
  .refine(Number.isFinite, { error: 'must be a finite number' })
  .refine((n) => n >= 0, { error: 'must be 0 or more' });
const wholeAtLeast = (min: number) =>
  z
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(min, { error: `must be at least ${min}` });

const targetSchema = z.strictObject({
  gatewayUrl: url(['http:', 'https:']),
  databaseUrl: url(['postgres:', 'postgresql:']),
  natsUrl: url(['nats:', 'tls:', 'ws:', 'wss:']),
  workerMetricsUrl: url(['http:', 'https:']),
  stream: name,
  consumer: name,
  dlqStream: name,
  dlqConsumer: name,
  applications: z.strictObject({ worker: name, relay: name, gateway: name, sink: name }),
  outbox: z.strictObject({
    table: identifier,
    idColumn: identifier,
    createdAtColumn: identifier,
    publishedAtColumn: identifier,
  }),
  completionQuery: z
    .string({ error: 'must be a SQL string' })
    .refine((q) => q.includes('$1') && q.includes('$2'), {
      error: 'must use $1 (the completed_at cursor) and $2 (the page size)',
    }),
});

const loadSchema = z
  .strictObject({
    /** Events per second, open model. */
    rate: positive,
    duration: duration({ positive: true }),
    /** Left out of the SLO summary: caches, JIT and pools fill up first. */
    warmUp: duration().default(0),
    vus: z
      .strictObject({ preAllocated: wholeAtLeast(1).default(10), max: wholeAtLeast(1).default(200) })
      .prefault({}),
    seed: wholeAtLeast(0).default(1),
  })
  .superRefine((load, ctx) => {
    if (load.warmUp >= load.duration) {
      ctx.addIssue({
        code: 'custom',
        path: ['warmUp'],
        message: `must be shorter than load.duration (${formatDuration(load.duration)})`,
      });
    }
    if (load.vus.max < load.vus.preAllocated) {
      ctx.addIssue({
        code: 'custom',
        path: ['vus', 'max'],
        message: `must be at least vus.preAllocated (${load.vus.preAllocated})`,
      });
    }
  });

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
});

const DRIFT_DEFAULTS: Record<string, { minSlopePerMin: number; minRelativeSlopePerMin: number }> = {
  [METRIC.consumerPending]: { minSlopePerMin: 10, minRelativeSlopePerMin: 0.001 },
  [METRIC.outboxPending]: { minSlopePerMin: 10, minRelativeSlopePerMin: 0.001 },
  [METRIC.harnessRss]: { minSlopePerMin: 256 * 1024, minRelativeSlopePerMin: 0.001 },
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

export const configSchema = z.strictObject({
  target: targetSchema,
  load: loadSchema,
  collectors: z
    .strictObject({
      interval: duration({ positive: true }).default(1000),
      otel: z.strictObject({ endpoint: url(['http:', 'https:']).optional() }).optional(),
    })
    .prefault({}),
  slos: slosSchema,
  /** How long the end of a run waits for the pipeline to empty before counting. */
  drainTimeout: duration().default(60_000),
  secrets: z
    .strictObject({
      /** Key names (case-insensitive substrings) redacted besides secret, token, password, key. */
      redactKeys: z.array(name).default([]),
    })
    .prefault({}),
});

/** What a user writes in pipesoak.config.ts (durations as strings, defaults optional). */
export type ConfigInput = z.input<typeof configSchema>;
/** A validated config: durations in ms, every default filled in. */
export type Config = z.output<typeof configSchema>;
export type SloConfig = Config['slos'];

// The collectors take the target as it is validated here; a field they need that the schema lacks
// is a type error at this line, not a run without samples.
const targetFitsCollectors: (target: Config['target']) => CollectorTarget = (target) => target;
void targetFitsCollectors;
