// `pipesoak capacity` without the CLI: runs the search (capacitySearch.ts) for each sweep
// combination, one run folder per step through the injected `runStep` (the real one wraps
// runScenario), and keeps the capacity folder current: capacity.json rewritten atomically after
// every step (it is the --resume state), capacity.md and capacity.html re-rendered with it.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeAtomically } from '../../record/writeAtomically.ts';
import { EXIT } from '../exitCodes.ts';
import { UsageError } from '../usageError.ts';
import type { ApplySettings } from './applyCommand.ts';
import { renderCapacityHtml } from './capacityHtml.ts';
import {
  CAPACITY_FILES,
  CAPACITY_SCHEMA,
  type CapacityComboJson,
  type CapacityJson,
  type CapacityStepJson,
  readCapacityJson,
} from './capacityJson.ts';
import { renderCapacityMarkdown } from './capacityMarkdown.ts';
import { type SearchOptions, type SearchState, type SearchStep, searchCapacity } from './capacitySearch.ts';
import { summaryLine } from './capacityTables.ts';
import { type StepOutcome, stepFigures, stepVerdict } from './stepVerdict.ts';
import {
  comboId,
  describeSettings,
  type SweepAxis,
  sweepCombinations,
  type WorkerSettings,
} from './sweepAxes.ts';

export interface StepDurations {
  durationMs: number;
  warmUpMs: number;
  coolDownMs: number;
}

/** What one step asks of a run. */
export interface StepSettings {
  /** The step's run folder (absolute); it does not exist yet. */
  outDir: string;
  runId: string;
  durationMs: number;
  warmUpMs: number;
  /** The sweep combination in force (already applied); empty without a sweep. */
  worker: WorkerSettings;
}

/** Runs one whole run at `rate` (the real one: runScenario with --rate, --duration, --out). */
export type RunStep = (rate: number, settings: StepSettings) => Promise<StepOutcome>;

/** A step's run was interrupted; capacity.json holds every step before it, for --resume. */
export class CapacityInterrupted extends Error {
  override readonly name = 'CapacityInterrupted';
}

export interface CapacityRunOptions {
  /** The capacity folder. */
  dir: string;
  scenario: string;
  search: SearchOptions;
  step: StepDurations;
  sweep: readonly SweepAxis[];
  runStep: RunStep;
  /** Required with a sweep: puts each combination in force before its search. */
  apply?: ApplySettings;
  /** Continue the search in `dir` from its capacity.json; the file's settings win. */
  resume?: boolean;
  onProgress?: (line: string) => void;
  /** The cool-down wait (tests pass a quick one). */
  wait?: (ms: number) => Promise<void>;
  now?: () => Date;
}

