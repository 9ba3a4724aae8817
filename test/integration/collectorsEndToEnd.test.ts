// Every collector at once against the reference pipeline under the engine's steady scenario
// (runScenario, as `pipesoak run` does), read back from the files the run leaves (collectors.hlog,
// series.ndjson, report.json) rather than from memory. With collectors.otel.endpoint set, a real
// OTLP/HTTP receiver gets the engine's counters and latency histograms as well as the collectors'.
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HistogramSnapshot } from '../../record/histogramSnapshot.ts';
import { readHlog } from '../../record/hlog.ts';
import { parseHlogTag } from '../../record/hlogTag.ts';
import { RUN_FILES } from '../../record/runFiles.ts';
import { type GaugePoint, isGaugePoint, readSeries } from '../../record/series.ts';
import { ReferenceSupervisor } from '../../runner/referenceSupervisor.ts';
import { runScenario } from '../../runner/run/runScenario.ts';
import { bufferOut, runConfig } from '../support/runTarget.ts';
import { createTestEnv, type TestEnv } from '../support/testEnv.ts';

const SINK_LATENCY_MS = 40;
// Well under what the reference sustains even on a loaded 2-core host (about 40/s at load 20).
const RATE = 30;
const LOAD_MS = 10_000;

let t: TestEnv;
let supervisor: ReferenceSupervisor;
let runDir: string;

beforeAll(async () => {
  t = await createTestEnv('collectors_e2e', { SINK_LATENCY_MS: String(SINK_LATENCY_MS) });
  supervisor = new ReferenceSupervisor({ env: { ...process.env, ...t.env } });
  await supervisor.start();
  runDir = await mkdtemp(join(tmpdir(), 'pipesoak-collectors-e2e-'));
});

afterAll(async () => {
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

// OTLP/JSON, only the parts asserted on (int64 fields may arrive as strings).
interface OtlpPoint {
  asInt?: number | string;
  asDouble?: number;
  count?: number | string;
  sum?: number;
}
interface OtlpMetric {
  name: string;
  histogram?: { dataPoints: OtlpPoint[] };
  sum?: { dataPoints: OtlpPoint[] };
}
interface OtlpRequest {
  resourceMetrics: { scopeMetrics: { metrics: OtlpMetric[] }[] }[];
}

/** An OTLP/HTTP receiver on a free port, keeping every request body. */
async function otlpReceiver(): Promise<{ endpoint: string; bodies: OtlpRequest[]; close(): Promise<void> }> {
  const bodies: OtlpRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpRequest);
      res.setHeader('content-type', 'application/json');
      res.end('{}');
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bodies,
    close: () => new Promise((done) => server.close(() => done())),
  };
}

/** A metric's total over its data points in the last export (cumulative temporality). */
function otlpTotal(bodies: OtlpRequest[], name: string): { count: number; sum: number } | undefined {
  const metrics = bodies.flatMap((b) =>
    b.resourceMetrics.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics)),
  );
  const last = metrics.filter((m) => m.name === name).at(-1);
  if (last === undefined) return undefined;
  const points = last.histogram?.dataPoints ?? last.sum?.dataPoints ?? [];
  return {
    count: points.reduce((n, p) => n + Number(p.count ?? p.asInt ?? p.asDouble ?? 0), 0),
    sum: points.reduce((n, p) => n + (p.sum ?? 0), 0),
  };
}

