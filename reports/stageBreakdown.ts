// Where the end-to-end time goes: e2e.latency split into the stages an event passes through, over
// the steady window and per time bucket. Pure over the run summary and latency buckets.
//   outbox wait  created → published          outbox.lag (outbox collector)
//   broker wait  stream store → 1st delivery   broker.wait (the worker's histogram of its
//                                              deliveries against the stream's message timestamps)
//   dispatch     delivery → webhook done      dispatch.latency, consumer main
//   effect       the rest of e2e              e2e mean minus the other three means: nothing
//                                              measures the webhook → kg_facts step on its own
//                                              (the reference sink writes the row inside the call)
// Shares are of the e2e mean, since means add up along the path and percentiles do not. A stage
// without data is reported as not measured, and then the effect cannot be derived either.
// Broker wait and dispatch come from Prometheus histograms, recorded at bucket upper edges: their
// p50 and p99 are bucket-bounded (upper estimates), and their means are taken from the
// histograms' _sum/_count where the run recorded them (stageMeans.ts), so shares add up.
import type { LatencySummary } from '../record/histogramSnapshot.ts';
import { METRIC } from '../record/metricCatalog.ts';
import type { LatencyBuckets } from './latencyTimeline.ts';
import type { RunSummary } from './runSummary.ts';
import type { StageMeans } from './stageMeans.ts';

export const STAGES = ['outbox wait', 'broker wait', 'dispatch', 'effect'] as const;
export type StageName = (typeof STAGES)[number];

interface MeasuredStage {
  stage: Exclude<StageName, 'effect'>;
  metric: string;
  /** A tag value kept apart in byTag, when only part of the metric belongs to the stage. */
  tag?: { key: string; value: string };
  /** Recorded at the upper edges of Prometheus histogram buckets: percentiles are bucket-bounded. */
  bucketed?: boolean;
}

export const MEASURED_STAGES: readonly MeasuredStage[] = [
  { stage: 'outbox wait', metric: METRIC.outboxLag },
  { stage: 'broker wait', metric: METRIC.brokerWait, bucketed: true },
  {
    stage: 'dispatch',
    metric: METRIC.dispatchLatency,
    tag: { key: 'consumer', value: 'main' },
    bucketed: true,
  },
];

/** The latency metrics the breakdown reads per bucket (a LatencyTimelineFold's `metrics`). */
export const STAGE_METRICS = [METRIC.e2eLatency, ...MEASURED_STAGES.map((s) => s.metric)];

export interface StageStats {
  stage: StageName;
  /** Where the numbers come from, in words. */
  source: string;
  measured: boolean;
  /** Why a stage is not measured. */
  reason?: string;
  /** null for the effect (derived from means) and for a stage not measured. */
  p50: number | null;
  p99: number | null;
  mean: number | null;
  /** stage mean / e2e mean. */
  share: number | null;
}

export interface StageBuckets {
  bucketS: number;
  /** Bucket start, seconds after the run start. */
  startS: number[];
  /** Per stage, its share of the bucket's e2e mean (null where a stage had no data). */
  share: Record<StageName, (number | null)[]>;
  /** Per stage, its mean in ms (the stacked chart's layers). */
  mean: Record<StageName, (number | null)[]>;
}

export interface StageBreakdown {
  e2e: { p50: number; p99: number; mean: number } | null;
  stages: StageStats[];
  /** The measured stage with the largest p99. */
  dominantP99: StageName | null;
  /** The stage whose share of e2e grew most from the first third of the buckets to the last; null when none grew. */
  grewMost: { stage: StageName; fromShare: number; toShare: number } | null;
  buckets: StageBuckets | null;
  /** One line per thing the breakdown could not do. */
  notes: string[];
}

