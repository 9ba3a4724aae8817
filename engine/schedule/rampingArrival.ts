// Ramping arrival rate with k6's semantics: the rate moves linearly from each stage's start rate to
// its target over the stage, and the n-th iteration (n = k + 1, counted from 1 as k6 does) starts
// where the integral of the rate from 0 reaches n, stage ends included. The integral runs across
// stages, so the fractional iteration left at the end of a stage carries into the next (a 0→100/s
// ramp over 10 s starts its 500th iteration, k = 499, at exactly 10 s).
import type { ArrivalSchedule } from './arrivalSchedule.ts';

export interface RateStage {
  /** Target rate at the end of the stage, per timeUnit. */
  target: number;
  durationMs: number;
}

interface Segment {
  startMs: number;
  durationMs: number;
  /** Rates in iterations per ms at the segment's start and end. */
  from: number;
  to: number;
  /** Integral of the rate from 0 to the segment's start. */
  before: number;
  /** Integral over the segment. */
  count: number;
}

export function rampingArrival(startRate: number, timeUnitMs: number, stages: RateStage[]): ArrivalSchedule {
  const segments: Segment[] = [];
  let startMs = 0;
  let before = 0;
  let from = startRate / timeUnitMs;
  for (const stage of stages) {
    const to = stage.target / timeUnitMs;
    const count = ((from + to) / 2) * stage.durationMs;
    segments.push({ startMs, durationMs: stage.durationMs, from, to, before, count });
    startMs += stage.durationMs;
    before += count;
    from = to;
  }
  const durationMs = startMs;
  const total = Math.max(0, Math.floor(before + 1e-9));

  function intended(k: number): number {
    if (!(k >= 0)) return Number.NaN;
    const n = k + 1;
    // The last segment that starts before the integral reaches n.
    let lo = 0;
    let hi = segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((segments[mid] as Segment).before < n) lo = mid;
      else hi = mid - 1;
    }
    const s = segments[lo];
    // Past the end (or only zero-rate stages left): the schedule offers no such iteration.
    if (s === undefined || s.count <= 0 || n > s.before + s.count + 1e-9) return Number.POSITIVE_INFINITY;
    return s.startMs + offsetInSegment(s, n - s.before);
  }

  function ratePerSecondAt(t: number): number {
    for (const s of segments) {
      if (t >= s.startMs && t < s.startMs + s.durationMs) {
        return (s.from + ((s.to - s.from) * (t - s.startMs)) / s.durationMs) * 1000;
      }
    }
    return 0;
  }

  return { total, durationMs, intended, ratePerSecondAt };
}

/** Solves from·τ + (to−from)/(2D)·τ² = n for τ in [0, D]. */
function offsetInSegment(s: Segment, n: number): number {
  if (n <= 0) return 0;
  const a = (s.to - s.from) / (2 * s.durationMs);
  const b = s.from;
  if (Math.abs(a) < 1e-15) return n / b;
  // The stable root of aτ² + bτ − n = 0 (no cancellation when b ≫ a·τ).
  const disc = Math.max(0, b * b + 4 * a * n);
  return Math.min(s.durationMs, (2 * n) / (b + Math.sqrt(disc)));
}
