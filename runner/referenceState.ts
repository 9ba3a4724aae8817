// Where a running `reference up` records itself, so `reference down` (another process) can stop it.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ComponentProcess } from './referenceSupervisor.ts';

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

export function readState(dir: string): ReferenceState | undefined {
  const path = statePath(dir);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as ReferenceState;
  } catch {
    return undefined;
  }
}

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
