import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureToxiproxyBinary } from '../../faults/toxiproxyBinary.ts';
import { cli } from '../support/cli.ts';
import { NATS_URL, PG_ADMIN_URL } from '../support/testEnv.ts';

const CLI = join(import.meta.dirname, '../../runner/pipesoak.mjs');

let dir: string;
let configPath: string;
let webhook: http.Server;
let webhookPort: number;
let child: ChildProcess | undefined;

function configText(natsUrl: string, databaseUrl: string): string {
  return `export default ${JSON.stringify({
    target: {
      gatewayUrl: 'http://127.0.0.1:8080',
      databaseUrl,
      natsUrl,
      workerMetricsUrl: 'http://127.0.0.1:9464/metrics',
      stream: 'EVENTS',
      consumer: 'worker',
      dlqStream: 'DLQ',
      dlqConsumer: 'dlq',
      applications: { worker: 'w', relay: 'r', gateway: 'g', sink: 's' },
      outbox: {
        table: 'outbox',
        idColumn: 'id',
        createdAtColumn: 'created_at',
        publishedAtColumn: 'published_at',
      },
      completionQuery: 'SELECT 1 WHERE $1::text IS NOT NULL LIMIT $2',
    },
    load: { rate: 1, duration: '10s' },
  })};\n`;
}

beforeAll(async () => {
  await ensureToxiproxyBinary();
  dir = await mkdtemp(join(tmpdir(), 'pipesoak-proxies-'));
  configPath = join(dir, 'pipesoak.config.ts');
  // ESM, as in a project `pipesoak init` made, so tsx imports the config as a module.
  await writeFile(join(dir, 'package.json'), '{"type":"module"}\n');
  await writeFile(configPath, configText(NATS_URL, PG_ADMIN_URL));
  webhook = http.createServer((req, res) => res.end(`hook saw ${req.method} ${req.url}`));
  await new Promise<void>((r) => webhook.listen(0, '127.0.0.1', () => r()));
  webhookPort = (webhook.address() as net.AddressInfo).port;
}, 180_000);

afterAll(async () => {
  if (child?.pid && child.exitCode === null) child.kill('SIGKILL');
  await new Promise((r) => webhook?.close(r));
  await rm(dir, { recursive: true, force: true });
});

function portOpen(address: string): Promise<boolean> {
  const [host, port] = address.split(':');
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts `proxies up` and resolves with its stdout once it says the proxies are up. */
function proxiesUp(args: string[]): Promise<{ proc: ChildProcess; out: () => string }> {
  const proc = spawn(process.execPath, [CLI, 'proxies', 'up', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  let out = '';
  let err = '';
  proc.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  proc.stderr?.on('data', (c: Buffer) => {
    err += c.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`proxies up did not come up: ${out} ${err}`)), 60_000);
    proc.stdout?.on('data', () => {
      if (out.includes('Ctrl-C removes them.')) {
        clearTimeout(timer);
        resolve({ proc, out: () => out });
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`proxies up exited with ${code}: ${out} ${err}`));
    });
  });
}

interface Line {
  target: string;
  listen: string;
  upstream: string;
  pointAt?: string;
}

function parseLines(out: string): Line[] {
  return [
    ...out.matchAll(/^ {2}(nats|postgres|webhook) +(\S+) -> (\S+)(?: {2}point the pipeline at (\S+))?$/gm),
  ].map((m) => ({ target: m[1] ?? '', listen: m[2] ?? '', upstream: m[3] ?? '', pointAt: m[4] }));
}

describe('proxies cli', () => {
  it('proxies cli - up proxies NATS, Postgres and the webhook, traffic passes, Ctrl-C removes them', async () => {
    const { proc, out } = await proxiesUp([
      '--config',
      configPath,
      '--webhook',
      `http://127.0.0.1:${webhookPort}/hooks`,
    ]);
    const lines = parseLines(out());
    expect(lines.map((l) => l.target)).toEqual(['nats', 'postgres', 'webhook']);
    const byTarget = Object.fromEntries(lines.map((l) => [l.target, l]));
    expect(byTarget.nats?.upstream).toBe(new URL(NATS_URL).host);
    expect(byTarget.webhook?.upstream).toBe(`127.0.0.1:${webhookPort}`);
    for (const l of lines) expect(l.listen).not.toBe(l.upstream);
    expect(byTarget.nats?.pointAt).toBe(`nats://${byTarget.nats?.listen}`);
    expect(byTarget.webhook?.pointAt).toBe(`http://${byTarget.webhook?.listen}/hooks`);

    // Each proxy carries real traffic to its upstream.
    const nc = await connect({ servers: byTarget.nats?.pointAt ?? '', timeout: 10_000 });
    await nc.flush();
    expect(nc.getServer()).toBe(byTarget.nats?.listen);
    await nc.close();
    const client = new pg.Client({ connectionString: byTarget.postgres?.pointAt });
    await client.connect();
    expect((await client.query<{ n: number }>('SELECT 41 + 1 AS n')).rows[0]?.n).toBe(42);
    await client.end();
    const res = await fetch(byTarget.webhook?.pointAt ?? '');
    expect(await res.text()).toBe('hook saw GET /hooks');

    const api = /toxiproxy API: (http:\/\/\S+) /.exec(out())?.[1] ?? '';
    const listed = (await (await fetch(`${api}/proxies`)).json()) as Record<string, { upstream: string }>;
    expect(Object.keys(listed).sort()).toEqual(['nats', 'postgres', 'webhook']);

    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    proc.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out()).toContain('proxies removed.');
    for (const l of lines) expect(await portOpen(l.listen)).toBe(false);
    await expect(fetch(`${api}/version`)).rejects.toThrow();
  }, 120_000);

  it('proxies cli - --only and --port-base put one proxy on the port asked for', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const base = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const { proc, out } = await proxiesUp([
      '--config',
      configPath,
      '--only',
      'webhook',
      '--webhook',
      `127.0.0.1:${webhookPort}`,
      '--port-base',
      String(base),
    ]);
    expect(parseLines(out())).toEqual([
      {
        target: 'webhook',
        listen: `127.0.0.1:${base}`,
        upstream: `127.0.0.1:${webhookPort}`,
        pointAt: undefined,
      },
    ]);
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 120_000);

  it('proxies cli - a webhook that is not on loopback is refused with exit 2 and one line', async () => {
    const result = await cli(
      'proxies',
      'up',
      '--config',
      configPath,
      '--webhook',
      'http://10.1.2.3:8091/hooks',
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'pipesoak: webhook address http://10.1.2.3:8091/hooks: 10.1.2.3 is not a loopback address; faults stay on this machine\n',
    );
  }, 60_000);

  it('proxies cli - --only webhook without --webhook is a usage error', async () => {
    const result = await cli('proxies', 'up', '--config', configPath, '--only', 'webhook');
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('pipesoak: --only webhook needs --webhook <url or host:port>\n');
  }, 60_000);
});
