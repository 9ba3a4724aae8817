// Scenario fixtures for the engine's tests, bundled with esbuild (ESM, source maps) into a temporary
// folder, and a local HTTP target whose behaviour a test controls.
import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';

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
  /** Requests answered so far. */
  requests: number;
  close(): Promise<void>;
}

/** A node:http server on a free loopback port; `respond` may delay (returns ms) before the 200. */
export async function startTarget(
  respond: (req: IncomingMessage, n: number) => number = () => 0,
): Promise<TestTarget> {
  const target = { url: '', requests: 0, close: async () => {} } as TestTarget;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const n = target.requests++;
    req.resume();
    req.on('end', () => {
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
