// ramping-vus: the number of looping VUs moves linearly from startVUs through each stage's target;
// a VU ramped down finishes its iteration within gracefulRampDown, then it is interrupted.
import { parseDuration } from '../duration.ts';
import { BASE_KEYS, basePlan, type Executor, FieldChecks } from './baseExecutor.ts';

export const RAMPING_VUS_DEFAULTS = { startVUs: 1, gracefulRampDown: '30s' } as const;
const KEYS = [...BASE_KEYS, 'startVUs', 'stages', 'gracefulRampDown'];

export const rampingVus: Executor = {
  name: 'ramping-vus',
  validate(scenario, raw) {
    const c = new FieldChecks(scenario, raw);
    c.unknownKeys(KEYS);
    c.base();
    c.integer('startVUs', 0, false);
    const stages = c.stages('stages', true);
    if (stages.length > 0 && stages.every((s) => s.durationMs === 0))
      c.problem('stages', 'total duration must be positive');
    c.duration('gracefulRampDown', false);
    return c.problems;
  },
  plan(scenario, raw) {
    const c = new FieldChecks(scenario, raw);
    return {
      ...basePlan(scenario, raw),
      model: 'vus',
      startVUs: (raw.startVUs as number | undefined) ?? RAMPING_VUS_DEFAULTS.startVUs,
      stages: c.stages('stages', true),
      gracefulRampDownMs: parseDuration(
        raw.gracefulRampDown ?? RAMPING_VUS_DEFAULTS.gracefulRampDown,
      ) as number,
    };
  },
};