describe('collectors end to end', () => {
  it('collectors - record every accepted event as e2e, outbox and dispatch latency and a drained queue, in the run files', async () => {
    const { settings } = t;
    const workerPid = supervisor.pid('worker');
    expect(workerPid).toBeDefined();
    const out = bufferOut();
    const wallStart = Date.now();
    const {
      report,
      engine,
      runDir: dir,
    } = await runScenario({
      scenarioPath: 'scenarios/steady.ts',
      // No warm-up: the report's steady window is the whole run, as the files are.
      flags: { rate: String(RATE), duration: `${LOAD_MS / 1000}s`, warmUp: '0s', out: join(runDir, 'run') },
      config: runConfig(t, supervisor),
      out,
      handleSignals: false,
      processes: workerPid === undefined ? [] : [{ pid: workerPid, label: 'worker' }],
    });
    const wallMs = Date.now() - wallStart;
    expect(engine?.errors, out.text()).toEqual({});
    expect(engine?.accepted).toBe(RATE * (LOAD_MS / 1000));
    const accepted = engine?.accepted ?? 0;
    // The run drained before counting: every accepted event completed, none twice.
    expect(report.integrity).toMatchObject({ accepted, completed: accepted, lost: 0, duplicated: 0 });
    const inMemory = report.metrics;

    const hlog = await readHlog(join(dir, RUN_FILES.collectorsHlog));
    const latencies = totals(hlog.intervals);
    const e2e = latencies.get('e2e.latency');
    expect(e2e?.snapshot.count).toBe(accepted);
    const e2eSummary = e2e?.snapshot.summary();
    // Milliseconds from acceptance to the sink's fact: at least the sink's added latency, and no event
    // took longer than the whole run (a seconds/ms or µs/ms mix-up breaks one or the other). How far
    // below that it is depends on the host's load, not on the collector.
    expect(e2eSummary?.p50).toBeGreaterThan(SINK_LATENCY_MS);
    expect(e2eSummary?.max).toBeLessThan(wallMs);
    // Flushed per interval, not once at the end: a 10 s load spans many 500 ms intervals.
    expect(e2e?.intervals).toBeGreaterThanOrEqual(8);
    expect(inMemory['e2e.latency']?.count).toBe(accepted);
    expect(inMemory['e2e.latency']?.p50).toBe(e2eSummary?.p50);

    expect(latencies.get('outbox.lag')?.snapshot.count).toBe(accepted);
    expect(latencies.get('dispatch.latency')?.snapshot.count).toBe(accepted);
    // Recorded at the bucket's upper bound: the sink's 40 ms puts every dispatch at 50 ms or above.
    expect(latencies.get('dispatch.latency')?.snapshot.summary().p50).toBeGreaterThanOrEqual(50);
    expect(latencies.get('consumer.ack.latency')?.snapshot.count).toBeGreaterThan(0);

    const gauges = (await readSeries(join(dir, RUN_FILES.series))).filter(isGaugePoint);
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
  }, 180_000);

  it("collectors - with collectors.otel.endpoint the engine's counters and latency histograms reach an OTLP receiver", async () => {
    const receiver = await otlpReceiver();
    try {
      const out = bufferOut();
      const rate = 20;
      const seconds = 3;
      const { engine, runDir: dir } = await runScenario({
        scenarioPath: 'scenarios/steady.ts',
        flags: { rate: String(rate), duration: `${seconds}s`, warmUp: '0s', out: join(runDir, 'otel') },
        config: runConfig(t, supervisor, {
          collectors: { interval: '500ms', otel: { endpoint: receiver.endpoint } },
        }),
        out,
        handleSignals: false,
      });
      expect(engine?.iterations, out.text()).toBe(rate * seconds);
      // The same counts as the run's own files: every engine interval was exported, once.
      const load = totals((await readHlog(join(dir, RUN_FILES.loadHlog))).intervals);
      const gateway = load.get('gateway.latency')?.snapshot;
      expect(gateway?.count).toBe(rate * seconds);
      const exported = otlpTotal(receiver.bodies, 'gateway.latency');
      expect(exported?.count, JSON.stringify(receiver.bodies.length)).toBe(gateway?.count);
      // Values are exported at their HDR bucket's upper bound: the sum is the mean's, to 0.1%.
      const mean = gateway?.summary().mean ?? 0;
      expect(Math.abs((exported?.sum ?? 0) / (exported?.count ?? 1) - mean)).toBeLessThanOrEqual(
        mean * 0.002,
      );
      expect(otlpTotal(receiver.bodies, 'iteration.delay')?.count).toBe(
        load.get('iteration.delay')?.snapshot.count,
      );
      expect(otlpTotal(receiver.bodies, 'load.iterations')?.count).toBe(rate * seconds);
      // The collectors' own export still runs beside it.
      expect(otlpTotal(receiver.bodies, 'e2e.latency')?.count).toBe(engine?.accepted);
    } finally {
      await receiver.close();
    }
  }, 120_000);
});
