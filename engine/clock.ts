// Every engine timestamp: epoch ms from a monotonic clock, so NTP steps never bend the schedule
// while values still line up with Date.now() in the run folder (within a few ms).
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
