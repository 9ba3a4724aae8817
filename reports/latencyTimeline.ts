// Latency percentiles over time for a few metrics: one streaming pass over the run's hlogs (read
// side by side in start-time order), each interval histogram merged exactly into its time bucket,
// and p50/p90/p99 taken from the merged bucket. Memory: one open histogram per metric plus a few
// numbers per bucket, so a 24 h run costs what a 30 min one does.

import { type EncodedHlogInterval, HlogFormatError, readEncodedHlogIntervals } from '../record/hlog.ts';
import { parseHlogTag } from '../record/hlogTag.ts';
import { SKIP_CUT_TAIL } from '../record/lineReader.ts';
import { HistogramAccumulator } from './histogramAccumulator.ts';

export interface LatencyBuckets {
  /** Bucket indexes (bucket i starts i × bucketS after the run start), ascending. */
  buckets: number[];
  count: number[];
  /** Seconds of the bucket that intervals covered, to turn counts into rates at the run's edges. */
  coveredS: number[];
  p50: number[];
  p90: number[];
  p99: number[];
  /** Mean of each bucket (the stage breakdown adds stages up by their means). */
  mean: number[];
}

interface OpenBucket {
  bucket: number;
  acc: HistogramAccumulator;
  fromS: number;
  toS: number;
  out: LatencyBuckets;
}

export async function latencyTimeline(
  paths: readonly string[],
  metrics: readonly string[],
  startMs: number,
  bucketS: number,
): Promise<Map<string, LatencyBuckets>> {
  const wanted = new Set(metrics);
  const metricOfTag = new Map<string, string>();
  const open = new Map<string, OpenBucket>();
  const result = new Map<string, LatencyBuckets>();
  const startS = startMs / 1000;

  for await (const { path, interval } of byStart(paths)) {
    let metric = metricOfTag.get(interval.tag);
    if (metric === undefined) {
      try {
        metric = parseHlogTag(interval.tag).metric;
      } catch (err) {
        throw new HlogFormatError(path, interval.line, (err as Error).message);
      }
      metricOfTag.set(interval.tag, metric);
    }
    if (!wanted.has(metric)) continue;
    const bucket = Math.floor((interval.startS - startS) / bucketS);
    let state = open.get(metric);
    if (state === undefined) {
      const out: LatencyBuckets = {
        buckets: [],
        count: [],
        coveredS: [],
        p50: [],
        p90: [],
        p99: [],
        mean: [],
      };
      result.set(metric, out);
      state = { bucket, acc: new HistogramAccumulator(), fromS: interval.startS, toS: interval.startS, out };
      open.set(metric, state);
    }
    // Lines arrive in time order (writers append as intervals close); a rare late line joins the
    // open bucket rather than reopening one already summarised.
    if (bucket > state.bucket) {
      close(state);
      state.bucket = bucket;
      state.fromS = interval.startS;
      state.toS = interval.startS;
    }
    try {
      state.acc.add(interval.bytes);
    } catch (err) {
      throw new HlogFormatError(path, interval.line, (err as Error).message);
    }
    state.fromS = Math.min(state.fromS, interval.startS);
    state.toS = Math.max(state.toS, interval.startS + interval.lengthS);
  }
  for (const state of open.values()) close(state);
  return result;
}

function close(state: OpenBucket): void {
  if (state.acc.count === 0) return;
  const [p50 = 0, p90 = 0, p99 = 0] = state.acc.percentiles([50, 90, 99]);
  const { out } = state;
  out.buckets.push(state.bucket);
  out.count.push(state.acc.count);
  out.coveredS.push(state.toS - state.fromS);
  out.p50.push(p50);
  out.p90.push(p90);
  out.p99.push(p99);
  out.mean.push(state.acc.mean());
  state.acc.reset();
}

interface SourcedInterval {
  path: string;
  interval: EncodedHlogInterval;
}

/** Interleaves the logs' intervals by start time, reading each log one line ahead. */
async function* byStart(paths: readonly string[]): AsyncGenerator<SourcedInterval> {
  const sources = paths.map((p) => readEncodedHlogIntervals(p, SKIP_CUT_TAIL));
  const heads = await Promise.all(sources.map((s) => s.next()));
  for (;;) {
    let best: number | undefined;
    let bestStart = Number.POSITIVE_INFINITY;
    heads.forEach((head, i) => {
      if (!head.done && head.value.startS < bestStart) {
        best = i;
        bestStart = head.value.startS;
      }
    });
    const source = best === undefined ? undefined : sources[best];
    const head = best === undefined ? undefined : heads[best];
    const path = best === undefined ? undefined : paths[best];
    if (best === undefined || source === undefined || head?.done !== false || path === undefined) return;
    yield { path, interval: head.value };
    heads[best] = await source.next();
  }
}
