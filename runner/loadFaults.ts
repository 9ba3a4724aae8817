// Loads a `--faults F` file (the CLI runs under tsx, so import() reads TypeScript), validates it
// against what the harness started, and turns every failure into a one-line UsageError (exit 2).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type FaultSchedule, type FaultScope, validateFaults } from '../faults/faultSchedule.ts';
import { ConfigError } from '../record/configError.ts';
import { UsageError } from './usageError.ts';

export async function loadFaults(path: string, scope: FaultScope): Promise<FaultSchedule> {
  const absolute = resolve(path);
  if (!existsSync(absolute)) throw new UsageError(`faults ${path}: file not found`);
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(absolute).href)) as { default?: unknown };
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    throw new UsageError(
      `faults ${path}: does not load: ${text.split('\n').find((l) => l.trim()) ?? 'unknown error'}`,
    );
  }
  if (module.default === undefined) {
    throw new UsageError(
      `faults ${path}: has no default export (export default defineFaults({ faults: [...] }))`,
    );
  }
  try {
    return validateFaults(module.default, scope);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(`faults ${path}: ${err.message}`);
    throw err;
  }
}
