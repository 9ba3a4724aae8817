import { existsSync } from 'node:fs';
import net from 'node:net';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostPortOfUrl } from '../../faults/loopbackAddress.ts';
import { Proxies } from '../../faults/proxies.ts';
import { ensureToxiproxyBinary } from '../../faults/toxiproxyBinary.ts';
import { ToxiproxyServer } from '../../faults/toxiproxyServer.ts';
import { NATS_URL, PG_ADMIN_URL } from '../support/testEnv.ts';

// The machine's NATS and Postgres are only ever upstreams here: proxied to, never stopped.
const natsUpstream = hostPortOfUrl(NATS_URL);
const pgUpstream = hostPortOfUrl(PG_ADMIN_URL);

let server: ToxiproxyServer;
let proxies: Proxies;

beforeAll(async () => {
  // Builds the pinned binary on a cold cache (about 45 s); instant once `npm run build:toxiproxy` ran.
  server = await ToxiproxyServer.start({ binary: await ensureToxiproxyBinary() });
  proxies = new Proxies(server.url);
}, 180_000);

afterAll(async () => {
  await proxies?.removeAll().catch(() => undefined);
  await server?.stop();
});

async function rtts(nc: NatsConnection, samples: number): Promise<number[]> {
  const values: number[] = [];
  for (let i = 0; i < samples; i++) values.push(await nc.rtt());
  return values.sort((a, b) => a - b);
}

const median = (values: number[]) => values[Math.floor(values.length / 2)] ?? Number.NaN;

/** Connects a raw TCP socket and resolves with the first bytes, or the socket error's code. */
function firstBytes(port: number, waitMs = 2000): Promise<{ data?: string; error?: string }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const done = (result: { data?: string; error?: string }) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done({ error: 'no data' }), waitMs);
    socket.once('data', (chunk) => done({ data: chunk.toString() }));
    socket.once('error', (err: NodeJS.ErrnoException) => done({ error: err.code ?? err.message }));
    socket.once('close', () => done({ error: 'closed' }));
  });
}

