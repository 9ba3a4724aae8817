// The engine end to end: real worker threads, real HTTP on loopback (undici, through the test
// stand-in for the clients), real files in the run folder.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { type EngineOptions, type EngineTick, startEngine } from '../../engine/runEngine.ts';
import { OptionsError } from '../../engine/scenarioOptions.ts';
import { readAcceptedBitmap } from '../../record/acceptedBitmap.ts';
import { readHlog } from '../../record/hlog.ts';
import { bundleFixture, startTarget, type TestTarget } from '../support/engineFixtures.ts';
import { ENGINE_STAND_IN } from '../support/engineStandIn.ts';

let target: TestTarget | undefined;
afterEach(async () => {
  await target?.close();
  target = undefined;
});

function options(bundlePath: string, url: string, over: Partial<EngineOptions> = {}): EngineOptions {
  return {
    bundlePath,
    runId: 'run1',
    runDir: mkdtempSync(join(tmpdir(), 'pipesoak-run-')),
    load: { rate: 100, durationMs: 1000, warmUpMs: 0, vus: { preAllocated: 50, max: 50 }, seed: 1 },
    target: { gatewayUrl: url, natsUrl: 'nats://127.0.0.1:4222' },
    clientsModule: ENGINE_STAND_IN,
    workers: 1,
    ...over,
  };
}

const ids = (runId: string, n: number): string[] => Array.from({ length: n }, (_, k) => `${runId}-${k}`);

