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
  verdict: z.enum(['pass', 'fail']),
  partial: z.boolean().optional(),
  notes: z.array(z.string()).optional(),
});

export type ReportJson = z.output<typeof reportJsonSchema>;
export type ReportMetric = z.output<typeof metric>;
export type ReportSegment = NonNullable<ReportJson['run']['segments']>[number];
