// The three ground truths of issue 13, one reference pipeline (its own database and streams) for
// all of them, at rates a loaded 2-core host carries (the unthrottled reference carried 23-115
// events/s here under other engineers' load, so the issue's example figures, 150/s and a 50 ms
// sink, would measure the host, not the knob):
//   - generator-bound: one engine worker against a target that answers at once (a server in its
//     own process) cannot be the pipeline's limit, so the search names the generator, loop busy;
//   - a known cap: the worker throttled to 30 events/s is found within 10%;
//   - a known sweep: a 400 ms sink makes the pool the bottleneck; pool 4 carries about 4x pool 1.
// Steps of 8 s with a 2 s warm-up (test/support/capacityPipeline.ts); PIPESOAK_CAPACITY_STEP=60s
// gives real durations; GT_KEEP=1 keeps the step folders (read a step's report.json for its verdict).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCapacity } from '../../runner/capacity/capacityRun.ts';
import { makeRealRunStep } from '../../runner/capacity/realRunStep.ts';
import { referenceWorkerApply } from '../../runner/capacity/referenceWorkerApply.ts';
import { parseSweep } from '../../runner/capacity/sweepAxes.ts';
import {
  CAPACITY_SCENARIO,
  CAPACITY_SEARCH,
  CAPACITY_STEP,
  type CapacityPipeline,
  startCapacityPipeline,
} from '../support/capacityPipeline.ts';

const root = mkdtempSync(join(tmpdir(), 'pipesoak-capacity-gt-'));
let pipeline: CapacityPipeline;
let cheap: { proc: ChildProcess; url: string };

beforeAll(async () => {
  pipeline = await startCapacityPipeline('cap_gt');
  cheap = await cheapServer();
}, 120_000);

afterAll(async () => {
  cheap?.proc.kill('SIGTERM');
  await pipeline?.stop();
  if (process.env.GT_KEEP === undefined) rmSync(root, { recursive: true, force: true });
}, 60_000);

describe('capacity ground truth: a generator-bound search', () => {
  it('reports the generator as the limit with one engine worker against a target that answers at once', async () => {
    const lines: string[] = [];
    const config = pipeline.configFor(cheap.url);
    const runStep = await makeRealRunStep({
      scenarioPath: CAPACITY_SCENARIO,
      // VUs to spare, so the limit is the worker thread's loop and not the VU count (drops for want
      // of a free VU would say too few VUs, not a busy generator).
      config: { ...config, load: { ...config.load, vus: { preAllocated: 500, max: 20_000 } } },
      workers: 1,
    });
    const result = await runCapacity({
      dir: join(root, 'generator'),
      scenario: CAPACITY_SCENARIO,
      // Far more than one worker thread can start: its event loop is busy all the time.
      search: { ...CAPACITY_SEARCH, startRate: 20_000, maxRate: 200_000, factor: 4 },
      step: CAPACITY_STEP,
      sweep: [],
      runStep,
      onProgress: (l) => lines.push(l),
    });
    const r = result.combos[0]?.result;
    expect(r?.conclusion, lines.join('\n')).toBe('generator-limit');
    expect(r?.criterion).toBe('generator-saturated');
    expect(r?.sustainableRate).toBeNull();
    expect(r?.note).toContain('--workers');
    // The search may step down before the generator's loop is busy through a whole streak (a quiet
    // host lets one thread get further): the failing step is the last attempt at the failing rate.
    const failingRate = r?.failingRate ?? 0;
    expect(failingRate).toBeGreaterThanOrEqual(5_000);
    const step = result.combos[0]?.steps.filter((s) => s.rate === failingRate).at(-1);
    expect(step?.failed[0]).toBe('generator-saturated');
    expect(step?.reasons[0]).toMatch(/generator saturated from \d+ s, .*loop busy up to (9[5-9]|100)%/);
  }, 300_000);
});

