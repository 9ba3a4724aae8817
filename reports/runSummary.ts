// What the SLO engine judges: one run's steady window (after warm-up), reduced to numbers.
// Built from a run folder by summarizeRunFolder; hand-built in tests.
import type { LatencySummary } from '../record/histogramSnapshot.ts';

/** A least-squares trend of a gauge over its steady window (reports/drift.ts). */
export interface Trend {
  slopePerMin: number;
  /** Autocorrelation-robust (Newey-West) standard error of the slope. */
  stdErrPerMin: number;
  /** Degrees of freedom for the t quantile: windows - 2. */
  dof: number;
  windows: number;
  windowS: number;
}

export interface GaugeSummary {
  samples: number;
  min: number;
  mean: number;
  max: number;
  last: number;
  /** null when the window is too short for a trend. */
  slopePerMin: number | null;
  trend: Trend | null;
}

/** Counters over the steady window; null when the run folder has no source for one. */
export interface RunCounts {
  http_reqs: number | null;
  errors: number | null;
  dropped_iterations: number | null;
  deliveries_per_event_max: number | null;
  dlq_attempts_max: number | null;
}

export interface IntegrityCounts {
  accepted: number;
  completed: number;
  deadLettered: number;
  lost: number;
  duplicated: number;
}

export interface RunSummary {
  metrics: Record<string, LatencySummary>;
  gauges: Record<string, GaugeSummary>;
  /** One tagged series of a gauge, by `gauge{tag=value}` (record/gaugeKey.ts); absent in hand-built summaries. */
  gaugesByTag?: Record<string, GaugeSummary>;
  /** metric → tag key → tag value → summary, for the tags the catalogue keeps apart (dispatch.latency by consumer). */
  byTag: Record<string, Record<string, Record<string, LatencySummary>>>;
  /** Every counter's total over the steady window, by name (all tags summed). */
  counters: Record<string, number>;
  counts: RunCounts;
  /** null when the integrity checker did not run (an interrupted run). */
  integrity: IntegrityCounts | null;
}

export const COUNT_KEYS = [
  'http_reqs',
  'errors',
  'dropped_iterations',
  'deliveries_per_event_max',
  'dlq_attempts_max',
] as const satisfies readonly (keyof RunCounts)[];

export const INTEGRITY_KEYS = [
  'accepted',
  'completed',
  'deadLettered',
  'lost',
  'duplicated',
] as const satisfies readonly (keyof IntegrityCounts)[];
