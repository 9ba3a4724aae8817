// The ground truth of issue 13: `pipesoak capacity` against the real reference pipeline, where the
// answer is known beforehand.
//   - a known cap: the worker throttled to 150 events/s is found within 10%; unthrottled, a step at
//     twice that is sustainable;
//   - a known sweep: a 100 ms sink makes the pool the bottleneck; pool 8 carries about 4x pool 2;
//   - generator-bound: one engine worker against a target that answers at once: the generator is
//     the limit.
// Short steps for CI (8 s, 2 s warm-up), each search started near its answer with a precision that
// converges in four to six steps; PIPESOAK_CAPACITY_STEP=60s gives real durations. One pipeline
// serves all three: the throttle, the sink latency and the pool are set by restarting a component.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import shipped from '../../pipesoak.config.ts';
import { parseDuration } from '../../record/duration.ts';
import { runCapacity } from '../../runner/capacity/capacityRun.ts';
import type { SearchOptions } from '../../runner/capacity/capacitySearch.ts';
import { makeRealRunStep } from '../../runner/capacity/realRunStep.ts';
import { referenceWorkerApply } from '../../runner/capacity/referenceWorkerApply.ts';
import { parseSweep } from '../../runner/capacity/sweepAxes.ts';
import type { Config } from '../../runner/config/configSchema.ts';
import { validateConfig } from '../../runner/config/validateConfig.ts';
import { ReferenceSupervisor } from '../../runner/referenceSupervisor.ts';
import { createTestEnv, type TestEnv } from '../support/testEnv.ts';
import { testTarget } from '../support/testTarget.ts';

