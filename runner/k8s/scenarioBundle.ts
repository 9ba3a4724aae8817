// The scenario as one ESM bundle and its source map, as text for the ConfigMap. This is the one
// place `pipesoak k8s` compiles: it bundles with esbuild directly today; at merge it becomes a call
// to engine/compile/compileScenario.ts (compileScenario(entry, outDir)) with the same result.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { build, type Message } from 'esbuild';
import { UsageError } from '../usageError.ts';
import { bundleFileName } from './k8sManifests.ts';

export interface ScenarioBundle {
  /** e.g. steady.mjs; the map is <fileName>.map and the bundle's sourceMappingURL names it. */
  fileName: string;
  bundle: string;
  map: string;
}

export async function scenarioBundle(entry: string): Promise<ScenarioBundle> {
  const isFile = await stat(entry).then(
    (s) => s.isFile(),
    () => false,
  );
  if (!isFile) throw new UsageError(`scenario ${entry}: file not found`);
  const fileName = bundleFileName(entry);
  const outDir = await mkdtemp(join(tmpdir(), 'pipesoak-k8s-bundle-'));
  try {
    const outfile = join(outDir, fileName);
    await build({
      entryPoints: [resolve(entry)],
      outfile,
      // One file with its packages inside: the pod has no node_modules for the scenario's imports.
      bundle: true,
      format: 'esm',
      // Node built-ins stay imports.
      platform: 'node',
      target: 'node20',
      sourcemap: 'linked',
      sourcesContent: true,
      keepNames: true,
      // CommonJS packages bundled into ESM may call require(); give them Node's.
      banner: {
        // The first line names the source, as compileScenario's bundles do (loadScenario reads it).
        js: `// pipesoak scenario: ${basename(entry)}\nimport { createRequire as __pipesoakRequire } from 'node:module';\nconst require = __pipesoakRequire(import.meta.url);`,
      },
      logLevel: 'silent',
    }).catch((err: { errors?: Message[]; message: string }) => {
      const first = err.errors?.[0];
      const at = first?.location;
      // esbuild names files relative to the working folder; the entry is named as the user typed it.
      const file = at && resolve(at.file) !== resolve(entry) ? `${at.file}:` : '';
      const where = at ? ` ${file}${at.line}:` : '';
      throw new UsageError(`scenario ${entry}:${where} ${first?.text ?? err.message}`);
    });
    return {
      fileName,
      bundle: await readFile(outfile, 'utf8'),
      map: await readFile(`${outfile}.map`, 'utf8'),
    };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}
