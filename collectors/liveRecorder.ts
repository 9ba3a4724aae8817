// A pass-through Recorder that remembers what a progress line needs: the latest value of each gauge
// series and how many observations each latency metric has had. Memory is bounded by the number of
// distinct series, never by the length of the run.

import { formatHlogTag } from '../record/hlogTag.ts';
import type { RecordedMetricName } from '../record/metricCatalog.ts';
import type { Recorder, Tags } from '../record/recorder.ts';

export interface LatestGauge {
  name: string;
  tags: Tags;
  value: number;
  atMs: number;
}

export class LiveRecorder implements Recorder {
  private readonly gauges = new Map<string, LatestGauge>();
  private readonly counts = new Map<string, number>();

  constructor(private readonly inner: Recorder) {}

  recordLatency(metric: RecordedMetricName, valueMs: number, tags?: Tags): void {
    this.inner.recordLatency(metric, valueMs, tags);
    this.counts.set(metric, (this.counts.get(metric) ?? 0) + 1);
  }

  gauge(name: RecordedMetricName, value: number, tags?: Tags, atMs?: number): void {
    const at = atMs ?? Date.now();
    this.inner.gauge(name, value, tags, at);
    this.gauges.set(formatHlogTag(name, tags), { name, tags: { ...tags }, value, atMs: at });
  }

  count(metric: RecordedMetricName, delta: number, tags?: Tags, atMs?: number): void {
    this.inner.count(metric, delta, tags, atMs);
  }

  event(kind: string, data: Record<string, unknown>, atMs?: number): void {
    this.inner.event(kind, data, atMs);
  }

  /** Observations recorded so far for a latency metric (all tags), flushed or not. */
  latencyCount(metric: string): number {
    return this.counts.get(metric) ?? 0;
  }

  /** The newest value among the series of `name` whose tags include `tags`; undefined if none yet. */
  latestGauge(name: string, tags: Tags = {}): number | undefined {
    let newest: LatestGauge | undefined;
    for (const g of this.gauges.values()) {
      if (g.name !== name || !Object.entries(tags).every(([k, v]) => g.tags[k] === v)) continue;
      if (newest === undefined || g.atMs >= newest.atMs) newest = g;
    }
    return newest?.value;
  }

  /** The latest value of every gauge series. */
  latestGauges(): LatestGauge[] {
    return [...this.gauges.values()];
  }
}
