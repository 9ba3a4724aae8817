// Scrapes a Prometheus text endpoint (the worker's :9090) and turns chosen metrics into samples:
// counters into per-second rates, histograms into latency observations, gauges as they are.
// Everything is computed between consecutive scrapes; start() takes the baseline scrape.

import { METRIC, type RecordedMetricName } from '../../record/metricCatalog.ts';
import type { Recorder, Tags } from '../../record/recorder.ts';
import { writePrometheusMetricMissing } from '../../record/runEvents.ts';
import type { Collector } from '../collector.ts';
import { labelKey, type PromSample, parseSamples } from './prometheusSamples.ts';

interface MappingBase {
  /** The Prometheus metric (family) name, e.g. `worker_events_processed_total`. */
  metric: string;
  /** The pipesoak name to record under, e.g. `worker.processed.rate`. */
  as: RecordedMetricName;
  /** Labels kept as tags; series are summed within each group. Omitted: one sum over all series. */
  groupBy?: string[];
  /** Tags added to every value of this mapping, e.g. `{ component: 'worker' }` for its RSS. */
  tags?: Tags;
}

export type PrometheusMapping =
  | (MappingBase & { kind: 'rate' })
  | (MappingBase & { kind: 'gauge' })
  | (MappingBase & {
      kind: 'histogram';
      /** Unit of the bucket bounds; default `s`. */
      unit?: 's' | 'ms';
      /**
       * Counters for the increase of `_sum` (in ms) and `_count`: the values recorded at bucket
       * edges overstate the mean, these give it exactly (reports/stageMeans.ts).
       */
      sumAs?: RecordedMetricName;
      countAs?: RecordedMetricName;
    });

export interface PrometheusCollectorConfig {
  url: string;
  mappings: PrometheusMapping[];
  /** Collector name in gap events; distinguishes several scrape targets. */
  name?: string;
  timeoutMs?: number;
}

interface Scrape {
  atMs: number;
  samples: Map<string, PromSample[]>;
}

/** Cumulative bucket counts of one histogram series, by upper bound (`+Inf` as Infinity). */
type Buckets = Map<number, number>;

export class PrometheusCollector implements Collector {
  readonly name: string;
  private recorder: Recorder | undefined;
  private previous: Scrape | undefined;
  private readonly reportedMissing = new Set<string>();

  constructor(private readonly config: PrometheusCollectorConfig) {
    this.name = config.name ?? 'prometheus';
  }

  async start(recorder: Recorder): Promise<void> {
    this.recorder = recorder;
    this.previous = await this.scrape();
  }

  async sample(): Promise<void> {
    const recorder = this.recorder;
    if (!recorder) throw new Error('prometheus collector sampled before start');
    const current = await this.scrape();
    const previous = this.previous;
    this.previous = current;
    for (const mapping of this.config.mappings) {
      switch (mapping.kind) {
        case 'rate':
          this.recordRate(recorder, mapping, previous, current);
          break;
        case 'gauge':
          this.recordGauge(recorder, mapping, current);
          break;
        case 'histogram':
          this.recordHistogram(recorder, mapping, previous, current);
          break;
      }
    }
  }

  async stop(): Promise<void> {
    this.previous = undefined;
  }

  private async scrape(): Promise<Scrape> {
    const res = await fetch(this.config.url, {
      headers: { accept: 'text/plain;version=0.0.4' },
      signal: AbortSignal.timeout(this.config.timeoutMs ?? 2000),
    });
    if (!res.ok) throw new Error(`scrape ${this.config.url}: HTTP ${res.status}`);
    const text = await res.text();
    return { atMs: Date.now(), samples: parseSamples(text) };
  }

