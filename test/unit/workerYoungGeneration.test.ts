// The worker's young generation follows the rate it will offer: large only where GC throughput binds.
import { describe, expect, it } from 'vitest';
import { type ArrivalPlan, planPeakRatePerS, type VusPlan } from '../../engine/executors/executorPlan.ts';
import { LARGE_YOUNG_GENERATION_MB, workerYoungGenerationMb } from '../../engine/workerYoungGeneration.ts';

const base = { name: 's', startTimeMs: 0, gracefulStopMs: 30_000, exec: 'default', tags: {} };
const constant = (rate: number, timeUnitMs = 1000): ArrivalPlan => ({
  ...base,
  executor: 'constant-arrival-rate',
  model: 'arrival',
  arrival: { type: 'constant', rate, timeUnitMs, durationMs: 60_000 },
  preAllocatedVUs: 10,
  maxVUs: 10,
});
const ramp = (startRate: number, targets: number[]): ArrivalPlan => ({
  ...constant(0),
  executor: 'ramping-arrival-rate',
  arrival: {
    type: 'ramping',
    startRate,
    timeUnitMs: 1000,
    stages: targets.map((target) => ({ target, durationMs: 1000 })),
  },
});
const vus: VusPlan = {
  ...base,
  executor: 'constant-vus',
  model: 'vus',
  startVUs: 10,
  stages: [{ target: 10, durationMs: 60_000 }],
  gracefulRampDownMs: 30_000,
};

describe('planPeakRatePerS', () => {
  it('is the rate per second, whatever the timeUnit', () => {
    expect(planPeakRatePerS(constant(300, 60_000))).toBe(5);
    expect(planPeakRatePerS(constant(5000))).toBe(5000);
  });
  it("is a ramp's highest stage target or its start rate", () => {
    expect(planPeakRatePerS(ramp(100, [20_000, 50]))).toBe(20_000);
    expect(planPeakRatePerS(ramp(700, [0]))).toBe(700);
  });
  it('has no bound for a closed model', () => {
    expect(planPeakRatePerS(vus)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('workerYoungGenerationMb', () => {
  it("keeps V8's default at 5,000/s on one worker, where the pause length is what iteration.delay sees", () => {
    expect(workerYoungGenerationMb([constant(5000)], 1)).toBeUndefined();
    expect(workerYoungGenerationMb([constant(10_000)], 1)).toBeUndefined();
  });
  it('gives the large young generation above 10,000/s per worker, summing the scenarios', () => {
    expect(workerYoungGenerationMb([constant(10_001)], 1)).toBe(LARGE_YOUNG_GENERATION_MB);
    expect(workerYoungGenerationMb([constant(6000), ramp(0, [6000])], 1)).toBe(LARGE_YOUNG_GENERATION_MB);
  });
  it('divides the rate among the workers', () => {
    expect(workerYoungGenerationMb([constant(30_000)], 2)).toBe(LARGE_YOUNG_GENERATION_MB);
    expect(workerYoungGenerationMb([constant(30_000)], 3)).toBeUndefined();
  });
  it('gives a closed-model scenario, which runs as fast as it can, the large one', () => {
    expect(workerYoungGenerationMb([vus], 4)).toBe(LARGE_YOUNG_GENERATION_MB);
  });
});
