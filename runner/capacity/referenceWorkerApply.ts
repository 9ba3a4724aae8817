// The apply step for the reference pipeline: restart its worker with BATCH_SIZE and DB_POOL_MAX
// set from the sweep's `batch` and `pool` (any other setting name is passed on upper-cased), and
// wait until it says it is ready. Works on a supervisor this process owns.
import type { ReferenceSupervisor } from '../referenceSupervisor.ts';
import type { ApplySettings } from './applyCommand.ts';

const REFERENCE_ENV: Record<string, string> = { batch: 'BATCH_SIZE', pool: 'DB_POOL_MAX' };

export function referenceWorkerEnv(settings: Record<string, number>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(settings))
    env[REFERENCE_ENV[name] ?? name.toUpperCase()] = String(value);
  return env;
}

export function referenceWorkerApply(supervisor: ReferenceSupervisor): ApplySettings {
  return async (settings) => {
    await supervisor.restart('worker', referenceWorkerEnv(settings));
  };
}
