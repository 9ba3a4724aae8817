// The engine's memory over a long constant-rate run: the engine process's RSS (all threads, real
// HTTP client, its own process) printed minute by minute, and its growth after minute 1
// (target: at most 10%). The iterations GET the minimal server in its own process.
//   node --import tsx bench/engineMemory.ts [--rate 2000] [--minutes 10] [--vus 400] [--workers 1] [--quick]
// --quick runs 5 s and samples every 2 s (a "minute" of 2 s), for the CI smoke.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { compileScenario } from '../engine/compile/compileScenario.ts';
import { machineLoadLine } from './support/machineLoad.ts';
import { runEngineProcess } from './support/runEngineProcess.ts';
import { startMinimalServer } from './support/startMinimalServer.ts';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '2000' },
    minutes: { type: 'string', default: '10' },
    vus: { type: 'string', default: '400' },
    workers: { type: 'string', default: '1' },
    quick: { type: 'boolean', default: false },
  },
});

function positive(name: string, raw: string | undefined): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number (got ${raw})`);
  return n;
}

const quick = values.quick;
const rate = positive('rate', values.rate);
const sampleMs = quick ? 2000 : 60_000;
const durationMs = quick ? 5000 : positive('minutes', values.minutes) * 60_000;
const vus = positive('vus', values.vus);
const workers = positive('workers', values.workers);
const unit = quick ? '2 s sample' : 'minute';

async function main(): Promise<void> {
  console.log(machineLoadLine('before'));
  const server = await startMinimalServer();
  const work = mkdtempSync(join(tmpdir(), 'pipesoak-bench-memory-'));
  try {
    const { bundlePath } = await compileScenario(
      new URL('./scenarios/httpGet.ts', import.meta.url).pathname,
      work,
    );
    const r = await runEngineProcess(
      {
        bundlePath,
        runId: 'bench-memory',
        runDir: join(work, 'run'),
        load: { rate, durationMs, warmUpMs: 0, vus: { preAllocated: vus, max: vus }, seed: 1 },
        target: { gatewayUrl: server.url.replace(/\/$/, '') },
        workers,
        rssEveryMs: sampleMs,
      },
      (line) => {
        const m = /^rss (\d+) (\d+) (\d+) (\d+)$/.exec(line);
        if (m === null) process.stderr.write(`engine: ${line}\n`);
        else
          console.log(
            `${unit} ${m[1]}: rss ${(Number(m[2]) / 1e6).toFixed(1)} MB, iterations ${m[3]}, dropped ${m[4]}`,
          );
      },
    );
    const first = r.rssSamples[0] ?? Number.NaN;
    const last = r.rssSamples.at(-1) ?? Number.NaN;
    const growth = ((last - first) / first) * 100;
    console.log(
      `done: ${r.iterations} iterations at ${rate}/s, ${r.dropped} dropped, ${r.steadyCores.toFixed(2)} cores; ` +
        `rss ${(first / 1e6).toFixed(1)} MB after ${unit} 1, ${(last / 1e6).toFixed(1)} MB at the end`,
    );
    console.log(
      `rss growth after ${unit} 1: ${growth.toFixed(1)}% (target <= 10%) -> ${growth <= 10 ? 'pass' : 'miss'}`,
    );
  } finally {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
  console.log(machineLoadLine('after'));
}

main().catch((err: unknown) => {
  console.error(`engineMemory: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
