// Every default of `pipesoak capacity`, in one place: the search's shape and a step's durations.
// Short steps keep CI fast; a real capacity plan passes --step-duration 60s or more.
import { METRIC } from '../../record/metricCatalog.ts';

export const CAPACITY_DEFAULTS = {
  /** Events per second of the first step. */
  startRate: 25,
  /** Each ramp step offers this many times the last sustainable rate. */
  factor: 2,
  /** Bisection stops when (lowest failing - highest sustainable) / highest sustainable is at most this. */
  precision: 0.05,
  /** The ramp never offers more than this (events per second). */
  maxRate: 100_000,
  /** Stepping down from a failing first step gives up below this rate. */
  minRate: 1,
  /** Steps (re-runs included) per search; a search that has not converged by then says so. */
  maxSteps: 20,
  /** A failing step is run once more before it counts: one bad step is not the pipeline's limit. */
  confirmFailures: true,
  stepDurationMs: 20_000,
  stepWarmUpMs: 5_000,
  /** Pause after each step's drain, so the next step starts on an idle pipeline. */
  coolDownMs: 2_000,
  /** How long an apply command's readiness wait may take. */
  applyReadyTimeoutMs: 60_000,
} as const;

/** Gauges whose growth means the pipeline falls behind (a drift failure on them is backlog drift). */
export const BACKLOG_GAUGES: readonly string[] = [
  METRIC.outboxPending,
  METRIC.outboxOldestAge,
  METRIC.consumerPending,
  METRIC.consumerAckPending,
];
