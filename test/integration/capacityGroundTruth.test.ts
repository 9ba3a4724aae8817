// The ground truths of issue 13 against the reference pipeline, one pipeline (its own database and
// streams) for both, at rates a loaded 2-core host carries (the unthrottled reference carried
// 23-115 events/s here under other engineers' load, so the issue's example figures, 150/s and a
// 50 ms sink, would measure the host, not the knob):
//   - a known cap: the worker throttled to 30 events/s is found within 10%;
//   - a known sweep: a 400 ms sink makes the pool the bottleneck; pool 4 carries about 4x pool 1;
//   - a generator-bound search: one engine worker whose iterations each hold its loop 50 ms
//     (test/fixtures/scenarios/generatorCost.ts) cannot start more than 20/s, against a stand-in
//     target that answers at once: the search names the generator at the first step past 20/s.
// Steps of 8 s with a 2 s warm-up (test/support/capacityPipeline.ts); PIPESOAK_CAPACITY_STEP=60s
// gives real durations; GT_KEEP=1 keeps the step folders (read a step's report.json for its verdict).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRIC } from '../../record/metricCatalog.ts';
import { CAPACITY_FILES } from '../../runner/capacity/capacityJson.ts';
import { runCapacity } from '../../runner/capacity/capacityRun.ts';
import { makeRealRunStep } from '../../runner/capacity/realRunStep.ts';
import { referenceWorkerApply } from '../../runner/capacity/referenceWorkerApply.ts';
import { parseSweep } from '../../runner/capacity/sweepAxes.ts';
import { ITERATION_COST_MS } from '../fixtures/scenarios/generatorCost.ts';
import {
  CAPACITY_SCENARIO,
  CAPACITY_SEARCH,
  CAPACITY_STEP,
  type CapacityPipeline,
  startCapacityPipeline,
} from '../support/capacityPipeline.ts';

const root = mkdtempSync(join(tmpdir(), 'pipesoak-capacity-gt-'));
let pipeline: CapacityPipeline;
let cheap: { proc: ChildProcess; url: string } | undefined;

beforeAll(async () => {
  pipeline = await startCapacityPipeline('cap_gt');
}, 120_000);

afterAll(async () => {
  cheap?.proc.kill('SIGTERM');
  await pipeline?.stop();
  if (process.env.GT_KEEP === undefined) rmSync(root, { recursive: true, force: true });
}, 60_000);