  private recordRate(
    recorder: Recorder,
    mapping: PrometheusMapping,
    previous: Scrape | undefined,
    current: Scrape,
  ): void {
    const series = this.find(recorder, mapping, current, [mapping.metric, `${mapping.metric}_total`]);
    if (!series || !previous) return;
    const before = new Map<string, number>();
    for (const s of findSeries(previous, [mapping.metric, `${mapping.metric}_total`]) ?? []) {
      before.set(labelKey(s.labels), s.value);
    }
    const seconds = (current.atMs - previous.atMs) / 1000;
    if (seconds <= 0) return;
    const groups = new Map<string, { tags: Tags | undefined; delta: number }>();
    for (const s of series) {
      const prev = before.get(labelKey(s.labels));
      // A counter below its last value restarted from 0; a series new since the last scrape started at 0.
      const delta = prev === undefined || s.value < prev ? s.value : s.value - prev;
      const group = groupOf(groups, mapping, s.labels, () => ({ delta: 0 }));
      group.delta += delta;
    }
    for (const { tags, delta } of groups.values()) {
      recorder.gauge(mapping.as, delta / seconds, tags, current.atMs);
    }
  }

  private recordGauge(recorder: Recorder, mapping: PrometheusMapping, current: Scrape): void {
    const series = this.find(recorder, mapping, current, [mapping.metric]);
    if (!series) return;
    const groups = new Map<string, { tags: Tags | undefined; sum: number }>();
    for (const s of series) {
      groupOf(groups, mapping, s.labels, () => ({ sum: 0 })).sum += s.value;
    }
    for (const { tags, sum } of groups.values()) recorder.gauge(mapping.as, sum, tags, current.atMs);
  }

  /**
   * Bucket count deltas become observations at the bucket's upper bound: an upper estimate, so
   * a p99 from these never flatters the system (resolution is the bucket layout's). Observations
   * in the `+Inf` bucket are recorded at the largest finite bound (a lower estimate: nothing better
   * is known about them).
   */
  private recordHistogram(
    recorder: Recorder,
    mapping: PrometheusMapping & { kind: 'histogram' },
    previous: Scrape | undefined,
    current: Scrape,
  ): void {
    const bucketName = `${mapping.metric}_bucket`;
    const series = this.find(recorder, mapping, current, [bucketName]);
    if (!series || !previous) return;
    const now = histogramSeries(series);
    const before = histogramSeries(findSeries(previous, [bucketName]) ?? []);
    const toMs = (mapping.unit ?? 's') === 's' ? 1000 : 1;
    for (const [key, { labels, buckets }] of now) {
      const prev = before.get(key)?.buckets;
      const reset = prev !== undefined && [...buckets].some(([le, count]) => count < (prev.get(le) ?? 0));
      const bounds = [...buckets.keys()].sort((a, b) => a - b);
      const tags = tagsOf(mapping.groupBy, labels, mapping.tags);
      let lastFinite: number | undefined;
      let cumulativeNow = 0;
      let cumulativePrev = 0;
      for (const le of bounds) {
        const countNow = buckets.get(le) ?? 0;
        const countPrev = prev && !reset ? (prev.get(le) ?? 0) : 0;
        // Per-bucket (non-cumulative) increase since the last scrape.
        const delta = countNow - cumulativeNow - (countPrev - cumulativePrev);
        cumulativeNow = countNow;
        cumulativePrev = countPrev;
        const at = Number.isFinite(le) ? le : lastFinite;
        if (Number.isFinite(le)) lastFinite = le;
        if (at === undefined) continue;
        for (let i = 0; i < delta; i++) recorder.recordLatency(mapping.as, at * toMs, tags);
      }
    }
    this.recordSumCount(recorder, mapping, previous, current, toMs);
  }

