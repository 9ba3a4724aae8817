// The settings a capacity search uses: `pipesoak capacity` flags over the config's `capacity`
// section over CAPACITY_DEFAULTS. A bad flag is a UsageError naming it; the search options are
// checked as a whole (min <= start <= max) once merged.
import { parseDuration } from '../../record/duration.ts';
import type { Config } from '../config/configSchema.ts';
import { UsageError } from '../usageError.ts';
import { type ApplyConfig, checkApplyTemplate } from './applyCommand.ts';
import { CAPACITY_DEFAULTS } from './capacityDefaults.ts';
import type { StepDurations } from './capacityRun.ts';
import { type SearchOptions, validateSearchOptions } from './capacitySearch.ts';
import { parseSweep, type SweepAxis } from './sweepAxes.ts';

/** The `pipesoak capacity` flags this merges (yargs hands numbers over as numbers). */
export interface CapacityFlags {
  startRate?: number;
  factor?: number;
  precision?: number;
  maxRate?: number;
  minRate?: number;
  maxSteps?: number;
  stepDuration?: string;
  warmUp?: string;
  coolDown?: string;
  /** `--no-confirm`: a failing step counts at once, without a re-run. */
  confirm?: boolean;
  sweep?: readonly string[];
}

export interface CapacitySettings {
  search: SearchOptions;
  step: StepDurations;
  sweep: SweepAxis[];
  apply: ApplyConfig | undefined;
}

function flagDuration(flag: string, text: string | undefined, positive: boolean): number | undefined {
  if (text === undefined) return undefined;
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch (err) {
    throw new UsageError(`--${flag}: ${(err as Error).message}`);
  }
  if (positive && ms <= 0) throw new UsageError(`--${flag} must be longer than 0`);
  return ms;
}

export function capacitySettings(config: Config['capacity'], flags: CapacityFlags): CapacitySettings {
  const c = config ?? {};
  const d = CAPACITY_DEFAULTS;
  const search: SearchOptions = {
    startRate: flags.startRate ?? c.search?.startRate ?? d.startRate,
    factor: flags.factor ?? c.search?.factor ?? d.factor,
    precision: flags.precision ?? c.search?.precision ?? d.precision,
    maxRate: flags.maxRate ?? c.search?.maxRate ?? d.maxRate,
    minRate: flags.minRate ?? c.search?.minRate ?? d.minRate,
    maxSteps: flags.maxSteps ?? c.search?.maxSteps ?? d.maxSteps,
    confirmFailures: flags.confirm ?? c.search?.confirmFailures ?? d.confirmFailures,
  };
  const problems = validateSearchOptions(search);
  if (problems.length > 0) throw new UsageError(`capacity search: ${problems[0]}`);
  const step: StepDurations = {
    durationMs:
      flagDuration('step-duration', flags.stepDuration, true) ?? c.step?.duration ?? d.stepDurationMs,
    warmUpMs: flagDuration('warm-up', flags.warmUp, false) ?? c.step?.warmUp ?? d.stepWarmUpMs,
    coolDownMs: flagDuration('cool-down', flags.coolDown, false) ?? c.step?.coolDown ?? d.coolDownMs,
  };
  if (step.warmUpMs >= step.durationMs) {
    throw new UsageError(
      `the step warm-up (${step.warmUpMs} ms) must be shorter than the step (${step.durationMs} ms)`,
    );
  }
  const sweep = parseSweep(flags.sweep ?? []);
  const apply: ApplyConfig | undefined =
    c.apply === undefined
      ? undefined
      : {
          command: c.apply.command,
          ...(c.apply.ready === undefined
            ? {}
            : {
                ready: {
                  ...(c.apply.ready.command === undefined ? {} : { command: c.apply.ready.command }),
                  ...(c.apply.ready.url === undefined ? {} : { url: c.apply.ready.url }),
                  timeoutMs: c.apply.ready.timeout ?? d.applyReadyTimeoutMs,
                },
              }),
        };
  if (sweep.length > 0) {
    if (apply === undefined) {
      throw new UsageError(
        '--sweep needs capacity.apply in the config: the command that applies each setting',
      );
    }
    checkApplyTemplate(
      apply.command,
      sweep.map((a) => a.name),
    );
  }
  return { search, step, sweep, apply };
}
