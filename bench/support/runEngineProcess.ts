// Runs the engine in a child process (bench/support/engineProcess.ts) and resolves its result, so a
// bench measures the engine's CPU apart from its own and the target's.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type EngineProcessRequest, type EngineProcessResult, REQUEST_ENV } from './engineProcessProtocol.ts';
import { formatIsolateGc, summariseGcTrace } from './gcTrace.ts';

const ENTRY = fileURLToPath(new URL('./engineProcess.ts', import.meta.url));

/** `onStderr` sees the child's stderr line by line (the memory bench prints its minutes from it). */
export function runEngineProcess(
  request: EngineProcessRequest,
  onStderr: (line: string) => void = (line) => process.stderr.write(`engine: ${line}\n`),
): Promise<EngineProcessResult> {
  return new Promise((resolve, reject) => {
    // PIPESOAK_ENGINE_CPU_PROF_DIR profiles the workers (runEngine.ts); the main thread's profile goes beside them.
    const profDir = process.env.PIPESOAK_ENGINE_CPU_PROF_DIR;
    const prof = profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
    // PIPESOAK_ENGINE_GC_TRACE=<file>: V8's GC trace of every thread (it goes to stdout, which holds
    // nothing else) is written there and summarised per isolate on stderr.
    const gcTrace = process.env.PIPESOAK_ENGINE_GC_TRACE;
    const trace = gcTrace ? ['--trace-gc-nvp'] : [];
    const child = spawn(process.execPath, [...prof, ...trace, '--import', 'tsx', ENTRY], {
      // The result comes over IPC, so that nothing of ours shares stdout with V8's buffered trace.
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, [REQUEST_ENV]: JSON.stringify(request) },
    });
    let stdout = '';
    let stderrTail = '';
    let partial = '';
    child.stdout?.on('data', (d) => {
      stdout += d;
    });
    child.stderr?.on('data', (d) => {
      partial += d;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        stderrTail = line;
        onStderr(line);
      }
    });
    let result: EngineProcessResult | undefined;
    child.on('message', (m) => {
      result = m as EngineProcessResult;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0 || result === undefined) {
        reject(new Error(`engine process exited ${code}: ${partial || stderrTail}`));
        return;
      }
      if (gcTrace) {
        writeFileSync(gcTrace, stdout);
        for (const s of summariseGcTrace(stdout)) onStderr(`gc ${formatIsolateGc(s)}`);
      }
      resolve(result);
    });
  });
}