describe('capacity ground truth: a known cap, a known sweep and a known generator bound', () => {
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
    // Now that gauges stop at load.end the step fails on backlog drift; the backlog's peak says why.
    expect(pendingMax(failing), why()).toBeGreaterThan(pendingMax(r?.sustainableRate ?? null));
  }, 300_000);

  // A crowded host can fail a step on outbox.pending, the relay's side, which the pool does not touch
  // (fresh-clone rehearsals on 2026-12-03: once pool 1's first step at 3.5/s; once, in both tries,
  // pool 4's 14/s, leaving it at 10.5 against 5.25). Hence one retry and a ratio floor of 2: a pool
  // the worker ignored gives both the same cap, at most 1.5 apart by where a bisection tips.
  it('ranks pool 4 above pool 1 by about 4x when a 400 ms sink makes the pool the bottleneck', {
    retry: 1,
    timeout: 300_000,
  }, async () => {
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
    expect(rate(4) / rate(1), why()).toBeGreaterThanOrEqual(2);
    expect(rate(4) / rate(1), why()).toBeLessThanOrEqual(6);
    expect(result.best?.settings).toEqual({ pool: 4 });
    expect(result.best?.poolLimit).toBe(4);
    // The worker's own connections (not the gateway's pool of 10) stayed within 4.
    expect(result.best?.withinPool, why()).toBe(true);
  });

  it('names the generator as the limit at the first step past what one engine worker can start', async () => {
    // Each iteration holds the one worker's loop for ITERATION_COST_MS (50 ms), so it starts at
    // most 1000 / 50 = 20 iterations/s however loaded the host is. The host only adds to each hold
    // (the thread waits for a core after it, L ms), so below the bound the loop is busy about
    // rate x (50 + L) ms a second: the cost is large against L so that the steps below the bound
    // stay clear of the 95% busy limit. Measured with a 10 ms cost at host load 14: the loop was
    // 100% busy at 45/s (45% by the cost) while the process used 5% of a core, the worker waiting
    // for the CPU. The steps: 3/s (loop held 15% by the cost), 9/s (45%), 27/s (135%).
    // A 50 ms hold is over the 25 ms loop-delay limit, so every step's run report says the generator
    // saturated; below the bound its loop was not busy (measured: up to 20-24% at 3/s, 48-52% at
    // 9/s), so the search judges those steps on their SLOs, as for a host that only delayed it.
    const lines: string[] = [];
    const why = () => lines.join('\n');
    const bound = 1000 / ITERATION_COST_MS;
    cheap = await cheapServer();
    // The stand-in feeds no pipeline: its SLOs are the HTTP ones (latency, errors, drops) and the
    // idle pipeline's backlog; the pipeline's own latencies and integrity have nothing to measure.
    const config = pipeline.configFor(cheap.url, {
      [METRIC.e2eLatency]: false,
      [METRIC.dispatchLatency]: false,
      [METRIC.outboxLag]: false,
      [METRIC.consumerAckLatency]: false,
      deliveriesPerEvent: false,
      dlqAttempts: false,
      integrity: { lost: false, duplicated: false },
    });
    const runStep = await makeRealRunStep({
      scenarioPath: GENERATOR_SCENARIO,
      // VUs to spare past the bound, so the limit is the worker's loop and not the VU count.
      config: { ...config, load: { ...config.load, vus: { preAllocated: 20, max: 2_000 } } },
      workers: 1,
    });
    const dir = join(root, 'generator');
    const result = await runCapacity({
      dir,
      scenario: GENERATOR_SCENARIO,
      search: { ...CAPACITY_SEARCH, startRate: 3, factor: 3, maxRate: 27, maxSteps: 4 },
      step: GENERATOR_STEP,
      sweep: [],
      runStep,
      onProgress: (l) => lines.push(l),
    });
    const combo = result.combos[0];
    const r = combo?.result;
    const steps = combo?.steps ?? [];
    // Below the bound the steps pass, so no SLO failure of the target can stand in for the
    // generator's limit; the first step past it fails on the generator, first and alone.
    expect(
      steps.map((s) => [s.rate, s.sustainable, s.failed[0] ?? null]),
      why(),
    ).toEqual([
      [3, true, null],
      [9, true, null],
      [27, false, 'generator-saturated'],
    ]);
    expect(r?.conclusion, why()).toBe('generator-limit');
    expect(r?.criterion).toBe('generator-saturated');
    expect(r?.sustainableRate).toBe(9);
    expect(r?.failingRate).toBe(27);
    const saturated = steps[2];
    expect(saturated?.reasons[0], why()).toMatch(/generator saturated .*loop busy up to (9[5-9]|1\d\d)%/);
    // Below the bound the worker started what was offered. (Past it, achievedRate does not show
    // the bound: the engine starts overdue iterations after the schedule's end, so it counts them
    // all over the schedule's span; the loop's busy share above is what says it could not keep up.)
    for (const s of steps.slice(0, 2))
      expect(s.figures.achievedRate, why()).toBeGreaterThanOrEqual(s.rate * 0.95);
    expect(saturated?.rate).toBeGreaterThan(bound);
    // The progress and capacity.md name the generator and say what to do about it.
    expect(r?.note).toMatch(/generator saturated at 27\/s.*--workers.*segments/);
    expect(lines.at(-1), why()).toMatch(/27\/s fails on generator-saturated; .*--workers/);
    const markdown = readFileSync(join(dir, CAPACITY_FILES.md), 'utf8');
    expect(markdown).toMatch(
      /\*\*Result:\*\* sustainable 9\/s; 27\/s fails on generator-saturated; .*--workers.*segments/,
    );
  }, 180_000);
});

/**
 * Shorter steps than the others (PIPESOAK_CAPACITY_STEP still gives real ones): the generator's
 * verdict needs five measured seconds (a streak of SATURATED_FOR_S, or three busy seconds of them)
 * after a 2 s warm-up (with 1 s, start-up fell in the measured window), and past the bound a step
 * runs on while the worker starts its overdue iterations (27/s for 7 s is 189 x 50 ms = 9.5 s).
 */
const GENERATOR_STEP =
  process.env.PIPESOAK_CAPACITY_STEP === undefined
    ? { durationMs: 7_000, warmUpMs: 2_000, coolDownMs: 500 }
    : CAPACITY_STEP;
/** The generator-bound search's scenario: a known cost per iteration on the generator. */
const GENERATOR_SCENARIO = 'test/fixtures/scenarios/generatorCost.ts';

/** A target that answers at once: a one-thread Node server, its own process, idle at 27/s. */
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

/** WORKER_THROTTLE_EPS of the known cap. */
const THROTTLE = 30;
/** The known sweep's sink latency. */
const SINK_LATENCY_MS = 400;
