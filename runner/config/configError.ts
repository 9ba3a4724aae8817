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
