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
//   steady window's intervals that lie in no fault's impact window. Histograms merge exactly.
// Gauges with several tag sets (consumer.pending per consumer) fold per sample as the reports do
// (reports/gaugeFold.ts). Memory: the chosen gauges' points (two numbers a sample) and one merged
// histogram per fault and metric.
import { join } from 'node:path';
import { readEncodedHlogIntervals } from '../record/hlog.ts';
import { parseHlogTag } from '../record/hlogTag.ts';
import { SKIP_CUT_TAIL } from '../record/lineReader.ts';
import { METRIC } from '../record/metricCatalog.ts';
import {
  EVENT,
  faultEndWire,
  faultStartWire,
  type OutboxGuardWire,
  outboxGuardWire,
  runStartWire,
} from '../record/runEvents.ts';
import { RUN_FILES, runHlogPaths } from '../record/runFiles.ts';
import { isCounterPoint, isGaugePoint, readSeriesRecords } from '../record/series.ts';
import { gaugeFold, SampleFolder } from './gaugeFold.ts';
import { HistogramAccumulator } from './histogramAccumulator.ts';

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
}

export const RECOVERY_DEFAULTS = {
  gauges: [METRIC.consumerPending, METRIC.outboxPending],
  metrics: [METRIC.e2eLatency, METRIC.gatewayLatency],
  bounds: {},
  boundPercentile: 0.99,
  boundFactor: 1.5,
  minBound: 10,
  insideUntil: 'recovery',
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

interface FaultWindow {
  id: string;
  what: string;
  where: string;
  startMs: number;
  endMs: number | null;
}

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

/** analyzeRecovery, plus the outbox guard event read in the same pass over series.ndjson. */
export async function analyzeFaultRun(runDir: string, options: RecoveryOptions = {}): Promise<FaultRun> {
  const o: Required<RecoveryOptions> = { ...RECOVERY_DEFAULTS, ...options };
  if (!(o.boundPercentile > 0 && o.boundPercentile <= 1))
    throw new Error('recovery: boundPercentile must be in (0, 1]');
  const series = await readFaultSeries(join(runDir, RUN_FILES.series), o.gauges);
  const outboxGuard = series.outboxGuard;
  if (series.faults.length === 0) return { windows: [], outboxGuard };

  const firstFaultMs = Math.min(...series.faults.map((f) => f.startMs));
  const bounds: Record<string, number> = {};
  for (const gauge of o.gauges) {
    const fixed = o.bounds[gauge];
    if (fixed !== undefined) {
      bounds[gauge] = fixed;
      continue;
    }
    const s = series.gauges.get(gauge);
    const steady = s === undefined ? [] : valuesIn(s, series.steadyStartMs, firstFaultMs);
    bounds[gauge] = Math.max(o.minBound, percentile(steady, o.boundPercentile) * o.boundFactor);
  }

  const results = series.faults.map((fault) => recover(fault, series, bounds, o.gauges));
  // Latency windows: each fault's impact window, then everything steady outside all of them.
  const impact = results.map((r) => ({
    from: r.startMs,
    to: o.insideUntil === 'end' ? (r.endMs ?? series.endMs) : (r.recoveredAtMs ?? r.horizonMs),
  }));
  const inside = results.map(() => new Map<string, HistogramAccumulator>());
  const outside = new Map<string, HistogramAccumulator>();
  const wanted = new Set(o.metrics);
  for (const path of runHlogPaths(runDir)) {
    const metricOf = new Map<string, string>();
    for await (const interval of readEncodedHlogIntervals(path, SKIP_CUT_TAIL)) {
      let metric = metricOf.get(interval.tag);
      if (metric === undefined) {
        metric = parseHlogTag(interval.tag).metric;
        metricOf.set(interval.tag, metric);
      }
      if (!wanted.has(metric)) continue;
      const midMs = (interval.startS + interval.lengthS / 2) * 1000;
      if (midMs < series.steadyStartMs) continue;
      let placed = false;
      impact.forEach((w, i) => {
        if (midMs < w.from || midMs >= w.to) return;
        accumulator(inside[i] as Map<string, HistogramAccumulator>, metric).add(interval.bytes);
        placed = true;
      });
      if (!placed) accumulator(outside, metric).add(interval.bytes);
    }
  }

  const windows = results.map(({ horizonMs: _horizon, ...r }, i) => ({
    ...r,
    inside: latencyWindows(o.metrics, inside[i] as Map<string, HistogramAccumulator>),
    outside: latencyWindows(o.metrics, outside),
  }));
  return { windows, outboxGuard };
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
  outboxGuard: OutboxGuardWire | undefined;
}

async function readFaultSeries(path: string, gaugeNames: readonly string[]): Promise<FaultSeries> {
  const gauges = new Map<string, GaugeSeries>(gaugeNames.map((g) => [g, { t: [], v: [] }]));
  const folders = new Map(
    [...gauges].map(([g, s]) => [
      g,
      new SampleFolder(gaugeFold(g), (t, v) => {
        s.t.push(t);
        s.v.push(v);
      }),
    ]),
  );
  const faults: FaultWindow[] = [];
  const open = new Map<string, FaultWindow>();
  let steadyStartMs: number | undefined;
  let firstT: number | undefined;
  let lastT = Number.NEGATIVE_INFINITY;
  let runEndMs: number | undefined;
  let outboxGuard: OutboxGuardWire | undefined;
  for await (const record of readSeriesRecords(path, SKIP_CUT_TAIL)) {
    firstT ??= record.t;
    lastT = Math.max(lastT, record.t);
    if (isGaugePoint(record)) {
      folders.get(record.gauge)?.add(record.t, record.value, record.tags);
      continue;
    }
    if (isCounterPoint(record)) continue;
    if (record.event === EVENT.runStart) {
      const start = runStartWire.safeParse(record);
      if (start.success) steadyStartMs = start.data.t + start.data.warmUpMs;
    } else if (record.event === EVENT.runEnd) {
      runEndMs = record.t;
    } else if (record.event === EVENT.outboxGuard) {
      outboxGuard = outboxGuardWire.parse(record);
    } else if (record.event === EVENT.faultStart) {
      const start = faultStartWire.parse(record);
      const fault: FaultWindow = {
        id: start.id,
        what: start.what,
        where: start.where,
        startMs: start.t,
        endMs: null,
      };
      faults.push(fault);
      open.set(start.id, fault);
    } else if (record.event === EVENT.faultEnd) {
      const end = faultEndWire.parse(record);
      const fault = open.get(end.id);
      if (fault !== undefined) fault.endMs = end.t;
      open.delete(end.id);
    }
  }
  for (const folder of folders.values()) folder.flush();
  for (const s of gauges.values()) sortByTime(s);
  return {
    faults,
    gauges,
    steadyStartMs: steadyStartMs ?? firstT ?? 0,
    endMs: runEndMs ?? lastT,
    outboxGuard,
  };
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

function accumulator(map: Map<string, HistogramAccumulator>, metric: string): HistogramAccumulator {
  let acc = map.get(metric);
  if (acc === undefined) {
    acc = new HistogramAccumulator();
    map.set(metric, acc);
  }
  return acc;
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
