// Coordinated omission: latency is measured from each iteration's intended start, so a stall shows
// in gateway.latency at its true weight, whatever delays the sends.
//
// The analytic p99. At a constant rate R for D seconds, a stall of S seconds (S ≪ D) at a known
// moment holds every iteration meant to start inside it until the stall ends: the i-th of them
// (i = 0 … R·S−1) waits S − i/R, so the held latencies are spread evenly over (0, S], and they are
// the fraction f = S/D of all N = R·D iterations. Everything else takes about the base latency b
// (≪ S). The p99 is the largest 1% of the N values, all of them held ones when f > 1%: it is the
// held latency with 1% of N above it, S − (0.01·N)/R = S − 0.01·D (plus b).
//   R = 20/s, D = 10 s, S = 2 s  →  p99 = 2 − 0.1 = 1.9 s (N = 200: the 198th of 200 values, with
//   2 held latencies above it, 2000 and 1950 ms). A low rate keeps the burst of held requests that
//   all complete at once small, so their own queueing (b) stays well inside the 5%.
import { afterEach, describe, expect, test } from 'vitest';
import { startEngine } from '../../engine/runEngine.ts';
import { bundleFixture, standInRun, startTarget, type TestTarget } from '../support/engineFixtures.ts';

const R = 20;
const D_MS = 10_000;
const S_MS = 2000;
const STALL_AT_MS = 3000; // after the start instant
const P99_MS = S_MS - 0.01 * D_MS;

let target: TestTarget | undefined;
afterEach(async () => {
  await target?.close();
  target = undefined;
});

function run(bundlePath: string, vus: number, startAtMs: number, extra: Record<string, unknown> = {}) {
  const vuCount = { preAllocated: vus, max: vus };
  return standInRun({
    bundlePath,
    runId: 'co',
    targetUrl: target?.url ?? '',
    rate: R,
    durationMs: D_MS,
    vus: vuCount,
    extra,
    startAtMs,
  });
}

/** A target that holds every request arriving in [from, from + S) until from + S. */
async function stallingTarget(fromMs: number): Promise<TestTarget> {
  return startTarget(() => {
    const now = Date.now();
    return now >= fromMs && now < fromMs + S_MS ? fromMs + S_MS - now : 0;
  });
}

describe('coordinated omission', () => {
  test('a server stall shows in gateway.latency at the analytic p99; with enough VUs nothing starts late', async () => {
    const startAtMs = Date.now() + 3000;
    target = await stallingTarget(startAtMs + STALL_AT_MS);
    const bundle = await bundleFixture('constantPost.mjs');
    const r = await startEngine(run(bundle, 3 * R * (S_MS / 1000), startAtMs)).done;
    const latency = r.summaries['gateway.latency'];
    expect(r.dropped).toBe(0);
    expect(latency?.count).toBe(R * (D_MS / 1000));
    expect(latency?.p99).toBeGreaterThan(P99_MS * 0.95);
    expect(latency?.p99).toBeLessThan(P99_MS * 1.05);
    // The median iteration never met the stall.
    expect(latency?.p50).toBeLessThan(100);
    // Enough VUs: every iteration started on schedule, so the stall is the server's, not ours.
    expect(r.summaries['iteration.delay']?.p99).toBeLessThan(100);
  });

  test('with too few VUs the stall drops the iterations that find no free VU, and they are counted', async () => {
    const startAtMs = Date.now() + 3000;
    target = await stallingTarget(startAtMs + STALL_AT_MS);
    const bundle = await bundleFixture('constantPost.mjs');
    const vus = 20;
    const r = await startEngine(run(bundle, vus, startAtMs)).done;
    // R·S iterations are meant to start inside the stall; the first `vus` of them take every VU.
    const expected = R * (S_MS / 1000) - vus;
    expect(r.dropped).toBeGreaterThanOrEqual(expected - 3);
    expect(r.dropped).toBeLessThanOrEqual(expected + 3);
    expect(r.iterations + r.dropped).toBe(R * (D_MS / 1000));
  });

  test('a generator stall delays the sends: gateway.latency keeps the analytic p99, service_time does not see it', async () => {
    target = await startTarget();
    const bundle = await bundleFixture('generatorStall.mjs');
    const startAtMs = Date.now() + 3000;
    // Iteration k = R·3 s blocks the worker for S before sending.
    const stallAt = R * (STALL_AT_MS / 1000);
    const held = R * (S_MS / 1000);
    // The first second warms 2·held connections and is tagged apart; the N = R·(D − 1 s) = 180 posts
    // after it hold the stall. Their p99 is the held latency with N − ⌈0.99·N⌉ = 1 value above it:
    // S − 1/R = 1950 ms (the general form of S − 0.01·D).
    const warmIterations = R;
    const n = R * (D_MS / 1000) - warmIterations;
    const p99 = S_MS - ((n - Math.ceil(0.99 * n)) * 1000) / R;
    expect(p99).toBe(1950);
    const r = await startEngine(
      run(bundle, 3 * held, startAtMs, { stallAt, stallMs: S_MS, warm: 2 * held, warmIterations }),
    ).done;
    const latency = r.summaries['gateway.latency;name=post'];
    const service = r.summaries['gateway.service_time;name=post'];
    expect(r.iterations).toBe(R * (D_MS / 1000));
    expect(latency?.count).toBe(n);
    expect(latency?.p99).toBeGreaterThan(p99 * 0.95);
    expect(latency?.p99).toBeLessThan(p99 * 1.05);
    // Measured from the send, as a closed-loop tool would, the stall all but disappears: what is left
    // is the burst of late sends served at once.
    expect(service?.p99).toBeLessThan(p99 * 0.1);
    // The lateness is the generator's own, and iteration.delay says so.
    expect(r.summaries['iteration.delay']?.p99).toBeGreaterThan(P99_MS * 0.9);
    expect(r.summaries['iteration.delay']?.p99).toBeLessThan(S_MS * 1.05);
  });
});
