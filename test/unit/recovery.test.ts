// Recovery analysis on synthetic run folders written with the real writers, with known answers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HistogramSnapshot } from '../../record/histogramSnapshot.ts';
import { HlogWriter } from '../../record/hlog.ts';
import { formatHlogTag } from '../../record/hlogTag.ts';
import { SeriesWriter } from '../../record/series.ts';
import { analyzeRecovery, RECOVERY_DEFAULTS } from '../../reports/recovery.ts';
import { buildRunReport } from '../../reports/runReport.ts';

const T0 = 1_700_000_000_000;
const SAMPLE_MS = 100;
const E2E_LAG_MS = RECOVERY_DEFAULTS.recordLagMs['e2e.latency'];

interface Phase {
  /** Backlog at ms since T0. */
  consumer: (ms: number) => number;
  outbox: (ms: number) => number;
  /** Latency recorded in the 1 s interval that starts at ms. */
  e2e: (ms: number) => number;
  gateway: (ms: number) => number;
}

interface Synthetic {
  seconds: number;
  faults: { id: string; startMs: number; endMs?: number }[];
  warmUpMs?: number;
  /** The outbox guard's event, written before run.end. */
  outboxGuard?: Record<string, unknown>;
}

/** Gauges every 100 ms (consumer.pending split over two consumers, as the jetstream collector writes it). */
function writeRun(dir: string, run: Synthetic, phase: Phase): void {
  const series = SeriesWriter.open(join(dir, 'series.ndjson'));
  series.event('run.start', { id: 'r', scenario: 's', warmUpMs: run.warmUpMs ?? 0 }, T0);
  const events = run.faults.flatMap(({ id, startMs, endMs }) => [
    {
      at: startMs,
      write: () => series.event('fault.start', { id, what: 'pause', where: 'nats' }, T0 + startMs),
    },
    ...(endMs === undefined
      ? []
      : [{ at: endMs, write: () => series.event('fault.end', { id }, T0 + endMs) }]),
  ]);
  for (let ms = 0; ms <= run.seconds * 1000; ms += SAMPLE_MS) {
    for (const e of events) if (e.at === ms) e.write();
    const consumer = phase.consumer(ms);
    const main = Math.round(consumer * 0.6);
    series.gauge('consumer.pending', main, { stream: 'EVENTS', consumer: 'w' }, T0 + ms);
    series.gauge('consumer.pending', consumer - main, { stream: 'DLQ', consumer: 'd' }, T0 + ms);
    series.gauge('outbox.pending', phase.outbox(ms), undefined, T0 + ms);
  }
  if (run.outboxGuard) series.event('outbox.guard', run.outboxGuard, T0 + run.seconds * 1000);
  series.event('run.end', {}, T0 + run.seconds * 1000);
  series.close();
  // e2e as the completion collector records it, E2E_LAG_MS after the events completed; the gateway's
  // latency as the load generator does, at the response.
  for (const [file, metric, latency, lag] of [
    ['collectors.hlog', 'e2e.latency', phase.e2e, E2E_LAG_MS],
    ['load.hlog', 'gateway.latency', phase.gateway, 0],
  ] as const) {
    const hlog = HlogWriter.open(join(dir, file), T0);
    for (let ms = 0; ms < run.seconds * 1000; ms += 1000) {
      const s = HistogramSnapshot.empty();
      for (let i = 0; i < 10; i++) s.record(latency(ms));
      hlog.writeInterval(formatHlogTag(metric, { source: 'test' }), T0 + ms + lag, T0 + ms + lag + 1000, s);
    }
    hlog.close();
  }
}

/** Small steady noise: 0..6. */
const noise = (ms: number) => (ms / SAMPLE_MS) % 7;

const sum = (count: number, checksum: string) => ({ count, checksum });
const same = { before: sum(300, 'a'), after: sum(300, 'a'), unchanged: true };

