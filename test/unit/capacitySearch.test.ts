// The capacity search against synthetic pipelines whose limit is known: the knee is found within
// the precision, a saturated generator is reported as the limit, one flaky failure does not end
// the ramp, and a resumed search runs no finished step again.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CAPACITY_DEFAULTS } from '../../runner/capacity/capacityDefaults.ts';
import {
  nextStep,
  type SearchOptions,
  type SearchStep,
  searchCapacity,
} from '../../runner/capacity/capacitySearch.ts';
import type { Criterion } from '../../runner/capacity/stepVerdict.ts';

const OPTIONS: SearchOptions = {
  startRate: 25,
  factor: 2,
  precision: 0.05,
  maxRate: 100_000,
  minRate: 1,
  maxSteps: 30,
  confirmFailures: true,
};

/** A pipeline that sustains up to `knee` events/s and fails above it on `criterion`. */
function knee(kneeRate: number, criterion: Criterion = 'backlog-drift') {
  const ran: { rate: number; attempt: number }[] = [];
  const step = async (rate: number, attempt: number): Promise<SearchStep> => {
    ran.push({ rate, attempt });
    const ok = rate <= kneeRate;
    return { rate, attempt, sustainable: ok, failed: ok ? [] : [criterion] };
  };
  return { ran, step };
}

