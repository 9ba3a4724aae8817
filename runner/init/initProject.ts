// `pipesoak init`'s work: write the config and the starter scenario into a folder, refusing to
// replace either unless forced. Nothing is written when any file is in the way.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { UsageError } from '../usageError.ts';
import { CONFIG_FILE, CONFIG_TEMPLATE, SCENARIO_FILE, SCENARIO_TEMPLATE } from './templates.ts';

const FILES = [
  { path: CONFIG_FILE, text: CONFIG_TEMPLATE },
  { path: SCENARIO_FILE, text: SCENARIO_TEMPLATE },
] as const;

/** Writes the files into `dir`; returns their paths as given relative to the working folder. */
export async function initProject({ dir, force }: { dir: string; force: boolean }): Promise<string[]> {
  const targets = FILES.map((f) => ({ ...f, absolute: join(dir, f.path) }));
  if (!force) {
    const existing = targets.find((t) => existsSync(t.absolute));
    if (existing) {
      throw new UsageError(`init: ${shown(existing.absolute)} already exists (--force replaces it)`);
    }
  }
  for (const t of targets) {
    await mkdir(dirname(t.absolute), { recursive: true });
    await writeFile(t.absolute, t.text);
  }
  return targets.map((t) => shown(t.absolute));
}

function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' || rel.startsWith('..') ? path : rel;
}
