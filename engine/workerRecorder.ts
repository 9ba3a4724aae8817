// The EngineRecorder of one worker thread: one HDR recorder (hdr-histogram-js in WASM mode) per
// metric and tag set, and counter deltas, drained into a report every second. Lookups are cached by
// metric and tag values, so a steady iteration records without building strings or allocating.
import * as hdr from 'hdr-histogram-js';
import type { Tags } from './executors/executorPlan.ts';
import { formatHlogTag, HIGHEST_TRACKABLE_US, LOWEST_DISCERNIBLE_US, SIGNIFICANT_DIGITS } from './loadLog.ts';
import type { CounterDelta, EncodedInterval } from './workerProtocol.ts';

interface HistEntry {
  tag: string;
  metric: string;
  tags?: Tags;
  histogram: hdr.Histogram;
  dirty: boolean;
}

interface CountEntry {
  tag: string;
  metric: string;
  tags?: Tags;
  delta: number;
}

let wasmReady = false;

/** Loads the WASM build once per thread (a 2.6× faster recordValue than the JS one, measured here). */
export async function initRecorderWasm(): Promise<void> {
  if (wasmReady) return;
  await hdr.initWebAssembly();
  wasmReady = true;
}

function newHistogram(): hdr.Histogram {
  return hdr.build({
    bitBucketSize: 64,
    lowestDiscernibleValue: LOWEST_DISCERNIBLE_US,
    highestTrackableValue: HIGHEST_TRACKABLE_US,
    numberOfSignificantValueDigits: SIGNIFICANT_DIGITS as 3,
    useWebAssembly: wasmReady,
  });
}

/** The cache key of a tag set: values in key order as given (callers pass literal objects). */
function tagKey(tags: Tags): string {
  let key = '';
  for (const k in tags) key += `${k}\u0001${tags[k]}\u0002`;
  return key;
}

export class WorkerRecorder {
  private readonly untagged = new Map<string, HistEntry>();
  private readonly tagged = new Map<string, Map<string, HistEntry>>();
  private readonly counts = new Map<string, Map<string, CountEntry>>();
  private readonly histograms: HistEntry[] = [];
  private readonly counters: CountEntry[] = [];
  // Frozen tag objects (the clients' and checks' cached ones) find their entries by identity: no key
  // string is built per record. A frozen object cannot change, so its entry stays the right one.
  private readonly histByObject = new WeakMap<Tags, Map<string, HistEntry>>();
  private readonly countByObject = new WeakMap<Tags, Map<string, CountEntry>>();

  latency(metric: string, valueMs: number, tags?: Tags): void {
    const entry = this.histFor(metric, tags);
    let us = Math.round(valueMs * 1000);
    if (!(us >= 0)) us = 0; // negative or NaN: clock skew, counted as 0 rather than lost
    if (us > HIGHEST_TRACKABLE_US) us = HIGHEST_TRACKABLE_US;
    entry.histogram.recordValue(us);
    entry.dirty = true;
  }

  count(metric: string, delta = 1, tags?: Tags): void {
    if (tags !== undefined && Object.isFrozen(tags)) {
      let byMetric = this.countByObject.get(tags);
      if (byMetric === undefined) {
        byMetric = new Map();
        this.countByObject.set(tags, byMetric);
      }
      let entry = byMetric.get(metric);
      if (entry === undefined) {
        entry = this.countEntry(metric, tags);
        byMetric.set(metric, entry);
      }
      entry.delta += delta;
      return;
    }
    this.countEntry(metric, tags).delta += delta;
  }

  private countEntry(metric: string, tags?: Tags): CountEntry {
    let byTags = this.counts.get(metric);
    if (byTags === undefined) {
      byTags = new Map();
      this.counts.set(metric, byTags);
    }
    const key = tags === undefined ? '' : tagKey(tags);
    let entry = byTags.get(key);
    if (entry === undefined) {
      entry = { tag: formatHlogTag(metric, tags), metric, delta: 0 };
      if (tags !== undefined) entry.tags = { ...tags };
      byTags.set(key, entry);
      this.counters.push(entry);
    }
    return entry;
  }

  /** Encodes and resets every histogram that recorded since the last drain, and the counter deltas. */
  drain(): { histograms: EncodedInterval[]; counters: CounterDelta[] } {
    const histograms: EncodedInterval[] = [];
    for (const e of this.histograms) {
      if (!e.dirty) continue;
      const out: EncodedInterval = {
        tag: e.tag,
        metric: e.metric,
        encoded: hdr.encodeIntoCompressedBase64(e.histogram),
      };
      if (e.tags !== undefined) out.tags = e.tags;
      histograms.push(out);
      e.histogram.reset();
      e.dirty = false;
    }
    const counters: CounterDelta[] = [];
    for (const e of this.counters) {
      if (e.delta === 0) continue;
      const out: CounterDelta = { tag: e.tag, metric: e.metric, delta: e.delta };
      if (e.tags !== undefined) out.tags = e.tags;
      counters.push(out);
      e.delta = 0;
    }
    return { histograms, counters };
  }

  destroy(): void {
    for (const e of this.histograms) e.histogram.destroy();
  }

  private histFor(metric: string, tags?: Tags): HistEntry {
    if (tags !== undefined && Object.isFrozen(tags)) {
      let byMetric = this.histByObject.get(tags);
      if (byMetric === undefined) {
        byMetric = new Map();
        this.histByObject.set(tags, byMetric);
      }
      let entry = byMetric.get(metric);
      if (entry === undefined) {
        entry = this.histByKey(metric, tags);
        byMetric.set(metric, entry);
      }
      return entry;
    }
    return this.histByKey(metric, tags);
  }

  private histByKey(metric: string, tags?: Tags): HistEntry {
    if (tags === undefined) {
      let entry = this.untagged.get(metric);
      if (entry === undefined) {
        entry = this.newEntry(metric);
        this.untagged.set(metric, entry);
      }
      return entry;
    }
    let byTags = this.tagged.get(metric);
    if (byTags === undefined) {
      byTags = new Map();
      this.tagged.set(metric, byTags);
    }
    const key = tagKey(tags);
    let entry = byTags.get(key);
    if (entry === undefined) {
      entry = this.newEntry(metric, tags);
      byTags.set(key, entry);
    }
    return entry;
  }

  private newEntry(metric: string, tags?: Tags): HistEntry {
    const entry: HistEntry = {
      tag: formatHlogTag(metric, tags),
      metric,
      histogram: newHistogram(),
      dirty: false,
    };
    if (tags !== undefined) entry.tags = { ...tags };
    this.histograms.push(entry);
    return entry;
  }
}
