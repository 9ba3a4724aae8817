// JetStream bench: the jetstream scenario's publishes (scenarios/jetstream.ts, msgID and all, in the
// closed-model variant bench/scenarios/jetstreamClosed.ts) in msgs/s, next to
// `nats bench js pub async SUBJ --msgs 100000 --size 256 --batch 500 --create --storage file --purge`
// against the bench's own nats-server on a free port, with the same stream settings (file storage,
// 1 replica, 1 GB, 2 min duplicate window), in one run; medians of --runs runs. The engine runs in its
// own process (bench/support/engineProcess.ts).
//   node --import tsx bench/engineJetstream.ts [--runs 3] [--seconds 5] [--vus 500] [--msgs 100000]
//        [--workers 1] [--quick]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { compileScenario } from '../engine/compile/compileScenario.ts';
import { OwnNatsServer } from '../faults/ownNatsServer.ts';
import { METRIC } from '../record/metricCatalog.ts';
import { machineLoadLine } from './support/machineLoad.ts';
import { median } from './support/median.ts';
import { runNatsBenchJsAsync } from './support/peers.ts';
import { runEngineProcess } from './support/runEngineProcess.ts';

const STREAM = 'PIPESOAK_BENCH';
const SUBJECTS = 'pbench.>';
const NATS_BENCH_SUBJECT = 'natsbench';
const SIZE = 256;
const BATCH = 500;

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    vus: { type: 'string', default: String(BATCH) },
    msgs: { type: 'string', default: '100000' },
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
const runs = quick ? 1 : positive('runs', values.runs);
const seconds = quick ? 2 : positive('seconds', values.seconds);
const msgs = quick ? 20_000 : positive('msgs', values.msgs);
const vus = positive('vus', values.vus);
const workers = positive('workers', values.workers);

async function main(): Promise<void> {
  console.log(machineLoadLine('before'));
  const server = await OwnNatsServer.start();
  const work = mkdtempSync(join(tmpdir(), 'pipesoak-bench-js-'));
  const rows: { engine: number; engineCores: number; acks: number; nats: number; natsCpu: number }[] = [];
  try {
    const { bundlePath } = await compileScenario(
      new URL('./scenarios/jetstreamClosed.ts', import.meta.url).pathname,
      work,
    );
    const nc = await connect({ servers: server.url });
    const jsm = await jetstreamManager(nc);
    // The settings nats bench's --create gives its "benchstream" (natscli v0.5.0 defaults).
    await jsm.streams.add({
      name: STREAM,
      subjects: [SUBJECTS],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      num_replicas: 1,
      max_bytes: 1024 * 1024 * 1024,
      duplicate_window: 2 * 60 * 1_000_000_000,
    });
    for (let run = 1; run <= runs; run++) {
      await jsm.streams.purge(STREAM);
      const nats = await runNatsBenchJsAsync({
        serverUrl: server.url,
        subject: NATS_BENCH_SUBJECT,
        msgs,
        size: SIZE,
        batch: BATCH,
      });
      const r = await runEngineProcess({
        bundlePath,
        runId: `bench-js-${run}`,
        runDir: join(work, `run-${run}`),
        load: {
          rate: 1,
          durationMs: seconds * 1000,
          warmUpMs: 0,
          vus: { preAllocated: vus, max: vus },
          seed: 1,
        },
        target: { natsUrl: server.url, stream: STREAM },
        workers,
      });
      const acks = r.counts[METRIC.jetstreamPublishAcks] ?? 0;
      const engine = acks / (r.durationMs / 1000);
      rows.push({
        engine,
        engineCores: r.steadyCores,
        acks,
        nats: nats.msgsPerSecond,
        natsCpu: nats.cpuSeconds,
      });
      const failedChecks = r.counts[METRIC.checksFailed] ?? 0;
      console.log(
        `run ${run}: engine ${engine.toFixed(0)} msgs/s (${acks} PubAcks in ${(r.durationMs / 1000).toFixed(2)} s, ` +
          `${r.steadyCores.toFixed(2)} cores, ${r.errors} errors, ${failedChecks} failed checks, ` +
          `publish latency p99 ${(r.summaries[METRIC.jetstreamPublishLatency]?.p99 ?? Number.NaN).toFixed(1)} ms); ` +
          `nats bench ${nats.msgsPerSecond.toFixed(0)} msgs/s (${msgs} msgs, ${nats.cpuSeconds.toFixed(2)} CPU s)`,
      );
    }
    const info = await jsm.streams.info(STREAM);
    console.log(
      `stream ${STREAM}: ${info.state.messages} messages, ${info.state.bytes} bytes after the last run`,
    );
    await nc.close();
  } finally {
    await server.dispose();
    rmSync(work, { recursive: true, force: true });
  }
  const e = median(rows.map((x) => x.engine));
  const n = median(rows.map((x) => x.nats));
  // Messages per CPU second: what each client costs per message, apart from how much of the shared
  // machine it was given (the single-threaded engine gets far less of a loaded machine than Go does).
  const ePerCpu = median(rows.map((x) => x.engine / Math.max(x.engineCores, 1e-9)));
  const nPerCpu = median(rows.map((x) => msgs / Math.max(x.natsCpu, 1e-9)));
  console.log(
    `JetStream msgs/s, median of ${rows.length}: engine ${e.toFixed(0)}, nats bench ${n.toFixed(0)}`,
  );
  console.log(`ratio engine/nats bench: ${(e / n).toFixed(3)} (target >= 0.6)`);
  console.log(
    `msgs per client CPU second, median: engine ${ePerCpu.toFixed(0)} (${(1e6 / ePerCpu).toFixed(1)} µs/msg), ` +
      `nats bench ${nPerCpu.toFixed(0)} (${(1e6 / nPerCpu).toFixed(1)} µs/msg); ratio ${(ePerCpu / nPerCpu).toFixed(3)}`,
  );
  console.log(machineLoadLine('after'));
}

main().catch((err: unknown) => {
  console.error(`engineJetstream: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
