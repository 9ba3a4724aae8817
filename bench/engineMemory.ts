// The engine's memory over a long constant-rate run: RSS (all threads) and heap printed minute by
// minute, and the growth after minute 1 (target: at most 10%). The iterations post to a minimal
// HTTP server in its own process, through test/support's stand-in until the clients are merged.
// Usage: node --import tsx bench/engineMemory.ts [--rate 2000] [--minutes 10] [--workers N]
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startEngine } from '../engine/runEngine.ts';
import { bundleFixture } from '../test/support/engineFixtures.ts';
import { ENGINE_STAND_IN } from '../test/support/engineStandIn.ts';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '2000' },
    minutes: { type: 'string', default: '10' },
    workers: { type: 'string' },
    vus: { type: 'string', default: '400' },
  },
});

const SERVER = `const s = require('node:http').createServer((q, r) => { q.resume(); q.on('end', () => r.end('ok')); });
s.keepAliveTimeout = 60000; s.listen(0, '127.0.0.1', () => console.log(s.address().port));`;
const server = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise<string>((resolve) =>
  server.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())),
);
const vus = Number(values.vus);
const rss: number[] = [];

try {
  const engine = startEngine({
    bundlePath: await bundleFixture('constantPost.mjs'),
    runId: 'memory',
    runDir: mkdtempSync(join(tmpdir(), 'pipesoak-memory-')),
    load: {
      rate: Number(values.rate),
      durationMs: Number(values.minutes) * 60_000,
      warmUpMs: 0,
      vus: { preAllocated: vus, max: vus },
      seed: 1,
    },
    target: { gatewayUrl: `http://127.0.0.1:${port}`, natsUrl: 'nats://127.0.0.1:4222' },
    clientsModule: ENGINE_STAND_IN,
    ...(values.workers === undefined ? {} : { workers: Number(values.workers) }),
  });
  let nextMinute = 1;
  engine.on('tick', (t) => {
    if (t.elapsedMs < nextMinute * 60_000) return;
    const m = process.memoryUsage();
    rss.push(m.rss);
    console.log(
      `minute ${nextMinute}: rss ${(m.rss / 1e6).toFixed(1)} MB, main heap ${(m.heapUsed / 1e6).toFixed(1)} MB, ` +
        `iterations ${t.iterations}, dropped ${t.dropped}, achieved ${t.achievedRate.toFixed(0)}/s`,
    );
    nextMinute++;
  });
  const r = await engine.done;
  const first = rss[0] ?? Number.NaN;
  const last = rss.at(-1) ?? Number.NaN;
  console.log(
    `done: ${r.iterations} iterations, ${r.dropped} dropped; rss growth after minute 1: ` +
      `${(((last - first) / first) * 100).toFixed(1)}% (target ≤ 10%)`,
  );
} finally {
  server.kill();
}
