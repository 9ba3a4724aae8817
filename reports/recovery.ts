// How the pipeline came back from each fault window (`fault.start` … `fault.end` in series.ndjson),
// read from a run folder after the run. Per window, for report.json's `recovery` array:
//   { id, what, where, startMs, endMs, bounds: {<gauge>: n}, peak: {<gauge>: n | null},
//     recoveredAtMs, drainMs, reason?, inside: {<metric>: {p50, p99, count}}, outside: {…} }
// - bounds: the backlog a gauge may hold and count as recovered: configured, else the 99th
//   percentile of the gauge over the steady window before the first fault × 1.5, at least 10.
// - recoveredAtMs: from the fault's end, the first moment after which every gauge stays within its
//   bound until the next fault starts or the run ends; the fault's end itself when they never left
//   it. drainMs = recoveredAtMs - endMs, or null with a `reason` when that moment never came.
// - peak: each gauge's highest value from the fault's start until recovery (or the horizon).
// - inside: latency from the hlog intervals whose midpoint lies in the fault's impact window
//   (start until recovery by default, until its end with `insideUntil: 'end'`); outside: the
//   steady window's intervals that lie in no fault's impact window nor in the `tailMs` after it.
//   Histograms merge exactly. Which interval is warm-up is steadyWindow.ts's rule, as for the summary.
// - A latency is stamped when it is recorded, not when its event was accepted: e2e when the
//   completion collector reads the completion (once it is settled, ~1-1.5 s later), so an interval
//   is placed by its midpoint less the metric's `recordLagMs`. Events the fault delayed still
//   complete after the window: the `tailMs` after it counts neither inside nor outside.
// Gauges with several tag sets (consumer.pending per consumer) fold per sample as the reports do
// (reports/gaugeFold.ts). Memory: the chosen gauges' points (two numbers a sample) and one merged
// histogram per fault and metric. A fold of the run-folder reader (readRunFolder.ts).
import { METRIC } from '../record/metricCatalog.ts';
import { EVENT, type OutboxGuardWire, outboxGuardWire } from '../record/runEvents.ts';
import { isGaugePoint, type SeriesRecord } from '../record/series.ts';
import { FaultLog, type LoggedFault } from './faultLog.ts';
import { gaugeFold, SampleFolder } from './gaugeFold.ts';
import { accumulatorIn, type HistogramAccumulator } from './histogramAccumulator.ts';
import { type FoldInterval, type RunFolderFold, type RunFolderRead, readRunFolder } from './readRunFolder.ts';
import { intervalIn } from './steadyWindow.ts';

export interface RecoveryOptions {
  /** Backlog gauges that must be back within bounds. */
  gauges?: readonly string[];
  /** Latency metrics compared inside and outside the windows. */
  metrics?: readonly string[];
  /** Fixed bounds per gauge; the others are derived from the pre-fault steady window. */
  bounds?: Readonly<Record<string, number>>;
  boundPercentile?: number;
  boundFactor?: number;
  minBound?: number;
  /** Where a fault's latency window ends: at recovery (default; the drain is part of the harm) or at its end. */
  insideUntil?: 'recovery' | 'end';
  /** Per metric: how long after its event completes a latency is recorded (placed that much earlier). */
  recordLagMs?: Readonly<Record<string, number>>;
  /** After each impact window, this long counts neither inside nor outside (the fault's delayed tail). */
  tailMs?: number;
}

export const RECOVERY_DEFAULTS = {
  gauges: [METRIC.consumerPending, METRIC.outboxPending],
  metrics: [METRIC.e2eLatency, METRIC.gatewayLatency],
  bounds: {},
  boundPercentile: 0.99,
  boundFactor: 1.5,
  minBound: 10,
  insideUntil: 'recovery',
  // The completion collector reads a completion once it is 1 s old (its settleMs), every 500 ms in
  // an experiment run: e2e lands 1-1.5 s after the event completed.
  recordLagMs: { [METRIC.e2eLatency]: 1_250 },
  // A delayed event accepted at the window's end completes up to its delay later, and a backlog the
  // fault left drains (under its bound) for a while after recovery.
  tailMs: 2_000,
} as const satisfies Required<RecoveryOptions>;

