// The Toxiproxy proxies of one run, through toxiproxy-node-client: each sits in front of one
// loopback upstream (NATS, Postgres, the webhook sink) and takes toxics (latency, bandwidth,
// timeout, reset_peer) or goes down and up. Only proxies created here are ever touched.
import { Toxiproxy, type Proxy as ToxiproxyProxy } from 'toxiproxy-node-client';
import { type HostPort, isLoopbackHost, parseHostPort } from './loopbackAddress.ts';

/** A toxic's settings; `share` is the share of connections it hits (Toxiproxy's toxicity), 1 when omitted. */
export type ToxicSpec =
  | { type: 'latency'; latencyMs: number; jitterMs?: number; share?: number }
  /** Kilobits per second; Toxiproxy's unit is KB/s, so it gets rateKbps / 8 (at least 1). */
  | { type: 'bandwidth'; rateKbps: number; share?: number }
  /** No data gets through; the connection closes after timeoutMs (0: held open until removed). */
  | { type: 'timeout'; timeoutMs?: number; share?: number }
  /** Connections are reset (TCP RST) at once, or after timeoutMs. */
  | { type: 'reset_peer'; timeoutMs?: number; share?: number };

export interface ProxyInfo {
  name: string;
  /** host:port clients connect to instead of the upstream. */
  listen: string;
  upstream: string;
  listenAddress: HostPort;
}

function attributes(spec: ToxicSpec): Record<string, number> {
  switch (spec.type) {
    case 'latency':
      return { latency: spec.latencyMs, jitter: spec.jitterMs ?? 0 };
    case 'bandwidth':
      return { rate: Math.max(1, Math.round(spec.rateKbps / 8)) };
    case 'timeout':
    case 'reset_peer':
      return { timeout: spec.timeoutMs ?? 0 };
  }
}

export class Proxies {
  private readonly client: Toxiproxy;
  private readonly owned = new Map<string, { proxy: ToxiproxyProxy; info: ProxyInfo }>();

  /** `apiUrl`: the harness's own toxiproxy-server (ToxiproxyServer.url), on loopback. */
  constructor(apiUrl: string) {
    const host = new URL(apiUrl).hostname;
    if (!isLoopbackHost(host)) throw new Error(`Toxiproxy API ${apiUrl} is not on a loopback address`);
    this.client = new Toxiproxy(apiUrl);
  }

  get(name: string): ProxyInfo | undefined {
    return this.owned.get(name)?.info;
  }

  get all(): ProxyInfo[] {
    return [...this.owned.values()].map((o) => o.info);
  }

  /** A proxy in front of `upstream` (host:port, loopback only), on a free loopback port or on `listen`. */
  async create(name: string, upstream: string, listen = '127.0.0.1:0'): Promise<ProxyInfo> {
    const target = parseHostPort(upstream);
    if (!isLoopbackHost(target.host)) {
      throw new Error(
        `proxy ${name}: upstream ${upstream} is not a loopback address; faults stay on this machine`,
      );
    }
    if (this.owned.has(name)) throw new Error(`proxy ${name} already exists`);
    // Port 0 (any free port) is fine here, so only the host is checked.
    if (!isLoopbackHost(listen.slice(0, listen.lastIndexOf(':')))) {
      throw new Error(`proxy ${name}: listen address ${listen} is not a loopback address`);
    }
    // Port 0: Toxiproxy picks a free port and keeps it when the proxy is disabled and enabled again.
    const proxy = await this.call(name, 'create', () =>
      this.client.createProxy({ name, listen, upstream, enabled: true }),
    );
    const info: ProxyInfo = {
      name,
      listen: proxy.listen,
      upstream,
      listenAddress: parseHostPort(proxy.listen),
    };
    this.owned.set(name, { proxy, info });
    return info;
  }

  /** Adds a toxic called `toxicName` on the server → client stream (Toxiproxy's default direction). */
  async addToxic(proxyName: string, toxicName: string, spec: ToxicSpec): Promise<void> {
    const { proxy } = this.ownedProxy(proxyName);
    await this.call(proxyName, `add ${spec.type} toxic`, () =>
      proxy.addToxic({
        name: toxicName,
        type: spec.type,
        stream: 'downstream',
        toxicity: spec.share ?? 1,
        attributes: attributes(spec),
      }),
    );
  }

  async removeToxic(proxyName: string, toxicName: string): Promise<void> {
    const { proxy } = this.ownedProxy(proxyName);
    await this.call(proxyName, `remove toxic ${toxicName}`, () =>
      proxy.api.delete(`${proxy.getPath()}/toxics/${encodeURIComponent(toxicName)}`),
    );
  }

  /** Disabled: the listener closes and open connections through it are cut. */
  async down(name: string): Promise<void> {
    await this.setEnabled(name, false);
  }

  async up(name: string): Promise<void> {
    await this.setEnabled(name, true);
  }

  /** Back to a clean pass-through: every toxic removed, enabled. */
  async reset(name: string): Promise<void> {
    const { proxy } = this.ownedProxy(name);
    const current = await this.call(name, 'read', () =>
      proxy.api.get<{ enabled: boolean; toxics: { name: string }[] }>(proxy.getPath()),
    );
    for (const toxic of current.data.toxics) await this.removeToxic(name, toxic.name);
    if (!current.data.enabled) await this.up(name);
  }

  async remove(name: string): Promise<void> {
    const { proxy } = this.ownedProxy(name);
    await this.call(name, 'remove', () => proxy.remove());
    this.owned.delete(name);
  }

  /** Removes every proxy created here (best effort: one failing does not keep the others). */
  async removeAll(): Promise<void> {
    const results = await Promise.allSettled([...this.owned.keys()].map((name) => this.remove(name)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private ownedProxy(name: string): { proxy: ToxiproxyProxy; info: ProxyInfo } {
    const owned = this.owned.get(name);
    if (!owned) throw new Error(`proxy ${name} was not created by this harness`);
    return owned;
  }

  private async setEnabled(name: string, enabled: boolean): Promise<void> {
    const { proxy, info } = this.ownedProxy(name);
    await this.call(name, enabled ? 'enable' : 'disable', () =>
      proxy.update({ enabled, listen: info.listen, upstream: info.upstream }),
    );
  }

  /** The client's errors say only "status code 409": name the proxy and the action. */
  private async call<T>(name: string, action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new Error(`proxy ${name}: ${action} failed: ${(err as Error).message}`);
    }
  }
}
