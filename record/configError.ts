// A config the run cannot start with. The message is one line naming the field path, e.g.
// `slos.e2e.latency.p99: must be at least p50 (800 ms)`; the CLI turns it into exit code 2.
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path === '' ? 'config' : path}: ${reason}`.replace(/\s*\n\s*/g, ' '));
  }
}

/** `['slos', 'custom', 0]` → `slos.custom[0]`, as errors name a field. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}