describe('faults - toxiproxy', () => {
  it('toxiproxy server - answers on a loopback port and leaves no process when stopped', async () => {
    const own = await ToxiproxyServer.start({ binary: await ensureToxiproxyBinary() });
    expect(new URL(own.url).hostname).toBe('127.0.0.1');
    const version = await fetch(`${own.url}/version`);
    expect(version.status).toBe(200);
    const pid = own.pid ?? -1;
    expect(existsSync(`/proc/${pid}`)).toBe(true);
    await own.stop();
    expect(existsSync(`/proc/${pid}`)).toBe(false);
    await expect(fetch(`${own.url}/version`)).rejects.toThrow();
  });

  it('proxies - a non-loopback upstream is refused', async () => {
    await expect(proxies.create('remote', '10.1.2.3:4222')).rejects.toThrow(/not a loopback address/);
    await expect(proxies.create('named', 'nats.example.com:4222')).rejects.toThrow(/not a loopback address/);
    expect(proxies.get('remote')).toBeUndefined();
  });

  it('proxies - a 200 ms latency toxic raises the NATS round trip by at least 200 ms; removing it restores it', async () => {
    const proxy = await proxies.create('nats-latency', `${natsUpstream.host}:${natsUpstream.port}`);
    const nc = await connect({ servers: `nats://${proxy.listen}`, reconnect: false });
    try {
      // The quickest clean round trip is the baseline: a busy machine only ever adds to it.
      const before = (await rtts(nc, 5))[0] ?? Number.NaN;
      await proxies.addToxic('nats-latency', 'slow', { type: 'latency', latencyMs: 200 });
      const slowed = median(await rtts(nc, 3));
      expect(slowed).toBeGreaterThanOrEqual(before + 200);
      await proxies.removeToxic('nats-latency', 'slow');
      const after = median(await rtts(nc, 5));
      expect(after).toBeLessThan(150);
    } finally {
      await nc.close();
      await proxies.remove('nats-latency');
    }
  });

  it('proxies - down refuses connections through the proxy and cuts open ones; up restores', async () => {
    const proxy = await proxies.create('nats-down', `${natsUpstream.host}:${natsUpstream.port}`);
    const port = proxy.listenAddress.port;
    expect((await firstBytes(port)).data).toMatch(/^INFO /);
    const nc = await connect({ servers: `nats://${proxy.listen}`, reconnect: false });
    const closed = nc.closed();

    await proxies.down('nats-down');
    expect((await firstBytes(port)).error).toBe('ECONNREFUSED');
    await expect(connect({ servers: `nats://${proxy.listen}`, reconnect: false })).rejects.toThrow();
    // The open client loses its connection: closed() settles without our close().
    await Promise.race([
      closed,
      new Promise((_, reject) => setTimeout(() => reject(new Error('still open')), 5000)),
    ]);

    await proxies.up('nats-down');
    expect(proxies.get('nats-down')?.listen).toBe(proxy.listen);
    const again = await connect({ servers: `nats://${proxy.listen}`, reconnect: false });
    expect(await again.rtt()).toBeLessThan(1000);
    await again.close();
    await proxies.remove('nats-down');
  });

  it('proxies - reset_peer resets connections; removing it lets them through', async () => {
    const proxy = await proxies.create('nats-reset', `${natsUpstream.host}:${natsUpstream.port}`);
    const port = proxy.listenAddress.port;
    await proxies.addToxic('nats-reset', 'rst', { type: 'reset_peer' });
    expect((await firstBytes(port)).error).toBe('ECONNRESET');
    await proxies.removeToxic('nats-reset', 'rst');
    expect((await firstBytes(port)).data).toMatch(/^INFO /);
    await proxies.remove('nats-reset');
  });

  it('proxies - timeout lets no data through and closes the connection after timeoutMs', async () => {
    const proxy = await proxies.create('nats-timeout', `${natsUpstream.host}:${natsUpstream.port}`);
    await proxies.addToxic('nats-timeout', 'hold', { type: 'timeout', timeoutMs: 400 });
    const started = performance.now();
    // NATS greets every client with INFO at once; through the toxic nothing arrives, then the close.
    expect(await firstBytes(proxy.listenAddress.port, 5000)).toEqual({ error: 'closed' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(350);
    await proxies.removeToxic('nats-timeout', 'hold');
    expect((await firstBytes(proxy.listenAddress.port)).data).toMatch(/^INFO /);
    await proxies.remove('nats-timeout');
  });

  it('proxies - bandwidth caps the transfer rate of a loopback upstream', async () => {
    // An upstream of the test's own: sends 48 KiB to each connection and closes.
    const payload = Buffer.alloc(48 * 1024, 'x');
    const upstream = net.createServer((socket) => socket.end(payload));
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const address = upstream.address() as net.AddressInfo;
    const proxy = await proxies.create('blob', `127.0.0.1:${address.port}`);
    const download = () =>
      new Promise<{ bytes: number; ms: number }>((resolve, reject) => {
        const started = performance.now();
        let bytes = 0;
        const socket = net.connect(proxy.listenAddress.port, '127.0.0.1');
        socket.on('data', (chunk) => {
          bytes += chunk.length;
        });
        socket.on('error', reject);
        socket.on('close', () => resolve({ bytes, ms: performance.now() - started }));
      });
    try {
      const fast = await download();
      expect(fast.bytes).toBe(payload.length);
      // 384 kbit/s = 48 KB/s: 48 KiB takes about a second.
      await proxies.addToxic('blob', 'narrow', { type: 'bandwidth', rateKbps: 384 });
      const slow = await download();
      expect(slow.bytes).toBe(payload.length);
      expect(slow.ms).toBeGreaterThan(700);
      expect(slow.ms).toBeGreaterThan(fast.ms + 500);
    } finally {
      await proxies.remove('blob');
      await new Promise((resolve) => upstream.close(resolve));
    }
  });

  it('proxies - a Postgres proxy carries a pg client; down breaks its queries, up and a new client work', async () => {
    const proxy = await proxies.create('postgres', `${pgUpstream.host}:${pgUpstream.port}`);
    const url = new URL(PG_ADMIN_URL);
    url.host = proxy.listen;
    const client = new pg.Client({
      connectionString: url.toString(),
      application_name: 'pipesoak-fault-test',
    });
    client.on('error', () => undefined);
    await client.connect();
    const { rows } = await client.query<{ port: number }>('SELECT inet_server_port() AS port');
    expect(rows[0]?.port).toBe(pgUpstream.port);

    await proxies.down('postgres');
    await expect(client.query('SELECT 1')).rejects.toThrow();
    await client.end().catch(() => undefined);

    await proxies.up('postgres');
    const fresh = new pg.Client({ connectionString: url.toString() });
    await fresh.connect();
    expect((await fresh.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one).toBe(1);
    await fresh.end();
    await proxies.remove('postgres');
  });

  it('proxies - reset() takes every toxic off and brings the proxy up', async () => {
    const proxy = await proxies.create('nats-reset-all', `${natsUpstream.host}:${natsUpstream.port}`);
    await proxies.addToxic('nats-reset-all', 'a', { type: 'latency', latencyMs: 500 });
    await proxies.addToxic('nats-reset-all', 'b', { type: 'reset_peer' });
    await proxies.down('nats-reset-all');
    await proxies.reset('nats-reset-all');
    const listed = (await (await fetch(`${server.url}/proxies/nats-reset-all`)).json()) as {
      enabled: boolean;
      toxics: unknown[];
    };
    expect(listed).toMatchObject({ enabled: true, toxics: [] });
    expect((await firstBytes(proxy.listenAddress.port)).data).toMatch(/^INFO /);
    await proxies.remove('nats-reset-all');
  });
});
