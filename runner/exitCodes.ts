// The exit codes of every pipesoak command (DESIGN section 4), each meaning one thing, in one place.
export const EXIT = {
  /** Every objective met. */
  pass: 0,
  /** An SLO failed (or `compare` found a regression): the system under test, not pipesoak. */
  sloFailed: 1,
  /** Bad input: flags, config, scenario, faults file, run folder. One line says what. */
  usage: 2,
  /** The run could not be made: preflight or a doctor check failed, the engine or a collector crashed, pipesoak crashed. */
  runFailed: 3,
  /** Interrupted (Ctrl-C), with a partial report written where there is one. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** SIGTERM ends as a shell reports it (128 + 15); Ctrl-C is `interrupted`. */
export const EXIT_ON_SIGNAL: Record<string, number> = { SIGINT: EXIT.interrupted, SIGTERM: 143 };

/** The `--help` epilogue and the README list these lines. */
export const EXIT_CODES_HELP = [
  'Exit codes:',
  `  ${EXIT.pass}    pass`,
  `  ${EXIT.sloFailed}    an SLO failed (compare: a regression)`,
  `  ${EXIT.usage}    bad input (flags, config, scenario, faults file, run folder)`,
  `  ${EXIT.runFailed}    the run could not be made (preflight or doctor check failed, a crash)`,
  `  ${EXIT.interrupted}  interrupted (Ctrl-C), partial report written`,
].join('\n');
