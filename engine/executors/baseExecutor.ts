// Shared by every executor: the options all of them take (k6's names and defaults) and small field
// checks that collect problems as `scenarios.<name>.<field>: <what is wrong>`.
import { parseDuration } from '../duration.ts';
import type { BasePlan, ExecutorPlan, Tags } from './executorPlan.ts';

export const BASE_DEFAULTS = { startTime: '0s', gracefulStop: '30s', exec: 'default' } as const;
export const BASE_KEYS = ['executor', 'startTime', 'gracefulStop', 'exec', 'tags'] as const;

export type RawScenario = Record<string, unknown>;

export interface Executor {
  /** k6's executor name, e.g. 'constant-arrival-rate'. */
  name: string;
  /** Every problem with the scenario's options at once (empty when valid). */
  validate(scenario: string, raw: RawScenario): string[];
  /** The plan, with defaults applied; only call when validate() returned nothing. */
  plan(scenario: string, raw: RawScenario): ExecutorPlan;
}

/** Collects problems for one scenario. */
export class FieldChecks {
  readonly problems: string[] = [];

  constructor(
    readonly scenario: string,
    readonly raw: RawScenario,
  ) {}

  problem(field: string, text: string): void {
    this.problems.push(`scenarios.${this.scenario}.${field}: ${text}`);
  }

  unknownKeys(allowed: readonly string[]): void {
    for (const key of Object.keys(this.raw)) {
      if (!allowed.includes(key)) this.problem(key, `unknown option for ${String(this.raw.executor)}`);
    }
  }

  /** An integer ≥ min; `required` when there is no default. */
  integer(field: string, min: number, required: boolean): number | undefined {
    const v = this.raw[field];
    if (v === undefined) {
      if (required) this.problem(field, 'is required');
      return undefined;
    }
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      this.problem(field, `must be an integer of at least ${min} (got ${JSON.stringify(v)})`);
      return undefined;
    }
    return v;
  }

  /** A finite number ≥ 0. */
  rate(field: string, required: boolean): number | undefined {
    const v = this.raw[field];
    if (v === undefined) {
      if (required) this.problem(field, 'is required');
      return undefined;
    }
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      this.problem(field, `must be a number of at least 0 (got ${JSON.stringify(v)})`);
      return undefined;
    }
    return v;
  }

  duration(field: string, required: boolean, positive = false, value = this.raw[field]): number | undefined {
    if (value === undefined) {
      if (required) this.problem(field, 'is required');
      return undefined;
    }
    const ms = parseDuration(value);
    if (ms === undefined || (positive && ms <= 0)) {
      this.problem(
        field,
        `must be a ${positive ? 'positive ' : ''}duration like '30s', '1m30s', '500ms' or ms (got ${JSON.stringify(value)})`,
      );
      return undefined;
    }
    return ms;
  }

  /** k6 stages: a non-empty list of {target, duration}. */
  stages(field: string, integerTargets: boolean): { target: number; durationMs: number }[] {
    const v = this.raw[field];
    if (!Array.isArray(v) || v.length === 0) {
      this.problem(field, 'must be a non-empty list of { target, duration }');
      return [];
    }
    const out: { target: number; durationMs: number }[] = [];
    v.forEach((stage: unknown, i) => {
      const at = `${field}[${i}]`;
      if (typeof stage !== 'object' || stage === null) {
        this.problem(at, 'must be { target, duration }');
        return;
      }
      const { target, duration, ...rest } = stage as Record<string, unknown>;
      for (const key of Object.keys(rest)) this.problem(`${at}.${key}`, 'unknown stage option');
      const targetOk =
        typeof target === 'number' &&
        Number.isFinite(target) &&
        target >= 0 &&
        (!integerTargets || Number.isInteger(target));
      if (!targetOk)
        this.problem(
          `${at}.target`,
          `must be ${integerTargets ? 'an integer' : 'a number'} of at least 0 (got ${JSON.stringify(target)})`,
        );
      const durationMs = this.duration(`${at}.duration`, true, false, duration);
      if (targetOk && durationMs !== undefined) out.push({ target: target as number, durationMs });
    });
    return out;
  }

  /** The options every executor takes. */
  base(): void {
    this.duration('startTime', false);
    this.duration('gracefulStop', false);
    const exec = this.raw.exec;
    if (exec !== undefined && (typeof exec !== 'string' || exec === ''))
      this.problem('exec', 'must be the name of an exported function');
    const tags = this.raw.tags;
    if (tags !== undefined) {
      if (typeof tags !== 'object' || tags === null || Array.isArray(tags))
        this.problem('tags', 'must be an object of string values');
      else
        for (const [k, val] of Object.entries(tags))
          if (typeof val !== 'string') this.problem(`tags.${k}`, 'must be a string');
    }
  }
}

/** The base plan fields with k6's defaults applied. */
export function basePlan(scenario: string, raw: RawScenario): BasePlan {
  return {
    name: scenario,
    executor: String(raw.executor),
    startTimeMs: parseDuration(raw.startTime ?? BASE_DEFAULTS.startTime) ?? 0,
    gracefulStopMs: parseDuration(raw.gracefulStop ?? BASE_DEFAULTS.gracefulStop) ?? 0,
    exec: typeof raw.exec === 'string' ? raw.exec : BASE_DEFAULTS.exec,
    tags: { ...((raw.tags as Tags | undefined) ?? {}) },
  };
}

/** preAllocatedVUs (required) and maxVUs (default preAllocatedVUs, never fewer), for arrival-rate executors. */
export function checkArrivalVUs(c: FieldChecks): void {
  const pre = c.integer('preAllocatedVUs', 1, true);
  const max = c.integer('maxVUs', 1, false);
  if (pre !== undefined && max !== undefined && max < pre) {
    c.problem('maxVUs', `must be at least preAllocatedVUs (${pre})`);
  }
}