export async function runCapacity(options: CapacityRunOptions): Promise<CapacityJson> {
  const { dir, runStep } = options;
  const say = options.onProgress ?? (() => {});
  const wait = options.wait ?? ((ms: number) => sleep(ms));
  const jsonPath = join(dir, CAPACITY_FILES.json);
  let state: CapacityJson;
  if (options.resume) {
    if (!existsSync(jsonPath)) throw new UsageError(`--resume: ${jsonPath} does not exist`);
    state = readCapacityJson(jsonPath);
    if (state.scenario !== options.scenario) {
      throw new UsageError(`--resume: ${jsonPath} is a search of ${state.scenario}, not ${options.scenario}`);
    }
    const swept = (axes: readonly SweepAxis[]) =>
      axes.map((a) => `${a.name}=${a.values.join(',')}`).join(' ');
    if (swept(state.sweep) !== swept(options.sweep)) {
      throw new UsageError(
        `--resume: ${jsonPath} sweeps ${swept(state.sweep) || 'nothing'}; pass the same --sweep flags ` +
          `(got ${swept(options.sweep) || 'none'})`,
      );
    }
    if (
      JSON.stringify(state.search) !== JSON.stringify(options.search) ||
      JSON.stringify(state.step) !== JSON.stringify(options.step)
    ) {
      say(
        'capacity: --resume keeps the search and step settings capacity.json started with; other flags are ignored',
      );
    }
    const done = state.combos.reduce((n, c) => n + c.steps.length, 0);
    say(`capacity: resuming ${jsonPath}: ${done} finished steps are kept, none is run again`);
  } else {
    if (existsSync(jsonPath)) {
      throw new UsageError(
        `${jsonPath} already exists; pass --resume to continue it or choose another --out`,
      );
    }
    mkdirSync(dir, { recursive: true });
    state = {
      schema: CAPACITY_SCHEMA,
      scenario: options.scenario,
      startedAt: (options.now?.() ?? new Date()).toISOString(),
      search: { ...options.search },
      step: { ...options.step },
      sweep: options.sweep.map((a) => ({ name: a.name, values: [...a.values] })),
      combos: sweepCombinations(options.sweep).map((settings) => ({
        id: comboId(settings),
        settings,
        steps: [],
        result: null,
      })),
      best: null,
      complete: false,
    };
    await save(dir, state);
  }
  if (state.sweep.length > 0 && options.apply === undefined) {
    throw new UsageError('--sweep needs capacity.apply in the config: the command that applies each setting');
  }

  for (const combo of state.combos) {
    const label = state.sweep.length === 0 ? '' : ` [${describeSettings(combo.settings)}]`;
    if (combo.result !== null) {
      say(`capacity${label}: finished before (${combo.result.note})`);
      continue;
    }
    if (state.sweep.length > 0) {
      say(`capacity${label}: applying the setting`);
      await options.apply?.(combo.settings);
    }
    const prior: SearchStep[] = combo.steps.map(toSearchStep);
    const result = await searchCapacity(
      state.search,
      async (rate, attempt, search) => {
        const step = await runOneStep(state, combo, rate, attempt, search, label);
        await save(dir, state);
        say(
          `capacity${label} step ${step.index}: ${rate}/s ${step.sustainable ? 'sustainable' : 'NOT sustainable'}` +
            `${step.flaky ? ' on the re-run (flaky)' : ''}` +
            `${step.reasons.length > 0 ? ` (${step.failed.join(', ')}: ${step.reasons.join('; ')})` : ''}`,
        );
        if (state.step.coolDownMs > 0) await wait(state.step.coolDownMs);
        return toSearchStep(step);
      },
      prior,
    );
    const at = [...combo.steps].reverse().find((s) => s.sustainable && s.rate === result.sustainableRate);
    combo.result = {
      conclusion: result.conclusion,
      note: result.note,
      sustainableRate: result.sustainableRate,
      failingRate: result.failingRate,
      margin: result.margin,
      criterion: result.criterion,
      dbConnectionsMax: at?.figures.dbConnectionsMax ?? null,
    };
    say(`capacity${label}: ${summaryLine(combo)}`);
    state.best = bestCombo(state.combos);
    await save(dir, state);
  }
  state.complete = true;
  state.best = bestCombo(state.combos);
  await save(dir, state);
  return state;

  async function runOneStep(
    s: CapacityJson,
    combo: CapacityComboJson,
    rate: number,
    attempt: number,
    search: SearchState,
    label: string,
  ): Promise<CapacityStepJson> {
    const index = combo.steps.length + 1;
    const name = `step-${String(index).padStart(2, '0')}-${rate}eps`;
    const runDir = s.sweep.length === 0 ? name : join(combo.id, name);
    const outDir = join(dir, runDir);
    // A folder here is what an interrupted step left: it is not in capacity.json, so it runs again.
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(join(outDir, '..'), { recursive: true });
    say(
      `capacity${label} step ${index}: offering ${rate}/s for ${s.step.durationMs / 1000} s` +
        ` (${search.phase}${attempt > 1 ? ', re-run of a failure' : ''}; sustainable so far ` +
        `${search.lo === null ? '—' : `${search.lo}/s`}, failing from ${search.hi === null ? '—' : `${search.hi}/s`})`,
    );
    const outcome = await runStep(rate, {
      outDir,
      runId: `${combo.id}-${name}`,
      durationMs: s.step.durationMs,
      warmUpMs: s.step.warmUpMs,
      worker: { ...combo.settings },
    });
    if (outcome.interrupted) {
      await save(dir, s);
      throw new CapacityInterrupted(
        `interrupted during step ${index} (${rate}/s); \`--resume\` continues from the ${index - 1} finished steps`,
      );
    }
    if (outcome.exitCode === EXIT.runFailed) {
      // Not a verdict on the pipeline: stop, so --resume runs this step again once it is fixed.
      await save(dir, s);
      throw new Error(
        `capacity step ${index} (${rate}/s): the run could not be made (exit 3); see ${outDir}`,
      );
    }
    const verdict = stepVerdict(outcome);
    const previous = combo.steps[combo.steps.length - 1];
    const step: CapacityStepJson = {
      index,
      rate,
      attempt,
      runDir,
      exitCode: outcome.exitCode,
      sustainable: verdict.sustainable,
      failed: verdict.failed,
      reasons: verdict.reasons,
      flaky: attempt > 1 && verdict.sustainable && previous !== undefined && !previous.sustainable,
      figures: stepFigures(outcome, rate),
    };
    combo.steps.push(step);
    return step;
  }
}

function toSearchStep(s: CapacityStepJson): SearchStep {
  return { rate: s.rate, attempt: s.attempt, sustainable: s.sustainable, failed: [...s.failed] };
}

export function bestCombo(combos: readonly CapacityComboJson[]): CapacityJson['best'] {
  let best: CapacityComboJson | undefined;
  for (const c of combos) {
    const rate = c.result?.sustainableRate;
    if (rate === null || rate === undefined) continue;
    if (best === undefined || rate > (best.result?.sustainableRate ?? 0)) best = c;
  }
  if (best?.result === null || best?.result.sustainableRate === null || best === undefined) return null;
  const poolLimit = best.settings.pool ?? null;
  const dbConnectionsMax = best.result.dbConnectionsMax;
  return {
    id: best.id,
    settings: { ...best.settings },
    sustainableRate: best.result.sustainableRate,
    poolLimit,
    dbConnectionsMax,
    withinPool: poolLimit === null || dbConnectionsMax === null ? null : dbConnectionsMax <= poolLimit,
  };
}

async function save(dir: string, state: CapacityJson): Promise<void> {
  await writeAtomically([`${JSON.stringify(state, null, 2)}\n`], {
    path: join(dir, CAPACITY_FILES.json),
    force: true,
  });
  await writeAtomically([renderCapacityMarkdown(state)], { path: join(dir, CAPACITY_FILES.md), force: true });
  await writeAtomically([renderCapacityHtml(state)], { path: join(dir, CAPACITY_FILES.html), force: true });
}
