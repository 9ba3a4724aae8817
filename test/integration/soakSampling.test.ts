// Leak and bloat sampling against the reference pipeline run as processes: the worker's RSS by pid
// and by its Prometheus endpoint, the outbox table's size, dead tuples, autovacuum count and query
// time, connections by application, the stream against its limits, and the broker wait. The worker
// runs with the test-only leak knob, so its RSS must grow by about the bytes it was told to keep.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CollectorSet, startCollectors } from '../../collectors/collectorSet.ts';
import { METRIC } from '../../record/metricCatalog.ts';
import { type GaugePoint, isGaugePoint, readSeries } from '../../record/series.ts';
import { ReferenceSupervisor } from '../../runner/referenceSupervisor.ts';
import { waitFor } from '../support/load.ts';
import { openLoad } from '../support/openLoad.ts';
import { createTestEnv, type TestEnv } from '../support/testEnv.ts';
import { testTarget } from '../support/testTarget.ts';

const LEAK_BYTES = 512 * 1024;
const RATE = 25;
const LOAD_MS = 8_000;
const EVENTS = (RATE * LOAD_MS) / 1000;
const MB = 1024 * 1024;

let t: TestEnv;
let supervisor: ReferenceSupervisor;
let runDir: string;
let collectors: CollectorSet | undefined;

beforeAll(async () => {
  t = await createTestEnv('soak_sampling', { WORKER_LEAK_BYTES_PER_EVENT: String(LEAK_BYTES) });
  supervisor = new ReferenceSupervisor({ env: { ...process.env, ...t.env } });
  await supervisor.start(['sink', 'gateway', 'relay', 'worker']);
  runDir = await mkdtemp(join(tmpdir(), 'pipesoak-soak-sampling-'));
}, 60_000);

afterAll(async () => {
  await collectors?.stop();
  await supervisor?.stopAll();
  await t?.teardown();
  if (runDir) await rm(runDir, { recursive: true, force: true });
});

function series(points: GaugePoint[], name: string, tags: Record<string, string> = {}): GaugePoint[] {
  return points
    .filter((p) => p.gauge === name && Object.entries(tags).every(([k, v]) => p.tags[k] === v))
    .sort((a, b) => a.t - b.t);
}

describe('soak sampling', () => {
  it('soak sampling - a leaking worker grows target.rss by about the leaked bytes; table, connection, stream and broker-wait samples are recorded', async () => {
    const { settings } = t;
    const workerPid = supervisor.pid('worker');
    const workerUrl = supervisor.url('worker');
    if (workerPid === undefined || workerUrl === undefined) throw new Error('worker not running');
    // A byte limit on the stream, so its use against the limit is sampled.
    const nc = await connect({ servers: settings.natsUrl });
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.update(settings.stream, { max_bytes: 64 * MB });
    } finally {
      await nc.close();
    }
    collectors = await startCollectors({
      runDir,
      target: testTarget(settings, { workerMetricsUrl: `${workerUrl}/metrics` }),
      intervalMs: 500,
      components: [{ pid: workerPid, component: 'worker' }],
      // The same worker seen through its endpoint, as for a target the harness did not start.
      scrapedRssComponent: 'worker-scraped',
    });
    const live = collectors;
    await waitFor(
      'a first worker RSS sample',
      async () => live.latestGauge(METRIC.targetRss, { component: 'worker' }),
      (v) => v !== undefined,
      10_000,
      100,
    );
    const load = await openLoad({
      gatewayUrl: supervisor.url('gateway') ?? '',
      ratePerSecond: RATE,
      durationMs: LOAD_MS,
      prefix: 'leak',
    });
    // A loaded shared host may time a few requests out; the leak is counted per completed event.
    expect(load.accepted, JSON.stringify(load.failures)).toBeGreaterThan(EVENTS / 2);
    await waitFor(
      'every accepted event completed',
      async () => live.completed(),
      (n) => n >= load.accepted,
      60_000,
      200,
    );
    // Two more samples after the last completion, so the final RSS includes every leaked buffer.
    await new Promise((r) => setTimeout(r, 1_200));
    await collectors.stop();

    const gauges = (await readSeries(collectors.seriesPath)).filter(isGaugePoint);
    const rss = series(gauges, METRIC.targetRss, { component: 'worker' });
    expect(rss.length).toBeGreaterThan(10);
    const growth = (rss.at(-1)?.value ?? 0) - (rss[0]?.value ?? 0);
    const completed = collectors.completed();
    const leaked = completed * LEAK_BYTES; // 100 MB when all 200 complete
    // About the leak: at least 80% of it is resident; the rest of the worker's own growth (JIT,
    // buffers, pools under load) stays below 60 MB.
    expect(growth).toBeGreaterThan(0.8 * leaked);
    expect(growth).toBeLessThan(leaked + 60 * MB);
    const scraped = series(gauges, METRIC.targetRss, { component: 'worker-scraped' });
    expect(scraped.length).toBeGreaterThan(5);
    // prom-client reads the same /proc value: within 10% of the pid sample taken at the same time.
    const lastScraped = scraped.at(-1)?.value ?? 0;
    expect(Math.abs(lastScraped - (rss.at(-1)?.value ?? 0))).toBeLessThan(0.1 * lastScraped);

    const bytes = series(gauges, METRIC.outboxTableBytes);
    expect(bytes.at(-1)?.value).toBeGreaterThan(bytes[0]?.value ?? Number.POSITIVE_INFINITY);
    // The relay updates every row once (published_at): dead tuples until vacuum runs.
    expect(Math.max(...series(gauges, METRIC.outboxDeadTuples).map((p) => p.value))).toBeGreaterThan(0);
    expect(series(gauges, METRIC.outboxAutovacuumCount).length).toBeGreaterThan(5);
    const queryTimes = series(gauges, METRIC.outboxQueryTime).map((p) => p.value);
    expect(queryTimes.length).toBeGreaterThan(10);
    expect(queryTimes.every((ms) => ms > 0 && ms < 5_000)).toBe(true);

    const worker = settings.workerAppName;
    const all = series(gauges, METRIC.dbConnections, { application: worker, state: 'all' });
    const idle = series(gauges, METRIC.dbConnections, { application: worker, state: 'idle' });
    expect(Math.max(...all.map((p) => p.value))).toBeGreaterThan(0);
    expect(idle.length).toBe(all.length);
    expect(idle.every((p, i) => p.value <= (all[i]?.value ?? 0))).toBe(true);

    const limit = series(gauges, METRIC.streamBytesLimit, { stream: settings.stream });
    expect(limit.at(-1)?.value).toBe(64 * MB);
    const used = series(gauges, METRIC.streamLimitUsed, { stream: settings.stream });
    const streamBytes = series(gauges, METRIC.streamBytes, { stream: settings.stream });
    expect(used.at(-1)?.value).toBeCloseTo((streamBytes.at(-1)?.value ?? -1) / (64 * MB), 6);
    expect(used.at(-1)?.value).toBeGreaterThan(0);

    // One broker wait per first delivery: every completed event was delivered once at least.
    expect(collectors.summaries()[METRIC.brokerWait]?.count).toBeGreaterThanOrEqual(completed);
  }, 120_000);
});
