// Faults stay on this machine (DESIGN section 7): an address is loopback when its host is
// `localhost`, in 127.0.0.0/8 or `::1`. Names other than localhost are refused, not resolved:
// a DNS answer can change between the check and the connection.
import { isIP } from 'node:net';

export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare.toLowerCase() === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6)
    return bare === '::1' || /^(0{0,4}:){7}0{0,3}1$/.test(bare) || /^::ffff:127\./i.test(bare);
  return false;
}

export interface HostPort {
  host: string;
  port: number;
}

/** `127.0.0.1:4222`, `[::1]:5432`, `localhost:8091` → host and port; throws a one-line Error otherwise. */
export function parseHostPort(address: string): HostPort {
  const m = /^(\[[^\]]+\]|[^:[\]]+):(\d{1,5})$/.exec(address.trim());
  const port = Number(m?.[2]);
  const host = m?.[1];
  if (!host || port < 1 || port > 65535) {
    throw new Error(`"${address}" is not a host:port address (e.g. 127.0.0.1:4222)`);
  }
  return { host, port };
}

/** host:port of a URL such as nats://127.0.0.1:4222 or postgres://u@localhost/db (default ports filled in). */
export function hostPortOfUrl(url: string): HostPort {
  const parsed = new URL(url);
  const defaults: Record<string, number> = {
    'nats:': 4222,
    'postgres:': 5432,
    'postgresql:': 5432,
    'http:': 80,
    'https:': 443,
  };
  const port = parsed.port === '' ? defaults[parsed.protocol] : Number(parsed.port);
  if (port === undefined) throw new Error(`"${url}" has no port and ${parsed.protocol} has no default`);
  return { host: parsed.hostname, port };
}
