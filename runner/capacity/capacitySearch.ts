// The capacity search as a pure function of the steps run so far: ramp up geometrically from the
// start rate until a step fails, then bisect between the highest sustainable and the lowest
// failing rate until they are within the precision. Being a function of the finished steps is
// what makes --resume exact: replaying capacity.json's steps gives the same next step.
// A step whose generator saturated ends the search: the harness, not the pipeline, is the limit.
import type { Criterion } from './stepVerdict.ts';

export interface SearchOptions {
  startRate: number;
  factor: number;
  precision: number;
  maxRate: number;
  minRate: number;
  maxSteps: number;
  /** Run a failing step once more; it fails only when the re-run fails too. */
  confirmFailures: boolean;
}

/** A finished step as the search sees it. */
export interface SearchStep {
  rate: number;
  /** 1, or 2 for the re-run that confirms a failure. */
  attempt: number;
  sustainable: boolean;
  failed: Criterion[];
}

export type SearchPhase = 'ramp' | 'step-down' | 'confirm' | 'bisect';

export type SearchConclusion =
  /** Bisection converged: `sustainable` holds, `failing` does not, within the precision. */
  | 'found'
  /** The generator saturated: raise --workers or split the load into segments. */
  | 'generator-limit'
  /** Every step up to maxRate was sustainable: the pipeline carries at least that. */
  | 'max-rate'
  /** Even minRate failed. */
  | 'none-sustainable'
  /** maxSteps ran out before the search converged; the bounds so far are reported. */
  | 'step-limit';

export interface SearchState {
  phase: SearchPhase;
  /** Highest sustainable rate so far. */
  lo: number | null;
  /** Lowest failing rate so far. */
  hi: number | null;
  /** The criterion the lowest failing rate failed on. */
  hiCriterion: Criterion | null;
  steps: number;
}

export type SearchNext =
  | { kind: 'run'; rate: number; attempt: number; state: SearchState }
  | { kind: 'done'; conclusion: SearchConclusion; state: SearchState; note: string };

/** Rates are offered to a hundredth of an event per second, so files and folder names stay short. */
export function roundRate(rate: number): number {
  return Math.round(rate * 100) / 100;
}

export function validateSearchOptions(o: SearchOptions): string[] {
  const problems: string[] = [];
  const positive = (name: keyof SearchOptions) => {
    const v = o[name];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
      problems.push(`${name} must be a number above 0`);
  };
  positive('startRate');
  positive('maxRate');
  positive('minRate');
  positive('precision');
  if (!(o.factor > 1)) problems.push('factor must be above 1');
  if (!(o.precision < 1)) problems.push('precision must be below 1 (0.05 = 5%)');
  if (!Number.isInteger(o.maxSteps) || o.maxSteps < 1)
    problems.push('maxSteps must be a whole number of 1 or more');
  if (o.minRate > o.startRate)
    problems.push(`minRate (${o.minRate}) must be at most startRate (${o.startRate})`);
  if (o.maxRate < o.startRate)
    problems.push(`maxRate (${o.maxRate}) must be at least startRate (${o.startRate})`);
  return problems;
}

/**
 * Whether a step's result stands: a failure awaiting its confirming re-run does not, yet. A
 * saturated generator is confirmed too: on a shared host one busy step is not the harness's limit.
 */
function awaitingConfirmation(step: SearchStep, options: SearchOptions): boolean {
  return options.confirmFailures && !step.sustainable && step.attempt === 1;
}