export interface LatencyWindow {
  p50: number | null;
  p99: number | null;
  count: number;
}

export interface FaultRecovery {
  id: string;
  what: string;
  where: string;
  startMs: number;
  /** null when the run has no fault.end for it (the fault runner died or the run was cut short). */
  endMs: number | null;
  bounds: Record<string, number>;
  peak: Record<string, number | null>;
  recoveredAtMs: number | null;
  drainMs: number | null;
  reason?: string;
  inside: Record<string, LatencyWindow>;
  outside: Record<string, LatencyWindow>;
}

type FaultWindow = LoggedFault;

/** One gauge's folded samples, in time order. */
interface GaugeSeries {
  t: number[];
  v: number[];
}

export async function analyzeRecovery(
  runDir: string,
  options: RecoveryOptions = {},
): Promise<FaultRecovery[]> {
  return (await analyzeFaultRun(runDir, options)).windows;
}

/** What a fault run recorded: each window's recovery, and the outbox guard's result when it ran. */
export interface FaultRun {
  windows: FaultRecovery[];
  outboxGuard: OutboxGuardWire | undefined;
}

/** analyzeRecovery, plus the outbox guard event read in the same pass. */
export async function analyzeFaultRun(runDir: string, options: RecoveryOptions = {}): Promise<FaultRun> {
  const reading = recoveryReading(options);
  return reading.faultRun(await readRunFolder(runDir, reading.folds));
}

/** The fold recovery is computed from, to read beside others' in the same pass. */
export function recoveryReading(options: RecoveryOptions = {}): {
  folds: RunFolderFold[];
  recovery(run: RunFolderRead): FaultRecovery[];
  faultRun(run: RunFolderRead): FaultRun;
} {
  const o: Required<RecoveryOptions> = { ...RECOVERY_DEFAULTS, ...options };
  if (!(o.boundPercentile > 0 && o.boundPercentile <= 1))
    throw new Error('recovery: boundPercentile must be in (0, 1]');
  const fold = new RecoveryFold(o);
  return {
    folds: [fold],
    recovery: () => fold.result(),
    faultRun: () => ({ windows: fold.result(), outboxGuard: fold.outboxGuard }),
  };
}

class RecoveryFold implements RunFolderFold {
  private readonly gauges: Map<string, GaugeSeries>;
  private readonly folders: Map<string, SampleFolder>;
  private readonly faultLog = new FaultLog();
  private readonly wanted: Set<string>;
  private results: Recovered[] = [];
  private impact: { from: number; to: number }[] = [];
  private inside: Map<string, HistogramAccumulator>[] = [];
  private readonly outside = new Map<string, HistogramAccumulator>();
  outboxGuard: OutboxGuardWire | undefined;

  constructor(private readonly o: Required<RecoveryOptions>) {
    this.gauges = new Map(o.gauges.map((g) => [g, { t: [], v: [] }]));
    this.folders = new Map(
      [...this.gauges].map(([g, s]) => [
        g,
        new SampleFolder(gaugeFold(g), (t, v) => {
          s.t.push(t);
          s.v.push(v);
        }),
      ]),
    );
    this.wanted = new Set(o.metrics);
  }

  record(record: SeriesRecord, line: number): void {
    if (isGaugePoint(record)) this.folders.get(record.gauge)?.add(record.t, record.value, record.tags);
    else if ('event' in record && record.event === EVENT.outboxGuard)
      this.outboxGuard = outboxGuardWire.parse(record);
    else this.faultLog.record(record, line);
  }

