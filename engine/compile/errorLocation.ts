// Finds the scenario's own line in an error's stack: the first frame that is not Node's, not a
// package's and not the engine's (engine/api code is bundled into the scenario, mapped back here).
// Stacks point into the .ts sources once source maps are on (loadScenario turns them on).
import { basename, dirname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ENGINE_DIR = dirname(dirname(fileURLToPath(import.meta.url))) + sep;
// "    at fn (file:line:col)" or "    at file:line:col"; the file may be a file:// URL.
const FRAME = /^\s*at (?:.*? \()?(.+?):(\d+):\d+\)?$/;

interface Frame {
  file: string;
  line: number;
}

function frames(err: unknown): Frame[] {
  const stack = (err as { stack?: unknown })?.stack;
  if (typeof stack !== 'string') return [];
  const out: Frame[] = [];
  for (const text of stack.split('\n')) {
    const m = FRAME.exec(text);
    if (!m?.[1] || !m[2]) continue;
    let file = m[1];
    if (file.startsWith('file://')) {
      try {
        file = fileURLToPath(file);
      } catch {
        continue;
      }
    }
    out.push({ file, line: Number(m[2]) });
  }
  return out;
}

function isScenarioFrame(f: Frame): boolean {
  if (f.file.startsWith('node:') || !f.file.includes(sep)) return false; // node internals, "<anonymous>"
  if (f.file.includes(`${sep}node_modules${sep}`)) return false;
  return !f.file.startsWith(ENGINE_DIR);
}

/** "steady.ts:14" from a source-mapped stack, or undefined when no frame is the scenario's. */
export function scenarioFrame(err: unknown): string | undefined {
  const f = frames(err).find(isScenarioFrame);
  return f ? `${basename(f.file)}:${f.line}` : undefined;
}

/**
 * The key an iteration's error is counted under in load.errors (tag `message`): the first line of
 * its message, after the scenario's file:line when the stack has one ("steady.ts:14: boom"), cut
 * to maxChars so one odd message cannot make a huge tag.
 */
export function iterationErrorKey(err: unknown, maxChars = 200): string {
  const message = (err instanceof Error ? err.message : String(err)).split('\n', 1)[0] ?? '';
  const where = scenarioFrame(err);
  const key = where ? `${where}: ${message}` : message;
  return key.length > maxChars ? `${key.slice(0, maxChars - 1)}…` : key;
}
