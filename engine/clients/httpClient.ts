// ctx.http: one undici Pool per origin for the worker, bodies always consumed (an unread body
// holds its connection and stalls the pool), explicit timeouts, and the latencies measured from
// the intended start (open model) and from the actual send.
import { Pool } from 'undici';
import { METRIC } from '../../record/metricCatalog.ts';
import { allowManyListeners } from './allowManyListeners.ts';
import { CLIENT_DEFAULTS, HEADERS } from './clientDefaults.ts';
import { nowMs } from './clock.ts';
import type { EngineRecorder } from './engineRecorder.ts';
import type { IterationInfo } from './iterationInfo.ts';
import { TagCache } from './tagCache.ts';

export interface HttpRequestOptions {
  headers?: Record<string, string>;
  /** ms allowed for the response headers, and again for the body. */
  timeout?: number;
  /** The `name` tag that splits gateway.latency; default method + path template ("POST /api/messages"). */
  name?: string;
  /** What to do with the body: parse JSON, keep text, or (default) read and discard it. */
  read?: 'json' | 'text' | 'discard';
}

export interface HttpPostOptions extends HttpRequestOptions {
  /** Sent as JSON with content-type application/json. */
  json?: unknown;
  body?: string | Uint8Array;
}

export interface HttpResponse {
  /** The HTTP status, or 0 when no response came (see `error`). */
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json?: unknown;
  text?: string;
  /** Transport error or timeout code (ECONNREFUSED, UND_ERR_HEADERS_TIMEOUT, ...); status is 0. */
  error?: string;
}

/** What a scenario calls; bound to one iteration. Never throws on an HTTP status; throws on abort. */
export interface IterationHttp {
  get(url: string, options?: HttpRequestOptions): Promise<HttpResponse>;
  post(url: string, options?: HttpPostOptions): Promise<HttpResponse>;
}

export interface HttpClientOptions {
  recorder: EngineRecorder;
  /** Connections per origin: this worker's share of maxVUs. */
  connectionsPerOrigin: number;
  timeoutMs?: number;
}

interface Route {
  pool: Pool;
  path: string;
  name: string;
}

const ROUTE_CACHE_SIZE = 1024;

const ID_SEGMENT = /^(?:\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{16,})$/i;

/** "/api/events/123?x=1" → "/api/events/:id": ids in a path would make a tag per request. */
export function pathTemplate(path: string): string {
  const q = path.indexOf('?');
  const bare = q === -1 ? path : path.slice(0, q);
  return bare
    .split('/')
    .map((s) => (ID_SEGMENT.test(s) ? ':id' : s))
    .join('/');
}

export class HttpClient {
  private readonly pools = new Map<string, Pool>();
  private readonly routes = new Map<string, Route>();
  private readonly timeoutMs: number;
  private readonly nameTags = new TagCache('name');
  private readonly statusTags = new TagCache('status');
  private readonly codeTags = new TagCache('code');

  constructor(private readonly o: HttpClientOptions) {
    if (!Number.isInteger(o.connectionsPerOrigin) || o.connectionsPerOrigin < 1)
      throw new Error(`httpConnectionsPerOrigin must be a whole number >= 1 (got ${o.connectionsPerOrigin})`);
    this.timeoutMs = o.timeoutMs ?? CLIENT_DEFAULTS.httpTimeoutMs;
  }

  forIteration(info: IterationInfo): IterationHttp {
    return new BoundHttp(this, info);
  }