export interface StageBreakdownInput {
  summary: Pick<RunSummary, 'metrics' | 'byTag'>;
  /** A LatencyTimelineFold over STAGE_METRICS, steady window only; omitted: no per-bucket view. */
  buckets?: { bucketS: number; byMetric: ReadonlyMap<string, LatencyBuckets> };
  /** True means of the bucketed stages, over the same window and buckets; omitted: bucket-edge means. */
  means?: StageMeans;
}

const SOURCES: Record<StageName, string> = {
  'outbox wait': `${METRIC.outboxLag}: outbox row created → published`,
  'broker wait': `${METRIC.brokerWait}: stream store → first delivery, from the worker's histogram`,
  dispatch: `${METRIC.dispatchLatency} (consumer main): delivery → webhook done`,
  effect: `${METRIC.e2eLatency} mean minus the other stages (not measured on its own)`,
};

export function stageBreakdown(input: StageBreakdownInput): StageBreakdown {
  const { summary } = input;
  const notes: string[] = [];
  const e2e = summary.metrics[METRIC.e2eLatency];
  const stages: StageStats[] = [];
  const bucketed: string[] = [];
  for (const s of MEASURED_STAGES) {
    const m = stageSummary(summary, s);
    if (m === undefined || m.count === 0) {
      stages.push({
        stage: s.stage,
        source: SOURCES[s.stage],
        measured: false,
        reason: `cannot be measured for this target: no ${s.metric}${s.tag ? ` (${s.tag.key}=${s.tag.value})` : ''} in the run`,
        p50: null,
        p99: null,
        mean: null,
        share: null,
      });
      continue;
    }
    const trueMean = s.bucketed ? input.means?.mean(s.metric) : undefined;
    const mean = trueMean ?? m.mean;
    if (s.bucketed)
      bucketed.push(
        `${s.stage}${trueMean === undefined ? ' (mean from the bucket edges too: no _sum/_count recorded)' : ''}`,
      );
    stages.push({
      stage: s.stage,
      source: `${SOURCES[s.stage]}${s.bucketed ? (trueMean === undefined ? '; mean and percentiles at bucket upper edges' : '; mean from _sum/_count, percentiles at bucket upper edges') : ''}`,
      measured: true,
      p50: m.p50,
      p99: m.p99,
      mean,
      share: e2e && e2e.mean > 0 ? mean / e2e.mean : null,
    });
  }
  if (bucketed.length > 0)
    notes.push(
      `${bucketed.join(', ')}: p50 and p99 are upper edges of the worker's Prometheus histogram buckets (bucket-bounded, an upper estimate)`,
    );
  stages.push(effectStage(stages, e2e));
  if (!e2e || e2e.count === 0) notes.push(`no ${METRIC.e2eLatency} in the run: stage shares cannot be given`);

  let dominantP99: StageName | null = null;
  let best = Number.NEGATIVE_INFINITY;
  for (const s of stages) {
    if (s.p99 !== null && s.p99 > best) {
      best = s.p99;
      dominantP99 = s.stage;
    }
  }
  const buckets = input.buckets
    ? bucketShares(input.buckets.bucketS, input.buckets.byMetric, input.means)
    : null;
  const grewMost = buckets ? shareGrowth(buckets, notes) : null;
  if (!input.buckets) notes.push('no latency buckets given: shares over time not computed');
  return {
    e2e: e2e && e2e.count > 0 ? { p50: e2e.p50, p99: e2e.p99, mean: e2e.mean } : null,
    stages,
    dominantP99,
    grewMost,
    buckets,
    notes,
  };
}

function stageSummary(summary: StageBreakdownInput['summary'], s: MeasuredStage): LatencySummary | undefined {
  if (s.tag) {
    const tagged = summary.byTag[s.metric]?.[s.tag.key]?.[s.tag.value];
    if (tagged !== undefined) return tagged;
    // A producer that does not tag its values at all: the whole metric is the stage.
    if (summary.byTag[s.metric]?.[s.tag.key] !== undefined) return undefined;
  }
  return summary.metrics[s.metric];
}

