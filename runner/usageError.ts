// Errors the user can fix (bad flags, config, input): one line on stderr and exit code 2.
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const EXIT_USAGE = 2;
