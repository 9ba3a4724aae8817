// Every collector at once against the reference pipeline under a steady open-model load, read back
// from the files a run leaves (collectors.hlog, series.ndjson) rather than from memory.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CollectorSet, startCollectors } from '../../collectors/collectorSet.ts';
import { HistogramSnapshot } from '../../record/histogramSnapshot.ts';
import { readHlog } from '../../record/hlog.ts';
import { parseHlogTag } from '../../record/hlogTag.ts';
import { type GaugePoint, isGaugePoint, readSeries } from '../../record/series.ts';
import { ReferenceSupervisor } from '../../runner/referenceSupervisor.ts';
import { waitFor } from '../support/load.ts';
import { openLoad } from '../support/openLoad.ts';
import { createTestEnv, type TestEnv } from '../support/testEnv.ts';
import { testTarget } from '../support/testTarget.ts';

const SINK_LATENCY_MS = 40;
const RATE = 50;
const LOAD_MS = 10_000;

let t: TestEnv;
let supervisor: ReferenceSupervisor;
let runDir: string;
let collectors: CollectorSet | undefined;

beforeAll(async () => {
  t = await createTestEnv('collectors_e2e', { SINK_LATENCY_MS: String(SINK_LATENCY_MS) });
  supervisor = new ReferenceSupervisor({ env: { ...process.env, ...t.env } });
  await supervisor.start();
  runDir = await mkdtemp(join(tmpdir(), 'pipesoak-collectors-e2e-'));
});

afterAll(async () => {
  await collectors?.stop();
  await supervisor?.stopAll();
  await t?.teardown();
  if (runDir) await rm(runDir, { recursive: true, force: true });
});

/** Every interval of a metric in the log, merged over tags and intervals. */
function totals(intervals: Awaited<ReturnType<typeof readHlog>>['intervals']) {
  const byMetric = new Map<string, { snapshot: HistogramSnapshot; intervals: number }>();
  for (const interval of intervals) {
    const { metric } = parseHlogTag(interval.tag);
    const entry = byMetric.get(metric) ?? { snapshot: HistogramSnapshot.empty(), intervals: 0 };
    entry.snapshot.merge(interval.snapshot);
    entry.intervals++;
    byMetric.set(metric, entry);
  }
  return byMetric;
}

function series(points: GaugePoint[], name: string, tags: Record<string, string> = {}): GaugePoint[] {
  return points
    .filter((p) => p.gauge === name && Object.entries(tags).every(([k, v]) => p.tags[k] === v))
    .sort((a, b) => a.t - b.t);
}

describe('collectors end to end', () => {
  it('collectors - record every accepted event as e2e, outbox and dispatch latency and a drained queue, in the run files', async () => {
    const { settings } = t;
    const workerUrl = supervisor.url('worker');
    const workerPid = supervisor.pid('worker');
    expect(workerUrl).toBeDefined();
    collectors = await startCollectors({
      runDir,
      target: testTarget(settings, { workerMetricsUrl: `${workerUrl}/metrics` }),
      intervalMs: 500,
      processes: workerPid === undefined ? [] : [{ pid: workerPid, label: 'worker' }],
    });
    expect(collectors.kinds).toEqual(['outbox', 'pool', 'jetstream', 'prometheus', 'completion', 'harness']);

    const load = await openLoad({
      gatewayUrl: supervisor.url('gateway') ?? '',
      ratePerSecond: RATE,
      durationMs: LOAD_MS,
      prefix: 'e2e',
    });
    expect(load.failures).toEqual({});
    expect(load.accepted).toBe(RATE * (LOAD_MS / 1000));
    const accepted = load.accepted;

    // Drained: every completion seen by the probe (it reads them a settle window late), every
    // publish and dispatch observed, and the queues sampled empty.
    const live = collectors;
    await waitFor(
      'the collectors to see the drain',
      async () => ({
        completed: live.completed(),
        lag: live.latencyCount('outbox.lag'),
        dispatch: live.latencyCount('dispatch.latency'),
        outboxPending: live.latestGauge('outbox.pending'),
        consumerPending: live.latestGauge('consumer.pending', { consumer: settings.consumer }),
      }),
      (s) =>
        s.completed >= accepted &&
        s.lag >= accepted &&
        s.dispatch >= accepted &&
        s.outboxPending === 0 &&
        s.consumerPending === 0,
      30_000,
      100,
    );
    await collectors.stop();
    const inMemory = collectors.summaries();
    expect(collectors.stats().every((s) => s.started)).toBe(true);

    const hlog = await readHlog(collectors.hlogPath);
    const latencies = totals(hlog.intervals);
    const e2e = latencies.get('e2e.latency');
    expect(e2e?.snapshot.count).toBe(accepted);
    const e2eSummary = e2e?.snapshot.summary();
    expect(e2eSummary?.p50).toBeGreaterThan(SINK_LATENCY_MS);
    expect(e2eSummary?.p50).toBeLessThan(1000);
    // Flushed per interval, not once at the end: a 10 s load spans many 500 ms intervals.
    expect(e2e?.intervals).toBeGreaterThanOrEqual(8);
    expect(inMemory['e2e.latency']?.count).toBe(accepted);
    expect(inMemory['e2e.latency']?.p50).toBe(e2eSummary?.p50);

    expect(latencies.get('outbox.lag')?.snapshot.count).toBe(accepted);
    expect(latencies.get('dispatch.latency')?.snapshot.count).toBe(accepted);
    // Recorded at the bucket's upper bound: the sink's 40 ms puts every dispatch at 50 ms or above.
    expect(latencies.get('dispatch.latency')?.snapshot.summary().p50).toBeGreaterThanOrEqual(50);
    expect(latencies.get('consumer.ack.latency')?.snapshot.count).toBeGreaterThan(0);

    const gauges = (await readSeries(collectors.seriesPath)).filter(isGaugePoint);
    const workerConnections = series(gauges, 'db.connections', {
      application: settings.workerAppName,
      state: 'all',
    });
    expect(workerConnections.length).toBeGreaterThan(10);
    expect(Math.max(...workerConnections.map((p) => p.value))).toBeGreaterThan(0);
    expect(Math.max(...workerConnections.map((p) => p.value))).toBeLessThanOrEqual(10);

    const outboxPending = series(gauges, 'outbox.pending');
    expect(outboxPending.at(-1)?.value).toBe(0);
    const consumerPending = series(gauges, 'consumer.pending', {
      stream: settings.stream,
      consumer: settings.consumer,
    });
    expect(consumerPending.at(-1)?.value).toBe(0);

    const harnessRss = series(gauges, 'harness.rss', { process: 'harness' });
    expect(harnessRss.length).toBeGreaterThan(10);
    expect(harnessRss.every((p) => p.value > 10 * 1024 * 1024)).toBe(true);
    expect(series(gauges, 'harness.rss', { process: 'worker' }).at(-1)?.value).toBeGreaterThan(0);
  }, 90_000);
});
