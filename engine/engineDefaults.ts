// Engine defaults, in one place.
import { availableParallelism } from 'node:os';

/**
 * Worker threads when --workers is not given: one per core less one for the main thread and the
 * target, at least 1 and at most 2. Measured on this 2-core machine (bench/engineRate.ts, 10 s,
 * 200 VUs, load average ~6 from other work): 1 worker held 1,000/s with 333 dropped and 3,000/s at
 * 0.88 of target; 2 workers dropped 791 at 1,000/s and reached 0.50 at 3,000/s, because the second
 * worker competes with the main thread and the server for the same two cores.
 */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(2, availableParallelism() - 1));
}

/** Lead between the workers being ready and the shared start instant (when --start-at is absent). */
export const START_LEAD_MS = 250;
/** Workers ship interval histograms and counters, and the main thread ticks, this often. */
export const TICK_MS = 1000;
/** The accepted-iterations bitmap is flushed to disk this often, so a crash keeps it. */
export const BITMAP_FLUSH_MS = 1000;
/** Longest single sleep of the arrival loop, so a stop request is seen promptly at low rates. */
export const MAX_SLEEP_MS = 50;
/**
 * Generator saturation: a second is bad when a worker's event-loop delay p99 exceeds
 * SATURATED_LOOP_DELAY_P99_MS or its loop is busy SATURATED_LOOP_UTILIZATION of the time. 25 ms is
 * several GC pauses long and larger than the target's own p99 on loopback, so latencies measured
 * beside it are the generator's, not the target's; a loop busy 95% of the time has no slack left to
 * start iterations on schedule.
 *
 * The run is flagged after SATURATED_FOR_S bad seconds in a row (at once), or at its end when bad
 * seconds were at least SATURATED_SHARE of its seconds (and at least SATURATED_MIN_BAD_S of them). A streak alone
 * let a loaded generator pass whenever one good second broke it (4 bad seconds of a 5 s run, or one
 * bad second in two for a minute, were never flagged); a share of 20% means one second in five the
 * generator could not keep the schedule. The minimum of 3 keeps the start-up second (JIT, module
 * loads) plus one lone GC burst from flagging a short run.
 */
export const SATURATED_LOOP_DELAY_P99_MS = 25;
/**
 * A worker whose report is this late (two ticks) is blocked in synchronous work: the main thread
 * counts its silence as loop delay and its loop as busy (runEngine.ts), rather than reading its
 * last report from before the block.
 */
export const SILENT_WORKER_MS = 2 * TICK_MS;
export const SATURATED_LOOP_UTILIZATION = 0.95;
export const SATURATED_FOR_S = 5;
export const SATURATED_SHARE = 0.2;
export const SATURATED_MIN_BAD_S = 3;
/** Time the main thread waits for a worker to close its clients once told to stop. */
export const WORKER_CLOSE_TIMEOUT_MS = 10_000;