  seriesRead(run: RunFolderRead): void {
    for (const folder of this.folders.values()) folder.flush();
    for (const s of this.gauges.values()) sortByTime(s);
    const { faults } = this.faultLog;
    if (faults.length === 0) return;
    const { o } = this;
    const series: FaultSeries = {
      faults,
      gauges: this.gauges,
      steadyStartMs: run.window.steadyStartMs,
      endMs: run.window.runEndMs,
    };
    const firstFaultMs = Math.min(...faults.map((f) => f.startMs));
    const bounds: Record<string, number> = {};
    for (const gauge of o.gauges) {
      const fixed = o.bounds[gauge];
      if (fixed !== undefined) {
        bounds[gauge] = fixed;
        continue;
      }
      const s = this.gauges.get(gauge);
      const steady = s === undefined ? [] : valuesIn(s, series.steadyStartMs, firstFaultMs);
      bounds[gauge] = Math.max(o.minBound, percentile(steady, o.boundPercentile) * o.boundFactor);
    }
    this.results = faults.map((fault) => recover(fault, series, bounds, o.gauges));
    // Latency windows: each fault's impact window, then everything steady outside all of them.
    this.impact = this.results.map((r) => ({
      from: r.startMs,
      to: o.insideUntil === 'end' ? (r.endMs ?? series.endMs) : (r.recoveredAtMs ?? r.horizonMs),
    }));
    this.inside = this.results.map(() => new Map<string, HistogramAccumulator>());
  }

  interval(interval: FoldInterval, run: RunFolderRead): void {
    if (this.results.length === 0 || !this.wanted.has(interval.metric)) return;
    // When the events of this interval completed, not when the collector recorded them: the e2e
    // recorded in the steady window's first second is warm-up's.
    const lagS = (this.o.recordLagMs[interval.metric] ?? 0) / 1000;
    if (!intervalIn(interval.startS - lagS, run.window.steadyStartMs)) return;
    const midMs = (interval.startS - lagS + interval.lengthS / 2) * 1000;
    let placed = false;
    this.impact.forEach((w, i) => {
      if (midMs < w.from || midMs >= w.to + this.o.tailMs) return;
      placed = true;
      if (midMs >= w.to) return;
      accumulatorIn(this.inside[i] as Map<string, HistogramAccumulator>, interval.metric).add(
        interval.histogram(),
      );
    });
    if (!placed) accumulatorIn(this.outside, interval.metric).add(interval.histogram());
  }

  result(): FaultRecovery[] {
    return this.results.map(({ horizonMs: _horizon, ...r }, i) => ({
      ...r,
      inside: latencyWindows(this.o.metrics, this.inside[i] as Map<string, HistogramAccumulator>),
      outside: latencyWindows(this.o.metrics, this.outside),
    }));
  }
}

type Recovered = Omit<FaultRecovery, 'inside' | 'outside'> & { horizonMs: number };

function recover(
  fault: FaultWindow,
  series: FaultSeries,
  bounds: Record<string, number>,
  gauges: readonly string[],
): Recovered {
  const base = { ...fault, bounds };
  // Recovery is judged until the next fault starts (it would raise the backlog again) or the run ends.
  const endMs = fault.endMs;
  const nextStart = series.faults
    .map((f) => f.startMs)
    .filter((t) => endMs !== null && t >= endMs && t !== fault.startMs)
    .reduce((a, b) => Math.min(a, b), Number.POSITIVE_INFINITY);
  const horizonMs = Math.min(nextStart, series.endMs);
  // The next fault's own first sample already belongs to it; the run's last sample belongs to the run.
  const nextFault = nextStart <= series.endMs;
  const horizonName = nextFault ? 'the next fault started' : 'the run ended';

  const reasons: string[] = [];
  let recoveredAtMs: number | null = null;
  if (endMs === null) {
    reasons.push('the fault has no fault.end');
  } else {
    recoveredAtMs = endMs;
    for (const gauge of gauges) {
      const at = gaugeRecovery(series.gauges.get(gauge), bounds[gauge] ?? 0, endMs, horizonMs, !nextFault);
      if (typeof at === 'string') reasons.push(`${gauge} ${at} before ${horizonName}`);
      else recoveredAtMs = Math.max(recoveredAtMs, at);
    }
    if (reasons.length > 0) recoveredAtMs = null;
  }

  const peakUntil = recoveredAtMs ?? horizonMs;
  const peak: Record<string, number | null> = {};
  for (const gauge of gauges) {
    const s = series.gauges.get(gauge);
    const values =
      s === undefined ? [] : valuesIn(s, fault.startMs, peakUntil, recoveredAtMs !== null || !nextFault);
    peak[gauge] = values.length === 0 ? null : values.reduce((a, b) => Math.max(a, b));
  }
  return {
    ...base,
    peak,
    recoveredAtMs,
    drainMs: recoveredAtMs === null || endMs === null ? null : recoveredAtMs - endMs,
    ...(reasons.length > 0 ? { reason: reasons.join('; ') } : {}),
    horizonMs,
  };
}

