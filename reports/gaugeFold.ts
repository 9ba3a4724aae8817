// How the tagged series of one gauge fold into the one value per sample that reports judge.
// Default: the sum over tag sets (one consumer, one stream: the value itself). db.connections is
// per application with a per-state breakdown: take each application's total (`state=all`) and the
// busiest application, since the pool limit (DB_POOL_MAX) is per application.

import { METRIC } from '../record/metricCatalog.ts';
import type { Tags } from '../record/recorder.ts';

export interface GaugeFold {
  include(tags: Tags): boolean;
  combine: 'sum' | 'max';
}

const SUM: GaugeFold = { include: () => true, combine: 'sum' };

const FOLDS: Record<string, GaugeFold> = {
  [METRIC.dbConnections]: {
    include: (tags) => tags.state === undefined || tags.state === 'all',
    combine: 'max',
  },
};

export function gaugeFold(name: string): GaugeFold {
  return FOLDS[name] ?? SUM;
}

/**
 * Folds one gauge's points that share a timestamp (the tag sets of one sample) into one value per
 * sample, in arrival order, and hands each finished sample to `emit`. Call flush() at the end.
 */
export class SampleFolder {
  private t = Number.NaN;
  private value = 0;
  private pending = false;

  constructor(
    private readonly fold: GaugeFold,
    private readonly emit: (t: number, value: number) => void,
  ) {}

  add(t: number, value: number, tags: Tags): void {
    if (!this.fold.include(tags)) return;
    if (this.pending && t === this.t) {
      this.value = this.fold.combine === 'sum' ? this.value + value : Math.max(this.value, value);
      return;
    }
    this.flush();
    this.t = t;
    this.value = value;
    this.pending = true;
  }

  flush(): void {
    if (!this.pending) return;
    this.pending = false;
    this.emit(this.t, this.value);
  }
}
