// Turns pipesoak.config.ts into an ES module Node loads whatever the user's package.json says: a
// CommonJS package (no "type": "module", or .cts/.cjs) would otherwise load the .ts as CommonJS,
// where `import … from 'pipesoak'` is a require() of ESM and fails. esbuild writes one .mjs beside
// the config, so the config's own packages resolve from its node_modules as they would unbundled.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Message, type Plugin } from 'esbuild';

const PIPESOAK_ENTRIES: Record<string, string> = {
  pipesoak: fileURLToPath(new URL('./defineConfig.ts', import.meta.url)),
  'pipesoak/scenario': fileURLToPath(new URL('../../engine/api/index.ts', import.meta.url)),
};

/** `pipesoak` is the running pipesoak's, also when the project has none (or another) installed. */
const pipesoakItself: Plugin = {
  name: 'pipesoak-itself',
  setup(b) {
    b.onResolve({ filter: /^pipesoak(\/scenario)?$/ }, (args) => ({ path: PIPESOAK_ENTRIES[args.path] }));
  },
};

/** A one-line reason the config does not compile, as esbuild names it. */
export class ConfigCompileError extends Error {}

/**
 * Writes the config as an ES module beside it and returns its path; the caller imports it, then
 * removes it. The name is unique per call, so parallel loads of one config do not collide.
 */
export async function compileConfig(absolutePath: string): Promise<string> {
  const outPath = join(
    dirname(absolutePath),
    `.${basename(absolutePath)}.${process.pid}-${randomBytes(4).toString('hex')}.mjs`,
  );
  let code: string;
  try {
    const result = await build({
      entryPoints: [absolutePath],
      bundle: true,
      // The project's packages stay imports, resolved from beside the config (where the .mjs is).
      packages: 'external',
      plugins: [pipesoakItself],
      format: 'esm',
      platform: 'node',
      target: 'node20',
      // A config written for a CommonJS package may use these; a config that declares its own keeps them.
      define: {
        __dirname: JSON.stringify(dirname(absolutePath)),
        __filename: JSON.stringify(absolutePath),
      },
      // require() of a package (esbuild's ESM output otherwise throws "Dynamic require … not supported").
      banner: {
        js: "import { createRequire as __pipesoakRequire } from 'node:module';\nconst require = __pipesoakRequire(import.meta.url);",
      },
      logLevel: 'silent',
      write: false,
      absWorkingDir: dirname(absolutePath),
    });
    code = result.outputFiles[0]?.text ?? '';
  } catch (err) {
    const first = (err as { errors?: Message[] }).errors?.[0];
    throw new ConfigCompileError(first ? formatMessage(first) : (err as Error).message);
  }
  await writeFile(outPath, code);
  return outPath;
}

function formatMessage(m: Message): string {
  if (!m.location) return m.text;
  return `line ${m.location.line}:${m.location.column + 1}: ${m.text}`;
}
