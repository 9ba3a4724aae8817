// `--sweep batch=50,100,200 --sweep pool=5,10,20`: the worker settings a capacity sweep tries,
// every combination of them, and the folder-safe id of each combination.
import { UsageError } from '../usageError.ts';

export interface SweepAxis {
  name: string;
  values: number[];
}

export type WorkerSettings = Record<string, number>;

const AXIS_NAME = /^[a-z][a-zA-Z0-9_]*$/;

/** Parses each `name=v1,v2,...` flag; throws a UsageError naming the bad one. */
export function parseSweep(flags: readonly string[]): SweepAxis[] {
  const axes: SweepAxis[] = [];
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    const name = eq < 0 ? '' : flag.slice(0, eq).trim();
    if (!AXIS_NAME.test(name)) {
      throw new UsageError(`--sweep ${flag}: expected name=v1,v2,... with a name like batch or pool`);
    }
    if (axes.some((a) => a.name === name)) throw new UsageError(`--sweep ${name} is given twice`);
    const values = flag
      .slice(eq + 1)
      .split(',')
      .map((v) => v.trim());
    const numbers = values.map(Number);
    const bad = values.find((v, i) => v === '' || !Number.isInteger(numbers[i]) || (numbers[i] ?? 0) < 1);
    if (bad !== undefined) {
      throw new UsageError(`--sweep ${name}: "${bad}" is not a whole number of 1 or more`);
    }
    if (new Set(numbers).size !== numbers.length)
      throw new UsageError(`--sweep ${name}: a value is repeated`);
    axes.push({ name, values: numbers });
  }
  return axes;
}

/** Every combination, the first axis varying slowest; one empty combination without axes. */
export function sweepCombinations(axes: readonly SweepAxis[]): WorkerSettings[] {
  let combos: WorkerSettings[] = [{}];
  for (const axis of axes) {
    combos = combos.flatMap((c) => axis.values.map((v) => ({ ...c, [axis.name]: v })));
  }
  return combos;
}

/** `batch-50_pool-5`, or `default` for the one combination of a search without a sweep. */
export function comboId(settings: WorkerSettings): string {
  const parts = Object.entries(settings).map(([k, v]) => `${k}-${v}`);
  return parts.length === 0 ? 'default' : parts.join('_');
}

/** `batch=50 pool=5` for progress lines and tables. */
export function describeSettings(settings: WorkerSettings): string {
  const parts = Object.entries(settings).map(([k, v]) => `${k}=${v}`);
  return parts.length === 0 ? 'as configured' : parts.join(' ');
}
