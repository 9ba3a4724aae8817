import { describe, expect, test } from 'vitest';
import { parseDuration } from '../../engine/duration.ts';
import { constantArrivalRate } from '../../engine/executors/constantArrivalRate.ts';
import { constantVus } from '../../engine/executors/constantVus.ts';
import { rampingArrivalRate } from '../../engine/executors/rampingArrivalRate.ts';
import { rampingVus } from '../../engine/executors/rampingVus.ts';
import { OptionsError, resolveScenarioOptions } from '../../engine/scenarioOptions.ts';

const LOAD = { rate: 50, durationMs: 20_000, warmUpMs: 0, vus: { preAllocated: 5, max: 10 }, seed: 1 };

function problems(options: unknown): string[] {
  try {
    resolveScenarioOptions(options, LOAD);
  } catch (err) {
    if (err instanceof OptionsError) return err.problems;
    throw err;
  }
  return [];
}

describe('k6 durations', () => {
  test('parse strings with units, bare seconds and ms numbers', () => {
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1h2m3s4ms')).toBe(3_723_004);
    expect(parseDuration('2.5s')).toBe(2500);
    expect(parseDuration('3')).toBe(3000);
    expect(parseDuration(250)).toBe(250);
    expect(parseDuration('10x')).toBeUndefined();
    expect(parseDuration('s')).toBeUndefined();
    expect(parseDuration(-1)).toBeUndefined();
  });
});

describe('executor validate() reports every problem at once', () => {
  test('constant-arrival-rate: missing rate, missing preAllocatedVUs, bad duration, unknown option', () => {
    expect(
      constantArrivalRate.validate('steady', { executor: 'constant-arrival-rate', duration: 'soon', vus: 3 }),
    ).toEqual([
      'scenarios.steady.vus: unknown option for constant-arrival-rate',
      'scenarios.steady.rate: is required',
      "scenarios.steady.duration: must be a positive duration like '30s', '1m30s', '500ms' or ms (got \"soon\")",
      'scenarios.steady.preAllocatedVUs: is required',
    ]);
  });

  test('maxVUs below preAllocatedVUs names both', () => {
    expect(
      constantArrivalRate.validate('steady', {
        executor: 'constant-arrival-rate',
        rate: 10,
        duration: '10s',
        preAllocatedVUs: 10,
        maxVUs: 4,
      }),
    ).toEqual(['scenarios.steady.maxVUs: must be at least preAllocatedVUs (10)']);
  });

  test('k6 defaults: timeUnit 1s, gracefulStop 30s, startTime 0, exec default, maxVUs = preAllocatedVUs', () => {
    const raw = { executor: 'constant-arrival-rate', rate: 10, duration: '10s', preAllocatedVUs: 3 };
    expect(constantArrivalRate.validate('s', raw)).toEqual([]);
    expect(constantArrivalRate.plan('s', raw)).toEqual({
      name: 's',
      executor: 'constant-arrival-rate',
      startTimeMs: 0,
      gracefulStopMs: 30_000,
      exec: 'default',
      tags: {},
      model: 'arrival',
      arrival: { type: 'constant', rate: 10, timeUnitMs: 1000, durationMs: 10_000 },
      preAllocatedVUs: 3,
      maxVUs: 3,
    });
  });

  test('ramping-arrival-rate: bad stages are each named by index and field', () => {
    expect(
      rampingArrivalRate.validate('ramp', {
        executor: 'ramping-arrival-rate',
        stages: [{ target: -1, duration: '1s' }, { target: 5 }, { target: 5, duration: '1s', foo: 1 }],
        preAllocatedVUs: 2,
        startTime: 'later',
        tags: { team: 7 },
      }),
    ).toEqual([
      "scenarios.ramp.startTime: must be a duration like '30s', '1m30s', '500ms' or ms (got \"later\")",
      'scenarios.ramp.tags.team: must be a string',
      'scenarios.ramp.stages[0].target: must be a number of at least 0 (got -1)',
      'scenarios.ramp.stages[1].duration: is required',
      'scenarios.ramp.stages[2].foo: unknown stage option',
    ]);
  });

  test('constant-vus and ramping-vus defaults (vus 1, startVUs 1, gracefulRampDown 30s)', () => {
    const c = constantVus.plan('c', { executor: 'constant-vus', duration: '5s' });
    expect(c).toMatchObject({ model: 'vus', startVUs: 1, stages: [{ target: 1, durationMs: 5000 }] });
    const r = {
      executor: 'ramping-vus',
      stages: [{ target: 4, duration: '2s' }],
      exec: 'browse',
      tags: { a: 'b' },
    };
    expect(rampingVus.validate('r', r)).toEqual([]);
    expect(rampingVus.plan('r', r)).toMatchObject({
      startVUs: 1,
      gracefulRampDownMs: 30_000,
      exec: 'browse',
      tags: { a: 'b' },
    });
    expect(
      rampingVus.validate('r', { executor: 'ramping-vus', stages: [{ target: 1.5, duration: '1s' }] }),
    ).toEqual(['scenarios.r.stages[0].target: must be an integer of at least 0 (got 1.5)']);
  });
});

describe('scenario options', () => {
  test('an options function receives the load settings', () => {
    const plans = resolveScenarioOptions(
      (load: typeof LOAD) => ({
        scenarios: {
          steady: {
            executor: 'constant-arrival-rate',
            rate: load.rate,
            duration: load.durationMs,
            preAllocatedVUs: load.vus.preAllocated,
            maxVUs: load.vus.max,
            startTime: '2s',
          },
        },
      }),
      LOAD,
    );
    expect(plans).toHaveLength(1);
    expect(plans[0]).toMatchObject({
      startTimeMs: 2000,
      maxVUs: 10,
      arrival: { rate: 50, durationMs: 20_000 },
    });
  });

  test('problems of every scenario are listed together, unknown executors included', () => {
    expect(
      problems({
        scenarios: {
          a: { executor: 'constant-arrival-rate', rate: 1, duration: '1s', preAllocatedVUs: 0 },
          b: { executor: 'per-vu-iterations' },
          c: { executor: 'constant-vus', vus: 0, duration: '1s' },
        },
        thresholds: {},
      }),
    ).toEqual([
      'options.thresholds: unknown option',
      'scenarios.a.preAllocatedVUs: must be an integer of at least 1 (got 0)',
      'scenarios.b.executor: must be one of constant-arrival-rate, ramping-arrival-rate, constant-vus, ramping-vus (got "per-vu-iterations")',
      'scenarios.c.vus: must be an integer of at least 1 (got 0)',
    ]);
  });

  test('missing or empty scenarios is one clear problem', () => {
    expect(problems(undefined)).toEqual(['options: the scenario exports no options']);
    expect(problems({ scenarios: {} })).toEqual(['options.scenarios: must name at least one scenario']);
    expect(
      problems(() => {
        throw new Error('no rate');
      }),
    ).toEqual(['options: the options function threw: no rate']);
  });
});
