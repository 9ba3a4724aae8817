// Applies a sweep's worker settings to a user's pipeline through the config's `capacity.apply`:
// a shell command template (`kubectl set env deploy/worker BATCH_SIZE={batch}`), then a readiness
// wait (a command that exits 0, or a URL that answers 2xx) within a timeout. Placeholders take
// whole numbers only (sweepAxes.ts checks them), so nothing a user did not write reaches the shell.
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { UsageError } from '../usageError.ts';
import { CAPACITY_DEFAULTS } from './capacityDefaults.ts';
import type { WorkerSettings } from './sweepAxes.ts';

export interface ApplyConfig {
  command: string;
  ready?: { command?: string; url?: string; timeoutMs?: number };
}

/** Puts the settings into a capacity.apply command; the settings' names must be its placeholders. */
export type ApplySettings = (settings: WorkerSettings) => Promise<void>;

const PLACEHOLDER = /\{([a-zA-Z][a-zA-Z0-9_]*)\}/g;

export function placeholders(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1] as string))];
}

/** Throws a UsageError when the template and the swept names do not match one to one. */
export function checkApplyTemplate(template: string, names: readonly string[]): void {
  const used = placeholders(template);
  const unswept = used.filter((p) => !names.includes(p));
  const unused = names.filter((n) => !used.includes(n));
  if (unswept.length > 0) {
    throw new UsageError(
      `capacity.apply.command uses {${unswept.join('}, {')}} but no --sweep sets ${unswept.length > 1 ? 'them' : 'it'}`,
    );
  }
  if (unused.length > 0) {
    throw new UsageError(
      `--sweep ${unused.join(', ')}: capacity.apply.command has no {${unused.join('}, {')}} placeholder`,
    );
  }
}

export function fillTemplate(template: string, settings: WorkerSettings): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => {
    const v = settings[name];
    return v === undefined ? whole : String(v);
  });
}

export interface CommandApplyOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Each line the commands print. */
  onLog?: (line: string) => void;
}

export function commandApply(apply: ApplyConfig, options: CommandApplyOptions = {}): ApplySettings {
  return async (settings) => {
    const command = fillTemplate(apply.command, settings);
    const result = await runShell(command, options);
    if (result.code !== 0) {
      throw new Error(`capacity.apply: \`${command}\` exited with ${result.code}${tail(result.output)}`);
    }
    if (apply.ready !== undefined) await waitReady(apply.ready, settings, options);
  };
}

async function waitReady(
  ready: NonNullable<ApplyConfig['ready']>,
  settings: WorkerSettings,
  options: CommandApplyOptions,
): Promise<void> {
  const timeoutMs = ready.timeoutMs ?? CAPACITY_DEFAULTS.applyReadyTimeoutMs;
  const deadline = Date.now() + timeoutMs;
  const command = ready.command === undefined ? undefined : fillTemplate(ready.command, settings);
  let last = '';
  for (;;) {
    let ok = true;
    if (command !== undefined) {
      const r = await runShell(command, options);
      ok = r.code === 0;
      if (!ok) last = `\`${command}\` exited with ${r.code}${tail(r.output)}`;
    }
    if (ok && ready.url !== undefined) {
      try {
        const res = await fetch(ready.url, { signal: AbortSignal.timeout(5_000) });
        await res.body?.cancel();
        ok = res.ok;
        if (!ok) last = `${ready.url} answered ${res.status}`;
      } catch (err) {
        ok = false;
        last = `${ready.url}: ${(err as Error).message}`;
      }
    }
    if (ok) return;
    if (Date.now() >= deadline) {
      throw new Error(`capacity.apply.ready: not ready within ${timeoutMs} ms (${last})`);
    }
    await sleep(500);
  }
}

function runShell(
  command: string,
  options: CommandApplyOptions,
): Promise<{ code: number; output: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    const take = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        output.push(line);
        if (output.length > 20) output.shift();
        options.onLog?.(line);
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', (err) => reject(new UsageError(`capacity.apply: cannot run /bin/sh: ${err.message}`)));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal === null ? 1 : 128), output }));
  });
}

function tail(output: string[]): string {
  const last = output.slice(-3).join(' | ');
  return last === '' ? '' : `: ${last}`;
}
