// The defaults of exec faults and the flag that allows them, in one place: the schedule
// validation, the fault runner, the CLI and docs/faults.md all say the same.
export const ALLOW_EXEC_FLAG = '--allow-exec-faults';

export const EXEC_FAULT_DEFAULTS = {
  /** The label of an exec window that names none. */
  where: 'external',
  /** A command still running after this long is killed; the run goes on. */
  timeoutMs: 30_000,
} as const;
