// The main thread's histograms: the workers' encoded intervals merged per tag, the cumulative totals
// per tag and per metric, in hdr-histogram-js's WASM mode (the choice, and measured here:
// decode, merge, encode and a summary per tag per tick cost ~4 ms in WASM against ~24 ms in JS,
// the JS summary alone 12 ms — a tenth of a core spent every second for nothing on a loaded machine).
// Summaries and the hlog's max field match record/histogramSnapshot.ts's (test/unit/engineMergedHistogram).
import * as hdr from 'hdr-histogram-js';
import {
  HIGHEST_TRACKABLE_US,
  type LatencySummary,
  LOWEST_DISCERNIBLE_US,
  SIGNIFICANT_DIGITS,
  summarise,
} from './loadLog.ts';

const BIT_BUCKET_SIZE = 64;

/** An empty JS histogram of the same layout, used only for its value-equivalence arithmetic. */
let ruler: hdr.JsHistogram | undefined;
function equivalence(): hdr.JsHistogram {
  ruler ??= hdr.build({
    bitBucketSize: BIT_BUCKET_SIZE,
    lowestDiscernibleValue: LOWEST_DISCERNIBLE_US,
    highestTrackableValue: HIGHEST_TRACKABLE_US,
    numberOfSignificantValueDigits: SIGNIFICANT_DIGITS as 3,
    useWebAssembly: false,
  }) as hdr.JsHistogram;
  return ruler;
}

let wasmReady: Promise<void> | undefined;

/** Loads the WASM build in this thread once; call before the first MergedHistogram. */
export function initMergedHistogramWasm(): Promise<void> {
  wasmReady ??= hdr.initWebAssembly();
  return wasmReady;
}

export class MergedHistogram {
  private readonly h = hdr.build({
    bitBucketSize: BIT_BUCKET_SIZE,
    lowestDiscernibleValue: LOWEST_DISCERNIBLE_US,
    highestTrackableValue: HIGHEST_TRACKABLE_US,
    numberOfSignificantValueDigits: SIGNIFICANT_DIGITS as 3,
    useWebAssembly: true,
  });

  /** Adds an interval in the standard compressed base64 form (what the workers send). */
  addEncoded(encoded: string): void {
    const decoded = hdr.decodeFromCompressedBase64(encoded, BIT_BUCKET_SIZE, true);
    try {
      this.h.add(decoded);
    } finally {
      decoded.destroy();
    }
  }

  add(other: MergedHistogram): void {
    this.h.add(other.h);
  }

  get count(): number {
    return this.h.totalCount;
  }

  /** Interval max in ms, as the hlog line's Interval_Max field carries it. */
  get maxMs(): number {
    return this.count === 0 ? 0 : equivalence().highestEquivalentValue(this.h.maxValue) / 1000;
  }

  encode(): string {
    return hdr.encodeIntoCompressedBase64(this.h);
  }

  reset(): void {
    this.h.reset();
  }

  /** WASM memory is not collected: every histogram is destroyed when the engine ends. */
  destroy(): void {
    this.h.destroy();
  }

  /** As HistogramSnapshot.summary(): HdrHistogram percentiles, min and max as value equivalents. */
  summary(): LatencySummary {
    const h = this.h;
    if (h.totalCount === 0) return summarise(h, 0, 0);
    const minUs =
      h.getValueAtPercentile(0) === 0 ? 0 : equivalence().lowestEquivalentValue(h.minNonZeroValue);
    return summarise(h, minUs, this.maxMs);
  }
}