  /** `_sum` and `_count` increases since the last scrape, as counters (a reset counts from 0). */
  private recordSumCount(
    recorder: Recorder,
    mapping: PrometheusMapping & { kind: 'histogram' },
    previous: Scrape,
    current: Scrape,
    toMs: number,
  ): void {
    const { sumAs, countAs } = mapping;
    if (sumAs === undefined || countAs === undefined) return;
    const totals = (scrape: Scrape) => {
      const out = new Map<string, { labels: Record<string, string>; sum: number; count: number }>();
      for (const [suffix, field] of [
        ['_sum', 'sum'],
        ['_count', 'count'],
      ] as const) {
        for (const s of scrape.samples.get(`${mapping.metric}${suffix}`) ?? []) {
          const key = labelKey(s.labels);
          let entry = out.get(key);
          if (!entry) {
            entry = { labels: s.labels, sum: 0, count: 0 };
            out.set(key, entry);
          }
          entry[field] = s.value;
        }
      }
      return out;
    };
    const before = totals(previous);
    for (const [key, now] of totals(current)) {
      const prev = before.get(key);
      const reset = prev !== undefined && (now.count < prev.count || now.sum < prev.sum);
      const count = now.count - (prev && !reset ? prev.count : 0);
      const sum = now.sum - (prev && !reset ? prev.sum : 0);
      if (count <= 0) continue;
      const tags = tagsOf(mapping.groupBy, now.labels, mapping.tags);
      recorder.count(sumAs, sum * toMs, tags, current.atMs);
      recorder.count(countAs, count, tags, current.atMs);
    }
  }

  /** The mapping's series in this scrape; a missing metric is reported once as an event. */
  private find(
    recorder: Recorder,
    mapping: PrometheusMapping,
    scrape: Scrape,
    names: string[],
  ): PromSample[] | undefined {
    const series = findSeries(scrape, names);
    if (!series && !this.reportedMissing.has(mapping.as)) {
      this.reportedMissing.add(mapping.as);
      writePrometheusMetricMissing(
        recorder,
        { collector: this.name, metric: mapping.metric, as: mapping.as, url: this.config.url },
        scrape.atMs,
      );
    }
    return series;
  }
}

function findSeries(scrape: Scrape, names: string[]): PromSample[] | undefined {
  for (const name of names) {
    const series = scrape.samples.get(name);
    if (series) return series;
  }
  return undefined;
}

function histogramSeries(
  samples: PromSample[],
): Map<string, { labels: Record<string, string>; buckets: Buckets }> {
  const out = new Map<string, { labels: Record<string, string>; buckets: Buckets }>();
  for (const s of samples) {
    const le = s.labels.le;
    if (le === undefined) continue;
    const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
    const key = labelKey(s.labels, 'le');
    let entry = out.get(key);
    if (!entry) {
      const { le: _le, ...labels } = s.labels;
      entry = { labels, buckets: new Map() };
      out.set(key, entry);
    }
    entry.buckets.set(bound, s.value);
  }
  return out;
}

/** Prometheus reads a missing label as empty; it is kept as `unset`, so no tag value is ''. */
export const UNSET_LABEL = 'unset';

function tagsOf(
  groupBy: string[] | undefined,
  labels: Record<string, string>,
  fixed?: Tags,
): Tags | undefined {
  if (!groupBy || groupBy.length === 0) return fixed ? { ...fixed } : undefined;
  const tags: Tags = { ...fixed };
  for (const label of groupBy) {
    const value = labels[label];
    tags[label] = value === undefined || value === '' ? UNSET_LABEL : value;
  }
  return tags;
}

function groupOf<T extends object>(
  groups: Map<string, T & { tags: Tags | undefined }>,
  mapping: PrometheusMapping,
  labels: Record<string, string>,
  init: () => T,
): T & { tags: Tags | undefined } {
  const tags = tagsOf(mapping.groupBy, labels, mapping.tags);
  const key = tags ? labelKey(tags) : '';
  let group = groups.get(key);
  if (!group) {
    group = { ...init(), tags };
    groups.set(key, group);
  }
  return group;
}

/**
 * A target's resident memory from the process collector every Prometheus client library exports,
 * for a target the harness did not start (so has no pid of): `target.rss` tagged `component`.
 */
export function residentMemoryMapping(component: string): PrometheusMapping {
  return {
    metric: 'process_resident_memory_bytes',
    kind: 'gauge',
    as: METRIC.targetRss,
    tags: { component },
  };
}
