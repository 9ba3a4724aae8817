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

async function onTerminal(command: string, size = `cols ${COLUMNS} rows 40`): Promise<string> {
  const shell = `stty ${size}; exec '${process.execPath}' --import tsx ${command}`;
  const { stdout } = await run('script', ['-q', '-e', '-c', shell, '/dev/null'], {
    cwd: ROOT,
    timeout: 30_000,
  });
  return stdout;
}

const FINAL_SCREEN = [
  'stdout is a terminal: true',
  'time       5s / 5s  [##############################] 100%  ramp: measuring',
  'rate       target 100 events/s   achieved 100 events/s (whole run)   dropped 4',
  'errors     5 of 500 requests failed   0 publishes failed   0 iterations threw',
  'latency    gateway p99 15 ms   e2e p99 205 ms',
  'backlog    outbox pending 5   consumer pending 50   DLQ depth 0',
  'SLOs       failing now: e2e.latency',
  'generator  ok   event loop p99 1.5 ms   cpu 20%   machine load 4.0 on 2 cores',
  'faults     none active',
  'final line',
];

describe('createProgress on a terminal', () => {
  it('progress - the status block is redrawn in place, and the last one stays above the final line', async () => {
    const raw = await onTerminal(`'${DRIVER}'`);
    expect(renderScreen(raw, COLUMNS)).toEqual(FINAL_SCREEN);
    // Every tick was drawn (one a second of elapsed time), each over the one before.
    const frames = [...raw.matchAll(/time {7}(\d)s \/ 5s/g)].map((m) => m[1]);
    expect(frames).toEqual(['1', '2', '3', '4', '5']);
    expect(raw).toContain('faults     active: db-latency');
  });

  it('progress - a pty whose size was never set (0 rows, 0 columns) still shows the block', async () => {
    // log-update draws nothing on a 0-row terminal: `script` under a pipe gives exactly that.
    const raw = await onTerminal(`'${DRIVER}'`, 'cols 0 rows 0');
    expect(renderScreen(raw, COLUMNS)).toEqual(FINAL_SCREEN);
    expect([...raw.matchAll(/time {7}(\d)s \/ 5s/g)].map((m) => m[1])).toEqual(['1', '2', '3', '4', '5']);
  });

  it('progress - the same driver on a pipe prints plain lines, no escape codes', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', DRIVER], { cwd: ROOT });
    // No 10 s mark within 5 s: only the warm-up → steady change prints, then the final line.
    const lines = stdout.split('\n');
    expect(lines[0]).toBe('stdout is a terminal: false');
    expect(lines[1]).toMatch(
      /^\[2s\/5s 40%\] ramp, measuring: achieved 40 events\/s of 100 events\/s \(last 2 s\), dropped 1, errors: 2 of 200 requests failed, /,
    );
    expect(lines.slice(2)).toEqual(['final line', '']);
    expect(stdout).not.toContain('\x1b');
  });
});