describe('capacity search', () => {
  it('finds a known knee within the precision, naming what the first failing rate failed on', async () => {
    const pipeline = knee(150, 'slo');
    const result = await searchCapacity(OPTIONS, pipeline.step);
    expect(result.conclusion).toBe('found');
    const found = result.sustainableRate ?? 0;
    expect(found).toBeLessThanOrEqual(150);
    expect(found).toBeGreaterThanOrEqual(150 * (1 - OPTIONS.precision));
    expect(result.failingRate).toBeGreaterThan(150);
    expect(((result.failingRate ?? 0) - found) / found).toBeLessThanOrEqual(OPTIONS.precision);
    expect(result.margin).toBeCloseTo(((result.failingRate ?? 0) - found) / found, 3);
    expect(result.criterion).toBe('slo');
    // Ramp 25, 50, 100, 200 (confirmed), then bisection between 100 and 200.
    expect(pipeline.ran.slice(0, 5)).toEqual([
      { rate: 25, attempt: 1 },
      { rate: 50, attempt: 1 },
      { rate: 100, attempt: 1 },
      { rate: 200, attempt: 1 },
      { rate: 200, attempt: 2 },
    ]);
    expect(pipeline.ran[5]).toEqual({ rate: 150, attempt: 1 });
  });

  it('finds knees across decades within the precision', async () => {
    for (const k of [3, 37, 999, 12_345]) {
      const result = await searchCapacity({ ...OPTIONS, confirmFailures: false }, knee(k).step);
      expect(result.conclusion, `knee ${k}`).toBe('found');
      const found = result.sustainableRate ?? 0;
      expect(found, `knee ${k}`).toBeLessThanOrEqual(k);
      expect(found, `knee ${k}`).toBeGreaterThanOrEqual(k * (1 - OPTIONS.precision));
    }
  });

  it('finds any knee between minRate and maxRate within the precision, for any start and factor', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.double({ min: 2, max: 50_000, noNaN: true }),
        fc.double({ min: 1, max: 5_000, noNaN: true }),
        fc.double({ min: 1.2, max: 4, noNaN: true }),
        fc.constantFrom(0.02, 0.05, 0.1),
        async (k, startRate, factor, precision) => {
          const o = { ...OPTIONS, startRate, factor, precision, maxSteps: 200, confirmFailures: false };
          const result = await searchCapacity(o, knee(k).step);
          expect(result.conclusion).toBe('found');
          const found = result.sustainableRate ?? 0;
          expect(found).toBeLessThanOrEqual(k);
          // Rates are offered to a hundredth: allow that on top of the precision.
          expect(found).toBeGreaterThanOrEqual(k / (1 + precision) - 0.01);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('trusts the failure when a flaky pipeline passed above a rate it failed at, and searches below it', () => {
    const next = nextStep({ ...OPTIONS, confirmFailures: false }, [
      { rate: 100, attempt: 1, sustainable: true, failed: [] },
      { rate: 50, attempt: 1, sustainable: false, failed: ['slo'] },
    ]);
    expect(next).toMatchObject({ kind: 'run', rate: 25, state: { lo: null, hi: 50, phase: 'step-down' } });
  });

  it('steps down from a first step that already fails', async () => {
    const pipeline = knee(12);
    const result = await searchCapacity(
      { ...OPTIONS, startRate: 100, confirmFailures: false },
      pipeline.step,
    );
    expect(pipeline.ran.map((r) => r.rate).slice(0, 4)).toEqual([100, 50, 25, 12.5]);
    expect(result.conclusion).toBe('found');
    expect(result.sustainableRate ?? 0).toBeGreaterThanOrEqual(12 * 0.95);
  });

  it('stops at a saturated generator and names the generator, not the pipeline, as the limit', async () => {
    const ran: number[] = [];
    // The pipeline would carry 1000/s; the generator gives out above 80/s.
    const result = await searchCapacity(OPTIONS, async (rate, attempt) => {
      ran.push(rate);
      const failed: Criterion[] = rate > 80 ? ['generator-saturated', 'dropped-iterations'] : [];
      return { rate, attempt, sustainable: failed.length === 0, failed };
    });
    expect(result.conclusion).toBe('generator-limit');
    expect(result.criterion).toBe('generator-saturated');
    expect(result.sustainableRate).toBe(50);
    expect(result.failingRate).toBe(100);
    expect(result.note).toContain('--workers');
    expect(result.note).toContain('segments');
    // One confirming re-run of the saturated step, and no bisection after the generator gave out.
    expect(ran).toEqual([25, 50, 100, 100]);
  });

  it('re-runs a step whose generator saturated once: a re-run that keeps up lets the search go on', async () => {
    const seen = new Map<number, number>();
    // The generator is busy only during the first attempt at 100/s (another job on the host).
    const result = await searchCapacity(OPTIONS, async (rate, attempt) => {
      seen.set(rate, (seen.get(rate) ?? 0) + 1);
      const failed: Criterion[] =
        rate === 100 && attempt === 1 ? ['generator-saturated'] : rate > 150 ? ['slo'] : [];
      return { rate, attempt, sustainable: failed.length === 0, failed };
    });
    expect(seen.get(100)).toBe(2);
    expect(result.conclusion).toBe('found');
    expect(result.criterion).toBe('slo');
    expect(result.sustainableRate ?? 0).toBeGreaterThanOrEqual(150 / 1.05);
    expect(result.sustainableRate ?? 0).toBeLessThanOrEqual(150);
  });

  it('re-runs a failing step once, so a single flaky failure does not end the ramp', async () => {
    const seen = new Map<number, number>();
    const result = await searchCapacity(OPTIONS, async (rate, attempt) => {
      seen.set(rate, (seen.get(rate) ?? 0) + 1);
      // 50/s fails the first time only (a GC pause, a noisy neighbour); the real knee is 150/s.
      const flake = rate === 50 && attempt === 1;
      const ok = rate <= 150 && !flake;
      return { rate, attempt, sustainable: ok, failed: ok ? [] : ['slo'] };
    });
    expect(seen.get(50)).toBe(2);
    expect(result.conclusion).toBe('found');
    expect(result.sustainableRate ?? 0).toBeGreaterThanOrEqual(150 * 0.95);
    expect(result.steps.filter((s) => s.rate === 50).map((s) => s.sustainable)).toEqual([false, true]);
  });

  it('without confirmation a flaky failure ends the ramp early (the re-run is what saves it)', async () => {
    const result = await searchCapacity({ ...OPTIONS, confirmFailures: false }, async (rate, attempt) => {
      const ok = rate <= 150 && rate !== 50;
      return { rate, attempt, sustainable: ok, failed: ok ? [] : ['slo'] };
    });
    expect(result.sustainableRate ?? 0).toBeLessThan(50);
  });

  it('a resumed search runs none of the finished steps and ends where the uninterrupted one does', async () => {
    const full = knee(333);
    const whole = await searchCapacity(OPTIONS, full.step);
    const prior = whole.steps.slice(0, 6);
    const rest = knee(333);
    const resumed = await searchCapacity(OPTIONS, rest.step, prior);
    expect(resumed).toEqual(whole);
    expect(rest.ran).toEqual(full.ran.slice(6));
  });

  it('says so when every step up to maxRate is sustainable, and when maxSteps runs out', async () => {
    const unlimited = await searchCapacity({ ...OPTIONS, maxRate: 300 }, knee(1e9).step);
    expect(unlimited.conclusion).toBe('max-rate');
    expect(unlimited.sustainableRate).toBe(300);
    expect(unlimited.steps.map((s) => s.rate)).toEqual([25, 50, 100, 200, 300]);

    const short = await searchCapacity({ ...OPTIONS, maxSteps: 3 }, knee(1e9).step);
    expect(short.conclusion).toBe('step-limit');
    expect(short.steps).toHaveLength(3);
  });

  it('reports no sustainable rate when even the minimum rate fails', async () => {
    const result = await searchCapacity({ ...OPTIONS, minRate: 5, confirmFailures: false }, knee(0).step);
    expect(result.conclusion).toBe('none-sustainable');
    expect(result.sustainableRate).toBeNull();
    // minRate itself is the last rate tried.
    expect(result.steps.map((s) => s.rate)).toEqual([25, 12.5, 6.25, 5]);
    expect(result.failingRate).toBe(5);
  });

  it('rejects options that cannot search, naming each', () => {
    expect(nextStep(OPTIONS, [])).toMatchObject({ kind: 'run', rate: 25, attempt: 1 });
    return expect(searchCapacity({ ...OPTIONS, factor: 1, precision: 0 }, knee(1).step)).rejects.toThrow(
      /precision must be a number above 0; factor must be above 1/,
    );
  });

  it('uses 5% precision by default', () => {
    expect(CAPACITY_DEFAULTS.precision).toBe(0.05);
  });
});
