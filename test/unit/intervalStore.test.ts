import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HlogWriter, readHlog } from '../../record/hlog.ts';
import { parseHlogTag } from '../../record/hlogTag.ts';
import { type IntervalSink, IntervalStore, type SeriesSink } from '../../record/intervalStore.ts';
import type { Tags } from '../../record/recorder.ts';
import { readSeries, SeriesWriter } from '../../record/series.ts';

const START_MS = 1_700_000_000_000;

class CountingSinks implements IntervalSink, SeriesSink {
  lines = 0;
  values = 0;
  gauges = 0;
  counters = 0;
  events = 0;
  writeInterval(_tag: string, _startMs: number, _endMs: number, snapshot: { count: number }): void {
    this.lines++;
    this.values += snapshot.count;
  }
  gauge(): void {
    this.gauges++;
  }
  counter(): void {
    this.counters++;
  }
  event(): void {
    this.events++;
  }
}

describe('interval store', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pipesoak-store-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('interval store - writes one hlog line per metric and tags per interval, and series lines', async () => {
    const hlogPath = join(dir, 'collectors.hlog');
    const seriesPath = join(dir, 'series.ndjson');
    const hlog = HlogWriter.open(hlogPath, START_MS);
    const series = SeriesWriter.open(seriesPath);
    const store = new IntervalStore({ hlog, series, startMs: START_MS });

    store.recordLatency('outbox.lag', 10);
    store.recordLatency('outbox.lag', 20);
    store.recordLatency('consumer.ack.latency', 5, { stream: 'EVENTS', consumer: 'sea-mq-worker' });
    store.gauge('outbox.pending', 12, undefined, START_MS + 500);
    store.gauge('db.connections', 3, { application: 'sea-sink', state: 'idle' }, START_MS + 600);
    store.event(
      'collector.gap.start',
      { collector: 'jetstream', error: new Error('connection refused') },
      START_MS + 700,
    );
    store.flush(START_MS + 1000);
    store.flush(START_MS + 2000); // an empty interval writes nothing
    store.recordLatency('outbox.lag', 30);
    store.flush(START_MS + 3000);
    hlog.close();
    series.close();

    const { intervals } = await readHlog(hlogPath);
    expect(
      intervals.map((i) => ({
        ...parseHlogTag(i.tag),
        startS: i.startS,
        lengthS: i.lengthS,
        count: i.snapshot.count,
      })),
    ).toEqual([
      { metric: 'outbox.lag', tags: {}, startS: 1_700_000_000, lengthS: 1, count: 2 },
      {
        metric: 'consumer.ack.latency',
        tags: { consumer: 'sea-mq-worker', stream: 'EVENTS' },
        startS: 1_700_000_000,
        lengthS: 1,
        count: 1,
      },
      { metric: 'outbox.lag', tags: {}, startS: 1_700_000_002, lengthS: 1, count: 1 },
    ]);
    expect(intervals[1]?.tag).toBe('consumer.ack.latency;consumer=sea-mq-worker;stream=EVENTS');

    expect(await readSeries(seriesPath)).toEqual([
      { t: START_MS + 500, gauge: 'outbox.pending', value: 12, tags: {} },
      {
        t: START_MS + 600,
        gauge: 'db.connections',
        value: 3,
        tags: { application: 'sea-sink', state: 'idle' },
      },
      {
        t: START_MS + 700,
        event: 'collector.gap.start',
        collector: 'jetstream',
        error: 'connection refused',
      },
    ]);

    const lag = store.summaries()['outbox.lag'];
    expect(lag?.count).toBe(3);
    expect(lag?.min).toBe(10);
    expect(lag?.p50).toBeCloseTo(20, 1);
    expect(store.total('consumer.ack.latency')?.count).toBe(1);
  });

  it('interval store - keeps the number of live snapshots bounded over 10^6 values in 1000 intervals', () => {
    const sinks = new CountingSinks();
    const store = new IntervalStore({ hlog: sinks, series: sinks, startMs: START_MS });
    const metrics = ['outbox.lag', 'e2e.latency', 'consumer.ack.latency'] as const;
    const states = ['idle', 'active'];
    let peakCurrent = 0;
    let recorded = 0;
    for (let interval = 0; interval < 1000; interval++) {
      for (let i = 0; i < 1000; i++) {
        const metric = metrics[i % metrics.length] ?? 'outbox.lag';
        const tags: Tags | undefined =
          metric === 'consumer.ack.latency' ? { state: states[i % 2] ?? 'idle' } : undefined;
        store.recordLatency(metric, (i % 500) + interval / 1000, tags);
        recorded++;
      }
      peakCurrent = Math.max(peakCurrent, store.liveSnapshots.current);
      store.flush(START_MS + (interval + 1) * 1000);
      expect(store.liveSnapshots).toEqual({ current: 0, totals: metrics.length });
    }
    expect(recorded).toBe(1_000_000);
    // outbox.lag, e2e.latency and two tag sets of consumer.ack.latency: never more, however long the run.
    expect(peakCurrent).toBe(4);
    expect(sinks.lines).toBe(4000);
    expect(sinks.values).toBe(1_000_000);
    const totalCount = metrics.reduce((sum, m) => sum + (store.total(m)?.count ?? 0), 0);
    expect(totalCount).toBe(1_000_000);
  });
});
