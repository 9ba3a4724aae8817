// A mergeable, encodable latency histogram: hdr-histogram-js (JS implementation, never WASM) holding
// integer microseconds, exposed in milliseconds. The encoding is HdrHistogram's standard compressed
// V2 base64 form, so Java and Go tools read what we write and we read what they write.
import {
  build,
  decodeFromCompressedBase64,
  encodeIntoCompressedBase64,
  type Histogram,
  JsHistogram,
} from 'hdr-histogram-js';

/** Values below 1 µs are recorded as 0; above one hour they are clamped to one hour. */
export const LOWEST_DISCERNIBLE_US = 1;
export const HIGHEST_TRACKABLE_US = 3_600_000_000;
export const SIGNIFICANT_DIGITS = 3;
// Float64 counts: exact up to 2^53, so a 24 h cumulative total cannot overflow a bucket the way
// 32-bit counts could, and recording stays ~5x faster than the packed layout.
const BIT_BUCKET_SIZE = 64;

export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export class HistogramSnapshot {
  private constructor(private readonly histogram: JsHistogram) {}

  static empty(): HistogramSnapshot {
    return new HistogramSnapshot(newHistogram());
  }

  /** Reads the standard compressed base64 encoding; throws on anything else. */
  static decode(encoded: string): HistogramSnapshot {
    const decoded = decodeFromCompressedBase64(encoded, BIT_BUCKET_SIZE, false);
    if (!(decoded instanceof JsHistogram)) throw new Error('decoded histogram is not a JS histogram');
    // Foreign encoders may use other ranges; adding into our own layout keeps merges uniform.
    const snapshot = HistogramSnapshot.empty();
    snapshot.histogram.add(decoded);
    return snapshot;
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  /** Interval max in ms, as the log line's Interval_Max field carries it. */
  get maxMs(): number {
    return this.count === 0 ? 0 : this.histogram.highestEquivalentValue(this.histogram.maxValue) / 1000;
  }

  record(valueMs: number): void {
    this.histogram.recordValue(toMicros(valueMs));
  }

  /**
   * Records with coordinated-omission correction for open-model loads: a value longer than the
   * expected interval also records the requests that would have started while it was blocking.
   */
  recordCorrected(valueMs: number, expectedIntervalMs: number): void {
    if (!(expectedIntervalMs > 0))
      throw new RangeError(`expected interval ${expectedIntervalMs} ms is not > 0`);
    this.histogram.recordValueWithExpectedInterval(toMicros(valueMs), toMicros(expectedIntervalMs));
  }

  merge(other: HistogramSnapshot): this {
    this.histogram.add(other.histogram);
    return this;
  }

  /** Each recorded value (ms, its bucket's highest equivalent) with its count, lowest first. */
  forEachValue(f: (valueMs: number, count: number) => void): void {
    const it = this.histogram.recordedValuesIterator;
    it.reset();
    while (it.hasNext()) {
      const v = it.next();
      f(v.valueIteratedTo / 1000, v.countAtValueIteratedTo);
    }
  }

  encode(): string {
    return encodeIntoCompressedBase64(this.histogram as Histogram);
  }

  reset(): void {
    this.histogram.reset();
  }

  /** Percentiles are HdrHistogram equivalents (within 0.1% at 3 digits); min and max likewise. */
  summary(): LatencySummary {
    const h = this.histogram;
    if (h.totalCount === 0) return summarise(h, 0, 0);
    return summarise(
      h,
      h.getCountAtIndex(0) > 0 ? 0 : h.lowestEquivalentValue(h.minNonZeroValue),
      this.maxMs,
    );
  }
}

/** What summarise() reads of a histogram in µs, JS or WASM. */
export type PercentileSource = Pick<Histogram, 'totalCount' | 'mean' | 'getValueAtPercentile'>;

/** The summary of a µs histogram whose min (µs) and max (ms) the caller has made equivalents. */
export function summarise(h: PercentileSource, minUs: number, maxMs: number): LatencySummary {
  const count = h.totalCount;
  if (count === 0) return { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
  return {
    count,
    min: minUs / 1000,
    mean: h.mean / 1000,
    p50: h.getValueAtPercentile(50) / 1000,
    p90: h.getValueAtPercentile(90) / 1000,
    p99: h.getValueAtPercentile(99) / 1000,
    p999: h.getValueAtPercentile(99.9) / 1000,
    max: maxMs,
  };
}

function newHistogram(): JsHistogram {
  const h = build({
    bitBucketSize: BIT_BUCKET_SIZE,
    lowestDiscernibleValue: LOWEST_DISCERNIBLE_US,
    highestTrackableValue: HIGHEST_TRACKABLE_US,
    numberOfSignificantValueDigits: SIGNIFICANT_DIGITS,
    useWebAssembly: false,
    // Decoded foreign histograms may exceed our range; our own records are clamped below.
    autoResize: true,
  });
  if (!(h instanceof JsHistogram)) throw new Error('hdr-histogram-js did not build a JS histogram');
  return h;
}

function toMicros(valueMs: number): number {
  if (!Number.isFinite(valueMs)) throw new RangeError(`latency ${valueMs} ms is not a finite number`);
  // Negative values come from clock skew between hosts (e.g. acceptedAt vs the DB clock): count them as 0.
  const us = Math.round(valueMs * 1000);
  return Math.min(Math.max(us, 0), HIGHEST_TRACKABLE_US);
}
