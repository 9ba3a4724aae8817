import { describe, expect, it } from 'vitest';
import type { EngineTick } from '../../engine/runEngine.ts';
import { METRIC } from '../../record/metricCatalog.ts';
import { slosSchema } from '../../record/sloConfig.ts';
import { formatProgressBlock } from '../../runner/progress/formatProgressBlock.ts';
import { progressTicks } from '../../runner/run/progressTicks.ts';

const live = { latestGauges: () => [], summaries: () => ({}) };
const slos = slosSchema.parse({});
const machine = () => ({ loadAverage: 23.1, cores: 2 });

function engineTick(over: Partial<EngineTick>): EngineTick {
  return {
    atMs: 0,
    elapsedMs: 1000,
    totalMs: 20_000,
    targetRate: 50,
    achievedRate: 50,
    iterations: 0,
    dropped: 0,
    interrupted: 0,
    errors: 0,
    vus: 10,
    latency: {},
    eventLoopDelayP99Ms: 2,
    cpu: 0.07,
    saturated: false,
    final: false,
    ...over,
  };
}

/**
 * The engine's ticks as its tick() makes them: every worker report that arrived since the last
 * tick, over the time since the last tick; the schedule's rate at the tick's instant (0 after it).
 */
function engineTicks(
  reports: { atMs: number; started: number }[],
  tickTimes: number[],
  totalMs: number,
  rate: (elapsedMs: number) => number,
): EngineTick[] {
  let last = 0;
  return tickTimes.map((at) => {
    const started = reports.filter((r) => r.atMs > last && r.atMs <= at).reduce((n, r) => n + r.started, 0);
    const t = engineTick({
      elapsedMs: at,
      totalMs,
      targetRate: at <= totalMs ? rate(at) : 0,
      achievedRate: started / Math.max(0.001, (at - last) / 1000),
    });
    last = at;
    return t;
  });
}

describe('progressTicks rates', () => {
  // A 20 s run at 50/s: one worker reports 50 started iterations a second, at its own phase
  // (0.98 s past each tick) with a loaded machine's jitter; the main thread ticks about every
  // second, also late by a varying amount; the final tick comes 124 ms after the one before and
  // holds the last report.
  const jitter = [0, 60, -40, 90, 30, -20, 110, 0, 70, -50, 20, 100, -30, 40, 80, -10, 50, 10, 90, 70];
  const reports = jitter.map((j, i) => ({ atMs: i * 1000 + 980 + j, started: 50 }));
  const tickTimes = [...jitter.slice(0, 19).map((j, i) => (i + 1) * 1000 + (j > 50 ? 0 : 120))];
  tickTimes.push(19_990, 20_114);
  const ticks = engineTicks(reports, tickTimes, 20_000, () => 50);

  it('progress - the engine’s own per-tick rate is as wrong as the demo showed (the case this guards)', () => {
    const raw = ticks.map((t) => t.achievedRate);
    expect(Math.max(...raw.slice(0, -1))).toBeGreaterThan(85); // two reports in one tick
    expect(Math.min(...raw.slice(1, -1))).toBe(0); // none in the next
    expect(raw.at(-1)).toBeGreaterThan(380); // 50 iterations over 124 ms
    expect(ticks.at(-1)?.targetRate).toBe(0);
  });

  it('progress - mid-run the achieved rate is within one report of 50/s over a 10 s window', () => {
    const p = progressTicks({ scenario: 'steady', slos, warmUpMs: 5000, machine });
    const shown = ticks.map((t) => p.of(t, live, false));
    for (const s of shown.filter((s) => s.elapsedMs >= 10_000 && s.elapsedMs < 20_000)) {
      // The newest tick at least 10 s back: late ticks make it up to a second more.
      expect(s.rateWindow).toMatch(/^last 1[01] s$/);
      expect(s.targetRate).toBeCloseTo(50, 6);
      // One 50-iteration report more or less over 10 s is 5/s.
      expect(s.achievedRate).toBeGreaterThanOrEqual(44);
      expect(s.achievedRate).toBeLessThanOrEqual(56);
    }
    expect(shown[3]?.rateWindow).toBe('last 4 s');
  });

  it('progress - at the end both rates are over the whole schedule, and the target is the schedule’s', () => {
    const p = progressTicks({ scenario: 'steady', slos, warmUpMs: 5000, machine });
    const last = ticks.map((t) => p.of(t, live, false)).at(-1);
    expect(last?.phase).toBe('graceful stop');
    expect(last?.rateWindow).toBe('whole run');
    expect(last?.targetRate).toBeCloseTo(50, 6);
    // All 1,000 started iterations over the 20 s schedule.
    expect(last?.achievedRate).toBeCloseTo(50, 6);
  });

  it('progress - a final tick just before the schedule’s end, holding the last late report, shows the whole run', () => {
    // The demo's last line: the final tick at 59.9 s of 60 s held the workers' last reports, so a
    // 10 s window counted about 11 s of iterations (54.4 events/s of 50).
    const early = engineTicks(reports, tickTimes.slice(0, 19), 20_000, () => 50);
    const p = progressTicks({ scenario: 'steady', slos, warmUpMs: 5000, machine });
    for (const t of early) p.of(t, live, false);
    const lastTickAt = tickTimes[18] as number;
    const final = engineTick({
      elapsedMs: 19_950,
      totalMs: 20_000,
      targetRate: 50,
      // The two reports after the last regular tick, flushed by the workers as they ended.
      achievedRate: 100 / ((19_950 - lastTickAt) / 1000),
      final: true,
    });
    const shown = p.of(final, live, false);
    expect(shown.rateWindow).toBe('whole run');
    expect(shown.achievedRate).toBeCloseTo(50, 6);
  });

  it('progress - a ramp compares achieved with the schedule over the same window', () => {
    // 10/s rising by 10/s each second; the generator keeps up, reporting exactly on the tick.
    const rate = (ms: number) => 10 * Math.ceil(ms / 1000);
    const reports = Array.from({ length: 10 }, (_, i) => ({ atMs: (i + 1) * 1000, started: 10 * (i + 1) }));
    const p = progressTicks({ scenario: 'ramp', slos, warmUpMs: 0, rateWindowMs: 4000, machine });
    const shown = engineTicks(
      reports,
      reports.map((r) => r.atMs),
      20_000,
      rate,
    ).map((t) => p.of(t, live, false));
    const at8 = shown[7];
    // Seconds 5..8 asked for 50+60+70+80 and started as many.
    expect(at8?.targetRate).toBeCloseTo(65, 6);
    expect(at8?.achievedRate).toBeCloseTo(65, 6);
    expect(at8?.scenario).toBe('ramp');
  });

  it('progress - a closed model (VUs, no schedule) has no target rate', () => {
    const p = progressTicks({ scenario: 'soak', slos, warmUpMs: 0, machine });
    const t = p.of(engineTick({ targetRate: 0, achievedRate: 12 }), live, false);
    expect(t.targetRate).toBeUndefined();
    expect(t.achievedRate).toBe(12);
  });
});

