// JetStream bench: the jetstream scenario's publishes (scenarios/jetstream.ts, msgID and all, in the
// closed-model variant bench/scenarios/jetstreamClosed.ts) in msgs/s, next to
// `nats bench js pub async SUBJ --msgs 100000 --size 256 --batch 500 --create --storage file --purge`
// against the bench's own nats-server on a free port, with the same stream settings (file storage,
// 1 replica, 1 GB, 2 min duplicate window), in one run; medians of --runs runs. The engine runs in its
// own process (bench/support/engineProcess.ts). Beside the command, nats bench runs again with
// --dedup and the engine's two other headers (-H): the server's share of the 2 cores then goes to the
// same per-message work, and nats-server's own CPU per message is printed for each of the three.
//   node --import tsx bench/engineJetstream.ts [--runs 3] [--seconds 5] [--vus 500] [--msgs 100000]
//        [--workers 1] [--quick]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type JetStreamManager, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { compileScenario } from '../engine/compile/compileScenario.ts';
import { OwnNatsServer } from '../faults/ownNatsServer.ts';
import { METRIC } from '../record/metricCatalog.ts';
import { machineLoadLine } from './support/machineLoad.ts';
import { median } from './support/median.ts';
import { runNatsBenchJsAsync } from './support/peers.ts';
import { runEngineProcess } from './support/runEngineProcess.ts';
import { serverCpuSeconds } from './support/serverCpu.ts';

const STREAM = 'PIPESOAK_BENCH';
const SUBJECTS = 'pbench.>';
const NATS_BENCH_SUBJECT = 'natsbench';
/** The stream nats bench's --create makes. */
const NATS_BENCH_STREAM = 'benchstream';
const SIZE = 256;
const BATCH = 500;
/**
 * nats bench doing what the jetstream scenario's messages make the server do: a Nats-Msg-Id to
 * de-duplicate and the engine's other two headers, at their sizes (a 55-byte traceparent, a
 * correlation id as long as `bench-js-1-<k>`); nats bench's own command above has neither.
 */
const LIKE_THE_ENGINE = {
  dedup: true,
  headers: {
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    'Correlation-Id': 'bench-js-1-123456',
  },
};

interface PeerRun {
  msgsPerSecond: number;
  cpuSeconds: number;
  /** nats-server's CPU µs per message during the peer's run. */
  serverUs: number;
}

/** nats bench's flags took: its stream's last message carries a msgID and the engine's headers. */
async function expectLikeTheEngine(jsm: JetStreamManager): Promise<void> {
  const last = await jsm.streams.getMessage(NATS_BENCH_STREAM, { last_by_subj: NATS_BENCH_SUBJECT });
  const h = last?.header;
  for (const key of ['Nats-Msg-Id', ...Object.keys(LIKE_THE_ENGINE.headers)])
    if (!h?.get(key)) throw new Error(`nats bench --dedup -H left no ${key} on its messages`);
}

function describe(p: PeerRun): string {
  return `${p.msgsPerSecond.toFixed(0)} msgs/s (${p.cpuSeconds.toFixed(2)} CPU s, nats-server ${p.serverUs.toFixed(1)} µs/msg)`;
}

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
  const rows: {
    engine: number;
    engineCores: number;
    /** The command, and the same with the engine's per-message work (below). */
    nats: PeerRun;
    natsLike: PeerRun;
    /** nats-server's CPU µs per message under the engine. */
    serverUs: number;
  }[] = [];
  // The server shares the 2 cores with the client, so what each client's messages cost the server
  // (a msgID to de-duplicate, headers to parse and store) bounds that client's throughput too.
  const serverCpu = () => serverCpuSeconds(server);
  const peer = async (jsm: JetStreamManager, like: boolean): Promise<PeerRun> => {
    const cpu0 = await serverCpu();
    const r = await runNatsBenchJsAsync({
      serverUrl: server.url,
      subject: NATS_BENCH_SUBJECT,
      msgs,
      size: SIZE,
      batch: BATCH,
      ...(like ? LIKE_THE_ENGINE : {}),
    });
    const serverUs = ((await serverCpu()) - cpu0) * (1e6 / msgs);
    if (like) await expectLikeTheEngine(jsm);
    return { ...r, serverUs };
  };
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
      const nats = await peer(jsm, false);
      const natsLike = await peer(jsm, true);
      const cpu0 = await serverCpu();
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
      const serverUs = ((await serverCpu()) - cpu0) * (1e6 / Math.max(acks, 1));
      const engine = acks / (r.durationMs / 1000);
      rows.push({ engine, engineCores: r.steadyCores, nats, natsLike, serverUs });
      const failedChecks = r.counts[METRIC.checksFailed] ?? 0;
      console.log(
        `run ${run}: engine ${engine.toFixed(0)} msgs/s (${acks} PubAcks in ${(r.durationMs / 1000).toFixed(2)} s, ` +
          `${r.steadyCores.toFixed(2)} cores, ${r.errors} errors, ${failedChecks} failed checks, ` +
          `publish latency p99 ${(r.summaries[METRIC.jetstreamPublishLatency]?.p99 ?? Number.NaN).toFixed(1)} ms, ` +
          `nats-server ${serverUs.toFixed(1)} CPU µs/msg); nats bench ${describe(nats)}; ` +
          `with --dedup and the engine's headers ${describe(natsLike)}`,
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
  const n = median(rows.map((x) => x.nats.msgsPerSecond));
  const nl = median(rows.map((x) => x.natsLike.msgsPerSecond));
  // Messages per CPU second: what each client costs per message, apart from how much of the shared
  // machine it was given (the single-threaded engine gets far less of a loaded machine than Go does).
  const ePerCpu = median(rows.map((x) => x.engine / Math.max(x.engineCores, 1e-9)));
  const nPerCpu = median(rows.map((x) => msgs / Math.max(x.nats.cpuSeconds, 1e-9)));
  const nlPerCpu = median(rows.map((x) => msgs / Math.max(x.natsLike.cpuSeconds, 1e-9)));
  const us = (perCpu: number) => `${(1e6 / perCpu).toFixed(1)} µs/msg`;
  console.log(
    `JetStream msgs/s, median of ${rows.length}: engine ${e.toFixed(0)}, nats bench ${n.toFixed(0)}, ` +
      `nats bench with --dedup and the engine's headers ${nl.toFixed(0)}`,
  );
  console.log(`ratio engine/nats bench: ${(e / n).toFixed(3)} (target >= 0.6)`);
  console.log(`ratio engine/nats bench with the engine's per-message work: ${(e / nl).toFixed(3)}`);
  console.log(
    `client CPU per message, median: engine ${us(ePerCpu)}, nats bench ${us(nPerCpu)}, ` +
      `with --dedup and headers ${us(nlPerCpu)}`,
  );
  console.log(
    `nats-server CPU per message, median: ${median(rows.map((x) => x.serverUs)).toFixed(1)} µs under the engine, ` +
      `${median(rows.map((x) => x.nats.serverUs)).toFixed(1)} under nats bench, ` +
      `${median(rows.map((x) => x.natsLike.serverUs)).toFixed(1)} under nats bench with --dedup and headers`,
  );
  console.log(machineLoadLine('after'));
}

main().catch((err: unknown) => {
  console.error(`engineJetstream: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
