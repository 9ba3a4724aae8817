// How the tagged series of one gauge fold into the one value per sample that reports judge.
// Default: the sum over tag sets (one consumer, one stream: the value itself). db.connections is
// per application with a per-state breakdown: take each application's total (`state=all`) and the
// busiest application, since the pool limit (DB_POOL_MAX) is per application.
import type { Tags } from '../collectors/collector.ts';

export interface GaugeFold {
  include(tags: Tags): boolean;
  combine: 'sum' | 'max';
}

const SUM: GaugeFold = { include: () => true, combine: 'sum' };

const FOLDS: Record<string, GaugeFold> = {
  'db.connections': { include: (tags) => tags.state === undefined || tags.state === 'all', combine: 'max' },
};

export function gaugeFold(name: string): GaugeFold {
  return FOLDS[name] ?? SUM;
}