describe('recovery', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pipesoak-recovery-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('recovery - a backlog ramping to 500 in the window and draining linearly in 4 s drains in 4000 ms, with latency inside vs outside', async () => {
    // Fault 10 s .. 15 s; consumer.pending ramps 0 -> 500, then drains to 0 over 4 s.
    const consumer = (ms: number) =>
      ms < 10_000
        ? noise(ms)
        : ms <= 15_000
          ? ((ms - 10_000) / 5_000) * 500
          : ms <= 19_000
            ? 500 * (1 - (ms - 15_000) / 4_000)
            : noise(ms);
    // The outbox only backs up a little and is drained 1 s after the end.
    const outbox = (ms: number) => (ms >= 10_000 && ms < 16_000 ? 50 : noise(ms) % 5);
    const inImpact = (ms: number) => ms >= 10_000 && ms < 19_000;
    writeRun(
      dir,
      { seconds: 30, faults: [{ id: 'pause-nats', startMs: 10_000, endMs: 15_000 }] },
      {
        consumer,
        outbox,
        e2e: (ms) => (inImpact(ms) ? 1000 : 10),
        gateway: (ms) => (inImpact(ms) ? 200 : 5),
      },
    );
    const [r, ...more] = await analyzeRecovery(dir);
    expect(more).toEqual([]);
    expect(r).toMatchObject({
      id: 'pause-nats',
      what: 'pause',
      where: 'nats',
      startMs: T0 + 10_000,
      endMs: T0 + 15_000,
      // p99 of the steady noise (6) x 1.5 = 9, raised to the minimum of 10.
      bounds: { 'consumer.pending': 10, 'outbox.pending': 10 },
      peak: { 'consumer.pending': 500, 'outbox.pending': 50 },
    });
    expect(r?.reason).toBeUndefined();
    expect(Math.abs((r?.drainMs ?? 0) - 4000)).toBeLessThanOrEqual(SAMPLE_MS);
    expect(r?.recoveredAtMs).toBe(T0 + 15_000 + (r?.drainMs ?? 0));
    // e2e is placed by when its events completed (recorded E2E_LAG_MS later): intervals 10..18 s
    // (midpoints 10.5 .. 18.5 s) are inside; the 2 s tail after recovery (19, 20 s) is neither,
    // the other 19 outside.
    const e2eIn = r?.inside['e2e.latency'];
    expect(e2eIn?.count).toBe(90);
    expect(e2eIn?.p50).toBeCloseTo(1000, -1);
    expect(e2eIn?.p99).toBeCloseTo(1000, -1);
    expect(r?.outside['e2e.latency']).toEqual({
      p50: expect.closeTo(10, 1),
      p99: expect.closeTo(10, 1),
      count: 190,
    });
    expect(r?.inside['gateway.latency']?.p99).toBeCloseTo(200, 0);
    expect(r?.outside['gateway.latency']?.p99).toBeCloseTo(5, 1);
    // Judged to the fault's end instead: 10..14 s inside, 15 and 16 s its tail, the rest of the
    // drain's intervals fall outside.
    const [untilEnd] = await analyzeRecovery(dir, { insideUntil: 'end' });
    expect(untilEnd?.inside['e2e.latency']?.count).toBe(50);
    expect(untilEnd?.outside['e2e.latency']?.count).toBe(230);
    // Stamped as recorded, without the tail (the old rule): the first 1.25 s of each window's e2e
    // are the events before it, and the delayed events recorded after it count outside.
    const [stamped] = await analyzeRecovery(dir, { recordLagMs: {}, tailMs: 0 });
    expect(stamped?.inside['e2e.latency']?.p50).toBeCloseTo(1000, -1);
    expect(stamped?.inside['e2e.latency']?.count).toBe(90);
    expect(stamped?.outside['e2e.latency']?.p99).toBeCloseTo(1000, -1);
    expect(untilEnd?.outside['e2e.latency']?.p99).toBeCloseTo(1000, -1);
  });

  it('recovery - a backlog still above its bound when the run ends has no drain time and says why', async () => {
    writeRun(
      dir,
      { seconds: 20, faults: [{ id: 'kill-worker', startMs: 5_000, endMs: 8_000 }] },
      {
        consumer: (ms) => (ms < 5_000 ? noise(ms) : 500),
        outbox: () => 0,
        e2e: () => 10,
        gateway: () => 5,
      },
    );
    const [r] = await analyzeRecovery(dir);
    expect(r?.drainMs).toBeNull();
    expect(r?.recoveredAtMs).toBeNull();
    expect(r?.reason).toBe('consumer.pending stayed above its bound (10) before the run ended');
    expect(r?.peak['consumer.pending']).toBe(500);
    // Without recovery the impact window runs to the run's end: every interval from 5 s is inside.
    expect(r?.inside['e2e.latency']?.count).toBe(150);
    expect(r?.outside['e2e.latency']?.count).toBe(50);
  });

  it('recovery - judges each fault until the next one starts, and a fault without fault.end is reported as such', async () => {
    writeRun(
      dir,
      {
        seconds: 30,
        faults: [
          { id: 'a', startMs: 5_000, endMs: 7_000 },
          { id: 'b', startMs: 12_000, endMs: 14_000 },
          { id: 'c', startMs: 25_000 },
        ],
      },
      {
        // Fault a: back to normal 2 s after its end. Fault b: still high when c starts.
        consumer: (ms) => (ms < 5_000 ? 2 : ms < 9_000 ? 100 : ms < 12_000 ? 2 : 300),
        outbox: () => 0,
        e2e: () => 10,
        gateway: () => 5,
      },
    );
    const [a, b, c] = await analyzeRecovery(dir);
    // Steady values are all 2: 2 x 1.5 = 3 -> the minimum 10.
    expect(a?.drainMs).toBe(2_000);
    expect(a?.peak['consumer.pending']).toBe(100);
    expect(b?.drainMs).toBeNull();
    expect(b?.reason).toBe('consumer.pending stayed above its bound (10) before the next fault started');
    expect(c).toMatchObject({ id: 'c', endMs: null, drainMs: null, reason: 'the fault has no fault.end' });
  });

  it('recovery - takes configured bounds and a bound from a busier steady window', async () => {
    // Steady consumer.pending 0..99 -> p99 = 98 -> bound 147.
    const busy = (ms: number) => (ms / SAMPLE_MS) % 100;
    writeRun(
      dir,
      { seconds: 30, faults: [{ id: 'f', startMs: 10_000, endMs: 11_000 }] },
      {
        consumer: (ms) => (ms < 10_000 ? busy(ms) : ms < 13_000 ? 400 : 100),
        outbox: (ms) => (ms >= 10_000 && ms < 12_000 ? 30 : 0),
        e2e: () => 10,
        gateway: () => 5,
      },
    );
    const [derived] = await analyzeRecovery(dir);
    expect(derived?.bounds['consumer.pending']).toBe(147);
    expect(derived?.drainMs).toBe(2_000);
    const [fixed] = await analyzeRecovery(dir, { bounds: { 'consumer.pending': 50 } });
    expect(fixed?.bounds['consumer.pending']).toBe(50);
    expect(fixed?.reason).toMatch(/^consumer\.pending stayed above its bound \(50\)/);
  });

  it('recovery - a run without faults has nothing to report', async () => {
    writeRun(
      dir,
      { seconds: 3, faults: [] },
      { consumer: noise, outbox: noise, e2e: () => 1, gateway: () => 1 },
    );
    expect(await analyzeRecovery(dir)).toEqual([]);
  });

  it('recovery - report.json gets each window in seconds from the run start, and a changed outbox row fails the run', async () => {
    const consumer = (ms: number) =>
      ms < 10_000
        ? noise(ms)
        : ms <= 15_000
          ? 500
          : ms <= 19_000
            ? 500 * (1 - (ms - 15_000) / 4_000)
            : noise(ms);
    const changed = { before: sum(200, 'b'), after: sum(199, 'c'), unchanged: false };
    writeRun(
      dir,
      {
        seconds: 30,
        faults: [{ id: 'pause-nats', startMs: 10_000, endMs: 15_000 }],
        outboxGuard: {
          before: sum(500, 'x'),
          after: sum(499, 'y'),
          unchanged: false,
          preRun: changed,
          window: same,
        },
      },
      {
        consumer,
        outbox: (ms) => noise(ms) % 5,
        e2e: (ms) => (ms >= 10_000 && ms < 19_000 ? 1000 : 10),
        gateway: () => 5,
      },
    );
    const report = await buildRunReport(dir);
    expect(report.faults).toHaveLength(1);
    const [w] = report.faults ?? [];
    expect(w).toMatchObject({
      name: 'pause-nats',
      what: 'pause',
      where: 'nats',
      at: 10,
      for: 5,
      peakBacklog: { 'consumer.pending': 500 },
      bounds: { 'consumer.pending': 10, 'outbox.pending': 10 },
    });
    expect(Math.abs((w?.drainS ?? 0) - 4)).toBeLessThanOrEqual(SAMPLE_MS / 1000);
    expect(w?.p99Inside['e2e.latency']).toBeCloseTo(1000, -1);
    expect(w?.p99Outside['e2e.latency']).toBeCloseTo(10, 0);
    expect(report.outboxGuard?.preRun.unchanged).toBe(false);
    const guard = report.slos.find((slo) => slo.name === 'outbox.rows.unchanged');
    expect(guard).toMatchObject({ pass: false, observed: 1 });
    expect(guard?.reason).toBe(
      'outbox rows changed: rows created before the run: 200 rows before, 199 after',
    );
    expect(report.verdict).toBe('fail');
  });
});
