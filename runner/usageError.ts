// Errors the user can fix (bad flags, config, input): one line on stderr and exit code 2 (EXIT.usage).
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
