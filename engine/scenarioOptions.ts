// Resolves a scenario bundle's `options` (an object, or a function of the run's load settings) into
// validated executor plans, reporting every problem of every scenario at once.

import type { ExecutorPlan } from './executors/executorPlan.ts';
import { EXECUTORS } from './executors/executors.ts';

export interface LoadSettings {
  rate: number;
  durationMs: number;
  warmUpMs: number;
  vus: { preAllocated: number; max: number };
  seed: number;
}

/** Bad scenario options; `problems` one per line (the CLI prints them and exits 2). */
export class OptionsError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'OptionsError';
  }
}

/** `isExported(name)`, when given, also checks that each scenario's exec function exists in the bundle. */
export function resolveScenarioOptions(
  options: unknown,
  load: LoadSettings,
  isExported?: (name: string) => boolean,
): ExecutorPlan[] {
  let value = options;
  if (typeof value === 'function') {
    try {
      value = (value as (l: LoadSettings) => unknown)(load);
    } catch (err) {
      throw new OptionsError([`options: the options function threw: ${(err as Error).message}`]);
    }
  }
  if (value === undefined) throw new OptionsError(['options: the scenario exports no options']);
  if (typeof value !== 'object' || value === null)
    throw new OptionsError(['options: must be an object or a function returning one']);
  const scenarios = (value as { scenarios?: unknown }).scenarios;
  if (
    typeof scenarios !== 'object' ||
    scenarios === null ||
    Array.isArray(scenarios) ||
    Object.keys(scenarios).length === 0
  ) {
    throw new OptionsError(['options.scenarios: must name at least one scenario']);
  }
  const problems: string[] = [];
  for (const key of Object.keys(value))
    if (key !== 'scenarios') problems.push(`options.${key}: unknown option`);
  const plans: ExecutorPlan[] = [];
  for (const [name, raw] of Object.entries(scenarios)) {
    if (!/^[A-Za-z0-9_-]+$/.test(name))
      problems.push(`scenarios.${name}: name may hold only letters, digits, '_' and '-'`);
    if (typeof raw !== 'object' || raw === null) {
      problems.push(`scenarios.${name}: must be an object`);
      continue;
    }
    const executorName = (raw as { executor?: unknown }).executor;
    const executor = typeof executorName === 'string' ? EXECUTORS.get(executorName) : undefined;
    if (executor === undefined) {
      problems.push(
        `scenarios.${name}.executor: must be one of ${[...EXECUTORS.keys()].join(', ')} (got ${JSON.stringify(executorName)})`,
      );
      continue;
    }
    const found = executor.validate(name, raw as Record<string, unknown>);
    const exec = (raw as { exec?: unknown }).exec ?? 'default';
    if (isExported !== undefined && typeof exec === 'string' && exec !== '' && !isExported(exec)) {
      found.push(
        `scenarios.${name}.exec: the scenario exports no function "${exec}"${exec === 'default' ? ' (export default async function (ctx) {...})' : ''}`,
      );
    }
    if (found.length > 0) problems.push(...found);
    else plans.push(executor.plan(name, raw as Record<string, unknown>));
  }
  if (problems.length > 0) throw new OptionsError(problems);
  return plans;
}
