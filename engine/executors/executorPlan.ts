// Validated executor plans: plain data (structured-clonable) that the main thread resolves from a
// scenario's options and sends to every worker.
export type Tags = Record<string, string>;

export interface BasePlan {
  /** The scenario's name, the key under `options.scenarios`. */
  name: string;
  executor: string;
  startTimeMs: number;
  gracefulStopMs: number;
  /** The bundle's export that runs one iteration. */
  exec: string;
  tags: Tags;
}

export type ArrivalSpec =
  | { type: 'constant'; rate: number; timeUnitMs: number; durationMs: number }
  | {
      type: 'ramping';
      startRate: number;
      timeUnitMs: number;
      stages: { target: number; durationMs: number }[];
    };

export interface ArrivalPlan extends BasePlan {
  model: 'arrival';
  arrival: ArrivalSpec;
  preAllocatedVUs: number;
  maxVUs: number;
}

export interface VusPlan extends BasePlan {
  model: 'vus';
  startVUs: number;
  /** VU targets, linear in between; constant-vus is one flat stage. */
  stages: { target: number; durationMs: number }[];
  gracefulRampDownMs: number;
}

export type ExecutorPlan = ArrivalPlan | VusPlan;

/** How long the executor offers work (without startTime and gracefulStop). */
export function planDurationMs(plan: ExecutorPlan): number {
  if (plan.model === 'vus') return plan.stages.reduce((sum, s) => sum + s.durationMs, 0);
  const a = plan.arrival;
  return a.type === 'constant' ? a.durationMs : a.stages.reduce((sum, s) => sum + s.durationMs, 0);
}

/** Most VUs the executor can have at once. */
export function planMaxVUs(plan: ExecutorPlan): number {
  if (plan.model === 'arrival') return plan.maxVUs;
  return Math.max(plan.startVUs, ...plan.stages.map((s) => s.target));
}

/** Highest arrival rate per second a plan offers; closed-model plans have no bound, so Infinity. */
export function planPeakRatePerS(plan: ExecutorPlan): number {
  if (plan.model === 'vus') return Number.POSITIVE_INFINITY;
  const a = plan.arrival;
  const perUnit = a.type === 'constant' ? a.rate : Math.max(a.startRate, ...a.stages.map((s) => s.target));
  return (perUnit * 1000) / a.timeUnitMs;
}
