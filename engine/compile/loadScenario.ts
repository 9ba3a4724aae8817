// Imports a compiled scenario bundle and checks its shape, so a scenario that cannot run fails
// before the load starts, with the scenario's file:line where one can be found.
import { readFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type {
  ExecutorOptions,
  LoadSettings,
  OptionsExport,
  ScenarioOptions,
} from '../api/scenarioOptions.ts';
import { ENTRY_MARKER } from './compileScenario.ts';
import { scenarioFrame } from './errorLocation.ts';
import { ScenarioError } from './scenarioError.ts';

export type ScenarioFunction = (ctx: never) => unknown;

export interface LoadedScenario {
  bundlePath: string;
  /** The scenario's source as the user names it (relative to the cwd), for messages. */
  source: string;
  options: OptionsExport | undefined;
  /** The line of `export ... options` in the source (1 when unknown), for messages about it. */
  optionsLine: number;
  setup?: ScenarioFunction;
  teardown?: ScenarioFunction;
  /** Every exported function by name; 'default' is the default export. */
  functions: Record<string, ScenarioFunction>;
}

export async function loadScenario(bundlePath: string): Promise<LoadedScenario> {
  // Stack traces through the bundle then name the .ts lines (scenarioFrame relies on it).
  process.setSourceMapsEnabled(true);
  const path = resolve(bundlePath);
  const src = await sourceOf(path);
  let mod: Record<string, unknown>;
  try {
    mod = await import(pathToFileURL(path).href);
  } catch (err) {
    const where = scenarioFrame(err) ?? src.name;
    throw new ScenarioError(`${where}: the scenario failed to load: ${(err as Error).message}`);
  }
  const functions: Record<string, ScenarioFunction> = {};
  for (const [name, value] of Object.entries(mod)) {
    if (typeof value === 'function' && name !== 'options') functions[name] = value as ScenarioFunction;
  }
  const options = mod.options;
  if (
    options !== undefined &&
    typeof options !== 'function' &&
    (typeof options !== 'object' || options === null)
  )
    throw new ScenarioError(
      `${src.name}:${src.lineOf(OPTIONS_EXPORT)}: options must be an object or a function of the load settings`,
    );
  const loaded: LoadedScenario = {
    bundlePath: path,
    source: src.name,
    options: options as OptionsExport | undefined,
    optionsLine: src.lineOf(OPTIONS_EXPORT),
    functions,
  };
  if (functions.setup) loaded.setup = functions.setup;
  if (functions.teardown) loaded.teardown = functions.teardown;
  const usesDefault =
    typeof options !== 'function' && execNames(options as ScenarioOptions | undefined).includes('default');
  if (usesDefault && !functions.default)
    throw new ScenarioError(
      `${src.name}:1: the scenario has no default export (export default async function (ctx) { ... })`,
    );
  // An options function cannot be judged before it runs: resolveOptions finishes the check.
  return loaded;
}

/** The default when a scenario exports no options: the config's rate for its duration, open model. */
export function defaultOptions(load: LoadSettings): ScenarioOptions {
  return {
    scenarios: {
      default: {
        executor: 'constant-arrival-rate',
        rate: load.rate,
        timeUnit: '1s',
        duration: load.durationMs,
        preAllocatedVUs: load.vus.preAllocated,
        maxVUs: load.vus.max,
      },
    },
  };
}

/** The scenario's options for this run's load settings, with every exec naming an exported function. */
export function resolveOptions(s: LoadedScenario, load: LoadSettings): ScenarioOptions {
  const at = `${s.source}:${s.optionsLine}`;
  let options: unknown;
  if (s.options === undefined) options = defaultOptions(load);
  else if (typeof s.options === 'function') {
    try {
      options = s.options(load);
    } catch (err) {
      throw new ScenarioError(`${scenarioFrame(err) ?? at}: options(load) threw: ${(err as Error).message}`);
    }
  } else options = s.options;
  const scenarios = (options as { scenarios?: unknown } | null)?.scenarios;
  if (typeof scenarios !== 'object' || scenarios === null || Array.isArray(scenarios))
    throw new ScenarioError(`${at}: options must have a scenarios object ({ scenarios: { name: {...} } })`);
  if (Object.keys(scenarios).length === 0) throw new ScenarioError(`${at}: options.scenarios is empty`);
  for (const [name, sc] of Object.entries(scenarios as Record<string, unknown>)) {
    if (typeof sc !== 'object' || sc === null)
      throw new ScenarioError(`${at}: options.scenarios.${name} must be an object`);
    const exec = (sc as { exec?: unknown }).exec ?? 'default';
    if (typeof exec !== 'string' || !s.functions[exec])
      throw new ScenarioError(
        `${at}: options.scenarios.${name}.exec ${JSON.stringify(exec)} is not a function the scenario exports`,
      );
  }
  return options as ScenarioOptions;
}

const OPTIONS_EXPORT = /export\s+(?:const|let|var|(?:async\s+)?function)\s+options\b/;

function execNames(options: ScenarioOptions | undefined): string[] {
  if (!options?.scenarios || typeof options.scenarios !== 'object') return ['default'];
  return Object.values(options.scenarios).map((s: Partial<ExecutorOptions>) => s?.exec ?? 'default');
}

/** The scenario source named on the bundle's first line, with its text from the source map. */
async function sourceOf(bundlePath: string): Promise<{ name: string; lineOf(re: RegExp): number }> {
  let name = relative(process.cwd(), bundlePath);
  let text: string | undefined;
  try {
    const head = (await readFile(bundlePath, 'utf8')).slice(0, 4096);
    const first = head.split('\n', 1)[0] ?? '';
    if (first.startsWith(ENTRY_MARKER)) {
      const abs = resolve(dirname(bundlePath), first.slice(ENTRY_MARKER.length));
      name = relative(process.cwd(), abs);
      const map = JSON.parse(await readFile(`${bundlePath}.map`, 'utf8')) as {
        sources?: string[];
        sourcesContent?: (string | null)[];
      };
      const i = (map.sources ?? []).findIndex((s) => resolve(dirname(bundlePath), s) === abs);
      text = map.sourcesContent?.[i] ?? undefined;
    }
  } catch {
    // No readable bundle or map: messages fall back to the bundle's own name and line 1.
  }
  return {
    name,
    lineOf(re) {
      if (!text) return 1;
      const lines = text.split('\n');
      const i = lines.findIndex((l) => re.test(l));
      return i === -1 ? 1 : i + 1;
    },
  };
}
