// The scenario's own `file.ts:line` in an error's stack (source-mapped), skipping the engine,
// node: internals and node_modules. A small stand-in until engine/compile's scenarioFrame is merged.
const FRAME = /\(?(?:file:\/\/)?([^\s()]+?):(\d+):\d+\)?$/;

export function errorFrame(err: unknown): string | undefined {
  const stack = (err as { stack?: unknown } | null)?.stack;
  if (typeof stack !== 'string') return undefined;
  for (const line of stack.split('\n').slice(1)) {
    const m = FRAME.exec(line.trim());
    if (m === null) continue;
    const file = m[1] as string;
    if (file.startsWith('node:') || file.includes('/node_modules/') || file.includes('/engine/')) continue;
    return `${file.slice(file.lastIndexOf('/') + 1)}:${m[2]}`;
  }
  return undefined;
}

const MAX_MESSAGE = 200;

/** The `message` tag of load.errors: the error's message and, when the stack maps, where it was thrown. */
export function errorMessageTag(err: unknown): string {
  const raw = err instanceof Error ? err.message || err.name : String(err);
  const message = raw.length > MAX_MESSAGE ? `${raw.slice(0, MAX_MESSAGE)}…` : raw;
  const frame = errorFrame(err);
  return frame === undefined ? message : `${message} (${frame})`;
}
