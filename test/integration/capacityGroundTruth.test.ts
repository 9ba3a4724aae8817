// The ground truths of issue 13 against the reference pipeline, one pipeline (its own database and
// streams) for both, at rates a loaded 2-core host carries (the unthrottled reference carried
// 23-115 events/s here under other engineers' load, so the issue's example figures, 150/s and a
// 50 ms sink, would measure the host, not the knob):
//   - a known cap: the worker throttled to 30 events/s is found within 10%;
//   - a known sweep: a 400 ms sink makes the pool the bottleneck; pool 4 carries about 4x pool 1.
// The generator-bound one is pending (capacityGroundTruth.pending.ts says why).
// Steps of 8 s with a 2 s warm-up (test/support/capacityPipeline.ts); PIPESOAK_CAPACITY_STEP=60s
// gives real durations; GT_KEEP=1 keeps the step folders (read a step's report.json for its verdict).
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

beforeAll(async () => {
  pipeline = await startCapacityPipeline('cap_gt');
}, 120_000);

afterAll(async () => {
  await pipeline?.stop();
  if (process.env.GT_KEEP === undefined) rmSync(root, { recursive: true, force: true });
}, 60_000);

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
    // Now that gauges stop at load.end the step fails on backlog drift; the backlog's peak says why.
    expect(pendingMax(failing), why()).toBeGreaterThan(pendingMax(r?.sustainableRate ?? null));
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
