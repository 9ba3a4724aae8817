// A minimal stand-in for engine/clients' createClients and engine/api's createIterationContext,
// matching the engine contract, so the engine core's tests make real HTTP requests (undici, one
// Pool per origin) before the clients branch is merged. Replace with the real modules at merge.
import { Pool } from 'undici';
import type {
  ClientSeam,
  Clients,
  ClientsOptions,
  ContextArgs,
  IterationInfo,
} from '../../engine/clientSeam.ts';
import { nowMs } from '../../engine/clock.ts';

const TIMEOUT_MS = 10_000;

interface StandInHttp {
  get(
    url: string,
    o?: { name?: string; headers?: Record<string, string> },
  ): Promise<{ status: number; body: string }>;
  post(
    url: string,
    o?: { json?: unknown; name?: string; headers?: Record<string, string> },
  ): Promise<{ status: number; body: string }>;
}

class StandInClients implements Clients {
  private readonly pools = new Map<string, Pool>();

  constructor(private readonly o: ClientsOptions) {}

  forIteration(info: IterationInfo): StandInHttp {
    const request = async (
      method: 'GET' | 'POST',
      url: string,
      opts: { json?: unknown; name?: string; headers?: Record<string, string> } = {},
    ) => {
      const u = new URL(url);
      const pool = this.pool(u.origin);
      const name = opts.name ?? u.pathname;
      const headers: Record<string, string> = {
        traceparent: info.traceparent,
        'x-correlation-id': info.correlationId,
        ...opts.headers,
      };
      let body: string | undefined;
      if (opts.json !== undefined) {
        body = JSON.stringify(opts.json);
        headers['content-type'] = 'application/json';
      }
      const sentAt = nowMs();
      const res = await pool.request({
        method,
        path: u.pathname + u.search,
        headers,
        body,
        signal: info.signal,
        headersTimeout: TIMEOUT_MS,
        bodyTimeout: TIMEOUT_MS,
      });
      const text = await res.body.text();
      const end = nowMs();
      const r = this.o.recorder;
      r.latency('gateway.latency', end - (info.openModel ? info.intendedStartMs : sentAt), { name });
      r.latency('gateway.service_time', end - sentAt, { name });
      r.count('http.requests', 1, { status: String(res.statusCode) });
      if (res.statusCode >= 200 && res.statusCode < 300) info.markAccepted();
      return { status: res.statusCode, body: text };
    };
    return { get: (url, o) => request('GET', url, o), post: (url, o) => request('POST', url, o) };
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.close()));
  }

  private pool(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (pool === undefined) {
      pool = new Pool(origin, { connections: this.o.httpConnectionsPerOrigin });
      this.pools.set(origin, pool);
    }
    return pool;
  }
}

export const createClients: ClientSeam['createClients'] = async (o) => new StandInClients(o);

export const createIterationContext: ClientSeam['createIterationContext'] = (a: ContextArgs) => ({
  http: a.clients as StandInHttp,
  vu: a.vu,
  iteration: a.iteration,
  data: a.data,
  target: a.target,
  signal: a.info.signal,
  intendedStart: a.info.intendedStartMs,
  correlationId: a.info.correlationId,
  traceparent: a.info.traceparent,
  k: a.info.k,
  metrics: {
    trend: (name: string, ms: number) => a.recorder.latency(`custom.${name}`, ms),
    counter: (name: string, n = 1) => a.recorder.count(`custom.${name}`, n),
  },
});

/** The module URL to pass as EngineOptions.clientsModule. */
export const ENGINE_STAND_IN = new URL('./engineStandIn.ts', import.meta.url).href;