describe('progressTicks phases, errors and generator health', () => {
  it('progress - phases follow the warm-up, the schedule’s end and Ctrl-C; the scenario keeps its name', () => {
    const p = progressTicks({ scenario: 'spike', slos, warmUpMs: 5000, machine });
    const phase = (elapsedMs: number, stopping = false) =>
      p.of(engineTick({ elapsedMs }), live, stopping).phase;
    expect([phase(1000), phase(6000), phase(20_100), phase(21_000, true)]).toEqual([
      'warm-up',
      'measuring',
      'graceful stop',
      'stopping',
    ]);
    const block = formatProgressBlock(p.of(engineTick({ elapsedMs: 22_000 }), live, false));
    expect(block[0]).toMatch(/ spike: graceful stop$/);
  });

  it('progress - errors count failed requests and publishes from the engine’s counters, and thrown iterations', () => {
    const p = progressTicks({ scenario: 'steady', slos, warmUpMs: 0, machine });
    p.count(METRIC.httpRequests, 600);
    p.count(METRIC.httpErrors, 100);
    p.count(METRIC.loadIterations, 600);
    p.of(engineTick({ elapsedMs: 1000 }), live, false);
    p.count(METRIC.httpRequests, 400);
    p.count(METRIC.httpErrors, 59);
    p.count(METRIC.jetstreamPublishErrors, 3);
    const t = p.of(engineTick({ elapsedMs: 2000, errors: 4 }), live, false);
    expect(t.errors).toEqual({ failedRequests: 159, requests: 1000, failedPublishes: 3, thrown: 4 });
    expect(formatProgressBlock(t)[2]).toBe(
      'errors     159 of 1,000 requests failed   3 publishes failed   4 iterations threw',
    );
  });

  it('progress - a saturated generator says which rule tripped and that a busy machine, not the harness, is behind it', () => {
    const p = progressTicks({ scenario: 'steady', slos, warmUpMs: 0, machine });
    const t = p.of(engineTick({ saturated: true, eventLoopDelayP99Ms: 38, cpu: 0.07 }), live, false);
    expect(t.generator.saturationRule).toBe('event-loop delay p99 > 25 ms or loop busy >= 95% for 5 s');
    expect(formatProgressBlock(t).slice(-3)).toEqual([
      'generator  SATURATED   event loop p99 38 ms   cpu 7%   machine load 23.1 on 2 cores',
      '           flagged on event-loop delay p99 > 25 ms or loop busy >= 95% for 5 s',
      '           cause: other processes, not harness work; latencies include the delay',
    ]);
    const ok = p.of(engineTick({ elapsedMs: 2000 }), live, false);
    expect(ok.generator.saturationRule).toBeUndefined();
  });
});
