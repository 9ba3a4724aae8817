// A generator past its own bound: one worker whose iterations each hold its loop 50 ms
// (fixtures/scenarios/generatorCost.ts) can start 20/s. Offered 40/s it falls behind for good; it
// must still send, read its responses and report its loop busy, not freeze until its schedule runs
// out (the arrival loop used to start burst after burst without awaiting: no request left the
// worker, no report reached the main thread, and the run read as a healthy generator). And a worker
// blocked for seconds by one iteration is a blocked generator, not one whose last report was fine.
import { afterEach, describe, expect, test } from 'vitest';
import { startEngine } from '../../engine/runEngine.ts';
import { ITERATION_COST_MS } from '../fixtures/scenarios/generatorCost.ts';
import { bundleFixture, standInRun, startTarget, type TestTarget } from '../support/engineFixtures.ts';

let target: TestTarget | undefined;
afterEach(async () => {
  await target?.close();
  target = undefined;
});

function run(bundlePath: string, rate: number, durationMs: number, extra: Record<string, unknown> = {}) {
  const vus = { preAllocated: 20, max: 1_000 };
  return standInRun({
    bundlePath,
    runId: 'bound',
    targetUrl: target?.url ?? '',
    rate,
    durationMs,
    vus,
    extra,
  });
}

describe('a generator past its bound', () => {
  test('keeps sending and reports its loop busy when every start costs more than the gap', async () => {
    target = await startTarget(() => 0);
    const bundle = await bundleFixture('generatorCost.ts');
    const bound = 1000 / ITERATION_COST_MS;
    const r = await startEngine(run(bundle, 2 * bound, 4_000)).done;
    expect(r.generatorSaturated).toBe(true);
    expect(r.generatorBusy).toBe(true);
    expect(r.saturationNote).toMatch(/loop busy up to (9[5-9]|100)%/);
    // Responses were read while it was behind: most of what it started completed (frozen, none did
    // until the end and every one was interrupted).
    expect(r.iterations).toBeGreaterThan(bound * 3);
    expect(r.summaries['gateway.latency']?.count ?? 0).toBe(r.iterations);
  });

  test('counts a worker blocked for seconds by one iteration as a busy generator', async () => {
    target = await startTarget(() => 0);
    const bundle = await bundleFixture('generatorStall.mjs');
    // Iteration 20 (1 s in at 20/s) blocks the worker 5 s: three or four ticks find it silent.
    const r = await startEngine(run(bundle, 20, 8_000, { stallAt: 20, stallMs: 5_000, warm: 0 })).done;
    expect(r.generatorSaturated).toBe(true);
    expect(r.generatorBusy).toBe(true);
    expect(r.saturationNote).toMatch(/event-loop delay p99 up to \d{4}\.\d ms/);
  });
});
