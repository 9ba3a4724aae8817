// A Toxiproxy server the harness starts itself: API and proxies on loopback, a free port, stopped
// with the run (and killed if this process dies first), so no proxy outlives its run.
import { type ChildProcess, spawn } from 'node:child_process';
import { freePort } from './freePort.ts';
import { ensureToxiproxyBinary } from './toxiproxyBinary.ts';

export interface ToxiproxyServerOptions {
  /** The toxiproxy-server binary; built into the cache when omitted. */
  binary?: string;
  readyTimeoutMs?: number;
  /** Seeds the random choices of toxics (jitter, toxicity), so runs repeat. */
  seed?: number;
}

const HOST = '127.0.0.1';

export class ToxiproxyServer {
  private constructor(
    private readonly proc: ChildProcess,
    readonly port: number,
  ) {}

  /** The API address toxiproxy-node-client talks to. */
  get url(): string {
    return `http://${HOST}:${this.port}`;
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  static async start(options: ToxiproxyServerOptions = {}): Promise<ToxiproxyServer> {
    const binary = options.binary ?? (await ensureToxiproxyBinary());
    // freePort can lose a race with another process on a busy machine: try a few ports.
    let lastError: Error | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        return await ToxiproxyServer.startOn(binary, await freePort(HOST), options);
      } catch (err) {
        lastError = err as Error;
      }
    }
    throw lastError ?? new Error('toxiproxy-server did not start');
  }

  private static async startOn(
    binary: string,
    port: number,
    options: ToxiproxyServerOptions,
  ): Promise<ToxiproxyServer> {
    const args = ['-host', HOST, '-port', String(port), '-seed', String(options.seed ?? 1)];
    const proc = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const killOnExit = () => proc.kill('SIGKILL');
    process.once('exit', killOnExit);
    proc.once('exit', () => process.off('exit', killOnExit));
    // It logs every connection to stderr: keep only a tail for error messages.
    const tail: string[] = [];
    proc.stderr?.on('data', (chunk: Buffer) => {
      tail.push(...chunk.toString().split('\n').filter(Boolean));
      tail.splice(0, Math.max(0, tail.length - 5));
    });
    const server = new ToxiproxyServer(proc, port);
    const exited = new Promise<never>((_, reject) => {
      proc.once('error', (err) =>
        reject(new Error(`toxiproxy-server (${binary}) did not start: ${err.message}`)),
      );
      proc.once('exit', (code, signal) =>
        reject(
          new Error(`toxiproxy-server exited before it answered (${code ?? signal}): ${tail.join(' | ')}`),
        ),
      );
    });
    exited.catch(() => undefined);
    try {
      await Promise.race([server.waitUntilAnswering(options.readyTimeoutMs ?? 10_000), exited]);
    } catch (err) {
      await server.stop();
      throw err;
    }
    return server;
  }

  private async waitUntilAnswering(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const res = await fetch(`${this.url}/version`, { signal: AbortSignal.timeout(1000) });
        if (res.ok) return;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline)
        throw new Error(`toxiproxy-server did not answer on ${this.url} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGTERM, SIGKILL after graceMs; resolves once the process is gone (its proxies with it). */
  async stop(graceMs = 3000): Promise<void> {
    const proc = this.proc;
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(timer);
  }
}
