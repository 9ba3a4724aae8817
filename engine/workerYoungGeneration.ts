// The young generation an engine worker thread gets, from the rate it will be asked to offer.
import { type ExecutorPlan, planPeakRatePerS } from './executors/executorPlan.ts';

/**
 * Above this many iterations per second per worker GC throughput bounds the engine, so the worker
 * gets the larger young generation; below it the offered rate is far from the thread's bound and a
 * scavenge's pause (which grows with the space) is what `iteration.delay` sees. Measured on this
 * host, one worker against the minimal server (bench/README.md, "Young generation"): at 5,000/s the
 * steady `iteration.delay` p99 was 7.4-7.9 ms with 64 MB and 3.2-5.0 ms with V8's default or less,
 * while the HTTP bench's highest rate (20-40k/s) fell from 0.561 to 0.422 of autocannon without it.
 * Since the promotion fixes (2026-12-03) 5,000/s shows no difference (1.9-2.2 ms against 1.9-2.7)
 * and the HTTP bench still gains (0.641-0.655 against 0.582-0.635).
 */
export const LARGE_YOUNG_GENERATION_FROM_PER_S = 10_000;
/** Twice V8's default here: a busy worker scavenges half as often (GC 18.6% → 13.3% of busy time). */
export const LARGE_YOUNG_GENERATION_MB = 64;

/**
 * `maxYoungGenerationSizeMb` for each worker, or undefined for V8's default. Plans are summed as if
 * they overlapped, which errs towards the throughput setting.
 */
export function workerYoungGenerationMb(plans: ExecutorPlan[], workers: number): number | undefined {
  const perWorker = plans.reduce((sum, p) => sum + planPeakRatePerS(p), 0) / Math.max(1, workers);
  return perWorker > LARGE_YOUNG_GENERATION_FROM_PER_S ? LARGE_YOUNG_GENERATION_MB : undefined;
}
