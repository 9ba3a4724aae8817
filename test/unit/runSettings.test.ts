import { describe, expect, it } from 'vitest';
import shipped from '../../pipesoak.config.ts';
import type { ConfigInput } from '../../runner/config/configSchema.ts';
import { validateConfig } from '../../runner/config/validateConfig.ts';
import { describeProvenance, RUN_DEFAULTS, type RunFlags, runSettings } from '../../runner/runSettings.ts';
import { UsageError } from '../../runner/usageError.ts';

const written: ConfigInput['load'] = { rate: 50, duration: '1m', warmUp: '10s' };
const load = validateConfig({ ...shipped, load: written }).load;

function usageError(flags: RunFlags): string {
  try {
    runSettings(load, flags, written);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('flags were accepted');
}

describe('runSettings', () => {
  it('runSettings - without flags the config values hold, and unwritten ones are defaults', () => {
    const effective = runSettings(load, {}, written);
    expect(effective.settings).toEqual({
      configPath: 'pipesoak.config.ts',
      rate: 50,
      durationMs: 60_000,
      warmUpMs: 10_000,
      seed: 1,
      workers: RUN_DEFAULTS.workers,
      outDir: undefined,
    });
    expect(describeProvenance(effective)).toBe(
      'config pipesoak.config.ts (default), rate 50/s (config), duration 1m (config), warm-up 10s (config), ' +
        `seed 1 (default), workers ${RUN_DEFAULTS.workers} (default), ` +
        'out results/<scenario>-<yyyymmdd-hhmmss> (default)',
    );
  });

  it('runSettings - flags override the config and say so, numbers given as text included', () => {
    const effective = runSettings(
      load,
      { rate: '200', duration: '90s', seed: 7, workers: '3', out: 'runs/a', config: 'ci.config.ts' },
      written,
    );
    expect(effective.settings).toEqual({
      configPath: 'ci.config.ts',
      rate: 200,
      durationMs: 90_000,
      warmUpMs: 10_000,
      seed: 7,
      workers: 3,
      outDir: 'runs/a',
    });
    expect(describeProvenance(effective)).toBe(
      'config ci.config.ts (flag --config), rate 200/s (flag --rate), duration 1m30s (flag --duration), ' +
        'warm-up 10s (config), seed 7 (flag --seed), workers 3 (flag --workers), out runs/a (flag --out)',
    );
  });

  it('runSettings - a fractional rate is kept as given', () => {
    expect(runSettings(load, { rate: '0.5' }, written).settings.rate).toBe(0.5);
  });

  it('runSettings - without the written load section every load value counts as from the config', () => {
    const { provenance } = runSettings(load, {});
    expect(provenance.seed).toEqual({ from: 'config' });
    expect(provenance.warmUpMs).toEqual({ from: 'config' });
  });

  it.each<[RunFlags, string]>([
    [{ rate: 'fast' }, '--rate: must be a number (got "fast")'],
    [{ rate: '12abc' }, '--rate: must be a number (got "12abc")'],
    [{ rate: 0 }, '--rate: must be greater than 0 (got 0)'],
    [{ rate: -5 }, '--rate: must be greater than 0 (got -5)'],
    [{ rate: 'Infinity' }, '--rate: must be a number (got Infinity)'],
    [
      { duration: '5 minutes' },
      '--duration: "5 minutes" is not a duration (use e.g. 250ms, 30s, 5m, 2h, 1h30m)',
    ],
    [{ duration: '0s' }, '--duration: must be longer than 0 (got "0s")'],
    [{ duration: '-1m' }, '--duration: must not be negative (got "-1m")'],
    [
      { duration: '5s' },
      '--duration: must be longer than the warm-up (10s; --warm-up shortens it) (got "5s")',
    ],
    [{ warmUp: '2m' }, '--warm-up: must be shorter than the duration (1m) (got "2m")'],
    [{ seed: '1.5' }, '--seed: must be a whole number (got 1.5)'],
    [{ seed: -1 }, '--seed: must be at least 0 (got -1)'],
    [{ workers: 0 }, '--workers: must be at least 1 (got 0)'],
    [{ workers: 'two' }, '--workers: must be a number (got "two")'],
    [{ out: '  ' }, '--out: must not be empty (got "  ")'],
    [{ config: '' }, '--config: must not be empty (got "")'],
    [{ rate: [1, 2] as unknown as number }, '--rate: is given more than once'],
  ])('runSettings - a bad flag %j is a usage error naming it', (flags, message) => {
    expect(usageError(flags)).toBe(message);
  });
});