describe('capacity ground truth: a known cap and a known sweep', () => {
  it('finds a worker throttled to 30 events/s within 10%, its consumer backlog piling up above it', async () => {
    const lines: string[] = [];
    const why = () => lines.join('\n');
    const { supervisor, config } = pipeline;
    await supervisor.restart('worker', { WORKER_THROTTLE_EPS: String(THROTTLE) });
    const runStep = await makeRealRunStep({ scenarioPath: CAPACITY_SCENARIO, config });
    // A freshly restarted worker (pool connections opening, code cold) falls a second behind on its
    // first events; at 92% of the throttle that backlog drains at only 2.5/s, so the search's first
    // step carried it all along (measured: e2e p50 1.3 s at 27.5/s, consumer pending mean 9, in 3
    // of 6 runs). One step at a third of the throttle warms it first.
    await runCapacity({
      dir: join(root, 'prime'),
      scenario: CAPACITY_SCENARIO,
      search: { ...CAPACITY_SEARCH, startRate: 10, maxRate: 10, minRate: 10, maxSteps: 1 },
      step: CAPACITY_STEP,
      sweep: [],
      runStep,
      onProgress: (l) => lines.push(l),
    });
    // CAPACITY_SEARCH: 27.5 (below the throttle), 33 (10% above), then 30.25 between them.
    const throttled = await runCapacity({
      dir: join(root, 'throttled'),
      scenario: CAPACITY_SCENARIO,
      search: CAPACITY_SEARCH,
      step: CAPACITY_STEP,
      sweep: [],
      runStep,
      onProgress: (l) => lines.push(l),
    });
    const r = throttled.combos[0]?.result;
    expect(r?.conclusion, why()).toBe('found');
    expect(Math.abs((r?.sustainableRate ?? 0) - THROTTLE) / THROTTLE, why()).toBeLessThanOrEqual(0.1);
    // Above the throttle the consumer's backlog grows (drift) and e2e latency with it.
    expect(['backlog-drift', 'slo'], why()).toContain(r?.criterion);
    const failing = r?.failingRate ?? 0;
    expect(failing, why()).toBeGreaterThan(THROTTLE);
    // The throttle is what failed: at the failing rate the consumer's pending (events JetStream
    // holds for the worker) piled up, at the sustainable one it stayed a handful. Unthrottled this
    // host carries only ~25-35 events/s under other engineers' load, so a step at 2 x the throttle
    // is not a ground truth here (measured: 33/s unthrottled failed its latency SLOs at load 11).
    const steps = throttled.combos[0]?.steps ?? [];
    const pendingMax = (rate: number | null) => {
      const step = [...steps].reverse().find((x) => x.rate === rate);
      const report = JSON.parse(
        readFileSync(join(root, 'throttled', step?.runDir ?? '', 'report.json'), 'utf8'),
      );
      return report.gauges['consumer.pending']?.max ?? 0;
    };
    // Measured: 14-39 at 33/s against 0-8 at the sustainable step (the worker's own buffer holds
    // 20 pulled events before JetStream's pending grows).
    expect(pendingMax(failing), why()).toBeGreaterThanOrEqual(pendingMax(r?.sustainableRate ?? null) + 8);
  }, 300_000);

  it('ranks pool 4 above pool 1 by about 4x when a 400 ms sink makes the pool the bottleneck', async () => {
    // The worker handles 2 x DB_POOL_MAX deliveries at once (reference/worker.ts workerConcurrency),
    // each holding its slot for the sink's 400 ms and a little more: pool 1 carries at most
    // 2 x 1 / 0.4 s = 5/s, pool 4 at most 2 x 4 / 0.4 s = 20/s. Expected ratio: 20 / 5 = 4.
    // Search: 3.5, 7, 14, 21 (doubling, capped at maxRate), then bisecting to 50%: pool 1 ends at
    // 3.5 or 5.25, pool 4 at 14 or 21, so the measured ratio is 4 (or 2.67..6 where a verdict tips).
    const lines: string[] = [];
    const why = () => lines.join('\n');
    const { supervisor, config } = pipeline;
    await supervisor.restart('sink', { SINK_LATENCY_MS: String(SINK_LATENCY_MS) });
    const runStep = await makeRealRunStep({ scenarioPath: CAPACITY_SCENARIO, config });
    const result = await runCapacity({
      dir: join(root, 'pool'),
      scenario: CAPACITY_SCENARIO,
      // No step above 21/s: pool 4's bound is 20/s, so 21 is the first rate that must fail.
      search: { ...CAPACITY_SEARCH, startRate: 3.5, factor: 2, precision: 0.5, maxRate: 21 },
      step: CAPACITY_STEP,
      sweep: parseSweep(['pool=1,4']),
      // Restarts the worker with DB_POOL_MAX, pointed at the restarted (slow) sink.
      apply: referenceWorkerApply(supervisor),
      runStep,
      onProgress: (l) => lines.push(l),
    });
    const rate = (pool: number) =>
      result.combos.find((c) => c.settings.pool === pool)?.result?.sustainableRate ?? 0;
    const bound = (pool: number) => (2 * pool) / (SINK_LATENCY_MS / 1000);
    expect(rate(1), why()).toBeGreaterThanOrEqual(3.5);
    expect(rate(1), why()).toBeLessThanOrEqual(bound(1) * 1.1);
    expect(rate(4), why()).toBeLessThanOrEqual(bound(4) * 1.1);
    expect(rate(4) / rate(1), why()).toBeGreaterThanOrEqual(2.5);
    expect(rate(4) / rate(1), why()).toBeLessThanOrEqual(6);
    expect(result.best?.settings).toEqual({ pool: 4 });
    expect(result.best?.poolLimit).toBe(4);
    // The worker's own connections (not the gateway's pool of 10) stayed within 4.
    expect(result.best?.withinPool, why()).toBe(true);
  }, 300_000);
});

/** WORKER_THROTTLE_EPS of the known cap. */
const THROTTLE = 30;
/** The known sweep's sink latency. */
const SINK_LATENCY_MS = 400;

const CHEAP_SERVER = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(req.method === 'POST' ? 202 : 200, { 'content-type': 'application/json' });
    res.end('{}');
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

async function cheapServer(): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, ['-e', CHEAP_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((ok, fail) => {
    proc.stdout?.once('data', (chunk: Buffer) => ok(chunk.toString().trim()));
    proc.once('exit', (code) => fail(new Error(`the cheap target exited (${code})`)));
  });
  return { proc, url: `http://127.0.0.1:${port}` };
}
