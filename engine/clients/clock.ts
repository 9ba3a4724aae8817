// Epoch ms from the monotonic clock, so intended starts and response ends share one domain
// (engine-core's engine/clock.ts is the same one-liner; the lead folds them at merge).
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
