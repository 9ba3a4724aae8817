// The run's HDR interval store: the Recorder every collector writes into. Latencies go into one
// snapshot per (metric, tags) for the current interval only; flush() writes each non-empty one as
// an hlog line (tag encoding: reports/hlogTag.ts) and folds it into one cumulative snapshot per
// metric for the summaries. Gauges, counters and events go straight to the series writer. So memory is
// bounded by the number of distinct (metric, tags) pairs, never by the length of the run.

import { HistogramSnapshot, type LatencySummary } from './histogramSnapshot.ts';
import { formatHlogTag } from './hlogTag.ts';
import type { RecordedMetricName } from './metricCatalog.ts';
import type { Recorder, Tags } from './recorder.ts';

/** Where interval histograms go (HlogWriter). */
export interface IntervalSink {
  writeInterval(tag: string, startMs: number, endMs: number, snapshot: HistogramSnapshot): void;
}

/** Where gauges, counters and events go (SeriesWriter). */
export interface SeriesSink {
  gauge(name: string, value: number, tags?: Tags, atMs?: number): void;
  counter(name: string, delta: number, tags?: Tags, atMs?: number): void;
  event(kind: string, data: Record<string, unknown>, atMs?: number): void;
}

export interface IntervalStoreOptions {
  hlog: IntervalSink;
  series: SeriesSink;
  /** Start of the first interval, epoch ms; now when omitted. */
  startMs?: number;
}

interface CurrentSnapshot {
  metric: string;
  snapshot: HistogramSnapshot;
}

export class IntervalStore implements Recorder {
  private readonly hlog: IntervalSink;
  private readonly series: SeriesSink;
  private readonly current = new Map<string, CurrentSnapshot>();
  private readonly totals = new Map<string, HistogramSnapshot>();
  private intervalStartMs: number;

  constructor(options: IntervalStoreOptions) {
    this.hlog = options.hlog;
    this.series = options.series;
    this.intervalStartMs = options.startMs ?? Date.now();
  }

  recordLatency(metric: RecordedMetricName, valueMs: number, tags?: Tags): void {
    const tag = formatHlogTag(metric, tags);
    let entry = this.current.get(tag);
    if (entry === undefined) {
      entry = { metric, snapshot: HistogramSnapshot.empty() };
      this.current.set(tag, entry);
    }
    entry.snapshot.record(valueMs);
  }

  gauge(name: RecordedMetricName, value: number, tags?: Tags, atMs?: number): void {
    this.series.gauge(name, value, tags, atMs ?? Date.now());
  }

  count(metric: RecordedMetricName, delta: number, tags?: Tags, atMs?: number): void {
    this.series.counter(metric, delta, tags, atMs ?? Date.now());
  }

  event(kind: string, data: Record<string, unknown>, atMs?: number): void {
    this.series.event(kind, data, atMs ?? Date.now());
  }

  /** Closes the current interval at `atMs`: one hlog line per non-empty snapshot, then a fresh interval. */
  flush(atMs: number = Date.now()): void {
    for (const [tag, { metric, snapshot }] of this.current) {
      if (snapshot.count === 0) continue;
      this.hlog.writeInterval(tag, this.intervalStartMs, atMs, snapshot);
      const total = this.totals.get(metric);
      if (total === undefined) this.totals.set(metric, HistogramSnapshot.empty().merge(snapshot));
      else total.merge(snapshot);
    }
    this.current.clear();
    this.intervalStartMs = atMs;
  }

  /** The cumulative snapshot of a metric over all flushed intervals (all tags merged). */
  total(metric: string): HistogramSnapshot | undefined {
    return this.totals.get(metric);
  }

  /** Summaries of every metric over all flushed intervals; flush first to include the last one. */
  summaries(): Record<string, LatencySummary> {
    const result: Record<string, LatencySummary> = {};
    for (const [metric, snapshot] of this.totals) result[metric] = snapshot.summary();
    return result;
  }

  /** Live snapshot counts: what memory the store holds (tests check it stays bounded). */
  get liveSnapshots(): { current: number; totals: number } {
    return { current: this.current.size, totals: this.totals.size };
  }
}
