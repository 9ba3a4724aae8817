// constant-vus: `vus` VUs loop over iterations for `duration` (closed model: service time only).
import { parseDuration } from '../duration.ts';
import { BASE_KEYS, basePlan, type Executor, FieldChecks } from './baseExecutor.ts';

export const CONSTANT_VUS_DEFAULTS = { vus: 1 } as const;
const KEYS = [...BASE_KEYS, 'vus', 'duration'];

export const constantVus: Executor = {
  name: 'constant-vus',
  validate(scenario, raw) {
    const c = new FieldChecks(scenario, raw);
    c.unknownKeys(KEYS);
    c.base();
    c.integer('vus', 1, false);
    c.duration('duration', true, true);
    return c.problems;
  },
  plan(scenario, raw) {
    const vus = (raw.vus as number | undefined) ?? CONSTANT_VUS_DEFAULTS.vus;
    return {
      ...basePlan(scenario, raw),
      model: 'vus',
      startVUs: vus,
      stages: [{ target: vus, durationMs: parseDuration(raw.duration) as number }],
      gracefulRampDownMs: 0,
    };
  },
};
