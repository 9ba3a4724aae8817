// PENDING (vitest does not collect it): rename to *.test.ts once it has run green. The ground
// truths of issue 13 that need a host carrying a few hundred events/s through the reference
// pipeline. On 2026-12-02 at load average 10-27 on this 2-core host they could not hold: the
// unthrottled reference sustained 23 events/s there (README, capacity section), so the throttle at
// 150/s and a pool bound of 160/s were never what limited it. Run alone on a quiet host:
//   cp test/integration/capacityGroundTruth.pending.ts test/integration/gt.test.ts, then vitest that.
//   - a known cap: the worker throttled to 150 events/s is found within 10%; unthrottled, a step at
//     twice that is sustainable;
//   - a known sweep: a 100 ms sink makes the pool the bottleneck; pool 8 carries about 4x pool 2.
// Each search starts near its answer with a precision that converges in four to six 8 s steps
// (about 4 minutes in all); PIPESOAK_CAPACITY_STEP=60s gives real durations.
import { mkdtempSync, rmSync } from 'node:fs';
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
const lines: string[] = [];
const progress = (line: string) => lines.push(line);

beforeAll(async () => {
  pipeline = await startCapacityPipeline('cap_gt');
}, 120_000);

afterAll(async () => {
  await pipeline?.stop();
  rmSync(root, { recursive: true, force: true });
}, 60_000);

describe('capacity ground truth (reference pipeline)', () => {
  it('finds a worker throttled to 150 events/s within 10%; unthrottled it sustains twice that', async () => {
    const { supervisor, config } = pipeline;
    await supervisor.restart('worker', { WORKER_THROTTLE_EPS: '150' });
    const runStep = await makeRealRunStep({ scenarioPath: CAPACITY_SCENARIO, config });
    const throttled = await runCapacity({
      dir: join(root, 'throttled'),
      scenario: CAPACITY_SCENARIO,
      search: CAPACITY_SEARCH,
      step: CAPACITY_STEP,
      sweep: [],
      runStep,
      onProgress: progress,
    });
    const r = throttled.combos[0]?.result;
    expect(r?.conclusion, lines.join('\n')).toBe('found');
    // Above the throttle the consumer's backlog grows (drift) and e2e latency with it.
    expect(['backlog-drift', 'slo']).toContain(r?.criterion);
    expect(Math.abs((r?.sustainableRate ?? 0) - 150) / 150, lines.join('\n')).toBeLessThanOrEqual(0.1);

    // Without the throttle, one step at 2 x 150: sustainable (bench/referenceRate.ts found ~700/s
    // on a quiet host).
    await supervisor.restart('worker');
    const free = await runCapacity({
      dir: join(root, 'free'),
      scenario: CAPACITY_SCENARIO,
      search: { ...CAPACITY_SEARCH, startRate: 300, maxRate: 300 },
      step: CAPACITY_STEP,
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
    const { supervisor, config } = pipeline;
    await supervisor.restart('sink', { SINK_LATENCY_MS: '100' });
    const runStep = await makeRealRunStep({ scenarioPath: CAPACITY_SCENARIO, config });
    const result = await runCapacity({
      dir: join(root, 'pool'),
      scenario: CAPACITY_SCENARIO,
      search: { ...CAPACITY_SEARCH, startRate: 25, factor: 2, precision: 0.2 },
      step: CAPACITY_STEP,
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
    // The worker's own connections (not the gateway's pool of 10) stayed within 8.
    expect(result.best?.withinPool, why).toBe(true);
  }, 600_000);
});
