// Where a running `reference up` records itself, so `reference down` (another process) can stop it.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ComponentProcess } from './referenceSupervisor.ts';
import { UsageError } from './usageError.ts';

export interface ReferenceState {
  supervisorPid: number;
  startedAt: string;
  components: ComponentProcess[];
}

export function stateDir(env: Record<string, string | undefined> = process.env): string {
  return env.PIPESOAK_STATE_DIR ?? join(tmpdir(), 'pipesoak');
}

const statePath = (dir: string) => join(dir, 'reference.json');
export const logPath = (dir: string) => join(dir, 'reference.log');

export async function writeState(dir: string, state: ReferenceState): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tmp = `${statePath(dir)}.${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`);
  // rename is atomic: a reader never sees half a file.
  await rename(tmp, statePath(dir));
}

/**
 * The recorded state; undefined when there is none. A file that does not parse is an error, not
 * "no state": treating it as none would leave a running pipeline's processes unmanaged.
 */
export function readState(dir: string): ReferenceState | undefined {
  const path = statePath(dir);
  if (!existsSync(path)) return undefined;
  let state: unknown;
  try {
    state = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`${path} is not valid JSON (${(err as Error).message}); ${REMEDY}`);
  }
  const s = state as Partial<ReferenceState> | null;
  if (typeof s?.supervisorPid !== 'number' || !Array.isArray(s.components)) {
    throw new UsageError(`${path} lacks supervisorPid or components; ${REMEDY}`);
  }
  return s as ReferenceState;
}

const REMEDY =
  'stop any reference component still running (pgrep -f reference/main.ts), then delete the file';

export async function clearState(dir: string): Promise<void> {
  await rm(statePath(dir), { force: true });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when `pid` is still one of our component processes (pids get reused). */
export function isComponentProcess(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('reference/main.ts');
  } catch {
    return false;
  }
}
