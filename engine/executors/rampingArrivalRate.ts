// ramping-arrival-rate: the rate moves linearly from startRate through each stage's target.
import { parseDuration } from '../duration.ts';
import { BASE_KEYS, basePlan, checkArrivalVUs, type Executor, FieldChecks } from './baseExecutor.ts';

export const RAMPING_ARRIVAL_RATE_DEFAULTS = { startRate: 0, timeUnit: '1s' } as const;
const KEYS = [...BASE_KEYS, 'startRate', 'timeUnit', 'stages', 'preAllocatedVUs', 'maxVUs'];

export const rampingArrivalRate: Executor = {
  name: 'ramping-arrival-rate',
  validate(scenario, raw) {
    const c = new FieldChecks(scenario, raw);
    c.unknownKeys(KEYS);
    c.base();
    c.rate('startRate', false);
    c.duration('timeUnit', false, true);
    const stages = c.stages('stages', false);
    if (stages.length > 0 && stages.every((s) => s.durationMs === 0))
      c.problem('stages', 'total duration must be positive');
    checkArrivalVUs(c);
    return c.problems;
  },
  plan(scenario, raw) {
    const c = new FieldChecks(scenario, raw);
    const pre = raw.preAllocatedVUs as number;
    return {
      ...basePlan(scenario, raw),
      model: 'arrival',
      arrival: {
        type: 'ramping',
        startRate: (raw.startRate as number | undefined) ?? RAMPING_ARRIVAL_RATE_DEFAULTS.startRate,
        timeUnitMs: parseDuration(raw.timeUnit ?? RAMPING_ARRIVAL_RATE_DEFAULTS.timeUnit) as number,
        stages: c.stages('stages', false),
      },
      preAllocatedVUs: pre,
      maxVUs: (raw.maxVUs as number | undefined) ?? pre,
    };
  },
};
