// How live progress prints numbers: always with a unit, rounded to what a person watching reads
// (2.1 ms, 250 ms, 12.3 s; 99.8 events/s; 12,345), never raw floats.
import { formatDuration } from '../../record/duration.ts';
import type { ProgressTick } from './progressTick.ts';

const MISSING = 'n/a';
const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** 0.04 ms, 2.1 ms, 250 ms, 1,234 ms, then seconds from 10 s on. */
export function formatMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return MISSING;
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 10_000) return `${grouped.format(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

/** 0.5 events/s, 99.8 events/s, 1,250 events/s. */
export function formatRate(perSecond: number | undefined): string {
  if (perSecond === undefined || !Number.isFinite(perSecond)) return MISSING;
  // A rate averaged over a window is rarely an exact integer: 49.99999 is 50, not 50.0.
  const whole = Math.abs(perSecond - Math.round(perSecond)) < 0.05;
  const digits = Math.abs(perSecond) < 1000 && !whole ? 1 : 0;
  return `${perSecond.toFixed(digits)} events/s`;
}

/** Whole counts with thousands grouped. */
export function formatCount(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return MISSING;
  return grouped.format(n);
}

/** A share (0.35) as a whole percentage (35%). */
export function formatShare(share: number): string {
  return Number.isFinite(share) ? `${Math.round(share * 100)}%` : MISSING;
}

/** Whole seconds, as durations are written in config: `1m10s`. */
export function formatElapsed(ms: number): string {
  return formatDuration(Math.max(0, Math.floor(ms / 1000)) * 1000);
}

/** Share of the planned time done, 0..100, whole. */
export function percentDone(elapsedMs: number, totalMs: number): number {
  if (totalMs <= 0) return 100;
  return Math.min(100, Math.max(0, Math.floor((elapsedMs / totalMs) * 100)));
}

/** Each kind of failure with its metric's meaning: `3 of 1,200 requests failed, 0 publishes failed, 1 iteration threw`. */
export function formatErrors(e: ProgressTick['errors'], separator: string): string {
  return [
    `${formatCount(e.failedRequests)} of ${formatCount(e.requests)} requests failed`,
    `${formatCount(e.failedPublishes)} publishes failed`,
    `${formatCount(e.thrown)} ${e.thrown === 1 ? 'iteration' : 'iterations'} threw`,
  ].join(separator);
}

/** `machine load 23.1 on 2 cores`, or '' when unknown. */
export function formatMachine(g: ProgressTick['generator']): string {
  if (g.loadAverage === undefined || g.cores === undefined) return '';
  return `machine load ${g.loadAverage.toFixed(1)} on ${g.cores} cores`;
}
