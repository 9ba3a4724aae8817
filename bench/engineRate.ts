// Rate accuracy of the engine: a constant arrival rate against a minimal HTTP server in its own
// process, printing achieved/target, drops, iteration.delay p99 and gateway.latency p99 per run, and
// the medians. Until the clients branch is merged the HTTP calls go through test/support's stand-in.
// Usage: node --import tsx bench/engineRate.ts [--rates 1000,5000] [--seconds 60] [--runs 3] [--workers N]
//        [--vus 200] [--scenario http|noop]
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startEngine } from '../engine/runEngine.ts';
import { METRIC } from '../record/metricCatalog.ts';
import { bundleFixture } from '../test/support/engineFixtures.ts';
import { ENGINE_STAND_IN } from '../test/support/engineStandIn.ts';
import { median } from './support/median.ts';

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '1000,5000' },
    seconds: { type: 'string', default: '60' },
    runs: { type: 'string', default: '3' },
    workers: { type: 'string' },
    vus: { type: 'string', default: '200' },
    // 'noop' measures the engine alone (iterations that do nothing); 'http' posts to the server.
    scenario: { type: 'string', default: 'http' },
  },
});

const SERVER = `const s = require('node:http').createServer((q, r) => { q.resume(); q.on('end', () => r.end('ok')); });
s.keepAliveTimeout = 60000; s.listen(0, '127.0.0.1', () => console.log(s.address().port));`;
const server = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise<string>((resolve) =>
  server.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())),
);
const bundlePath = await bundleFixture(values.scenario === 'noop' ? 'noop.mjs' : 'constantPost.mjs');
const vus = Number(values.vus);

try {
  for (const rate of (values.rates ?? '').split(',').map(Number)) {
    const rows: {
      ratio: number;
      dropped: number;
      delayP99: number;
      latencyP99: number;
      rssMb: number;
      cpuUsPerIteration: number;
    }[] = [];
    for (let i = 0; i < Number(values.runs); i++) {
      const cpuBefore = process.cpuUsage();
      const r = await startEngine({
        bundlePath,
        runId: `bench-${rate}-${i}`,
        runDir: mkdtempSync(join(tmpdir(), 'pipesoak-bench-')),
        load: {
          rate,
          durationMs: Number(values.seconds) * 1000,
          warmUpMs: 0,
          vus: { preAllocated: vus, max: vus },
          seed: 1,
        },
        target: { gatewayUrl: `http://127.0.0.1:${port}`, natsUrl: 'nats://127.0.0.1:4222' },
        clientsModule: ENGINE_STAND_IN,
        ...(values.workers === undefined ? {} : { workers: Number(values.workers) }),
      }).done;
      const row = {
        ratio: r.achievedRate / r.targetRate,
        dropped: r.dropped,
        delayP99: r.summaries[METRIC.iterationDelay]?.p99 ?? 0,
        latencyP99: r.summaries[METRIC.gatewayLatency]?.p99 ?? 0,
        rssMb: process.memoryUsage().rss / 1e6,
        cpuUsPerIteration: (() => {
          const c = process.cpuUsage(cpuBefore);
          return (c.user + c.system) / Math.max(1, r.iterations);
        })(),
      };
      rows.push(row);
      console.log(
        `rate ${rate}/s run ${i + 1}: achieved/target ${row.ratio.toFixed(4)}, dropped ${row.dropped}, ` +
          `${METRIC.iterationDelay} p99 ${row.delayP99.toFixed(2)} ms, ${METRIC.gatewayLatency} p99 ${row.latencyP99.toFixed(2)} ms, ` +
          `engine CPU ${row.cpuUsPerIteration.toFixed(0)} µs/iteration (all threads, start-up included)` +
          `${r.generatorSaturated ? `, SATURATED: ${r.saturationNote}` : ''}`,
      );
    }
    const m = (f: (x: (typeof rows)[number]) => number): number => median(rows.map(f));
    console.log(
      `rate ${rate}/s median of ${rows.length}: achieved/target ${m((x) => x.ratio).toFixed(4)}, dropped ${m((x) => x.dropped)}, ` +
        `${METRIC.iterationDelay} p99 ${m((x) => x.delayP99).toFixed(2)} ms, ${METRIC.gatewayLatency} p99 ${m((x) => x.latencyP99).toFixed(2)} ms`,
    );
  }
} finally {
  server.kill();
}
