// Latency percentiles over time for a few metrics, as a fold of the run-folder reader: each
// interval histogram merged exactly into its time bucket (the reader hands them over in start
// order), and p50/p90/p99 taken from the merged bucket. Memory: one open histogram per metric plus
// a few numbers per bucket, so a 24 h run costs what a 30 min one does.
import { HistogramAccumulator } from './histogramAccumulator.ts';
import type { FoldInterval, RunFolderFold, RunFolderRead } from './readRunFolder.ts';
import { intervalIn } from './steadyWindow.ts';

export interface LatencyBuckets {
  /** Bucket indexes (bucket i starts i × bucketS after the window's start), ascending. */
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

/** Where the buckets start and how wide they are, known once the series is read. */
export interface BucketWindow {
  fromMs: number;
  bucketS: number;
}

interface OpenBucket {
  bucket: number;
  acc: HistogramAccumulator;
  fromS: number;
  toS: number;
  out: LatencyBuckets;
}

export class LatencyTimelineFold implements RunFolderFold {
  private readonly wanted: (metric: string) => boolean;
  private readonly open = new Map<string, OpenBucket>();
  private readonly result = new Map<string, LatencyBuckets>();
  private window: BucketWindow = { fromMs: 0, bucketS: 1 };

  /**
   * `metrics`: the names to bucket, or a test of a name (the timeline also takes every custom.*).
   * Intervals that start before `bucketsOf(run).fromMs` are left out (steadyWindow.ts).
   */
  constructor(
    metrics: readonly string[] | ((metric: string) => boolean),
    private readonly bucketsOf: (run: RunFolderRead) => BucketWindow,
  ) {
    if (typeof metrics === 'function') this.wanted = metrics;
    else {
      const names = new Set(metrics);
      this.wanted = (metric) => names.has(metric);
    }
  }

  seriesRead(run: RunFolderRead): void {
    this.window = this.bucketsOf(run);
  }

  interval(interval: FoldInterval): void {
    if (!this.wanted(interval.metric) || !intervalIn(interval.startS, this.window.fromMs)) return;
    const { bucketS } = this.window;
    // At least 0: an interval less than half a ms before the window's start is in it (whole ms).
    const bucket = Math.max(0, Math.floor((interval.startS - this.window.fromMs / 1000) / bucketS));
    let state = this.open.get(interval.metric);
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
      this.result.set(interval.metric, out);
      state = { bucket, acc: new HistogramAccumulator(), fromS: interval.startS, toS: interval.startS, out };
      this.open.set(interval.metric, state);
    }
    // Lines arrive in time order (writers append as intervals close); a rare late line joins the
    // open bucket rather than reopening one already summarised.
    if (bucket > state.bucket) {
      close(state);
      state.bucket = bucket;
      state.fromS = interval.startS;
      state.toS = interval.startS;
    }
    state.acc.add(interval.histogram());
    state.fromS = Math.min(state.fromS, interval.startS);
    state.toS = Math.max(state.toS, interval.startS + interval.lengthS);
  }

  /** The buckets of each metric that had samples. */
  buckets(): Map<string, LatencyBuckets> {
    for (const state of this.open.values()) close(state);
    this.open.clear();
    return this.result;
  }
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
