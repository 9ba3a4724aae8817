// A run's id and folder: `<scenario>-<yyyymmdd-hhmmss>` (UTC) unless given, under results/ unless
// --out says otherwise. An existing non-empty folder is refused: nothing already written is lost.
import { existsSync, readdirSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { UsageError } from '../usageError.ts';

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;
export const RESULTS_DIR = 'results';

export function scenarioName(scenarioPath: string): string {
  return basename(scenarioPath, extname(scenarioPath));
}

export function timestamp(at: Date = new Date()): string {
  const iso = at.toISOString();
  return `${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}`;
}

export function runIdentity(o: { scenarioPath: string; runId?: string; outDir?: string; at?: Date }): {
  runId: string;
  runDir: string;
} {
  const runId = o.runId ?? `${scenarioName(o.scenarioPath)}-${timestamp(o.at)}`;
  if (!RUN_ID.test(runId)) {
    throw new UsageError(
      `--run-id: must be 1-100 letters, digits, '.', '_', ':' or '-', starting with a letter or digit (got ${JSON.stringify(runId)})`,
    );
  }
  const runDir = o.outDir ?? join(RESULTS_DIR, runId);
  if (existsSync(runDir) && readdirSync(runDir).length > 0) {
    throw new UsageError(`--out: ${runDir} already holds files; choose another folder`);
  }
  return { runId, runDir };
}
