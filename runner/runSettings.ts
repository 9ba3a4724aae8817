// The settings a run uses: the validated config's `load`, overridden by `pipesoak run` flags, each
// value with where it came from, so the run's first line can say which values came from where.
// Flags are checked by the config's own zod fields, so a flag and a config key word errors alike.
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { formatDuration } from '../record/duration.ts';
import { duration, typeError } from '../record/zodFields.ts';
import { type Config, type ConfigInput, configSchema } from './config/configSchema.ts';
import { UsageError } from './usageError.ts';

/** The `pipesoak run` flags this merges, as yargs hands them over (strings or numbers). */
export interface RunFlags {
  config?: string;
  duration?: string;
  warmUp?: string;
  rate?: number | string;
  seed?: number | string;
  workers?: number | string;
  out?: string;
}

export interface RunSettings {
  configPath: string;
  /** Events per second. */
  rate: number;
  durationMs: number;
  warmUpMs: number;
  seed: number;
  /** Engine worker threads. */
  workers: number;
  /** The run folder; undefined: `results/<scenario>-<yyyymmdd-hhmmss>/`, named when the run starts. */
  outDir: string | undefined;
}

export type Source = { from: 'flag'; flag: string } | { from: 'config' } | { from: 'default' };
export type Provenance = Record<keyof RunSettings, Source>;

export interface EffectiveRunSettings {
  settings: RunSettings;
  provenance: Provenance;
}

/** The defaults of the values the config does not hold. */
export const RUN_DEFAULTS = {
  configPath: 'pipesoak.config.ts',
  /** One core is left to the main thread (ticks, collectors); more than 4 rarely helps one target. */
  workers: Math.max(1, Math.min(4, availableParallelism() - 1)),
} as const;

const loadFields = configSchema.shape.load.shape;
const flagSchemas = {
  duration: duration({ positive: true }),
  warmUp: duration(),
  rate: loadFields.rate,
  seed: loadFields.seed.unwrap(),
  workers: z
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(1, { error: 'must be at least 1' }),
  path: z.string({ error: typeError('must be a path') }).refine((s) => s.trim() !== '', {
    error: 'must not be empty',
  }),
};

/**
 * Merges `load` (validated) with `flags`. `loadInput`, the load section as written, tells values
 * the config set from schema defaults; without it every load value counts as from the config.
 * Throws a UsageError naming the flag on a bad flag.
 */
export function runSettings(
  load: Config['load'],
  flags: RunFlags,
  loadInput?: Partial<ConfigInput['load']>,
): EffectiveRunSettings {
  const fromLoad = (key: 'rate' | 'duration' | 'warmUp' | 'seed'): Source =>
    loadInput === undefined || loadInput[key] !== undefined ? { from: 'config' } : { from: 'default' };
  const flag = (name: string): Source => ({ from: 'flag', flag: `--${name}` });

  const configPath = flagValue('config', flags.config, flagSchemas.path);
  const durationMs = flagValue('duration', flags.duration, flagSchemas.duration);
  const warmUpMs = flagValue('warm-up', flags.warmUp, flagSchemas.warmUp);
  const rate = flagValue('rate', toNumber(flags.rate), flagSchemas.rate);
  const seed = flagValue('seed', toNumber(flags.seed), flagSchemas.seed);
  const workers = flagValue('workers', toNumber(flags.workers), flagSchemas.workers);
  const outDir = flagValue('out', flags.out, flagSchemas.path);

  const settings: RunSettings = {
    configPath: configPath ?? RUN_DEFAULTS.configPath,
    rate: rate ?? load.rate,
    durationMs: durationMs ?? load.duration,
    warmUpMs: warmUpMs ?? load.warmUp,
    seed: seed ?? load.seed,
    workers: workers ?? RUN_DEFAULTS.workers,
    outDir,
  };
  // The config's own rule (warm-up inside the run), now that a flag may have shortened the run.
  if ((durationMs !== undefined || warmUpMs !== undefined) && settings.warmUpMs >= settings.durationMs) {
    throw new UsageError(
      durationMs !== undefined
        ? `--duration: must be longer than the warm-up (${formatDuration(settings.warmUpMs)}; --warm-up shortens it) (got "${flags.duration}")`
        : `--warm-up: must be shorter than the duration (${formatDuration(settings.durationMs)}) (got "${flags.warmUp}")`,
    );
  }
  const provenance: Provenance = {
    configPath: configPath !== undefined ? flag('config') : { from: 'default' },
    rate: rate !== undefined ? flag('rate') : fromLoad('rate'),
    durationMs: durationMs !== undefined ? flag('duration') : fromLoad('duration'),
    warmUpMs: warmUpMs !== undefined ? flag('warm-up') : fromLoad('warmUp'),
    seed: seed !== undefined ? flag('seed') : fromLoad('seed'),
    workers: workers !== undefined ? flag('workers') : { from: 'default' },
    outDir: outDir !== undefined ? flag('out') : { from: 'default' },
  };
  return { settings, provenance };
}

/** One line: `config pipesoak.config.ts (default), rate 200/s (flag --rate), duration 1m (config), …`. */
export function describeProvenance({ settings, provenance }: EffectiveRunSettings): string {
  const parts: [string, string, Source][] = [
    ['config', settings.configPath, provenance.configPath],
    ['rate', `${settings.rate}/s`, provenance.rate],
    ['duration', formatDuration(settings.durationMs), provenance.durationMs],
    ['warm-up', formatDuration(settings.warmUpMs), provenance.warmUpMs],
    ['seed', String(settings.seed), provenance.seed],
    ['workers', String(settings.workers), provenance.workers],
    ['out', settings.outDir ?? 'results/<scenario>-<yyyymmdd-hhmmss>', provenance.outDir],
  ];
  return parts
    .map(
      ([name, value, source]) =>
        `${name} ${value} (${source.from === 'flag' ? `flag ${source.flag}` : source.from})`,
    )
    .join(', ');
}

/** yargs string flags stay strings; numbers typed as text are parsed strictly (`12abc` is not 12). */
function toNumber(value: number | string | undefined): unknown {
  if (typeof value !== 'string') return value;
  const trimmed = value.trim();
  if (trimmed === '') return value;
  const n = Number(trimmed);
  return Number.isNaN(n) ? value : n;
}

function flagValue<S extends z.ZodType>(name: string, value: unknown, schema: S): z.output<S> | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) throw new UsageError(`--${name}: is given more than once`);
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const message = parsed.error.issues[0]?.message ?? 'is not valid';
  // Duration messages already quote the value.
  const quoted = typeof value === 'string' ? JSON.stringify(value) : String(value);
  const saysValue =
    typeof value === 'string' ? message.includes(quoted) : message.includes(`(got ${quoted})`);
  throw new UsageError(`--${name}: ${message}${saysValue ? '' : ` (got ${quoted})`}`);
}
