import { describe, expect, it } from 'vitest';
import type { LatencySummary } from '../../record/histogramSnapshot.ts';
import type { LatencyBuckets } from '../../reports/latencyTimeline.ts';
import type { RunSummary } from '../../reports/runSummary.ts';
import { stageBreakdown } from '../../reports/stageBreakdown.ts';

function lat(mean: number, p99 = mean * 3, count = 1000): LatencySummary {
  return { count, min: 0, mean, p50: mean * 0.8, p90: mean * 2, p99, p999: p99 * 1.5, max: p99 * 2 };
}

function buckets(means: number[]): LatencyBuckets {
  return {
    buckets: means.map((_, i) => i),
    count: means.map(() => 100),
    coveredS: means.map(() => 10),
    p50: means,
    p90: means.map((m) => m * 2),
    p99: means.map((m) => m * 3),
    mean: means,
  };
}

function summary(stages: Record<string, LatencySummary>): Pick<RunSummary, 'metrics' | 'byTag'> {
  const { dispatchMain, dispatchDlq, ...metrics } = stages;
  return {
    metrics,
    byTag:
      dispatchMain === undefined
        ? {}
        : {
            'dispatch.latency': {
              consumer: { main: dispatchMain, ...(dispatchDlq ? { dlq: dispatchDlq } : {}) },
            },
          },
  };
}

describe('stage breakdown', () => {
  it('stage breakdown - slow sink: dispatch dominates p99; shares of the e2e mean add to 1 with the effect as the rest', () => {
    const b = stageBreakdown({
      summary: summary({
        'e2e.latency': lat(400, 900),
        'outbox.lag': lat(100, 300),
        'broker.wait': lat(20, 60),
        dispatchMain: lat(250, 700),
        // DLQ dispatches are slow but not part of an event's normal path: left out.
        dispatchDlq: lat(5000, 9000),
      }),
    });
    expect(b.dominantP99).toBe('dispatch');
    const byStage = Object.fromEntries(b.stages.map((s) => [s.stage, s]));
    expect(byStage.dispatch?.share).toBeCloseTo(250 / 400, 10);
    expect(byStage.effect).toMatchObject({ measured: true, mean: 30, p50: null, p99: null });
    expect(b.stages.reduce((sum, s) => sum + (s.share ?? 0), 0)).toBeCloseTo(1, 10);
  });

  it('stage breakdown - a stage without data is said not measured, and the effect is not derived from the gap', () => {
    const b = stageBreakdown({
      summary: summary({ 'e2e.latency': lat(400), 'outbox.lag': lat(300, 2000), dispatchMain: lat(50) }),
    });
    const broker = b.stages.find((s) => s.stage === 'broker wait');
    expect(broker).toMatchObject({ measured: false, share: null, p99: null });
    expect(broker?.reason).toContain('no broker.wait');
    expect(b.stages.find((s) => s.stage === 'effect')).toMatchObject({
      measured: false,
      mean: null,
      reason: 'cannot be derived: broker wait not measured',
    });
    expect(b.dominantP99).toBe('outbox wait');
  });

  it('stage breakdown - per bucket shares show the stage that grew: broker wait from 10% to 70%', () => {
    const e2e = [100, 100, 100, 200, 300, 500];
    const broker = [10, 10, 10, 100, 200, 350];
    const outbox = [40, 40, 40, 50, 50, 50];
    const dispatch = [40, 40, 40, 40, 40, 90];
    const byMetric = new Map([
      ['e2e.latency', buckets(e2e)],
      ['broker.wait', buckets(broker)],
      ['outbox.lag', buckets(outbox)],
      ['dispatch.latency', buckets(dispatch)],
    ]);
    const b = stageBreakdown({
      summary: summary({
        'e2e.latency': lat(216),
        'outbox.lag': lat(45),
        'broker.wait': lat(113, 900),
        dispatchMain: lat(48),
      }),
      buckets: { bucketS: 10, byMetric },
    });
    expect(b.buckets?.startS).toEqual([0, 10, 20, 30, 40, 50]);
    expect(b.buckets?.share['broker wait'][0]).toBeCloseTo(0.1, 10);
    expect(b.buckets?.mean.effect).toEqual([10, 10, 10, 10, 10, 10]);
    expect(b.grewMost?.stage).toBe('broker wait');
    expect(b.grewMost?.fromShare).toBeCloseTo(0.1, 10);
    expect(b.grewMost?.toShare).toBeCloseTo((200 / 300 + 350 / 500) / 2, 10);
    expect(b.dominantP99).toBe('broker wait');
  });

  it('stage breakdown - too few buckets to tell growth is a note, not a guess', () => {
    const byMetric = new Map([['e2e.latency', buckets([100, 100])]]);
    const b = stageBreakdown({
      summary: summary({ 'e2e.latency': lat(100) }),
      buckets: { bucketS: 10, byMetric },
    });
    expect(b.grewMost).toBeNull();
    expect(b.notes).toContain('only 2 time bucket(s): which stage grew cannot be told');
  });

  it('stage breakdown - when no share grew, no stage is named (not "effect 0 → 0")', () => {
    // Stage means above e2e (bucket-edge means): the effect clamps to 0 in every bucket, and
    // every share falls or stays.
    const byMetric = new Map([
      ['e2e.latency', buckets([100, 100, 100, 100, 100, 100])],
      ['broker.wait', buckets([60, 60, 60, 50, 50, 50])],
      ['outbox.lag', buckets([20, 20, 20, 20, 20, 20])],
      ['dispatch.latency', buckets([40, 40, 40, 40, 40, 40])],
    ]);
    const b = stageBreakdown({
      summary: summary({
        'e2e.latency': lat(100),
        'outbox.lag': lat(20),
        'broker.wait': lat(55),
        dispatchMain: lat(40),
      }),
      buckets: { bucketS: 10, byMetric },
    });
    expect(b.buckets?.mean.effect).toEqual([0, 0, 0, 0, 0, 0]);
    expect(b.grewMost).toBeNull();
    expect(b.notes).toContain('no stage grew its share of e2e from the first third of the run to the last');
  });
});