function effectStage(measured: StageStats[], e2e: LatencySummary | undefined): StageStats {
  const base = { stage: 'effect' as const, source: SOURCES.effect, p50: null, p99: null };
  const missing = measured.filter((s) => !s.measured).map((s) => s.stage);
  if (!e2e || e2e.count === 0 || missing.length > 0) {
    const why = missing.length > 0 ? `${missing.join(' and ')} not measured` : `no ${METRIC.e2eLatency}`;
    return { ...base, measured: false, reason: `cannot be derived: ${why}`, mean: null, share: null };
  }
  const rest = measured.reduce((sum, s) => sum + (s.mean ?? 0), 0);
  // Stages are sampled by different collectors, so the remainder can come out a little below 0.
  const mean = Math.max(0, e2e.mean - rest);
  return { ...base, measured: true, mean, share: e2e.mean > 0 ? mean / e2e.mean : null };
}

function bucketShares(
  bucketS: number,
  byMetric: ReadonlyMap<string, LatencyBuckets>,
  means: StageMeans | undefined,
): StageBuckets | null {
  const e2e = byMetric.get(METRIC.e2eLatency);
  if (!e2e || e2e.buckets.length === 0) return null;
  const share = Object.fromEntries(STAGES.map((s) => [s, [] as (number | null)[]])) as StageBuckets['share'];
  const mean = Object.fromEntries(STAGES.map((s) => [s, [] as (number | null)[]])) as StageBuckets['mean'];
  const index = new Map<string, Map<number, number>>();
  const trueMeans = new Map<string, Map<number, number>>();
  for (const s of MEASURED_STAGES) {
    const b = byMetric.get(s.metric);
    index.set(s.metric, new Map((b?.buckets ?? []).map((bucket, i) => [bucket, i])));
    if (s.bucketed && means !== undefined) trueMeans.set(s.metric, means.bucketMeans(s.metric, bucketS));
  }
  e2e.buckets.forEach((bucket, i) => {
    const total = e2e.mean[i] ?? 0;
    let rest = 0;
    let complete = true;
    for (const s of MEASURED_STAGES) {
      const j = index.get(s.metric)?.get(bucket);
      const edgeMean = j === undefined ? undefined : byMetric.get(s.metric)?.mean[j];
      const m = edgeMean === undefined ? undefined : (trueMeans.get(s.metric)?.get(bucket) ?? edgeMean);
      if (m === undefined) complete = false;
      else rest += m;
      mean[s.stage].push(m ?? null);
      share[s.stage].push(m !== undefined && total > 0 ? m / total : null);
    }
    const effect = complete ? Math.max(0, total - rest) : null;
    mean.effect.push(effect);
    share.effect.push(effect !== null && total > 0 ? effect / total : null);
  });
  return { bucketS, startS: e2e.buckets.map((b) => b * bucketS), share, mean };
}

function shareGrowth(
  buckets: StageBuckets,
  notes: string[],
): { stage: StageName; fromShare: number; toShare: number } | null {
  const n = buckets.startS.length;
  if (n < 3) {
    notes.push(`only ${n} time bucket(s): which stage grew cannot be told`);
    return null;
  }
  const third = Math.max(1, Math.floor(n / 3));
  const avg = (values: (number | null)[]) => {
    const xs = values.filter((v): v is number => v !== null);
    return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
  };
  let best: { stage: StageName; fromShare: number; toShare: number } | null = null;
  for (const stage of STAGES) {
    const values = buckets.share[stage];
    const from = avg(values.slice(0, third));
    const to = avg(values.slice(n - third));
    if (from === null || to === null) continue;
    // Only a share that grew counts: "effect 0 → 0" is not growth.
    if (to - from > 0 && (best === null || to - from > best.toShare - best.fromShare))
      best = { stage, fromShare: from, toShare: to };
  }
  if (best === null) notes.push('no stage grew its share of e2e from the first third of the run to the last');
  return best;
}
