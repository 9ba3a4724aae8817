// Streams one gauge's points (all tag sets) into steady-window statistics: min, mean, max, last,
// per-second means for the trend, and the value at the end of warm-up so cumulative counters
// (k6.dropped_iterations) count only the steady window. Memory: two floats per second of run.
import type { Tags } from '../collectors/collector.ts';
import { fitTrend } from './drift.ts';
import { gaugeFold } from './gaugeFold.ts';
import type { GaugeSummary } from './runSummary.ts';

export class GaugeAccumulator {
  private readonly fold;
  private pendingT = Number.NaN;
  private pendingValue = 0;
  private pendingSeen = false;
  private samples = 0;
  private min = Number.POSITIVE_INFINITY;
  private max = Number.NEGATIVE_INFINITY;
  private sum = 0;
  private last = 0;
  /** Last folded value before the steady window began; 0 when none. */
  private baseline = 0;
  private seconds = new Float64Array(1024);
  private means = new Float64Array(1024);
  private perSecondCount = 0;
  private bucketSecond = Number.NaN;
  private bucketSum = 0;
  private bucketCount = 0;

  constructor(
    name: string,
    private readonly steadyStartMs: number,
  ) {
    this.fold = gaugeFold(name);
  }

  add(t: number, value: number, tags: Tags): void {
    if (!this.fold.include(tags)) return;
    if (t !== this.pendingT) {
      this.flushPending();
      this.pendingT = t;
      this.pendingValue = value;
      this.pendingSeen = true;
      return;
    }
    this.pendingValue =
      this.fold.combine === 'sum' ? this.pendingValue + value : Math.max(this.pendingValue, value);
  }

  /** Whether any point reached the steady window. */
  get seen(): boolean {
    this.flushPending();
    return this.samples > 0;
  }

  /** Growth of a cumulative counter over the steady window; null when it never reported. */
  counterDelta(): number | null {
    this.flushPending();
    return this.samples === 0 ? null : this.last - this.baseline;
  }

  summary(): GaugeSummary {
    this.flushPending();
    this.closeBucket();
    const trend = fitTrend(
      this.seconds.subarray(0, this.perSecondCount),
      this.means.subarray(0, this.perSecondCount),
    );
    return {
      samples: this.samples,
      min: this.samples === 0 ? 0 : this.min,
      mean: this.samples === 0 ? 0 : this.sum / this.samples,
      max: this.samples === 0 ? 0 : this.max,
      last: this.last,
      slopePerMin: trend?.slopePerMin ?? null,
      trend,
    };
  }

  private flushPending(): void {
    if (!this.pendingSeen) return;
    this.pendingSeen = false;
    const t = this.pendingT;
    const v = this.pendingValue;
    if (t < this.steadyStartMs) {
      this.baseline = v;
      return;
    }
    this.samples++;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    this.sum += v;
    this.last = v;
    const second = Math.floor((t - (Number.isFinite(this.steadyStartMs) ? this.steadyStartMs : 0)) / 1000);
    if (second !== this.bucketSecond) {
      this.closeBucket();
      this.bucketSecond = second;
    }
    this.bucketSum += v;
    this.bucketCount++;
  }

  private closeBucket(): void {
    if (this.bucketCount === 0) return;
    if (this.perSecondCount === this.seconds.length) {
      this.seconds = grow(this.seconds);
      this.means = grow(this.means);
    }
    this.seconds[this.perSecondCount] = this.bucketSecond;
    this.means[this.perSecondCount] = this.bucketSum / this.bucketCount;
    this.perSecondCount++;
    this.bucketSum = 0;
    this.bucketCount = 0;
  }
}

function grow(array: Float64Array): Float64Array<ArrayBuffer> {
  const bigger = new Float64Array(array.length * 2);
  bigger.set(array);
  return bigger;
}
