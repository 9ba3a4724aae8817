// report.json (schema pipesoak.report/v1, DESIGN section 4) as a wire type, with the zod schema
// `pipesoak compare` checks a file against before trusting its numbers.
import { z } from 'zod';

export const REPORT_SCHEMA = 'pipesoak.report/v1';

const latencyStats = z.object({
  count: z.number(),
  min: z.number(),
  mean: z.number(),
  p50: z.number(),
  p90: z.number(),
  p99: z.number(),
  p999: z.number(),
  max: z.number(),
});

const metric = latencyStats.extend({
  unit: z.literal('ms'),
  /** Tag key → tag value → the same statistics, where the catalogue keeps a tag apart. */
  byTag: z.record(z.string(), z.record(z.string(), latencyStats)).optional(),
});

const gauge = z.object({
  min: z.number(),
  mean: z.number(),
  max: z.number(),
  last: z.number(),
  slopePerMin: z.number().nullable(),
});

const slo = z.object({
  name: z.string(),
  objective: z.string(),
  observed: z.number().nullable(),
  pass: z.boolean(),
  reason: z.string().optional(),
});

const stageStats = z.object({
  stage: z.string(),
  source: z.string(),
  measured: z.boolean(),
  reason: z.string().optional(),
  p50: z.number().nullable(),
  p99: z.number().nullable(),
  mean: z.number().nullable(),
  share: z.number().nullable(),
});

/** Where e2e time goes over the steady window (reports/stageBreakdown.ts), without the buckets. */
const stages = z.object({
  e2e: z.object({ p50: z.number(), p99: z.number(), mean: z.number() }).nullable(),
  stages: z.array(stageStats),
  dominantP99: z.string().nullable(),
  grewMost: z.object({ stage: z.string(), fromShare: z.number(), toShare: z.number() }).nullable(),
  notes: z.array(z.string()),
});

const littleCheck = z.object({
  name: z.string(),
  backlog: z.number().nullable(),
  expected: z.number().nullable(),
  ratio: z.number().nullable(),
  ok: z.boolean(),
  note: z.string().optional(),
});

/** One fault window and how the pipeline came back from it (reports/recovery.ts), times in s. */
const faultWindow = z.object({
  name: z.string(),
  what: z.string(),
  where: z.string(),
  /** Seconds from the run's start to the window's start. */
  at: z.number(),
  /** The window's length in seconds; null when it never ended (no fault.end). */
  for: z.number().nullable(),
  /** Per backlog gauge (consumer.pending, outbox.pending): its highest value from the start until recovery. */
  peakBacklog: z.record(z.string(), z.number().nullable()),
  /** The steady bound each gauge had to be back under. */
  bounds: z.record(z.string(), z.number()),
  /** From the window's end until every backlog gauge stayed under its bound; null with a reason when never. */
  drainS: z.number().nullable(),
  reason: z.string().optional(),
  /** p99 per latency metric (e2e.latency, gateway.latency) inside the window (until recovery) and outside every window. */
  p99Inside: z.record(z.string(), z.number().nullable()),
  p99Outside: z.record(z.string(), z.number().nullable()),
});

const outboxChecksum = z.object({ count: z.number(), checksum: z.string() });
const outboxComparison = z.object({ before: outboxChecksum, after: outboxChecksum, unchanged: z.boolean() });

export const reportJsonSchema = z.object({
  schema: z.literal(REPORT_SCHEMA),
  run: z.object({
    id: z.string(),
    scenario: z.string(),
    seed: z.number().nullable(),
    startedAt: z.string(),
    durationS: z.number(),
    target: z.record(z.string(), z.unknown()),
    /**
     * A segmented run's parts. A segment's own report lists itself (with its sequence); a merged
     * report lists every part it was merged from. A `loadOnly` part ran no collectors, so checks
     * on collector data are not judged in its report, only in the merged one. Absent: one process.
     */
    segments: z
      .array(
        z.object({
          segment: z.string(),
          sequence: z.string().optional(),
          loadOnly: z.boolean(),
          folder: z.string().optional(),
        }),
      )
      .optional(),
  }),
  /** Filled by the load engine (targetRate, achievedRate, iterations, ...); empty until it runs. */
  load: z.record(z.string(), z.union([z.number(), z.boolean(), z.null()])),
  metrics: z.record(z.string(), metric),
  /** Counters: each one's total over the steady window. */
  counts: z.record(z.string(), z.number()),
  /** http.errors / http.requests over the steady window; null without requests. */
  errorRate: z.number().nullable(),
  gauges: z.record(z.string(), gauge),
  slos: z.array(slo),
  integrity: z.object({
    accepted: z.number().nullable(),
    completed: z.number().nullable(),
    deadLettered: z.number().nullable(),
    lost: z.number().nullable(),
    duplicated: z.number().nullable(),
  }),
  /** Stage breakdown of e2e latency; absent in reports written before it existed. */
  stages: stages.optional(),
  /** Little's law, backlog vs λ·W, for outbox pending and consumer pending. */
  littlesLaw: z.array(littleCheck).optional(),
  /** One plain-words line per soak finding (drift, bloat, dominant stage, collector disagreement). */
  findings: z.array(z.string()).optional(),
  /** A fault run's windows (DESIGN section 4); absent when the run had no fault schedule. */
  faults: z.array(faultWindow).optional(),
  /** A fault run's outbox checksums before and after (faults/outboxGuard.ts); a change fails the run. */
  outboxGuard: outboxComparison.extend({ preRun: outboxComparison, window: outboxComparison }).optional(),
  verdict: z.enum(['pass', 'fail']),
  partial: z.boolean().optional(),
  notes: z.array(z.string()).optional(),
});

export type ReportJson = z.output<typeof reportJsonSchema>;
export type ReportMetric = z.output<typeof metric>;
export type ReportFault = z.output<typeof faultWindow>;
export type ReportOutboxGuard = NonNullable<ReportJson['outboxGuard']>;
export type ReportSegment = NonNullable<ReportJson['run']['segments']>[number];
