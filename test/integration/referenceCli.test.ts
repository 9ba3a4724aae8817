// `pipesoak reference up|down` as a user runs it: real processes, and none left behind.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive, readState } from '../../runner/referenceState.ts';
import { waitFor } from '../support/load.ts';
import { createTestEnv, type TestEnv } from '../support/testEnv.ts';

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '../../runner/pipesoak.mjs');

let t: TestEnv;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  t = await createTestEnv('refcli');
  dir = await mkdtemp(join(tmpdir(), 'pipesoak-state-'));
  env = { ...process.env, ...t.env, PIPESOAK_STATE_DIR: dir };
});

afterAll(async () => {
  await run(process.execPath, [CLI, 'reference', 'down'], { env }).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
  await t?.teardown();
});

const allGone = (pids: number[]) => pids.every((pid) => !isAlive(pid));

describe('pipesoak reference', () => {
  it('up --detach starts all five healthy components and down stops every one of them', async () => {
    const { stdout } = await run(process.execPath, [CLI, 'reference', 'up', '--detach'], { env });
    const state = readState(dir);
    expect(state?.components.map((c) => c.name).sort()).toEqual([
      'gateway',
      'llm',
      'relay',
      'sink',
      'worker',
    ]);
    expect(stdout).toContain(state?.components.find((c) => c.name === 'gateway')?.url);
    const gateway = state?.components.find((c) => c.name === 'gateway')?.url;
    expect((await fetch(`${gateway}/healthz`)).status).toBe(200);
    const pids = [state?.supervisorPid ?? -1, ...(state?.components.map((c) => c.pid) ?? [])];
    expect(pids.every(isAlive)).toBe(true);

    await run(process.execPath, [CLI, 'reference', 'down'], { env });
    await waitFor('every process to exit', async () => allGone(pids), Boolean, 5_000);
    expect(readState(dir)).toBeUndefined();
  });

  it('leaves no orphan when the supervisor itself is killed with -9', async () => {
    await run(process.execPath, [CLI, 'reference', 'up', '--detach', '--only', 'sink', '--only', 'llm'], {
      env,
    });
    const state = readState(dir);
    expect(state?.components.map((c) => c.name)).toEqual(['sink', 'llm']);
    const children = state?.components.map((c) => c.pid) ?? [];
    process.kill(state?.supervisorPid ?? -1, 'SIGKILL');
    await waitFor(
      'the orphaned components to exit by themselves',
      async () => allGone(children),
      Boolean,
      10_000,
    );
  });

  it('up in the foreground stops every component on Ctrl-C and exits 0', async () => {
    const up = spawn(process.execPath, [CLI, 'reference', 'up', '--only', 'sink', '--only', 'worker'], {
      env,
    });
    let stdout = '';
    up.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => up.on('exit', (code) => resolve(code)));
    await waitFor(
      'the ready banner',
      async () => stdout,
      (out) => out.includes('reference pipeline ready'),
      30_000,
    );
    const children = readState(dir)?.components.map((c) => c.pid) ?? [];
    expect(children).toHaveLength(2);
    expect(children.every(isAlive)).toBe(true);

    up.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(allGone(children)).toBe(true);
    expect(stdout).toContain('stopped.');
    expect(readState(dir)).toBeUndefined();
  });

  it('rejects an unknown component with exit code 2 and a one-line error', async () => {
    const err = await run(process.execPath, [CLI, 'reference', 'up', '--only', 'bogus'], { env }).catch(
      (e) => e,
    );
    expect(err.code).toBe(2);
    expect(err.stderr.trim().split('\n')).toHaveLength(1);
    expect(err.stderr).toContain('bogus');
  });
});
