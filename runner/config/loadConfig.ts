// Loads pipesoak.config.ts (compiled to an ES module by compileConfig, so it loads in a CommonJS
// package too), validates it, and turns every failure into a one-line UsageError (exit code 2)
// naming the file.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../../record/configError.ts';
import { UsageError } from '../usageError.ts';
import { compileConfig } from './compileConfig.ts';
import type { Config, ConfigInput } from './configSchema.ts';
import { validateConfig } from './validateConfig.ts';

const DEFAULT_CONFIG_PATH = 'pipesoak.config.ts';

export async function loadConfig(path: string = DEFAULT_CONFIG_PATH): Promise<Config> {
  return (await loadConfigFile(path)).config;
}

/** The validated config and the object as written, which tells values set in the file from defaults. */
export async function loadConfigFile(
  path: string = DEFAULT_CONFIG_PATH,
): Promise<{ config: Config; input: Partial<ConfigInput> }> {
  const absolute = resolve(path);
  if (!existsSync(absolute)) throw new UsageError(`config ${path}: file not found`);
  let module: { default?: unknown };
  let compiled: string | undefined;
  try {
    compiled = await compileConfig(absolute);
    module = (await import(pathToFileURL(compiled).href)) as { default?: unknown };
  } catch (err) {
    throw new UsageError(`config ${path}: does not load: ${firstLine(err)}`);
  } finally {
    if (compiled) await rm(compiled, { force: true });
  }
  if (module.default === undefined) {
    throw new UsageError(`config ${path}: has no default export (export default defineConfig({...}))`);
  }
  try {
    return { config: validateConfig(module.default), input: module.default as Partial<ConfigInput> };
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(`config ${path}: ${err.message}`);
    throw err;
  }
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '') ?? 'unknown error'
  );
}
