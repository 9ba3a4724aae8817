// Scenario fixtures for the engine's tests, bundled with esbuild (ESM, source maps) into a temporary
// folder, and a local HTTP target whose behaviour a test controls.
import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { EngineOptions } from '../../engine/runEngine.ts';
import { ENGINE_STAND_IN } from './engineStandIn.ts';

const FIXTURES = new URL('../fixtures/scenarios/', import.meta.url);

export async function bundleFixture(
  name: string,
  outDir = mkdtempSync(join(tmpdir(), 'pipesoak-engine-')),
): Promise<string> {
  const outfile = join(outDir, name.replace(/\.(m?js|ts)$/, '.mjs'));
  await build({
    entryPoints: [new URL(name, FIXTURES).pathname],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    logLevel: 'silent',
  });
  return outfile;
}

export interface TestTarget {
  url: string;
  /** Requests received so far. */
  requests: number;
  /** x-correlation-id of every request, in arrival order. */
  correlationIds: string[];
  /** Method and URL of every request. */
  paths: string[];
  /** Body of every request with one, with its correlation id. */
  bodies: { id: string; body: string }[];
  close(): Promise<void>;
}

/** A node:http server on a free loopback port; `respond` may delay (returns ms) before the 200. */
export async function startTarget(
  respond: (req: IncomingMessage, n: number) => number = () => 0,
): Promise<TestTarget> {
  const target: TestTarget = {
    url: '',
    requests: 0,
    correlationIds: [],
    paths: [],
    bodies: [],
    close: async () => {},
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const n = target.requests++;
    const id = req.headers['x-correlation-id'];
    if (typeof id === 'string') target.correlationIds.push(id);
    target.paths.push(`${req.method} ${req.url}`);
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      if (body !== '') target.bodies.push({ id: typeof id === 'string' ? id : '', body });
      const delay = respond(req, n);
      const answer = (): void => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      };
      if (delay > 0) setTimeout(answer, delay);
      else answer();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  target.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  target.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return target;
}

export interface StandInRun {
  bundlePath: string;
  runId: string;
  targetUrl: string;
  rate: number;
  durationMs: number;
  vus: { preAllocated: number; max: number };
  /** More of the target section (the fixture scenarios read their knobs there). */
  extra?: Record<string, unknown>;
  startAtMs?: number;
}

/** One engine worker on the stand-in clients against a test target, no warm-up, seed 1. */
export function standInRun(o: StandInRun): EngineOptions {
  return {
    bundlePath: o.bundlePath,
    runId: o.runId,
    runDir: mkdtempSync(join(tmpdir(), `pipesoak-${o.runId}-`)),
    load: { rate: o.rate, durationMs: o.durationMs, warmUpMs: 0, vus: o.vus, seed: 1 },
    target: { gatewayUrl: o.targetUrl, natsUrl: 'nats://127.0.0.1:4222', ...o.extra },
    clientsModule: ENGINE_STAND_IN,
    workers: 1,
    ...(o.startAtMs === undefined ? {} : { startAtMs: o.startAtMs }),
  };
}
