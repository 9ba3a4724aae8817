// Starts reference components as child processes, waits for each to say it is ready, and stops
// them all (no orphans): children also exit on their own when this process's pipe to them closes.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { COMPONENTS, type ComponentName } from '../reference/component.ts';

const MAIN = fileURLToPath(new URL('../reference/main.ts', import.meta.url));

export interface ComponentProcess {
  name: ComponentName;
  pid: number;
  url?: string;
}

export interface SupervisorOptions {
  /** Environment for the children (settings of reference/settings.ts); defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** Every log line a child prints (JSON from pino), tagged with the component. */
  onLog?: (name: ComponentName, line: string) => void;
  /** A child that exits without being asked to. */
  onExit?: (name: ComponentName, code: number | null, signal: NodeJS.Signals | null) => void;
  readyTimeoutMs?: number;
}

interface Child {
  proc: ChildProcess;
  info: ComponentProcess;
  stopping: boolean;
}

/** Start order matters: the gateway needs the LLM stub's address, the worker the sink's. */
function inStartOrder(names: readonly ComponentName[]): ComponentName[] {
  return COMPONENTS.filter((c) => names.includes(c));
}

export class ReferenceSupervisor {
  private readonly children = new Map<ComponentName, Child>();
  private readonly env: Record<string, string | undefined>;

  constructor(private readonly options: SupervisorOptions = {}) {
    this.env = { ...(options.env ?? process.env) };
  }

  get running(): ComponentProcess[] {
    return [...this.children.values()].map((c) => c.info);
  }

  url(name: ComponentName): string | undefined {
    return this.children.get(name)?.info.url;
  }

  pid(name: ComponentName): number | undefined {
    return this.children.get(name)?.info.pid;
  }

  /** Starts the named components in dependency order; rejects (after stopping them) if one fails. */
  async start(names: readonly ComponentName[] = COMPONENTS): Promise<ComponentProcess[]> {
    try {
      for (const name of inStartOrder(names)) await this.startOne(name);
    } catch (err) {
      await this.stopAll();
      throw err;
    }
    return this.running;
  }

  /** `overrides` set settings for this start only (a capacity sweep's BATCH_SIZE, DB_POOL_MAX). */
  async startOne(name: ComponentName, overrides: Record<string, string> = {}): Promise<ComponentProcess> {
    if (this.children.has(name)) throw new Error(`${name} is already running`);
    const env: Record<string, string | undefined> = { ...this.env, ...overrides, PIPESOAK_PARENT_PIPE: '1' };
    // A component started earlier serves on a real port: point the later ones at it.
    const sink = this.children.get('sink')?.info.url;
    const llm = this.children.get('llm')?.info.url;
    if (sink && !this.env.SINK_URL) env.SINK_URL = sink;
    if (llm && !this.env.LLM_URL) env.LLM_URL = llm;
    const proc = spawn(process.execPath, ['--import', 'tsx', MAIN, name], {
      env,
      // stdin stays a pipe: the child exits when it closes, i.e. when this process dies.
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const { stdout, stderr } = proc;
    if (!stdout || !stderr) throw new Error(`${name}: no pipes to the child process`);
    const child: Child = { proc, info: { name, pid: proc.pid ?? -1 }, stopping: false };
    this.children.set(name, child);
    const timeoutMs = this.options.readyTimeoutMs ?? 20_000;
    const stderrTail: string[] = [];
    return await new Promise<ComponentProcess>((resolve, reject) => {
      let ready = false;
      const timer = setTimeout(() => {
        reject(new Error(`${name} did not become ready within ${timeoutMs} ms`));
      }, timeoutMs);
      createInterface({ input: stdout }).on('line', (line) => {
        this.options.onLog?.(name, line);
        if (ready || !line.includes('"ready":true')) return;
        try {
          const parsed = JSON.parse(line) as { ready?: boolean; url?: string };
          if (!parsed.ready) return;
          ready = true;
          child.info.url = parsed.url;
          clearTimeout(timer);
          resolve(child.info);
        } catch {
          // Not a JSON log line; ignore.
        }
      });
      createInterface({ input: stderr }).on('line', (line) => {
        stderrTail.push(line);
        if (stderrTail.length > 20) stderrTail.shift();
        this.options.onLog?.(name, line);
      });
      proc.on('exit', (code, signal) => {
        if (this.children.get(name) === child) this.children.delete(name);
        if (!ready) {
          clearTimeout(timer);
          const why = stderrTail
            .filter((l) => l.trim())
            .slice(-3)
            .join(' | ');
          reject(
            new Error(`${name} exited before it was ready (code ${code ?? signal})${why ? `: ${why}` : ''}`),
          );
        } else if (!child.stopping) {
          this.options.onExit?.(name, code, signal);
        }
      });
    });
  }

  /** Sends a signal to one component (kill -9, SIGSTOP/SIGCONT for faults). */
  signal(name: ComponentName, signal: NodeJS.Signals): void {
    const child = this.children.get(name);
    if (!child) throw new Error(`${name} is not running`);
    // A deliberate kill is not an unexpected exit (onExit); SIGSTOP/SIGCONT leave it running.
    if (signal === 'SIGKILL' || signal === 'SIGTERM' || signal === 'SIGINT') child.stopping = true;
    child.proc.kill(signal);
  }

  /** Waits until a component's process has exited (after a signal). */
  async exited(name: ComponentName): Promise<void> {
    const child = this.children.get(name);
    if (!child || child.proc.exitCode !== null || child.proc.signalCode !== null) return;
    await new Promise<void>((resolve) => child.proc.once('exit', () => resolve()));
  }

  async restart(name: ComponentName, overrides: Record<string, string> = {}): Promise<ComponentProcess> {
    await this.stopOne(name);
    return this.startOne(name, overrides);
  }

  /** SIGTERM, then SIGKILL after a grace period. */
  async stopOne(name: ComponentName, graceMs = 10_000): Promise<void> {
    const child = this.children.get(name);
    if (!child) return;
    child.stopping = true;
    const gone = new Promise<void>((resolve) => {
      if (child.proc.exitCode !== null || child.proc.signalCode !== null) resolve();
      else child.proc.once('exit', () => resolve());
    });
    child.proc.kill('SIGTERM');
    // A process paused by a fault (SIGSTOP) acts on SIGTERM only once it runs again.
    child.proc.kill('SIGCONT');
    const timer = setTimeout(() => child.proc.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(timer);
    this.children.delete(name);
  }

  /** Stops in reverse start order: producers of work stop before what they feed. */
  async stopAll(): Promise<void> {
    const names = inStartOrder([...this.children.keys()]).reverse();
    for (const name of names) await this.stopOne(name);
  }
}
