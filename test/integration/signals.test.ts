import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const CHILD = join(import.meta.dirname, '../support/interruptChild.ts');

interface Child {
  proc: ChildProcess;
  lines: string[];
  /** Resolves once the child printed `line`. */
  waitFor(line: string): Promise<void>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startChild(mode: 'twice' | 'dispose'): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, mode], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const waiters: { line: string; done: () => void }[] = [];
  let buffered = '';
  proc.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      for (const w of waiters.filter((w) => w.line === line)) w.done();
    }
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    proc.on('exit', (code, signal) => done({ code, signal })),
  );
  return {
    proc,
    lines,
    exit,
    waitFor: (line) =>
      lines.includes(line) ? Promise.resolve() : new Promise((done) => waiters.push({ line, done })),
  };
}

describe('onInterrupt', () => {
  it('signals - the first SIGINT runs graceful, the second immediate, and the caller exits 130', async () => {
    const child = startChild('twice');
    await child.waitFor('ready');
    child.proc.kill('SIGINT');
    await child.waitFor('graceful SIGINT');
    // Still running after the first signal: the default exit is off while listening.
    expect(child.proc.exitCode).toBeNull();
    child.proc.kill('SIGINT');
    expect(await child.exit).toEqual({ code: 130, signal: null });
    expect(child.lines).toEqual(['ready', 'graceful SIGINT', 'immediate SIGINT']);
  });

  it('signals - after the disposer runs, SIGINT has its default effect again', async () => {
    const child = startChild('dispose');
    await child.waitFor('ready');
    child.proc.kill('SIGINT');
    await child.waitFor('disposed');
    child.proc.kill('SIGINT');
    expect(await child.exit).toEqual({ code: null, signal: 'SIGINT' });
    expect(child.lines).toEqual(['ready', 'graceful SIGINT', 'disposed']);
  });
});
