// Streams one gauge's points (all tag sets) into load-window statistics (steadyWindow.ts): min,
// mean, max, last, per-second means for the trend; points of the warm-up and of the drain after
// the load are left out. Memory: two floats per second
// of run. (Counters are series lines of their own, summed by the reader.)
import type { Tags } from '../record/recorder.ts';
import { fitTrend } from './drift.ts';
import { gaugeFold, SampleFolder } from './gaugeFold.ts';
import type { GaugeSummary } from './runSummary.ts';
import { pointInLoad } from './steadyWindow.ts';

export class GaugeAccumulator {
  private readonly folder: SampleFolder;
  private samples = 0;
  private min = Number.POSITIVE_INFINITY;
  private max = Number.NEGATIVE_INFINITY;
  private sum = 0;
  private last = 0;
  private seconds = new Float64Array(1024);
  private means = new Float64Array(1024);
  private perSecondCount = 0;
  private bucketSecond = Number.NaN;
  private bucketSum = 0;
  private bucketCount = 0;

  constructor(
    readonly name: string,
    private readonly steadyStartMs: number,
    /** The load's end as known so far (+Infinity until the reader has seen it). */
    private readonly loadEndMs: () => number = () => Number.POSITIVE_INFINITY,
  ) {
    this.folder = new SampleFolder(gaugeFold(name), (t, v) => this.addSample(t, v));
  }

  add(t: number, value: number, tags: Tags): void {
    this.folder.add(t, value, tags);
  }

  /** Whether any point reached the steady window. */
  get seen(): boolean {
    this.folder.flush();
    return this.samples > 0;
  }

  summary(): GaugeSummary {
    this.folder.flush();
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

  /** One folded sample. */
  private addSample(t: number, v: number): void {
    if (!pointInLoad(t, this.steadyStartMs, this.loadEndMs())) return;
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
