import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HistogramSnapshot } from '../../record/histogramSnapshot.ts';
import { HlogWriter } from '../../record/hlog.ts';
import { formatHlogTag } from '../../record/hlogTag.ts';
import { SeriesWriter } from '../../record/series.ts';
import { buildRunReport } from '../../reports/runReport.ts';
import { runTimeline } from '../../reports/runTimeline.ts';

const START = 1_700_000_000_000;

function snapshot(value: number, n: number): HistogramSnapshot {
  const s = HistogramSnapshot.empty();
  for (let i = 0; i < n; i++) s.record(value);
  return s;
}

/**
 * 60 s, 10 s warm-up, 10 events a second: e2e 100 ms, outbox wait 20 ms, and broker wait and
 * dispatch truly 30 ms each but recorded, as the Prometheus collector does, at their bucket's
 * upper edge of 50 ms. With `sums`, the collector's _sum/_count counters are there as well.
 */
function writeFolder(dir: string, sums: boolean): void {
  const series = SeriesWriter.open(join(dir, 'series.ndjson'));
  series.event('run.start', { id: 'r', scenario: 's', warmUpMs: 10_000 }, START);
  const hlog = HlogWriter.open(join(dir, 'collectors.hlog'), START);
  for (let i = 0; i < 60; i++) {
    const t = START + i * 1000;
    hlog.writeInterval('e2e.latency', t, t + 1000, snapshot(100, 10));
    hlog.writeInterval('outbox.lag', t, t + 1000, snapshot(20, 10));
    hlog.writeInterval('broker.wait', t, t + 1000, snapshot(50, 10));
    hlog.writeInterval(
      formatHlogTag('dispatch.latency', { consumer: 'main' }),
      t,
      t + 1000,
      snapshot(50, 10),
    );
    // DLQ dispatches are not on an event's path: their sums must not leak into the stage.
    hlog.writeInterval(
      formatHlogTag('dispatch.latency', { consumer: 'dlq' }),
      t,
      t + 1000,
      snapshot(5000, 1),
    );
    if (sums) {
      series.counter('broker.wait.sum', 300, undefined, t + 1000);
      series.counter('broker.wait.count', 10, undefined, t + 1000);
      series.counter('dispatch.latency.sum', 300, { consumer: 'main' }, t + 1000);
      series.counter('dispatch.latency.count', 10, { consumer: 'main' }, t + 1000);
      series.counter('dispatch.latency.sum', 5000, { consumer: 'dlq' }, t + 1000);
      series.counter('dispatch.latency.count', 1, { consumer: 'dlq' }, t + 1000);
    }
  }
  hlog.close();
  series.event('run.end', {}, START + 61_000);
  series.close();
}

describe('stage means', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pipesoak-stagemeans-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('stage means - bucketed stages take their means from _sum/_count: shares add to 1 and the effect is the true rest', async () => {
    writeFolder(dir, true);
    const report = await buildRunReport(dir);
    const byStage = Object.fromEntries((report.stages?.stages ?? []).map((s) => [s.stage, s]));
    expect(byStage['broker wait']).toMatchObject({ mean: 30, share: 0.3 });
    expect(byStage.dispatch).toMatchObject({ mean: 30, share: 0.3 });
    // The percentiles stay where the buckets put them: at the 50 ms edge.
    expect(byStage.dispatch?.p99).toBeCloseTo(50, 0);
    // HDR keeps 100 and 20 within its precision, so the derived rest is 20 to within 0.01 ms.
    expect(byStage.effect?.measured).toBe(true);
    expect(byStage.effect?.mean).toBeCloseTo(20, 1);
    expect(byStage.effect?.share).toBeCloseTo(0.2, 3);
    const total = (report.stages?.stages ?? []).reduce((sum, s) => sum + (s.share ?? 0), 0);
    expect(total).toBeCloseTo(1, 6);
    expect(byStage.dispatch?.source).toContain('mean from _sum/_count, percentiles at bucket upper edges');
    expect(report.stages?.notes).toContain(
      "broker wait, dispatch: p50 and p99 are upper edges of the worker's Prometheus histogram buckets (bucket-bounded, an upper estimate)",
    );
    // Nothing grew over the run: no stage is named.
    expect(report.stages?.grewMost).toBeNull();
    // The stacked chart uses the same means: outbox, broker and dispatch stack to 80 ms of the
    // 100 ms e2e in every bucket (at the bucket edges they would stack to 120).
    const timeline = await runTimeline(dir);
    const stacked = timeline.charts.find((c) => c.id === 'stages')?.lines.find((l) => l.label === 'dispatch');
    const values = (stacked?.values ?? []).filter((v): v is number => v !== null);
    expect(values.length).toBeGreaterThan(10);
    for (const v of values) expect(v).toBeCloseTo(80, 0);
  });

  it('stage means - without _sum/_count (an older folder) the bucket edges give the mean and the report says so', async () => {
    writeFolder(dir, false);
    const report = await buildRunReport(dir);
    const byStage = Object.fromEntries((report.stages?.stages ?? []).map((s) => [s.stage, s]));
    expect(byStage['broker wait']?.mean).toBeCloseTo(50, 1);
    expect(byStage['broker wait']?.share).toBeCloseTo(0.5, 3);
    expect(byStage.effect).toMatchObject({ mean: 0 });
    expect(byStage['broker wait']?.source).toContain('mean and percentiles at bucket upper edges');
  });
});
