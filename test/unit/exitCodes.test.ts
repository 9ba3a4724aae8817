import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError } from '../../record/configError.ts';
import { HlogFormatError } from '../../record/hlog.ts';
import { exitFor } from '../../runner/errorExit.ts';
import { EXIT } from '../../runner/exitCodes.ts';
import { UsageError } from '../../runner/usageError.ts';
import { cli } from '../support/cli.ts';

describe('exit codes', () => {
  it('exit codes - bad input of every kind is 2 with one line, a crash is 3, never 1', () => {
    expect(exitFor(new UsageError('--rate must be a number'))).toEqual({
      code: EXIT.usage,
      message: '--rate must be a number',
    });
    expect(exitFor(new ConfigError('load.rate', 'must be greater than 0')).code).toBe(2);
    expect(exitFor(new HlogFormatError('load.hlog', 7, 'histogram is not complete base64'))).toEqual({
      code: 2,
      message: 'load.hlog: line 7: histogram is not complete base64',
    });
    const zod = z.object({ load: z.object({ rate: z.number() }) }).safeParse({ load: { rate: 'x' } });
    expect(zod.success).toBe(false);
    const zodExit = exitFor(zod.error);
    expect(zodExit.code).toBe(2);
    expect(zodExit.message).toMatch(/^load\.rate: /);
    expect(zodExit.message).not.toContain('\n');
    expect(exitFor(new TypeError('cannot read properties of undefined\n  at x'))).toEqual({
      code: EXIT.runFailed,
      message: 'crashed: cannot read properties of undefined at x',
    });
    expect(exitFor('a string thrown')).toEqual({ code: 3, message: 'crashed: a string thrown' });
  });

  it('exit codes - --help lists every code', async () => {
    const help = await cli('--help');
    expect(help.code).toBe(0);
    for (const line of [
      '0    pass',
      '1    an SLO failed',
      '2    bad input',
      '3    the run could not be made',
      '130  interrupted',
    ]) {
      expect(help.stdout).toContain(line);
    }
  });
});
