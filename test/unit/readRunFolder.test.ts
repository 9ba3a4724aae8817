// The one reader of a run folder: the summary, the stage buckets, the timeline and recovery read
// one folder in one pass and agree on its steady window (reports/steadyWindow.ts), at the edges
// where the old readers did not: an interval that starts in warm-up but has its midpoint after it,
// a counter line stamped at the warm-up's end, a gauge point at the steady start, set-up intervals
// before run.start.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HistogramSnapshot } from '../../record/histogramSnapshot.ts';
import { HlogWriter } from '../../record/hlog.ts';
import { formatHlogTag } from '../../record/hlogTag.ts';
import { SeriesWriter } from '../../record/series.ts';
import { LatencyTimelineFold } from '../../reports/latencyTimeline.ts';
import { readRunFolder } from '../../reports/readRunFolder.ts';
import { recoveryReading } from '../../reports/recovery.ts';
import { reportReading } from '../../reports/runReport.ts';
import { timelineReading } from '../../reports/runTimeline.ts';
import { intervalIn } from '../../reports/steadyWindow.ts';
import { SummaryFold } from '../../reports/summarizeRunFolder.ts';

const T0 = 1_700_000_000_000;
const WARM_UP_MS = 5_000;
const SECONDS = 40;
/** Intervals start 600 ms off the run's seconds, as collectors started before run.start do. */
const OFFSET_MS = 600;
const WARM = 3_000;
const STEADY = 10;
const FAULT = 1_000;

function writeFolder(dir: string): void {
  const series = SeriesWriter.open(join(dir, 'series.ndjson'));
  // Set-up before run.start: collectors already sampling.
  series.gauge('consumer.pending', 900, { stream: 'EVENTS', consumer: 'w' }, T0 - 500);
  series.event('run.start', { id: 'edge', scenario: 's', warmUpMs: WARM_UP_MS }, T0);
  for (let ms = 0; ms <= SECONDS * 1000; ms += 100) {
    if (ms === 15_000) series.event('fault.start', { id: 'pause', what: 'pause', where: 'nats' }, T0 + ms);
    if (ms === 20_000) series.event('fault.end', { id: 'pause' }, T0 + ms);
    const backlog = ms < WARM_UP_MS ? 700 : ms >= 15_000 && ms < 22_000 ? 400 : 3;
    series.gauge('consumer.pending', backlog, { stream: 'EVENTS', consumer: 'w' }, T0 + ms);
    series.gauge('outbox.pending', 1, undefined, T0 + ms);
    // A line a second stamped at the end of the second it counts: the one at 5 s counts warm-up.
    if (ms > 0 && ms % 1000 === 0)
      series.counter('http.requests', ms <= WARM_UP_MS ? 1000 : 10, { status: '202' }, T0 + ms);
  }
  series.event('run.end', {}, T0 + SECONDS * 1000);
  series.close();
  const hlog = HlogWriter.open(join(dir, 'collectors.hlog'), T0 - 2000);
  for (let ms = OFFSET_MS - 2000; ms < SECONDS * 1000; ms += 1000) {
    const value = ms < WARM_UP_MS ? WARM : ms >= 15_000 && ms < 22_000 ? FAULT : STEADY;
    const s = HistogramSnapshot.empty();
    for (let i = 0; i < 10; i++) s.record(value);
    hlog.writeInterval(formatHlogTag('e2e.latency', { source: 'test' }), T0 + ms, T0 + ms + 1000, s);
  }
  hlog.close();
}

