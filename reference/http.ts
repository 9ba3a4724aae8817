// Small node:http helpers shared by the reference services: bounded body reading, JSON
// parsing and answers, a method+path router, a health route, listen and close.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './logger.ts';

/** An error that becomes a JSON answer `{error: message}` with this status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * Reads the whole body, failing with 413 as soon as it passes `limit` bytes. The rest is never
 * buffered: the router answers 413 with `Connection: close` and the socket is then dropped.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.pause();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    // A client that hangs up mid-body is its own fault, not the server's: a 4xx nobody reads.
    const onError = (err: Error) => {
      cleanup();
      reject(new HttpError(400, `request body ended early: ${err.message}`));
    };
    const onClose = () => {
      cleanup();
      reject(new HttpError(400, 'request body ended early'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, `request body is larger than ${limit} bytes`, { Connection: 'close' });
}

/**
 * Reads and parses a JSON body; 400 names what is wrong (empty, malformed). The content type is
 * not checked: clients such as fetch label a string body text/plain, and the JSON decides.
 */
export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const text = (await readBody(req, limit)).toString('utf8');
  if (text.trim() === '') throw new HttpError(400, 'request body is empty; expected a JSON object');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, `request body is not valid JSON: ${(err as Error).message}`);
  }
}

/** Narrows a parsed body to a plain JSON object, or 400. */
export function requireObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    const got = body === null ? 'null' : Array.isArray(body) ? 'an array' : typeof body;
    throw new HttpError(400, `request body must be a JSON object, got ${got}`);
  }
  return body as Record<string, unknown>;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** The W3C trace context header when it is well-formed, else null (never trust a broken one). */
export function validTraceparent(header: string | string[] | undefined): string | null {
  if (typeof header !== 'string') return null;
  const value = header.trim();
  const m = TRACEPARENT.exec(value);
  if (!m) return null;
  const [, version, traceId, parentId] = m;
  if (version === 'ff' || /^0+$/.test(traceId ?? '') || /^0+$/.test(parentId ?? '')) return null;
  // Version 00 has exactly four fields; later versions may append more.
  if (version === '00' && m[5] !== undefined) return null;
  return value;
}

/** One header as a trimmed string, or undefined when absent, repeated or blank. */
export function headerValue(req: IncomingMessage, name: string): string | undefined {
  const raw = req.headers[name.toLowerCase()];
  if (typeof raw !== 'string') return undefined;
  const value = raw.trim();
  return value === '' ? undefined : value;
}

export type Handler = (
  req: IncomingMessage,
  res: ServerResponse,
  params: Record<string, string>,
) => Promise<void>;

export interface Route {
  method: string;
  /** A path such as `/api/events/:type`; a `:name` segment matches one non-empty segment. */
  path: string;
  handler: Handler;
}

interface CompiledRoute extends Route {
  pattern: RegExp;
  names: string[];
}

function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(segment.slice(1));
      return '([^/]+)';
    })
    .join('/');
  return { ...route, pattern: new RegExp(`^${source}$`), names };
}

/**
 * Dispatches by path then method: an unknown path is 404, a known path with another method 405
 * (with Allow). HttpErrors become their JSON answer; anything else is logged and answered 500.
 */
export function createRouter(routes: Route[], log: Logger) {
  const compiled = routes.map(compile);
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      // Not `new URL`: it would read a path starting with `//` as a host.
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const onPath = compiled
        .map((route) => ({ route, match: route.pattern.exec(path) }))
        .filter((c): c is { route: CompiledRoute; match: RegExpExecArray } => c.match !== null);
      if (onPath.length === 0) throw new HttpError(404, `no route for ${path}`);
      const hit = onPath.find((c) => c.route.method === req.method);
      if (!hit) {
        const allow = [...new Set(onPath.map((c) => c.route.method))].join(', ');
        throw new HttpError(405, `method ${req.method} is not allowed on ${path}; use ${allow}`, {
          Allow: allow,
        });
      }
      const params: Record<string, string> = {};
      hit.route.names.forEach((name, i) => {
        params[name] = decodeSegment(hit.match[i + 1] ?? '');
      });
      await hit.route.handler(req, res, params);
    } catch (err) {
      answerError(req, res, err, log);
    }
  };
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, `path segment "${segment}" is not valid percent-encoding`);
  }
}

function answerError(req: IncomingMessage, res: ServerResponse, err: unknown, log: Logger): void {
  const known = err instanceof HttpError;
  const status = known ? err.status : 500;
  if (!known) log.error({ err, method: req.method, url: req.url }, 'request failed');
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers = known ? err.headers : {};
  sendJson(res, status, { error: known ? err.message : 'internal error' }, headers);
  // The unread rest of an oversized body is dropped with the connection, never buffered.
  if (headers.Connection === 'close') res.once('finish', () => req.destroy());
}

/** `GET /healthz`: 200 `{ok: true}` when `check` resolves, else 503 `{ok: false, error}`. */
export function healthRoute(check: () => Promise<void>, log: Logger): Route {
  return {
    method: 'GET',
    path: '/healthz',
    handler: async (_req, res) => {
      try {
        await check();
        sendJson(res, 200, { ok: true });
      } catch (err) {
        log.error({ err }, 'health check failed');
        sendJson(res, 503, { ok: false, error: (err as Error).message });
      }
    },
  };
}

// Longer than a load generator's idle timeout, so the client, not the server, closes idle
// keep-alive connections and never sends a request into a socket being closed.
const KEEP_ALIVE_TIMEOUT_MS = 65_000;
const CLOSE_GRACE_MS = 5_000;

export interface HttpService {
  server: Server;
  url: string;
  /** Stops accepting, lets in-flight requests finish (cut after a grace period), then resolves. */
  close(): Promise<void>;
}

export async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  host: string,
  port: number,
): Promise<HttpService> {
  const server = createServer((req, res) => void handler(req, res));
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  // Must exceed keepAliveTimeout, or Node may cut a reused connection while headers arrive.
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    url: `http://${hostPart}:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        const cut = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        server.close((err) => {
          clearTimeout(cut);
          if (err) reject(err);
          else resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
