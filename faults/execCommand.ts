// Runs one command of an exec fault (`docker compose kill worker`) through /bin/sh, in its own
// process group so a timeout kills the shell and everything it started. It waits for the shell to
// exit, not for its pipes to close: a command that leaves a daemon behind (`... &`) does not hang.
import { spawn } from 'node:child_process';

export interface ExecResult {
  command: string;
  /** The exit code, or null when a signal ended it (a timeout: SIGKILL). */
  exit: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  ms: number;
  /** The last characters of stdout and stderr together, for the report. */
  output: string;
}

const OUTPUT_TAIL_CHARS = 400;

export function execOk(result: ExecResult): boolean {
  return result.exit === 0 && !result.timedOut;
}

/** `exit 0 (120 ms)`, `exit 3 (40 ms): no such service`, `killed after the 30s timeout`. */
export function formatExecResult(result: ExecResult, timeoutLabel?: string): string {
  const status = result.timedOut
    ? `killed after the ${timeoutLabel ?? `${result.ms} ms`} timeout`
    : result.exit !== null
      ? `exit ${result.exit} (${result.ms} ms)`
      : `ended by ${result.signal} (${result.ms} ms)`;
  const output = result.output.trim().split('\n').at(-1)?.trim();
  return execOk(result) || !output ? status : `${status}: ${output}`;
}

export function runExecCommand(
  command: string,
  options: { timeoutMs: number; env?: NodeJS.ProcessEnv; cwd?: string },
): Promise<ExecResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const proc = spawn('/bin/sh', ['-c', command], {
      detached: true,
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-OUTPUT_TAIL_CHARS);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    let timedOut = false;
    const killGroup = () => {
      try {
        if (proc.pid !== undefined) process.kill(-proc.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    // A harness that dies mid-command must not leave the command's group running.
    process.once('exit', killGroup);
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, options.timeoutMs);
    const finish = (exit: number | null, signal: NodeJS.Signals | null, error?: string) => {
      clearTimeout(timer);
      process.off('exit', killGroup);
      // Pipes a leftover daemon holds open must not keep this process alive.
      proc.stdout?.destroy();
      proc.stderr?.destroy();
      if (timedOut) killGroup();
      resolve({
        command,
        exit,
        signal,
        timedOut,
        ms: Date.now() - started,
        output: error ?? output,
      });
    };
    proc.once('error', (err) => finish(null, null, err.message));
    proc.once('exit', (code, signal) => finish(code, signal));
  });
}
