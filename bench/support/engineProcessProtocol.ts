// What bench/support/runEngineProcess.ts sends the engine child (as JSON in an env variable) and
// what the child sends back (one message over the IPC channel: stdout is left to V8's GC trace,
// whose buffered writes a line of ours could otherwise split).
import type { LoadSettings } from '../../engine/scenarioOptions.ts';

export const REQUEST_ENV = 'PIPESOAK_ENGINE_PROCESS';

export interface EngineProcessRequest {
  /** An esbuild bundle (compileScenario's output); compiled by the parent so the child only runs it. */
  bundlePath: string;
  runId: string;
  runDir: string;
  /** load.warmUpMs: the first part of the run, left out of the steady figures (start-up, JIT, connects). */
  load: LoadSettings;
  target: Record<string, unknown>;
  workers?: number;
  /** HTTP connections per origin across the workers (EngineOptions.httpConnections); default maxVUs. */
  httpConnections?: number;
  /** Sample RSS each time the run passes a whole multiple of this (ms), printing `rss <n> <bytes>` on stderr. */
  rssEveryMs?: number;
}

export interface EngineProcessResult {
  iterations: number;
  dropped: number;
  interrupted: number;
  /** Iterations that threw, all messages together. */
  errors: number;
  accepted: number;
  targetRate: number;
  achievedRate: number;
  generatorSaturated: boolean;
  saturationNote?: string;
  counts: Record<string, number>;
  /** p50/p99/max in ms by metric name. */
  summaries: Record<string, { count: number; p50: number; p99: number; max: number }>;
  /** The engine's own duration: the shared start instant → teardown done (ms). */
  durationMs: number;
  /** Engine run (startEngine → done): wall and CPU seconds of the whole process, all threads. */
  wallSeconds: number;
  cpuSeconds: number;
  /**
   * Cores used from the first tick after load.warmUpMs to the last tick: the steady part of the run,
   * without the workers' start-up (thread boot, bundle import) that a short step would be charged.
   */
  steadyCores: number;
  /** Iterations per second over the same window. */
  steadyRate: number;
  /** Resident set size (all threads) at the end, and the samples of rssEveryMs. */
  rssBytes: number;
  rssSamples: number[];
  /** The run after load.warmUpMs: drops, and latency p50/p99/max by metric name from load.hlog. */
  steady: {
    fromMs: number;
    dropped: number;
    iterations: number;
    summaries: Record<string, { count: number; p50: number; p99: number; max: number }>;
  };
  /** Worst event-loop delay p99 a tick reported (ms). */
  worstLoopDelayP99Ms: number;
}