describe('engine runs', () => {
  test('a constant rate over two workers runs every index once, logs intervals, ticks and keeps acceptances', async () => {
    target = await startTarget();
    const bundle = await bundleFixture('constantPost.mjs');
    const series: { name: string; delta: number }[] = [];
    const o = options(bundle, target.url, {
      workers: 2,
      load: { rate: 200, durationMs: 2000, warmUpMs: 0, vus: { preAllocated: 400, max: 400 }, seed: 1 },
      series: {
        counter: (name, delta) => series.push({ name, delta }),
        gauge: () => {},
        event: () => {},
      },
    });
    const engine = startEngine(o);
    const ticks: EngineTick[] = [];
    engine.on('tick', (t) => ticks.push(t));
    const r = await engine.done;

    // A VU for every offered iteration, so none can be dropped however slow this shared machine is.
    const started = target.correlationIds.length;
    expect(r.iterations + r.interrupted).toBe(started);
    expect(started + r.dropped).toBe(400);
    expect(r.dropped).toBe(0);
    expect(r.errors).toEqual({});
    expect(r.targetRate).toBeCloseTo(200, 6);
    const all = new Set(ids('run1', 400));
    expect(new Set(target.correlationIds).size).toBe(started);
    for (const id of target.correlationIds) expect(all.has(id)).toBe(true);
    expect(r.summaries['gateway.latency;name=post']?.count).toBe(started);
    expect(r.summaries['iteration.delay']?.count).toBe(started);
    expect(r.counts['http.requests;status=200']).toBe(started);

    const hlog = await readHlog(join(o.runDir, 'load.hlog'));
    const logged = hlog.intervals.filter((i) => i.tag === 'gateway.latency;name=post');
    expect(logged.reduce((sum, i) => sum + i.snapshot.count, 0)).toBe(started);
    expect(hlog.intervals.some((i) => i.tag === 'iteration.delay')).toBe(true);

    const bits = readAcceptedBitmap(join(o.runDir, 'accepted.bits'));
    expect(bits.runId).toBe('run1');
    const answered = target.correlationIds
      .map((id) => Number(id.slice('run1-'.length)))
      .sort((a, b) => a - b);
    expect([...bits.indices()]).toEqual(answered);
    expect(r.accepted).toBe(started);

    expect(ticks.length).toBeGreaterThanOrEqual(2);
    expect(ticks.at(-1)?.iterations).toBe(r.iterations);
    expect(ticks[0]?.targetRate).toBeCloseTo(200, 6);
    expect(ticks.at(-1)?.latency['gateway.latency']?.count).toBe(started);
    const iterationsInSeries = series
      .filter((s) => s.name === 'load.iterations')
      .reduce((sum, s) => sum + s.delta, 0);
    expect(iterationsInSeries).toBe(r.iterations);
  });

  test('with too few VUs, dropped = offered − started, exactly', async () => {
    // Every response takes 100 ms, so 5 VUs can start at most ~50 of the 400 offered iterations.
    target = await startTarget(() => 100);
    const bundle = await bundleFixture('constantPost.mjs');
    const r = await startEngine(
      options(bundle, target.url, {
        load: { rate: 400, durationMs: 1000, warmUpMs: 0, vus: { preAllocated: 5, max: 5 }, seed: 1 },
      }),
    ).done;
    const started = target.requests;
    expect(r.dropped).toBe(400 - started);
    expect(r.iterations + r.interrupted).toBe(started);
    expect(r.dropped).toBeGreaterThan(300);
    expect(r.counts['load.dropped_iterations']).toBe(r.dropped);
  });

  test('iterations still running at gracefulStop are aborted and counted interrupted, not as errors', async () => {
    target = await startTarget(() => 60_000);
    const bundle = await bundleFixture('hang.mjs');
    const began = Date.now();
    const r = await startEngine(options(bundle, target.url)).done;
    const took = Date.now() - began;
    // 1 s of schedule + 0.5 s gracefulStop, plus worker start-up and close.
    expect(took).toBeLessThan(6000);
    expect(r.durationMs).toBeLessThan(2500);
    expect(r.durationMs).toBeGreaterThanOrEqual(1450);
    expect(r.interrupted).toBe(10);
    expect(r.iterations).toBe(0);
    expect(r.errors).toEqual({});
  });

  test("errors are counted by message with the scenario's file:line and never end the run; setup and teardown run once", async () => {
    target = await startTarget();
    const bundle = await bundleFixture('throwing.ts');
    const r = await startEngine(options(bundle, target.url)).done;
    // The line of the throw in the fixture's own source (the bundle maps back to it).
    const source = readFileSync(new URL('../fixtures/scenarios/throwing.ts', import.meta.url), 'utf8').split(
      '\n',
    );
    const line = source.findIndex((l) => l.includes('throw new Error')) + 1;
    expect(line).toBeGreaterThan(1);
    // 50 iterations, k = 0..49; k % 3 === 0 throws: 17 of them, 9 even and 8 odd.
    expect(r.errors).toEqual({
      [`bad luck even (throwing.ts:${line})`]: 9,
      [`bad luck odd (throwing.ts:${line})`]: 8,
    });
    expect(r.iterations).toBe(50);
    expect(r.counts['http.requests']).toBe(33);
    expect(target.paths.filter((p) => p.startsWith('POST /setup'))).toHaveLength(1);
    expect(target.paths.filter((p) => p.startsWith('POST /teardown'))).toEqual([
      'POST /teardown?token=from-setup',
    ]);
  });

  test('closed-model executors run their VUs with unique global indices and record service time only', async () => {
    target = await startTarget(() => 20);
    const bundle = await bundleFixture('closedLoop.mjs');
    const r = await startEngine(options(bundle, target.url, { workers: 2 })).done;
    expect(new Set(target.correlationIds).size).toBe(target.correlationIds.length);
    const loop = r.summaries['gateway.latency;name=loop']?.count ?? 0;
    const ramp = r.summaries['gateway.latency;name=ramp']?.count ?? 0;
    expect(loop).toBeGreaterThan(10);
    expect(ramp).toBeGreaterThan(3);
    expect(r.iterations).toBe(loop + ramp);
    // k = (iteration·maxVUs + vuIndex)·closedScenarios + scenarioIndex: loop (3 VUs) takes even k,
    // ramp (4 VUs) odd k, and the VU that sent each request is the one k names.
    for (const { id, body } of target.bodies) {
      const k = Number(id.slice('run1-'.length));
      const { vu, scenario } = JSON.parse(body) as { vu: number; scenario: string };
      const c = scenario === 'loop' ? 0 : 1;
      expect(k % 2).toBe(c);
      expect((((k - c) / 2) % (c === 0 ? 3 : 4)) + 1).toBe(vu);
    }
    expect(r.summaries['iteration.delay']).toBeUndefined();
  });

  test('a VU ramped down mid-iteration gets gracefulRampDown, then its iteration is interrupted', async () => {
    target = await startTarget(() => 60_000);
    const bundle = await bundleFixture('rampDown.mjs');
    const r = await startEngine(options(bundle, target.url)).done;
    expect(target.requests).toBe(2);
    expect(r.interrupted).toBe(2);
    expect(r.iterations).toBe(0);
    expect(r.errors).toEqual({});
    // The stages last 2.5 s; gracefulStop (10 s) was never needed.
    expect(r.durationMs).toBeGreaterThanOrEqual(2400);
    expect(r.durationMs).toBeLessThan(4500);
  });

  test('bad scenario options are refused before any worker starts, every problem listed', async () => {
    target = await startTarget();
    await expect(
      startEngine(options(await bundleFixture('badOptions.mjs'), target.url)).done,
    ).rejects.toThrow(
      new OptionsError([
        'scenarios.steady.maxVUs: must be at least preAllocatedVUs (10)',
        'scenarios.other.exec: the scenario exports no function "missing"',
      ]),
    );
    const noDefault = startEngine(options(await bundleFixture('noDefault.mjs'), target.url)).done;
    await expect(noDefault).rejects.toBeInstanceOf(OptionsError);
    await expect(noDefault).rejects.toThrow(
      'scenarios.steady.exec: the scenario exports no function "default" (export default async function (ctx) {...})',
    );
    expect(target.requests).toBe(0);
  });

  test('each segment of a sequence runs exactly its stripe of the one-machine indices', async () => {
    const bundle = await bundleFixture('constantPost.mjs');
    const sequence = '0,1/3,1/2,1';
    const parts = ['0:1/3', '1/3:1/2', '1/2:1'];
    const targets = await Promise.all(parts.map(() => startTarget()));
    try {
      // One shared instant, far enough ahead for three engines to start their workers on a busy machine.
      const startAtMs = Date.now() + 6000;
      const results = await Promise.all(
        parts.map(
          (segment, i) =>
            startEngine(
              options(bundle, targets[i]?.url ?? '', {
                segment,
                segmentSequence: sequence,
                startAtMs,
                workers: 2,
              }),
            ).done,
        ),
      );
      // Shares 2, 1 and 3 of every 6 indices (the LCD), largest first: 0→1/2:1, 1→0:1/3, 2→1/2:1,
      // 3→0:1/3, 4→1/2:1, 5→1/3:1/2. 100 = 16 cycles + indices 0..3, so 34, 16 and 50.
      const stripeOf = (k: number): number => [2, 0, 2, 0, 2, 1][k % 6] as number;
      expect(results.map((r) => r.iterations + r.dropped + r.interrupted)).toEqual([34, 16, 50]);
      const seen = new Set<string>();
      parts.forEach((_, i) => {
        const got = targets[i]?.correlationIds ?? [];
        expect(got.length + (results[i]?.dropped ?? 0)).toBe([34, 16, 50][i]);
        for (const id of got) {
          const k = Number(id.slice('run1-'.length));
          expect(k).toBeLessThan(100);
          expect(stripeOf(k)).toBe(i);
          expect(seen.has(id)).toBe(false);
          seen.add(id);
        }
      });
    } finally {
      await Promise.all(targets.map((t) => t.close()));
    }
  });

  test('an abort signal stops gracefully before the schedule ends; stopNow cuts at once', async () => {
    target = await startTarget(() => 2000);
    const bundle = await bundleFixture('constantPost.mjs');
    const ac = new AbortController();
    const o = options(bundle, target.url, {
      load: { rate: 20, durationMs: 60_000, warmUpMs: 0, vus: { preAllocated: 50, max: 50 }, seed: 1 },
      signal: ac.signal,
    });
    const engine = startEngine(o);
    engine.on('tick', (t) => {
      if (t.elapsedMs > 1000) ac.abort();
      if (t.elapsedMs > 2000) engine.stopNow();
    });
    const r = await engine.done;
    // Stopped after ~1 s: gracefulStop is 2 s and responses take 2 s, so stopNow cuts the rest.
    expect(r.durationMs).toBeLessThan(5000);
    expect(r.iterations + r.interrupted).toBe(target.requests);
    expect(r.interrupted).toBeGreaterThan(0);
    expect(r.iterations + r.interrupted + r.dropped).toBeLessThan(100);
  });
});
