// Drift: is a gauge (a queue depth, the harness's memory) still growing over the steady window?
// Least squares on window means (at most 30 s windows, at least 20 of them when the run allows),
// so the 1 Hz sampling noise averages out, with a Newey-West standard error so what correlation is
// left between neighbouring windows (a slow oscillation) does not pass for a trend. A gauge fails
// only when the one-sided lower confidence bound of its slope is above zero AND the slope is big
// enough to matter, so a statistically certain but tiny slope over 24 h does not fail a run.
import type { Trend } from './runSummary.ts';
import { studentTQuantile } from './studentT.ts';

export const DRIFT_WINDOW_MAX_S = 30;
export const DRIFT_TARGET_WINDOWS = 20;
/** Below this many windows there is no trend worth reporting. */
export const DRIFT_MIN_WINDOWS = 5;

export interface DriftOptions {
  /** One-sided confidence, e.g. 0.99. */
  confidence: number;
  /** Absolute floor: growth per minute below this is never a failure. */
  minSlopePerMin: number;
  /** Relative floor: growth per minute below this share of |mean| is never a failure. */
  minRelativeSlopePerMin: number;
  /** Total floor: growth below this over the fitted span (slope × span) is never a failure. */
  minGrowth?: number;
  /** A fitted span shorter than this (seconds) is not judged: too short to tell a trend from settling. */
  minWindowS?: number;
}

export interface DriftVerdict {
  pass: boolean;
  /** false when the span is shorter than minWindowS: pass, and says nothing about a trend. */
  judged: boolean;
  slopePerMin: number;
  lowerBoundPerMin: number;
  thresholdPerMin: number;
}

/**
 * Fits a trend to samples (times in seconds, any origin; sorted ascending). Returns null when the
 * span holds fewer than DRIFT_MIN_WINDOWS windows with data.
 */
export function fitTrend(timesS: ArrayLike<number>, values: ArrayLike<number>): Trend | null {
  const n = Math.min(timesS.length, values.length);
  if (n < 2) return null;
  const t0 = timesS[0] ?? 0;
  const span = (timesS[n - 1] ?? 0) - t0;
  const windowS = Math.min(DRIFT_WINDOW_MAX_S, Math.max(1, span / DRIFT_TARGET_WINDOWS));

  const xs: number[] = [];
  const ys: number[] = [];
  let current = -1;
  let sumT = 0;
  let sumV = 0;
  let count = 0;
  const close = () => {
    if (count > 0) {
      xs.push(sumT / count);
      ys.push(sumV / count);
    }
  };
  for (let i = 0; i < n; i++) {
    const t = (timesS[i] ?? 0) - t0;
    const k = Math.min(Math.floor(t / windowS), Math.floor(span / windowS));
    if (k !== current) {
      close();
      current = k;
      sumT = 0;
      sumV = 0;
      count = 0;
    }
    sumT += t;
    sumV += values[i] ?? 0;
    count++;
  }
  close();
  const m = xs.length;
  if (m < DRIFT_MIN_WINDOWS) return null;

  let meanX = 0;
  let meanY = 0;
  for (let i = 0; i < m; i++) {
    meanX += xs[i] ?? 0;
    meanY += ys[i] ?? 0;
  }
  meanX /= m;
  meanY /= m;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < m; i++) {
    const dx = (xs[i] ?? 0) - meanX;
    sxx += dx * dx;
    sxy += dx * ((ys[i] ?? 0) - meanY);
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  const intercept = meanY - slope * meanX;

  // Newey-West: score u_i = (x_i - x̄) e_i; Bartlett weights up to the usual lag.
  const u = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const x = xs[i] ?? 0;
    u[i] = (x - meanX) * ((ys[i] ?? 0) - intercept - slope * x);
  }
  const lag = Math.min(m - 1, Math.floor(4 * (m / 100) ** (2 / 9)) + 1);
  let s = 0;
  for (let i = 0; i < m; i++) s += (u[i] ?? 0) ** 2;
  for (let l = 1; l <= lag; l++) {
    let cross = 0;
    for (let i = l; i < m; i++) cross += (u[i] ?? 0) * (u[i - l] ?? 0);
    s += 2 * (1 - l / (lag + 1)) * cross;
  }
  // Small-sample correction m/(m-2), as for the classical residual variance.
  const variance = (Math.max(s, 0) / (sxx * sxx)) * (m / (m - 2));
  return {
    slopePerMin: slope * 60,
    stdErrPerMin: Math.sqrt(variance) * 60,
    dof: m - 2,
    windows: m,
    windowS,
  };
}

/** Whether a trend is drift: lower bound above zero and growth above every floor. */
export function driftVerdict(trend: Trend, mean: number, options: DriftOptions): DriftVerdict {
  const t = studentTQuantile(options.confidence, trend.dof);
  const lowerBoundPerMin = trend.slopePerMin - t * trend.stdErrPerMin;
  const spanMin = (trend.windows * trend.windowS) / 60;
  const judged = spanMin * 60 >= (options.minWindowS ?? 0);
  const thresholdPerMin = Math.max(
    options.minSlopePerMin,
    options.minRelativeSlopePerMin * Math.abs(mean),
    (options.minGrowth ?? 0) / spanMin,
  );
  const drifting = judged && lowerBoundPerMin > 0 && trend.slopePerMin > thresholdPerMin;
  return { pass: !drifting, judged, slopePerMin: trend.slopePerMin, lowerBoundPerMin, thresholdPerMin };
}
