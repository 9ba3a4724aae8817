// A nats-server the harness starts itself (JetStream on, loopback, free port, its own store dir),
// so a fault can kill, pause or restart the broker without touching the machine's server.
// Tests use it for the same reason.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from './freePort.ts';

const NATS_SERVER = process.env.PIPESOAK_NATS_SERVER ?? 'nats-server';

export class OwnNatsServer {
  private proc: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    readonly storeDir: string,
  ) {}

  static async start(): Promise<OwnNatsServer> {
    const server = new OwnNatsServer(await freePort(), await mkdtemp(join(tmpdir(), 'pipesoak-nats-')));
    await server.restart();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** The running server's pid, or undefined while it is down. */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** (Re)starts the server on the same port and store dir; a no-op when it is already running. */
  async restart(): Promise<void> {
    if (this.running) return;
    const args = ['-js', '-a', '127.0.0.1', '-p', String(this.port), '-sd', this.storeDir];
    const proc = spawn(NATS_SERVER, args, { stdio: 'ignore' });
    this.proc = proc;
    // A process that dies without dispose() must not leave its server behind.
    const killOnExit = () => proc.kill('SIGKILL');
    process.once('exit', killOnExit);
    proc.once('exit', () => process.off('exit', killOnExit));
    await waitForPort(this.port, 10_000);
  }

  /** SIGSTOP / SIGCONT for a pause fault (a stopped server keeps its sockets but answers nothing). */
  signal(signal: NodeJS.Signals): void {
    if (!this.proc || !this.running) throw new Error('the harness nats-server is not running');
    this.proc.kill(signal);
  }

  /** SIGKILL: no goodbye to clients, as in a crash. */
  async kill(): Promise<void> {
    await this.end('SIGKILL');
  }

  /** SIGTERM: a clean shutdown (lame-duck skipped); SIGKILL if it has not exited after graceMs. */
  async stop(graceMs = 5000): Promise<void> {
    await this.end('SIGTERM', graceMs);
  }

  async dispose(): Promise<void> {
    await this.kill();
    await rm(this.storeDir, { recursive: true, force: true });
  }

  private async end(signal: NodeJS.Signals, graceMs = 0): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    // A paused server only acts on SIGTERM once it runs again.
    proc.kill('SIGCONT');
    proc.kill(signal);
    const timer = graceMs > 0 ? setTimeout(() => proc.kill('SIGKILL'), graceMs) : undefined;
    await exited;
    if (timer) clearTimeout(timer);
  }
}