export function nextStep(options: SearchOptions, steps: readonly SearchStep[]): SearchNext {
  let lo: number | null = null;
  let hi: number | null = null;
  let hiCriterion: Criterion | null = null;
  const state = (phase: SearchPhase): SearchState => ({ phase, lo, hi, hiCriterion, steps: steps.length });

  for (let i = 0; i < steps.length; i++) {
    const step = steps[i] as SearchStep;
    const rerun = steps[i + 1];
    if (awaitingConfirmation(step, options)) {
      if (rerun === undefined) {
        return { kind: 'run', rate: step.rate, attempt: 2, state: state('confirm') };
      }
      // The re-run decides (it is the next step, same rate); its own verdict is read next.
      continue;
    }
    if (step.failed.includes('generator-saturated')) {
      return {
        kind: 'done',
        conclusion: 'generator-limit',
        state: state(lo === null || hi === null ? 'ramp' : 'bisect'),
        note:
          `the generator saturated at ${step.rate}/s, so this is the harness's limit, not the pipeline's: ` +
          'give it more engine workers (--workers) or split the load into segments',
      };
    }
    if (step.sustainable) {
      lo = lo === null ? step.rate : Math.max(lo, step.rate);
    } else if (hi === null || step.rate <= hi) {
      hi = step.rate;
      hiCriterion = step.failed[0] ?? null;
    }
  }

  const phase: SearchPhase = hi === null ? 'ramp' : lo === null ? 'step-down' : 'bisect';
  if (lo !== null && hi !== null && hi <= lo) {
    // A flaky pipeline passed above a rate it failed at; trust the failure, search below it.
    lo = null;
    for (const s of steps) if (s.sustainable && s.rate < hi) lo = lo === null ? s.rate : Math.max(lo, s.rate);
  }
  if (lo !== null && hi !== null && (hi - lo) / lo <= options.precision) {
    return {
      kind: 'done',
      conclusion: 'found',
      state: state('bisect'),
      note: `the bounds are within the ${roundRate(options.precision * 100)}% precision`,
    };
  }
  if (steps.length >= options.maxSteps) {
    return {
      kind: 'done',
      conclusion: 'step-limit',
      state: state(phase),
      note: `stopped after ${steps.length} steps (maxSteps) before the bounds met the precision`,
    };
  }
  if (hi === null) {
    if (lo !== null && lo >= options.maxRate) {
      return {
        kind: 'done',
        conclusion: 'max-rate',
        state: state('ramp'),
        note: `every step up to maxRate ${options.maxRate}/s was sustainable`,
      };
    }
    const rate = lo === null ? options.startRate : Math.min(options.maxRate, lo * options.factor);
    return { kind: 'run', rate: roundRate(rate), attempt: 1, state: state('ramp') };
  }
  if (lo === null) {
    // Below minRate there is nothing to try; minRate itself is tried before giving up.
    const rate = Math.max(options.minRate, roundRate(hi / options.factor));
    if (hi <= options.minRate) {
      return {
        kind: 'done',
        conclusion: 'none-sustainable',
        state: state('step-down'),
        note: `no step was sustainable; the lowest tried, ${hi}/s, failed (${hiCriterion ?? 'unknown'})`,
      };
    }
    return { kind: 'run', rate, attempt: 1, state: state('step-down') };
  }
  const mid = roundRate((lo + hi) / 2);
  if (mid <= lo || mid >= hi) {
    // The bounds are a hundredth apart: nothing left between them to try.
    return {
      kind: 'done',
      conclusion: 'found',
      state: state('bisect'),
      note: 'the bounds are a hundredth of an event per second apart',
    };
  }
  return { kind: 'run', rate: mid, attempt: 1, state: state('bisect') };
}

export interface SearchResult {
  conclusion: SearchConclusion;
  note: string;
  /** The highest rate found sustainable; null when none was. */
  sustainableRate: number | null;
  /** The lowest rate found failing (the first failing step above the sustainable rate). */
  failingRate: number | null;
  /** (failingRate - sustainableRate) / sustainableRate: how far the limit may sit above the answer. */
  margin: number | null;
  /** What the failing rate failed on. */
  criterion: Criterion | null;
  steps: SearchStep[];
}

export function searchResult(
  steps: readonly SearchStep[],
  done: Extract<SearchNext, { kind: 'done' }>,
): SearchResult {
  const { lo, hi, hiCriterion } = done.state;
  // Only the step that ended the search: a saturation its re-run did not confirm is not the limit.
  const saturated =
    done.conclusion === 'generator-limit'
      ? [...steps].reverse().find((s) => s.failed.includes('generator-saturated'))
      : undefined;
  return {
    conclusion: done.conclusion,
    note: done.note,
    sustainableRate: lo,
    failingRate: saturated?.rate ?? hi,
    margin: lo !== null && hi !== null ? roundRate(((hi - lo) / lo) * 10_000) / 10_000 : null,
    criterion: saturated === undefined ? hiCriterion : 'generator-saturated',
    steps: [...steps],
  };
}

/**
 * Runs the search to its end with `runStep` giving each step's verdict; `prior` are steps already
 * finished (a resumed search), which are not run again. `onStep` sees each new step as it ends.
 */
export async function searchCapacity(
  options: SearchOptions,
  runStep: (rate: number, attempt: number, state: SearchState) => Promise<SearchStep>,
  prior: readonly SearchStep[] = [],
): Promise<SearchResult> {
  const problems = validateSearchOptions(options);
  if (problems.length > 0) throw new Error(`capacity search: ${problems.join('; ')}`);
  const steps = [...prior];
  for (;;) {
    const next = nextStep(options, steps);
    if (next.kind === 'done') return searchResult(steps, next);
    steps.push(await runStep(next.rate, next.attempt, next.state));
  }
}
