// constant-arrival-rate: `rate` iterations per `timeUnit` for `duration`, whatever the responses do.
import { parseDuration } from '../duration.ts';
import { BASE_KEYS, basePlan, checkArrivalVUs, type Executor, FieldChecks } from './baseExecutor.ts';

export const CONSTANT_ARRIVAL_RATE_DEFAULTS = { timeUnit: '1s' } as const;
const KEYS = [...BASE_KEYS, 'rate', 'timeUnit', 'duration', 'preAllocatedVUs', 'maxVUs'];

export const constantArrivalRate: Executor = {
  name: 'constant-arrival-rate',
  validate(scenario, raw) {
    const c = new FieldChecks(scenario, raw);
    c.unknownKeys(KEYS);
    c.base();
    const rate = c.rate('rate', true);
    if (rate === 0) c.problem('rate', 'must be greater than 0');
    c.duration('timeUnit', false, true);
    c.duration('duration', true, true);
    checkArrivalVUs(c);
    return c.problems;
  },
  plan(scenario, raw) {
    const pre = raw.preAllocatedVUs as number;
    return {
      ...basePlan(scenario, raw),
      model: 'arrival',
      arrival: {
        type: 'constant',
        rate: raw.rate as number,
        timeUnitMs: parseDuration(raw.timeUnit ?? CONSTANT_ARRIVAL_RATE_DEFAULTS.timeUnit) as number,
        durationMs: parseDuration(raw.duration) as number,
      },
      preAllocatedVUs: pre,
      maxVUs: (raw.maxVUs as number | undefined) ?? pre,
    };
  },
};
