// `pipesoak proxies up`: Toxiproxy proxies in front of a user's own NATS, Postgres and webhook
// addresses, on loopback, for as long as the command runs. The harness starts its own
// toxiproxy-server for them, so stopping it removes every proxy at once; nothing outlives it.
import { redactUrl } from '../record/redact.ts';
import type { ProxyTarget } from './faultSchedule.ts';
import { type HostPort, hostPortOfUrl, isLoopbackHost, parseHostPort } from './loopbackAddress.ts';
import { Proxies, type ProxyInfo } from './proxies.ts';
import { ToxiproxyServer } from './toxiproxyServer.ts';

/** One address to put a proxy in front of: a URL (nats://, postgres://, http://) or host:port. */
export interface UserUpstream {
  target: ProxyTarget;
  address: string;
}

export interface UserProxy extends ProxyInfo {
  target: ProxyTarget;
  /** The user's URL with host:port swapped for the proxy's (password redacted); undefined for host:port input. */
  pointAt?: string;
}

export interface UserProxiesOptions {
  upstreams: readonly UserUpstream[];
  /** Listen on portBase, portBase + 1, ... in the order given; free ports when omitted. */
  portBase?: number;
  /** The toxiproxy-server binary (built into the cache when omitted). */
  binary?: string;
}

export interface UserProxies {
  /** Toxiproxy's API, for toxiproxy-cli or `curl` to add toxics by hand. */
  apiUrl: string;
  proxies: UserProxy[];
  /** Removes every proxy and stops the server. */
  stop(): Promise<void>;
}

function upstreamOf(address: string): { hostPort: HostPort; url?: URL } {
  if (address.includes('://')) {
    const url = new URL(address);
    return { hostPort: hostPortOfUrl(address), url };
  }
  return { hostPort: parseHostPort(address) };
}

function swapHostPort(url: URL, listen: HostPort): string {
  const copy = new URL(url.href);
  copy.hostname = listen.host;
  copy.port = String(listen.port);
  return redactUrl(copy.href);
}

/** Throws a one-line Error naming the first address that is not a loopback URL or host:port. */
export function checkUserUpstreams(upstreams: readonly UserUpstream[]) {
  return upstreams.map((u) => {
    let parsed: ReturnType<typeof upstreamOf>;
    try {
      parsed = upstreamOf(u.address);
    } catch (err) {
      throw new Error(`${u.target} address ${redactUrl(u.address)}: ${(err as Error).message}`);
    }
    if (!isLoopbackHost(parsed.hostPort.host)) {
      throw new Error(
        `${u.target} address ${redactUrl(u.address)}: ${parsed.hostPort.host} is not a loopback address; faults stay on this machine`,
      );
    }
    return { ...u, ...parsed };
  });
}

/** Starts the proxies; rejects (with nothing left running) when an address is bad or not loopback. */
export async function startUserProxies(options: UserProxiesOptions): Promise<UserProxies> {
  const parsed = checkUserUpstreams(options.upstreams);
  const server = await ToxiproxyServer.start({ binary: options.binary });
  const proxies = new Proxies(server.url);
  const made: UserProxy[] = [];
  try {
    for (const [i, u] of parsed.entries()) {
      const upstream = `${u.hostPort.host}:${u.hostPort.port}`;
      const listen = options.portBase === undefined ? undefined : `127.0.0.1:${options.portBase + i}`;
      const info = await proxies.create(u.target, upstream, listen);
      made.push({
        ...info,
        target: u.target,
        pointAt: u.url ? swapHostPort(u.url, info.listenAddress) : undefined,
      });
    }
  } catch (err) {
    await server.stop();
    throw err;
  }
  return {
    apiUrl: server.url,
    proxies: made,
    stop: async () => {
      await proxies.removeAll().catch(() => undefined);
      await server.stop();
    },
  };
}

/** What `proxies up` prints: one line per proxy, then where the API is. */
export function describeUserProxies(running: UserProxies): string[] {
  const width = Math.max(...running.proxies.map((p) => p.target.length), 0);
  return [
    ...running.proxies.map(
      (p) =>
        `${p.target.padEnd(width)}  ${p.listen} -> ${p.upstream}${p.pointAt ? `  point the pipeline at ${p.pointAt}` : ''}`,
    ),
    `toxiproxy API: ${running.apiUrl} (proxies named ${running.proxies.map((p) => p.name).join(', ')})`,
  ];
}
