import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HistogramSnapshot } from '../../record/histogramSnapshot.ts';
import { readHlog } from '../../record/hlog.ts';
import { parseHlogTag } from '../../record/hlogTag.ts';
import { SeriesWriter } from '../../record/series.ts';
import { LatencyTimelineFold } from '../../reports/latencyTimeline.ts';
import { readRunFolder } from '../../reports/readRunFolder.ts';
import { MAX_POINTS, runTimeline } from '../../reports/runTimeline.ts';
import { SYNTHETIC_START_MS, writeSyntheticRunFolder } from '../support/syntheticRunFolder.ts';

describe('run timeline', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pipesoak-timeline-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('run timeline - a bucket merges its intervals exactly, it does not average percentiles', async () => {
    writeSyntheticRunFolder(dir, { seconds: 120, metrics: ['e2e.latency'], variety: 5, extraSamples: 30 });
    const bucketS = 7;
    const path = join(dir, 'collectors.hlog');
    const fold = new LatencyTimelineFold(['e2e.latency'], () => ({ fromMs: SYNTHETIC_START_MS, bucketS }));
    await readRunFolder(dir, [fold]);
    const timeline = fold.buckets().get('e2e.latency');
    // The same buckets the slow way: decode every interval and merge snapshots.
    const merged = new Map<number, HistogramSnapshot>();
    for (const interval of (await readHlog(path)).intervals) {
      expect(parseHlogTag(interval.tag).metric).toBe('e2e.latency');
      const bucket = Math.floor((interval.startS - SYNTHETIC_START_MS / 1000) / bucketS);
      merged.set(bucket, (merged.get(bucket) ?? HistogramSnapshot.empty()).merge(interval.snapshot));
    }
    const buckets = [...merged.keys()].sort((a, b) => a - b);
    expect(timeline?.buckets).toEqual(buckets);
    const summaries = buckets.map((b) => merged.get(b)?.summary());
    expect(timeline?.count).toEqual(summaries.map((s) => s?.count));
    expect(timeline?.p50).toEqual(summaries.map((s) => s?.p50));
    expect(timeline?.p90).toEqual(summaries.map((s) => s?.p90));
    expect(timeline?.p99).toEqual(summaries.map((s) => s?.p99));
    // 120 s in 7 s buckets: 17 full ones and a last one of 1 s.
    expect(timeline?.coveredS.slice(0, 2)).toEqual([7, 7]);
    expect(timeline?.coveredS.at(-1)).toBe(1);
  });

  it('run timeline - a long run stays under MAX_POINTS a line; rates, gauges and faults line up', async () => {
    const seconds = 5000;
    writeSyntheticRunFolder(dir, { seconds, warmUpS: 20, metrics: ['gateway.latency'] });
    const series = SeriesWriter.open(join(dir, 'series.ndjson'));
    series.event(
      'fault.start',
      { id: 'kill-worker', what: 'kill', where: 'worker' },
      SYNTHETIC_START_MS + 600_000,
    );
    series.event('fault.end', { id: 'kill-worker' }, SYNTHETIC_START_MS + 660_000);
    series.event(
      'fault.start',
      { id: 'slow-db', what: 'latency', where: 'postgres' },
      SYNTHETIC_START_MS + 4_000_000,
    );
    series.close();
    const t = await runTimeline(dir);
    // run.end comes 1 s after the last interval: a 5001 s run.
    expect(t.durationS).toBe(seconds + 1);
    expect(t.bucketS).toBe(3);
    expect(t.warmUpS).toBe(20);
    expect(t.faults).toEqual([
      { id: 'kill-worker', what: 'kill', where: 'worker', fromS: 600, toS: 660, open: false },
      { id: 'slow-db', what: 'latency', where: 'postgres', fromS: 4000, toS: 5001, open: true },
    ]);
    expect(t.notes).toEqual(['fault slow-db never ended (no fault.end): shaded to the end of the run']);
    const chart = new Map(t.charts.map((c) => [c.id, c]));
    for (const c of t.charts) {
      expect(c.x.length, c.id).toBeLessThanOrEqual(MAX_POINTS);
      for (const line of c.lines) expect(line.values).toHaveLength(c.x.length);
    }
    // No engine counters here: achieved is http.requests, 100 a second in every bucket; one drop a
    // second in warm-up makes offered 101 there; an error every 10 s shows as errors.
    const rate = chart.get('throughput');
    expect(rate?.lines.map((l) => l.label)).toEqual(['offered', 'achieved', 'errors']);
    expect(new Set(rate?.lines[1]?.values)).toEqual(new Set([100]));
    expect(rate?.lines[0]?.values.slice(0, 6)).toEqual([101, 101, 101, 101, 101, 101]);
    expect(new Set(rate?.lines[0]?.values.slice(7))).toEqual(new Set([100]));
    expect(chart.get('gateway-latency')?.lines.map((l) => l.label)).toEqual(['p50', 'p90', 'p99']);
    expect(chart.get('gateway-latency')?.x.length).toBe(Math.ceil(seconds / 3));
    // Depth gauges keep the bucket's peak: consumer.pending alternates 20 and 21.
    const consumer = chart.get('consumer-pending');
    expect(consumer?.lines.map((l) => l.label)).toEqual(['consumer.pending', 'consumer.ack_pending']);
    expect(consumer?.lines[0]?.values.slice(10, 13)).toEqual([21, 21, 21]);
    // db.connections: a line per application, state=all only.
    expect(chart.get('db-connections')?.lines.map((l) => [l.label, l.values.at(-1)])).toEqual([
      ['db.connections sea-gateway', 3],
      ['db.connections sea-mq-worker', 7],
    ]);
    expect(chart.get('e2e-latency')).toMatchObject({
      lines: [],
      x: [],
      noData: 'no data: the run recorded no e2e.latency samples',
    });
  });

  it('run timeline - achieved comes from iteration.delay, else the counters, else gateway.latency sample counts', async () => {
    writeSyntheticRunFolder(dir, {
      seconds: 30,
      metrics: ['gateway.latency', 'iteration.delay', 'e2e.latency'],
    });
    const first = (await runTimeline(dir)).charts[0];
    expect(first?.id).toBe('throughput');
    expect(first?.source).toBe(
      'per second: offered = achieved + load.dropped_iterations; achieved = iteration.delay samples; completed = e2e.latency samples; errors = http.errors',
    );
    // 10 samples a second in each synthetic interval; the errors line is 0.1/s on average.
    expect(first?.lines.map((l) => [l.label, Math.max(...(l.values as number[]))])).toEqual([
      ['offered', 10],
      ['achieved', 10],
      ['completed', 10],
      ['errors', 1],
    ]);
    writeSyntheticRunFolder(dir, { seconds: 30, metrics: ['gateway.latency'] });
    const t = await runTimeline(dir);
    expect(t.charts[0]?.source).toBe(
      'per second: offered = achieved + load.dropped_iterations; achieved = http.requests (no load.iterations); errors = http.errors',
    );
    // Rewrite the series without the HTTP counters.
    const path = join(dir, 'series.ndjson');
    const kept = readFileSync(path, 'utf8')
      .split('\n')
      .filter((l) => !l.includes('"http.requests"') && !l.includes('"http.errors"'));
    writeFileSync(path, kept.join('\n'));
    const fallback = (await runTimeline(dir)).charts[0];
    expect(fallback?.source).toBe(
      'per second: offered = achieved + load.dropped_iterations; achieved = gateway.latency samples (no load.iterations)',
    );
    // The synthetic gateway.latency interval holds 10 samples a second.
    expect(new Set(fallback?.lines[1]?.values.filter((v) => v !== null))).toEqual(new Set([10]));
  });
});
