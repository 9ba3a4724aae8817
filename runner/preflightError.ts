// A run that cannot be made because preflight failed: one line per failed check, exit code 3.
import { EXIT } from './exitCodes.ts';
import type { PreflightResult } from './preflight.ts';

export class PreflightError extends Error {
  override readonly name = 'PreflightError';
  readonly exitCode = EXIT.runFailed;
  /** One line per failed check: what is wrong, then what to do. */
  readonly lines: string[];

  constructor(readonly failures: PreflightResult[]) {
    const lines = failures.map(
      (f) => `preflight ${f.check}: ${f.problem ?? 'failed'}${f.fix ? `; ${f.fix}` : ''}`,
    );
    super(lines.join('\n'));
    this.lines = lines;
  }
}

/** Throws a PreflightError naming every failed check; skipped ones follow from those. */
export function assertPreflightPassed(results: readonly PreflightResult[]): void {
  const failures = results.filter((r) => r.status === 'fail');
  if (failures.length > 0) throw new PreflightError(failures);
}
