// What live progress is given once a second: plain data the runner assembles from the engine's
// tick and the collectors' latest samples. Progress reads nothing else.

/** warm-up: before the SLO window; measuring: in it; graceful stop: the schedule has ended and
 * in-flight iterations finish; stopping: Ctrl-C. */
export type RunPhase = 'warm-up' | 'measuring' | 'graceful stop' | 'stopping';

export interface ProgressTick {
  /** The scenario's name (its file name), so a ramp is not shown as anything else. */
  scenario: string;
  elapsedMs: number;
  /** Planned length of the load (warm-up included). */
  totalMs: number;
  phase: RunPhase;
  /** The schedule's mean rate over `rateWindow`; absent for a closed model (VUs, no schedule). */
  targetRate?: number;
  /** Iterations started per second over `rateWindow`. */
  achievedRate: number;
  /** What both rates are averaged over: `last 10 s` while the schedule runs, `whole run` after. */
  rateWindow: string;
  /** Iterations the generator could not start on time (no free VU), since the start. */
  dropped: number;
  /** Failures since the start, by kind: a failed request may also make its iteration throw. */
  errors: {
    /** HTTP responses with status >= 400 and transport errors (`http.errors`), of `requests` sent. */
    failedRequests: number;
    requests: number;
    /** JetStream publishes that failed (`jetstream.publish.errors`). */
    failedPublishes: number;
    /** Iterations whose function threw (`load.errors`). */
    thrown: number;
  };
  /** p99 so far; absent until the first sample. */
  gatewayP99Ms?: number;
  e2eP99Ms?: number;
  /** Latest collector samples; absent when that collector has none yet. */
  outboxPending?: number;
  consumerPending?: number;
  dlqDepth?: number;
  /** Names of the SLOs that fail on the data so far. */
  failingSlos: string[];
  generator: {
    eventLoopDelayP99Ms: number;
    /** The harness process's CPU use as a share of one core (0.35 = 35 %). */
    cpu: number;
    /** The generator cannot keep the schedule: its numbers describe the harness, not the target. */
    saturated: boolean;
    /** Why `saturated` is set (the engine's rule), so a user sees what tripped it. */
    saturationRule?: string;
    /** The machine's 1-minute load average and cores: a busy machine delays the harness at low CPU. */
    loadAverage?: number;
    cores?: number;
  };
  /** Fault windows active now; absent when the run has no fault schedule. */
  faults?: string[];
}
