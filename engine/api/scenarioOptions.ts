// The options a scenario exports, with k6's executor and option names (defaults are engine-core's,
// listed here for the editor). Types only.

/** k6 duration string ('30s', '1m30s', '500ms') or ms. */
export type Duration = string | number;

interface CommonExecutorOptions {
  /** Default '0s'. */
  startTime?: Duration;
  /** Default '30s': then running iterations are aborted and counted as interrupted. */
  gracefulStop?: Duration;
  /** The exported function to run; default 'default'. */
  exec?: string;
  tags?: Record<string, string>;
}

export interface ConstantArrivalRateOptions extends CommonExecutorOptions {
  executor: 'constant-arrival-rate';
  /** Iterations per timeUnit. */
  rate: number;
  /** Default '1s'. */
  timeUnit?: Duration;
  duration: Duration;
  preAllocatedVUs: number;
  /** Default preAllocatedVUs. */
  maxVUs?: number;
}

export interface Stage {
  target: number;
  duration: Duration;
}

export interface RampingArrivalRateOptions extends CommonExecutorOptions {
  executor: 'ramping-arrival-rate';
  /** Default 0. */
  startRate?: number;
  timeUnit?: Duration;
  stages: Stage[];
  preAllocatedVUs: number;
  maxVUs?: number;
}

export interface ConstantVusOptions extends CommonExecutorOptions {
  executor: 'constant-vus';
  /** Default 1. */
  vus?: number;
  duration: Duration;
}

export interface RampingVusOptions extends CommonExecutorOptions {
  executor: 'ramping-vus';
  /** Default 1. */
  startVUs?: number;
  stages: Stage[];
  /** Default '30s'. */
  gracefulRampDown?: Duration;
}

export type ExecutorOptions =
  | ConstantArrivalRateOptions
  | RampingArrivalRateOptions
  | ConstantVusOptions
  | RampingVusOptions;

export interface ScenarioOptions {
  scenarios: Record<string, ExecutorOptions>;
}

/** The run's load settings (config `load`, overridden by flags), for `export function options(load)`. */
export interface LoadSettings {
  /** Iterations per second. */
  rate: number;
  durationMs: number;
  warmUpMs: number;
  vus: { preAllocated: number; max: number };
  seed: number;
}

export type OptionsExport = ScenarioOptions | ((load: LoadSettings) => ScenarioOptions);
