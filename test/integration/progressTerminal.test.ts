// Live progress on a real pseudo terminal: `script` (util-linux's bsdutils, Essential on Debian,
// so every CI machine has it) runs a driver on a pty, and the bytes it drew are replayed on a
// screen model to see what a person would see.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { renderScreen } from '../support/terminalScreen.ts';

const ROOT = join(import.meta.dirname, '../..');
const DRIVER = join(ROOT, 'test/support/progressDriver.ts');
const COLUMNS = 120;
const run = promisify(execFile);

async function onTerminal(command: string): Promise<string> {
  const shell = `stty cols ${COLUMNS} rows 40; exec '${process.execPath}' --import tsx ${command}`;
  const { stdout } = await run('script', ['-q', '-e', '-c', shell, '/dev/null'], {
    cwd: ROOT,
    timeout: 30_000,
  });
  return stdout;
}

describe('createProgress on a terminal', () => {
  it('progress - the status block is redrawn in place, and the last one stays above the final line', async () => {
    const raw = await onTerminal(`'${DRIVER}'`);
    expect(renderScreen(raw, COLUMNS)).toEqual([
      'stdout is a terminal: true',
      'time       5s / 5s  [##############################] 100%  steady',
      'rate       target 100 events/s   achieved 100 events/s   dropped 4   errors 0',
      'latency    gateway p99 15 ms   e2e p99 205 ms',
      'backlog    outbox pending 5   consumer pending 50   DLQ depth 0',
      'SLOs       failing now: e2e.latency',
      'generator  ok   event loop p99 1.5 ms   cpu 20%',
      'faults     none active',
      'final line',
    ]);
    // Every tick was drawn (one a second of elapsed time), each over the one before.
    const frames = [...raw.matchAll(/time {7}(\d)s \/ 5s/g)].map((m) => m[1]);
    expect(frames).toEqual(['1', '2', '3', '4', '5']);
    expect(raw).toContain('faults     active: db-latency');
  });

  it('progress - the same driver on a pipe prints plain lines, no escape codes', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', DRIVER], { cwd: ROOT });
    // No 10 s mark within 5 s: only the warm-up → steady change prints, then the final line.
    const lines = stdout.split('\n');
    expect(lines[0]).toBe('stdout is a terminal: false');
    expect(lines[1]).toMatch(/^\[2s\/5s 40%\] steady: achieved 40 events\/s of 100 events\/s, dropped 1, /);
    expect(lines.slice(2)).toEqual(['final line', '']);
    expect(stdout).not.toContain('\x1b');
  });
});