/** When one gauge was back within its bound for good, or why it never was. */
function gaugeRecovery(
  s: GaugeSeries | undefined,
  bound: number,
  endMs: number,
  horizonMs: number,
  inclusive: boolean,
): number | string {
  if (s === undefined) return 'has no samples';
  const first = lowerIndex(s.t, endMs);
  let last = first;
  while (last < s.t.length) {
    const t = s.t[last] as number;
    if (t > horizonMs || (!inclusive && t === horizonMs)) break;
    last++;
  }
  if (first === last) return 'has no samples after the fault ended';
  let lastAbove = -1;
  for (let i = first; i < last; i++) if ((s.v[i] as number) > bound) lastAbove = i;
  if (lastAbove === last - 1) return `stayed above its bound (${bound})`;
  if (lastAbove !== -1) return s.t[lastAbove + 1] as number;
  // Never above after the end: recovered at the end if the last sample before it was within bounds too.
  const before = first - 1;
  return before >= 0 && (s.v[before] as number) > bound ? (s.t[first] as number) : endMs;
}

interface FaultSeries {
  faults: FaultWindow[];
  gauges: Map<string, GaugeSeries>;
  steadyStartMs: number;
  endMs: number;
}

/** Collectors append in time order, but a late sample may land behind another collector's. */
function sortByTime(s: GaugeSeries): void {
  let sorted = true;
  for (let i = 1; i < s.t.length && sorted; i++) sorted = (s.t[i - 1] as number) <= (s.t[i] as number);
  if (sorted) return;
  const order = s.t.map((_, i) => i).sort((a, b) => (s.t[a] as number) - (s.t[b] as number));
  s.t = order.map((i) => s.t[i] as number);
  s.v = order.map((i) => s.v[i] as number);
}

/** Values sampled in [from, to), or [from, to] when `inclusive`. */
function valuesIn(s: GaugeSeries, from: number, to: number, inclusive = false): number[] {
  const out: number[] = [];
  for (let i = lowerIndex(s.t, from); i < s.t.length; i++) {
    const t = s.t[i] as number;
    if (t > to || (!inclusive && t === to)) break;
    out.push(s.v[i] as number);
  }
  return out;
}

/** First index whose time is >= t. */
function lowerIndex(times: number[], t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((times[mid] as number) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Nearest-rank percentile; 0 for no values (the minimum bound then decides). */
function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] as number;
}

function latencyWindows(metrics: readonly string[], accs: Map<string, HistogramAccumulator>) {
  const out: Record<string, LatencyWindow> = {};
  for (const metric of metrics) {
    const acc = accs.get(metric);
    if (acc === undefined || acc.count === 0) {
      out[metric] = { p50: null, p99: null, count: 0 };
      continue;
    }
    const summary = acc.toSnapshot().summary();
    out[metric] = { p50: summary.p50, p99: summary.p99, count: summary.count };
  }
  return out;
}