const STEP_MS = parseDuration(process.env.PIPESOAK_CAPACITY_STEP ?? '8s');
const STEP = { durationMs: STEP_MS, warmUpMs: Math.max(2_000, Math.round(STEP_MS / 4)), coolDownMs: 1_000 };
/** No confirming re-runs: each costs a step, and the brackets below leave room for one bad verdict's bias. */
const SEARCH: SearchOptions = {
  startRate: 125,
  factor: 1.25,
  precision: 0.1,
  maxRate: 2_000,
  minRate: 5,
  maxSteps: 8,
  confirmFailures: false,
};
const SCENARIO = 'scenarios/steady.ts';
const root = mkdtempSync(join(tmpdir(), 'pipesoak-capacity-gt-'));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  await new Promise<void>((ok) => server.close(() => ok()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

let t: TestEnv;
let supervisor: ReferenceSupervisor;
let config: Config;
let metricsUrl: string;

beforeAll(async () => {
  // A fixed worker metrics port, so a restarted worker (throttle, pool) keeps its URL.
  const metricsPort = await freePort();
  metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  t = await createTestEnv('cap_gt', { METRICS_PORT: String(metricsPort) });
  supervisor = new ReferenceSupervisor({ env: { ...process.env, ...t.env } });
  await supervisor.start();
  config = targetConfig(supervisor.url('gateway') ?? '');
}, 120_000);

afterAll(async () => {
  await supervisor?.stopAll();
  await t?.teardown();
  rmSync(root, { recursive: true, force: true });
}, 60_000);

function targetConfig(gatewayUrl: string): Config {
  return validateConfig({
    ...shipped,
    target: { ...testTarget(t.settings, { workerMetricsUrl: metricsUrl }), gatewayUrl },
  });
}

const lines: string[] = [];
const progress = (line: string) => lines.push(line);

describe('capacity ground truth (reference pipeline)', () => {
  it('finds a worker throttled to 150 events/s within 10%; unthrottled it sustains twice that', async () => {
    await supervisor.restart('worker', { WORKER_THROTTLE_EPS: '150' });
    const runStep = await makeRealRunStep({ scenarioPath: SCENARIO, config });
    const throttled = await runCapacity({
      dir: join(root, 'throttled'),
      scenario: SCENARIO,
      search: SEARCH,
      step: STEP,
      sweep: [],
      runStep,
      onProgress: progress,
    });
    const r = throttled.combos[0]?.result;
    expect(r?.conclusion, lines.join('\n')).toBe('found');
    // Above the throttle the consumer's backlog grows (drift) and e2e latency with it.
    expect(['backlog-drift', 'slo']).toContain(r?.criterion);
    expect(Math.abs((r?.sustainableRate ?? 0) - 150) / 150, lines.join('\n')).toBeLessThanOrEqual(0.1);

    // Without the throttle, one step at 2 x 150: sustainable (bench/referenceRate.ts finds ~700/s
    // on a quiet host; 300 leaves room for the other jobs on this one).
    await supervisor.restart('worker');
    const free = await runCapacity({
      dir: join(root, 'free'),
      scenario: SCENARIO,
      search: { ...SEARCH, startRate: 300, maxRate: 300 },
      step: STEP,
      sweep: [],
      runStep,
      onProgress: progress,
    });
    expect(free.combos[0]?.result?.conclusion, lines.join('\n')).toBe('max-rate');
    expect(free.combos[0]?.result?.sustainableRate).toBe(300);
  }, 600_000);

  it('ranks pool 8 above pool 2 by about 4x when a 100 ms sink makes the pool the bottleneck', async () => {
    // The worker handles 2 x DB_POOL_MAX deliveries at once (reference/worker.ts workerConcurrency),
    // each holding its slot for the sink's 100 ms and more: pool 2 carries at most 4 / 0.1 s = 40/s,
    // pool 8 at most 16 / 0.1 s = 160/s. Expected ratio: 4. (A 50 ms sink would put pool 8 at 320/s,
    // more than this shared host carries, so the host and not the pool would be measured.)
    await supervisor.restart('sink', { SINK_LATENCY_MS: '100' });
    const runStep = await makeRealRunStep({ scenarioPath: SCENARIO, config });
    const result = await runCapacity({
      dir: join(root, 'pool'),
      scenario: SCENARIO,
      search: { ...SEARCH, startRate: 25, factor: 2, precision: 0.2 },
      step: STEP,
      sweep: parseSweep(['pool=2,8']),
      // Restarts the worker with DB_POOL_MAX, pointed at the restarted (slow) sink.
      apply: referenceWorkerApply(supervisor),
      runStep,
      onProgress: progress,
    });
    const rate = (pool: number) =>
      result.combos.find((c) => c.settings.pool === pool)?.result?.sustainableRate ?? 0;
    const why = lines.join('\n');
    expect(rate(2), why).toBeGreaterThanOrEqual(20);
    expect(rate(2), why).toBeLessThanOrEqual(40);
    expect(rate(8) / rate(2), why).toBeGreaterThanOrEqual(2.5);
    expect(rate(8) / rate(2), why).toBeLessThanOrEqual(5.5);
    expect(result.best?.settings).toEqual({ pool: 8 });
    expect(result.best?.poolLimit).toBe(8);
    expect(result.best?.withinPool, why).toBe(true);
    await supervisor.restart('sink');
    await supervisor.restart('worker');
  }, 600_000);

  it('reports the generator as the limit with one engine worker against a target that answers at once', async () => {
    // The cheap target: a server in its own process that answers every request at once (202 for
    // the events, 200 for the health check). The pipeline's collectors still read the idle reference.
    const cheap = await cheapServer();
    try {
      const runStep = await makeRealRunStep({
        scenarioPath: SCENARIO,
        config: targetConfig(cheap.url),
        workers: 1,
      });
      const result = await runCapacity({
        dir: join(root, 'generator'),
        scenario: SCENARIO,
        // Far more than one worker thread can start: its event loop is busy all the time.
        search: { ...SEARCH, startRate: 20_000, maxRate: 200_000, factor: 4 },
        step: STEP,
        sweep: [],
        runStep,
        onProgress: progress,
      });
      const r = result.combos[0]?.result;
      expect(r?.conclusion, lines.join('\n')).toBe('generator-limit');
      expect(r?.criterion).toBe('generator-saturated');
      expect(r?.sustainableRate).toBeNull();
      expect(r?.note).toContain('--workers');
      expect(result.combos[0]?.steps[0]?.reasons[0]).toContain('generator saturated');
    } finally {
      cheap.proc.kill('SIGTERM');
    }
  }, 300_000);
});

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
