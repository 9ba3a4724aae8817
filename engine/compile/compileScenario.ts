// Compiles a TypeScript scenario into one ESM bundle with a source map (esbuild). Every option is
// set on purpose; each says why.
import { mkdir, stat } from 'node:fs/promises';
import { basename, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Message, type Plugin } from 'esbuild';
import { ScenarioError } from './scenarioError.ts';

export const SCENARIO_API_MODULE = 'pipesoak/scenario';
const SCENARIO_API_ENTRY = fileURLToPath(new URL('../api/index.ts', import.meta.url));
/** The first line of every bundle names its source, so loadScenario can point at its lines. */
export const ENTRY_MARKER = '// pipesoak scenario: ';

/** `pipesoak/scenario` is this checkout's engine/api, also when the scenario lives outside the repo. */
const scenarioApi: Plugin = {
  name: 'pipesoak-scenario-api',
  setup(b) {
    b.onResolve({ filter: /^pipesoak\/scenario$/ }, () => ({ path: SCENARIO_API_ENTRY }));
  },
};

/** "steady.ts" → "steady.mjs". */
export function bundleName(entry: string): string {
  return `${basename(entry, extname(entry))}.mjs`;
}

export async function compileScenario(
  entry: string,
  outDir: string,
): Promise<{ bundlePath: string; mapPath: string }> {
  const entryPath = resolve(entry);
  const isFile = await stat(entryPath).then(
    (s) => s.isFile(),
    () => false,
  );
  if (!isFile) throw new ScenarioError(`${entry}: no such scenario file`);
  const bundlePath = resolve(outDir, bundleName(entry));
  await mkdir(outDir, { recursive: true });
  try {
    await build({
      entryPoints: [entryPath],
      outfile: bundlePath,
      // One file with everything it imports: it loads from any folder (a run folder, /tmp) with no
      // node_modules beside it. Packages are bundled too for that reason; Node built-ins stay imports.
      bundle: true,
      packages: 'bundle',
      plugins: [scenarioApi],
      // The engine loads scenarios with import(); .mjs keeps them ESM wherever they are written.
      format: 'esm',
      // Node built-ins (node:crypto, ...) resolve as imports rather than failing to bundle.
      platform: 'node',
      // The engine's Node: no down-levelling of async/await, classes or ?? (stacks stay readable).
      target: 'node20',
      // bundle.mjs.map beside it, named by a sourceMappingURL comment, so stacks map to file.ts:line.
      sourcemap: 'linked',
      // The sources ride inside the map: loadScenario finds `export const options` lines in it.
      sourcesContent: true,
      // Function names in stack traces and error messages stay the scenario's own.
      keepNames: true,
      // Readable output: a scenario is a few kilobytes and runs in the engine, not a browser.
      minify: false,
      // CommonJS packages bundled into ESM may call require(); give them Node's.
      banner: {
        js: `${ENTRY_MARKER}${relative(outDir, entryPath)}\nimport { createRequire as __pipesoakRequire } from 'node:module';\nconst require = __pipesoakRequire(import.meta.url);`,
      },
      // Errors come back as one ScenarioError line, not esbuild's own console report.
      logLevel: 'silent',
      // Resolve the scenario's relative imports and its tsconfig from where the scenario is.
      absWorkingDir: process.cwd(),
      write: true,
    });
  } catch (err) {
    const first = (err as { errors?: Message[] }).errors?.[0];
    if (first) throw new ScenarioError(formatMessage(first, entry));
    throw new ScenarioError(`${entry}: ${(err as Error).message}`);
  }
  return { bundlePath, mapPath: `${bundlePath}.map` };
}

function formatMessage(m: Message, entry: string): string {
  if (!m.location) return `${entry}: ${m.text}`;
  return `${m.location.file}:${m.location.line}:${m.location.column + 1}: ${m.text}`;
}

/** Where `pipesoak compile` writes bundles unless --out says otherwise (dist/ is never committed). */
export const DEFAULT_BUNDLE_DIR = join('dist', 'scenarios');