  async request(
    info: IterationInfo,
    method: 'GET' | 'POST',
    url: string,
    options: HttpPostOptions = {},
  ): Promise<HttpResponse> {
    info.signal.throwIfAborted();
    allowManyListeners(info.signal);
    const route = this.route(method, url);
    const pool = route.pool;
    const name = options.name ?? route.name;
    const headers: Record<string, string> = {
      [HEADERS.traceparent]: info.traceparent,
      [HEADERS.httpCorrelationId]: info.correlationId,
    };
    let body: string | Uint8Array | undefined = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] = 'application/json';
    }
    if (options.headers) Object.assign(headers, options.headers);
    const timeout = options.timeout ?? this.timeoutMs;
    const r = this.o.recorder;
    const sentMs = nowMs();
    try {
      const res = await pool.request({
        path: route.path,
        method,
        headers,
        body,
        signal: info.signal,
        headersTimeout: timeout,
        bodyTimeout: timeout,
      });
      const out: HttpResponse = { status: res.statusCode, headers: res.headers };
      const read = options.read ?? 'discard';
      if (read === 'discard') {
        // dump()'s default 128 kB limit destroys the socket on a larger body: read it all instead.
        await res.body.dump({ limit: Number.MAX_SAFE_INTEGER });
      } else {
        out.text = await res.body.text();
        if (read === 'json') {
          try {
            out.json = JSON.parse(out.text);
          } catch {
            // Not JSON: the scenario's check on `json` fails; the text is there to see why.
          }
        }
      }
      const endMs = nowMs();
      const tags = this.nameTags.of(name);
      if (info.openModel) r.latency(METRIC.gatewayLatency, endMs - info.intendedStartMs, tags);
      r.latency(METRIC.gatewayServiceTime, endMs - sentMs, tags);
      r.count(METRIC.httpRequests, 1, this.statusTags.of(out.status));
      // A refusal is a failed request too (the catalogue's meaning): the error rate SLO counts it.
      if (out.status >= 400) r.count(METRIC.httpErrors, 1, this.codeTags.of(out.status));
      if (out.status >= 200 && out.status < 300) info.markAccepted();
      return out;
    } catch (err) {
      // An abort is the engine ending the iteration (counted as interrupted there), not a target error.
      if (info.signal.aborted) throw info.signal.reason ?? err;
      const code = errorCode(err);
      // Counted as a request as well, so errors / requests stays a share.
      r.count(METRIC.httpRequests, 1, this.statusTags.of(0));
      r.count(METRIC.httpErrors, 1, this.codeTags.of(code));
      return { status: 0, headers: {}, error: code };
    }
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    this.routes.clear();
    // close() lets queued requests finish; after the engine's abort none should be left.
    await Promise.all(pools.map((p) => p.close()));
  }

  /** Origin, path and default name of a URL: parsed once, since a scenario sends to a few URLs many times. */
  private route(method: string, url: string): Route {
    const key = `${method} ${url}`;
    let route = this.routes.get(key);
    if (!route) {
      const u = new URL(url);
      route = {
        pool: this.pool(u.origin),
        path: u.pathname + u.search,
        name: `${method} ${pathTemplate(u.pathname)}`,
      };
      // URLs with ids in them would grow the cache without end: past the bound, parse each time.
      if (this.routes.size < ROUTE_CACHE_SIZE) this.routes.set(key, route);
    }
    return route;
  }

  private pool(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connections: this.o.connectionsPerOrigin,
        // One request at a time per connection: pipelining would queue a request behind a slow one.
        pipelining: 1,
        connectTimeout: CLIENT_DEFAULTS.httpConnectTimeoutMs,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        keepAliveTimeout: CLIENT_DEFAULTS.httpKeepAliveTimeoutMs,
      });
      this.pools.set(origin, pool);
    }
    return pool;
  }
}

/** ctx.http of one iteration: methods on the prototype, not two closures per iteration. */
class BoundHttp implements IterationHttp {
  constructor(
    private readonly client: HttpClient,
    private readonly info: IterationInfo,
  ) {}
  get(url: string, options?: HttpRequestOptions): Promise<HttpResponse> {
    return this.client.request(this.info, 'GET', url, options);
  }
  post(url: string, options?: HttpPostOptions): Promise<HttpResponse> {
    return this.client.request(this.info, 'POST', url, options);
  }
}

function errorCode(err: unknown): string {
  const e = err as { code?: unknown; name?: unknown; cause?: { code?: unknown } };
  if (typeof e?.code === 'string') return e.code;
  if (typeof e?.cause?.code === 'string') return e.cause.code;
  if (typeof e?.name === 'string') return e.name;
  return 'unknown';
}
