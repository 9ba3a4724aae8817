// The summary CI's tail shows: vitest run on a fixture with a failing test and a floating rejection.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const FIXTURE = join(import.meta.dirname, '../fixtures/failureSummary');
const VITEST = join(import.meta.dirname, '../../node_modules/vitest/vitest.mjs');

it('failure summary - ends the output with one line per failed test and per unhandled error', async () => {
  const run = await promisify(execFile)(process.execPath, [VITEST, 'run'], {
    cwd: FIXTURE,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
  }).then(
    () => ({ code: 0, stderr: '' }),
    (err: { code: number; stderr: string }) => err,
  );
  expect(run.code).toBe(1);
  const tail = run.stderr.trimEnd().split('\n').slice(-3);
  expect(tail).toEqual([
    'Summary of what failed:',
    '  failed: broken.check.ts > adds wrongly: expected 2 to be 3 // Object.is equality',
    expect.stringMatching(
      /^ {2}unhandled: broken\.check\.ts, outside any test: Error: left behind \(at .*broken\.check\.ts:11:\d+\)\)$/,
    ),
  ]);
}, 30_000);
