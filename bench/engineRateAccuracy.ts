// Rate accuracy: the engine (real HTTP client, in its own process) at constant arrival rates against
// the minimal server, achieved/target and iteration.delay p99 per run and their medians of --runs.
// Targets: achieved/target >= 0.99 and iteration.delay p99 <= 5 ms. --vus VUs are made up front, with
// as many connections; up to --max-vus (k6's maxVUs) run, so a host pause queues requests on the pool
// (in gateway.latency) rather than dropping iterations.
//   node --import tsx bench/engineRateAccuracy.ts [--rates 1000,5000] [--seconds 60] [--runs 3]
//        [--vus 256] [--max-vus 2048] [--workers 1] [--quick]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { compileScenario } from '../engine/compile/compileScenario.ts';
import { METRIC } from '../record/metricCatalog.ts';
import { machineLoadLine } from './support/machineLoad.ts';
import { median } from './support/median.ts';
import { runEngineProcess } from './support/runEngineProcess.ts';
import { startMinimalServer } from './support/startMinimalServer.ts';

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '1000,5000' },
    seconds: { type: 'string', default: '60' },
    runs: { type: 'string', default: '3' },
    vus: { type: 'string', default: '256' },
    'max-vus': { type: 'string', default: '2048' },
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
const rates = (values.rates ?? '').split(',').map((r) => positive('rates', r));
const seconds = quick ? 2 : positive('seconds', values.seconds);
const runs = quick ? 1 : positive('runs', values.runs);
const vus = positive('vus', values.vus);
const maxVUs = Math.max(vus, positive('max-vus', values['max-vus']));
const workers = positive('workers', values.workers);

async function main(): Promise<void> {
  console.log(machineLoadLine('before'));
  const server = await startMinimalServer();
  const work = mkdtempSync(join(tmpdir(), 'pipesoak-bench-rate-'));
  try {
    const { bundlePath } = await compileScenario(
      new URL('./scenarios/httpGet.ts', import.meta.url).pathname,
      work,
    );
    for (const rate of rates) {
      const rows: { ratio: number; delayP99: number; dropped: number; cores: number }[] = [];
      for (let run = 1; run <= runs; run++) {
        const r = await runEngineProcess({
          bundlePath,
          runId: `bench-rate-${rate}-${run}`,
          runDir: join(work, `${rate}-${run}`),
          load: {
            rate,
            durationMs: seconds * 1000,
            // Only splits off the steady figures printed beside the whole run's (the verdict).
            warmUpMs: Math.min(2000, (seconds * 1000) / 3),
            vus: { preAllocated: vus, max: maxVUs },
            seed: 1,
          },
          target: { gatewayUrl: server.url.replace(/\/$/, '') },
          workers,
          httpConnections: vus,
        });
        const row = {
          ratio: r.achievedRate / r.targetRate,
          delayP99: r.summaries[METRIC.iterationDelay]?.p99 ?? Number.NaN,
          dropped: r.dropped,
          cores: r.steadyCores,
        };
        rows.push(row);
        console.log(
          `  ${rate}/s run ${run}: achieved/target ${row.ratio.toFixed(4)}, ${METRIC.iterationDelay} p99 ${row.delayP99.toFixed(2)} ms, ` +
            `dropped ${row.dropped}, ${METRIC.gatewayLatency} p99 ${(r.summaries[METRIC.gatewayLatency]?.p99 ?? Number.NaN).toFixed(2)} ms, ` +
            `after ${(r.steady.fromMs / 1000).toFixed(1)} s: ${METRIC.iterationDelay} p99 ${(r.steady.summaries[METRIC.iterationDelay]?.p99 ?? Number.NaN).toFixed(2)} ms, ` +
            `dropped ${r.steady.dropped}; engine ${row.cores.toFixed(2)} cores${r.generatorSaturated ? `, SATURATED: ${r.saturationNote}` : ''}`,
        );
      }
      const ratio = median(rows.map((x) => x.ratio));
      const delay = median(rows.map((x) => x.delayP99));
      console.log(
        `rate ${rate}/s for ${seconds} s, median of ${rows.length}: achieved/target ${ratio.toFixed(4)} (target >= 0.99), ` +
          `${METRIC.iterationDelay} p99 ${delay.toFixed(2)} ms (target <= 5), dropped ${median(rows.map((x) => x.dropped))}` +
          ` -> ${ratio >= 0.99 && delay <= 5 ? 'pass' : 'miss'}`,
      );
    }
  } finally {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
  console.log(machineLoadLine('after'));
}

main().catch((err: unknown) => {
  console.error(`engineRateAccuracy: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
