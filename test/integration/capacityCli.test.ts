// `pipesoak capacity` as a user runs it: --help shows the flags and an example; bad input is one
// line and exit 2 before anything is written; a step whose run cannot be made (preflight) stops
// the search with exit 3 and records no step.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import shipped from '../../pipesoak.config.ts';
import { EXIT } from '../../runner/exitCodes.ts';
import { cli } from '../support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'pipesoak-capacity-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('pipesoak capacity', () => {
  it('--help lists the search and sweep flags with an example', async () => {
    const r = await cli('capacity', '--help');
    expect(r.code).toBe(EXIT.pass);
    for (const flag of [
      '--sweep',
      '--resume',
      '--step-duration',
      '--precision',
      '--start-rate',
      '--no-confirm',
    ]) {
      expect(r.stdout).toContain(flag);
    }
    expect(r.stdout).toContain('capacity scenarios/steady.ts --sweep');
  });

  it('rejects a bad --sweep, a sweep without capacity.apply and --resume without --out, one line each', async () => {
    const bad = await cli('capacity', 'scenarios/steady.ts', '--sweep', 'batch=5,x');
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toBe('pipesoak: --sweep batch: "x" is not a whole number of 1 or more\n');
    const noApply = await cli('capacity', 'scenarios/steady.ts', '--sweep', 'pool=2,8');
    expect(noApply.code).toBe(EXIT.usage);
    expect(noApply.stderr).toContain('--sweep needs capacity.apply in the config');
    const resume = await cli('capacity', 'scenarios/steady.ts', '--resume');
    expect(resume.code).toBe(EXIT.usage);
    expect(resume.stderr).toContain('--resume needs --out');
  });

  it('checks the config capacity section: an apply template must use every swept name', async () => {
    const config = join(dir, 'capacity.config.mts');
    writeFileSync(
      config,
      `export default ${JSON.stringify({ ...shipped, capacity: { apply: { command: 'restart BATCH_SIZE={batch}' } } })};\n`,
    );
    const r = await cli(
      'capacity',
      'scenarios/steady.ts',
      '--config',
      config,
      '--sweep',
      'batch=50',
      '--sweep',
      'pool=2',
    );
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toBe('pipesoak: --sweep pool: capacity.apply.command has no {pool} placeholder\n');
  });

  it('stops at the first step whose run cannot be made (preflight against a pipeline that is down): exit 3, the preflight lines, no step recorded', async () => {
    const out = join(dir, 'cap');
    const r = await cli(
      'capacity',
      'scenarios/steady.ts',
      '--out',
      out,
      '--step-duration',
      '5s',
      '--warm-up',
      '1s',
    );
    expect(r.code).toBe(EXIT.runFailed);
    expect(r.stderr).toContain('pipesoak: preflight gateway: GET http://127.0.0.1:8080/healthz');
    const state = JSON.parse(readFileSync(join(out, 'capacity.json'), 'utf8')) as {
      combos: { steps: unknown[] }[];
    };
    expect(state.combos.flatMap((c) => c.steps)).toEqual([]);
  });
});
