// What live progress is given once a second: plain data the runner assembles from the engine's
// tick and the collectors' latest samples. Progress reads nothing else.

export type RunPhase = 'warm-up' | 'steady' | 'drain' | 'stopping';

export interface ProgressTick {
  elapsedMs: number;
  /** Planned length of the load (warm-up included). */
  totalMs: number;
  phase: RunPhase;
  /** Events per second asked for, and sent over the last interval. */
  targetRate: number;
  achievedRate: number;
  /** Iterations the generator could not start on time (no free VU), since the start. */
  dropped: number;
  /** Failed requests and publishes since the start. */
  errors: number;
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
  };
  /** Fault windows active now; absent when the run has no fault schedule. */
  faults?: string[];
}
