// ctx.http: one undici Pool per origin for the worker, bodies always consumed (an unread body
// holds its connection and stalls the pool), explicit timeouts, and the latencies measured from
// the intended start (open model) and from the actual send.
import { Pool, util as undiciUtil } from 'undici';
import { METRIC } from '../../record/metricCatalog.ts';
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
  /** By method, then URL: no key string is built per request. */
  private readonly routes = new Map<string, Map<string, Route>>();
  private routeCount = 0;
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
    options: HttpPostOptions = NO_OPTIONS,
  ): Promise<HttpResponse> {
    const signal = info.signal;
    signal.throwIfAborted();
    const route = this.route(method, url);
    const name = options.name ?? route.name;
    let body: string | Uint8Array | undefined = options.body;
    let contentType: string | undefined;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      contentType = 'application/json';
    }
    const headers = requestHeaders(info, contentType, options.headers);
    const timeout = options.timeout ?? this.timeoutMs;
    const read = options.read ?? 'discard';
    const r = this.o.recorder;
    const sentMs = nowMs();
    try {
      const sink = new ResponseSink(signal, read !== 'discard');
      try {
        route.pool.dispatch(
          { path: route.path, method, headers, body, headersTimeout: timeout, bodyTimeout: timeout },
          sink,
        );
      } catch (err) {
        sink.onError(err as Error); // a closed pool or a bad header: settles (and untracks) the sink
      }
      const status = await sink.done;
      const out: HttpResponse = sink.response();
      if (read !== 'discard') {
        out.text = sink.text();
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
      r.count(METRIC.httpRequests, 1, this.statusTags.of(status));
      // A refusal is a failed request too (the catalogue's meaning): the error rate SLO counts it.
      if (status >= 400) r.count(METRIC.httpErrors, 1, this.codeTags.of(status));
      if (status >= 200 && status < 300) info.markAccepted();
      return out;
    } catch (err) {
      // An abort is the engine ending the iteration (counted as interrupted there), not a target error.
      if (signal.aborted) throw signal.reason ?? err;
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
    this.routeCount = 0;
    // close() lets queued requests finish; after the engine's abort none should be left.
    await Promise.all(pools.map((p) => p.close()));
  }

  /** Origin, path and default name of a URL: parsed once, since a scenario sends to a few URLs many times. */
  private route(method: string, url: string): Route {
    let byUrl = this.routes.get(method);
    if (byUrl === undefined) {
      byUrl = new Map();
      this.routes.set(method, byUrl);
    }
    let route = byUrl.get(url);
    if (!route) {
      const u = new URL(url);
      route = {
        pool: this.pool(u.origin),
        path: u.pathname + u.search,
        name: `${method} ${pathTemplate(u.pathname)}`,
      };
      // URLs with ids in them would grow the cache without end: past the bound, parse each time.
      if (this.routeCount < ROUTE_CACHE_SIZE) {
        byUrl.set(url, route);
        this.routeCount++;
      }
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

const NO_OPTIONS: HttpPostOptions = Object.freeze({});

/**
 * The request's headers: a flat [name, value, ...] array when the scenario adds none (undici takes
 * it without walking an object's keys), else an object, so a scenario's header replaces the
 * engine's of the same name rather than being sent beside it.
 */
function requestHeaders(
  info: IterationInfo,
  contentType: string | undefined,
  extra: Record<string, string> | undefined,
): string[] | Record<string, string> {
  if (extra === undefined) {
    const flat = [HEADERS.traceparent, info.traceparent, HEADERS.httpCorrelationId, info.correlationId];
    if (contentType !== undefined) flat.push('content-type', contentType);
    return flat;
  }
  const headers: Record<string, string> = {
    [HEADERS.traceparent]: info.traceparent,
    [HEADERS.httpCorrelationId]: info.correlationId,
  };
  if (contentType !== undefined) headers['content-type'] = contentType;
  return Object.assign(headers, extra);
}

/**
 * In-flight requests by the AbortSignal they end with, and the one abort listener per signal: most
 * iterations share their scenario's signal, so a request adds itself to a list rather than adding
 * (and later removing) a listener of its own. The list is an array with swap-remove, not a Set: a
 * Set with thousands of adds and deletes a second is rehashed constantly, and V8 links each retired
 * table to the next, so one promoted table kept every later request alive through scavenges (at
 * 5,000/s ~1.9 MB promoted per scavenge, pauses up to 7 ms in iteration.delay).
 */
const inFlightBySignal = new WeakMap<AbortSignal, ResponseSink[]>();

function track(signal: AbortSignal, sink: ResponseSink): void {
  let sinks = inFlightBySignal.get(signal);
  if (sinks === undefined) {
    const list: ResponseSink[] = [];
    sinks = list;
    inFlightBySignal.set(signal, list);
    signal.addEventListener(
      'abort',
      () => {
        // abort() untracks each sink, so take them all first
        for (const s of list.splice(0)) s.abort(signal.reason);
      },
      { once: true },
    );
  }
  sink.slot = sinks.length;
  sinks.push(sink);
}

function untrack(signal: AbortSignal, sink: ResponseSink): void {
  const sinks = inFlightBySignal.get(signal);
  if (sinks === undefined || sinks[sink.slot] !== sink) return;
  const last = sinks.pop() as ResponseSink;
  if (last !== sink) {
    sinks[sink.slot] = last;
    last.slot = sink.slot;
  }
  sink.slot = -1;
}

/**
 * The undici dispatch handler of one request: it keeps the status and raw headers, drops the body
 * as it comes (or keeps it, for read: 'text' | 'json'), and settles `done` when the response ends.
 * undici's request() wraps the same callbacks in an AsyncResource and a Readable stream per request,
 * which the engine never needs; the connection pool, parser, timeouts and wire stay undici's.
 */
class ResponseSink {
  readonly done: Promise<number>;
  private settle!: (status: number) => void;
  private fail!: (err: unknown) => void;
  private abortRequest: ((err?: Error) => void) | undefined;
  private status = 0;
  private rawHeaders: Buffer[] = [];
  private chunks: Buffer[] | undefined;
  private finished = false;
  /** Its index in its signal's in-flight list (track/untrack). */
  slot = -1;

  constructor(
    private readonly signal: AbortSignal,
    keepBody: boolean,
  ) {
    if (keepBody) this.chunks = [];
    this.done = new Promise<number>((resolve, reject) => {
      this.settle = resolve;
      this.fail = reject;
    });
    track(signal, this);
  }

  abort(reason: unknown): void {
    if (this.finished) return;
    if (this.abortRequest) this.abortRequest(reason as Error);
    else this.end(reason); // not connected yet: onConnect will abort it
  }

  onConnect(abort: (err?: Error) => void): void {
    if (this.signal.aborted) abort(this.signal.reason as Error);
    else this.abortRequest = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    if (statusCode < 200) return true; // 1xx: the real response follows
    this.status = statusCode;
    this.rawHeaders = rawHeaders;
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.chunks?.push(chunk);
    return true;
  }

  onComplete(): void {
    this.end();
  }

  onError(err: Error): void {
    this.end(err);
  }

  response(): HttpResponse {
    return new LazyHeadersResponse(this.status, this.rawHeaders);
  }

  text(): string {
    const chunks = this.chunks ?? [];
    return chunks.length === 1
      ? (chunks[0] as Buffer).toString('utf8')
      : Buffer.concat(chunks).toString('utf8');
  }

  private end(err?: unknown): void {
    if (this.finished) return;
    this.finished = true;
    untrack(this.signal, this);
    if (err === undefined) this.settle(this.status);
    else this.fail(err);
  }
}

type ResponseHeaders = Record<string, string | string[] | undefined>;

/**
 * A response whose headers are parsed when a scenario reads them, not for every request. A class
 * (the getter on its prototype), not an object literal with a getter, a new closure per response:
 * with the literal the worker promoted 1.4 MB per scavenge at 5,000/s, the responses' raw headers
 * foremost among what full GCs later freed; with the class 0.14 MB.
 */
class LazyHeadersResponse implements HttpResponse {
  json?: unknown;
  text?: string;
  private parsed: ResponseHeaders | undefined;

  constructor(
    readonly status: number,
    private raw: Buffer[] | undefined,
  ) {}

  get headers(): ResponseHeaders {
    if (this.parsed === undefined) {
      this.parsed = undiciUtil.parseHeaders(this.raw ?? []) as ResponseHeaders;
      this.raw = undefined;
    }
    return this.parsed;
  }

  /** JSON.stringify(response) shows the headers as the literal did. */
  toJSON(): HttpResponse {
    const { status, headers, json, text } = this;
    return {
      status,
      headers,
      ...(json !== undefined ? { json } : {}),
      ...(text !== undefined ? { text } : {}),
    };
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