describe('read run folder', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pipesoak-read-run-folder-'));
    writeFolder(dir);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('read run folder - summary, stage buckets, timeline and recovery agree on the steady window', async () => {
    const summary = new SummaryFold();
    const report = reportReading();
    const timeline = timelineReading();
    // Latencies stamped when they were recorded (the lag and tail rules have tests of their own).
    const recovery = recoveryReading({ recordLagMs: {}, tailMs: 0 });
    // The steady window as a plain count: every interval whose start is at or after 5 s.
    const steadyBuckets = new LatencyTimelineFold(['e2e.latency'], ({ window }) => ({
      fromMs: window.steadyStartMs,
      bucketS: 1,
    }));
    const run = await readRunFolder(dir, [
      summary,
      ...report.folds,
      ...timeline.folds,
      ...recovery.folds,
      steadyBuckets,
    ]);
    expect(run.window.steadyStartMs).toBe(T0 + WARM_UP_MS);

    // Steady intervals start at 5.6 s, 6.6 s, … 39.6 s: 35 of them, 10 samples each. The one at
    // 4.6 s starts in warm-up though its midpoint (5.1 s) is after it.
    const steadyCount = 35 * 10;
    const { summary: s, meta } = summary.result(run);
    expect(s.metrics['e2e.latency']?.count).toBe(steadyCount);
    expect(s.metrics['e2e.latency']?.max).toBeLessThan(WARM);
    // Counters: the line at 5 s counted the warm-up's last second; 35 steady lines of 10.
    expect(s.counters['http.requests']).toBe(350);
    // Gauges: the point at exactly 5 s is steady; the set-up point before run.start is not.
    expect(s.gauges['consumer.pending']?.samples).toBe(351);
    expect(s.gauges['consumer.pending']?.max).toBe(400);
    expect(meta.warmUpMs).toBe(WARM_UP_MS);

    // The stage buckets of report.json cover the same intervals.
    const json = report.report(run);
    expect(json.metrics['e2e.latency']?.count).toBe(steadyCount);
    const perBucket = steadyBuckets.buckets().get('e2e.latency');
    expect(perBucket?.count.reduce((a, b) => a + b, 0)).toBe(steadyCount);
    expect(perBucket?.buckets[0]).toBe(0);

    // Recovery: every steady interval is inside the fault's impact window or outside it, and none
    // of the warm-up (the old reader judged warm-up by the midpoint and took the 4.6 s one).
    const [fault, ...more] = recovery.recovery(run);
    expect(more).toEqual([]);
    const e2eIn = fault?.inside['e2e.latency'];
    const e2eOut = fault?.outside['e2e.latency'];
    expect((e2eIn?.count ?? 0) + (e2eOut?.count ?? 0)).toBe(steadyCount);
    expect(e2eOut?.p99).toBeLessThan(WARM);
    // Its bound comes from the steady gauge before the fault (3 × 1.5, at least 10), not the
    // warm-up's 700 nor the set-up's 900.
    expect(fault?.bounds['consumer.pending']).toBe(10);
    expect(fault?.recoveredAtMs).toBe(T0 + 22_000);

    // The timeline shades the same warm-up and fault, and charts nothing of the set-up.
    const t = timeline.timeline(run);
    expect(t.warmUpS).toBe(WARM_UP_MS / 1000);
    expect(t.faults).toEqual([
      { id: 'pause', fromS: 15, what: 'pause', where: 'nats', toS: 20, open: false },
    ]);
    const e2eChart = t.charts.find((c) => c.id === 'e2e-latency');
    // The set-up intervals (from -1.4 s and -0.4 s) are not charted; the old reader drew them at x < 0.
    expect(e2eChart?.x[0]).toBe(0);
    const consumerChart = t.charts.find((c) => c.id === 'consumer-pending');
    expect(consumerChart?.lines[0]?.values[0]).toBe(700);
  });

  it('read run folder - folds read beside the summary change nothing of it', async () => {
    const { summary: alone } = await (async () => {
      const fold = new SummaryFold();
      return fold.result(await readRunFolder(dir, [fold]));
    })();
    const together = new SummaryFold();
    const timeline = timelineReading();
    const run = await readRunFolder(dir, [together, ...timeline.folds, ...recoveryReading().folds]);
    // Other folds beside it change nothing of the summary.
    expect(together.result(run).summary).toEqual(alone);
  });

  it('read run folder - an interval the writer started at the window instant belongs to it, in whole ms', () => {
    // The engine's start instant has a fraction of a ms; the hlog writes the interval's start in ms.
    const steadyStartMs = 1_796_174_756_136.9631;
    expect(intervalIn(1_796_174_756.137, steadyStartMs)).toBe(true);
    expect(intervalIn(1_796_174_756.136, steadyStartMs)).toBe(false);
    const later = 1_796_174_756_137.6;
    expect(intervalIn(1_796_174_756.138, later)).toBe(true);
    expect(intervalIn(1_796_174_756.137, later)).toBe(false);
  });
});
