// The collectors' CPU cost: every collector at 1 Hz against the reference pipeline under a steady
// open-model load, in a child process of their own whose CPU time (user + system, from /proc) is
// read over the load window; then the same with that child running no collectors (the baseline).
// Target: the difference stays under 2% of one core.
// Usage: node --import tsx bench/collectorOverhead.ts [--minutes 5] [--runs 3] [--rate 100]
//        [--collectors outbox,pool,...] [--ack-sample 10%] [--cpu-prof-dir D]
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { COLLECTOR_KINDS } from '../collectors/collectorSet.ts';
import { RUN_FILES } from '../record/runFiles.ts';
import { referenceTarget } from '../reference/referenceTarget.ts';
import { openLoad } from '../test/support/openLoad.ts';
import { type BenchPipeline, startBenchPipeline, waitForFacts } from './support/benchPipeline.ts';
import {
  CONFIG_ENV,
  type CollectorsProcessCommand,
  type CollectorsProcessConfig,
  type CollectorsProcessMessage,
} from './support/collectorsProcessProtocol.ts';
import { median } from './support/median.ts';
import { processUsage } from './support/processCpu.ts';

const CHILD = fileURLToPath(new URL('./support/collectorsProcess.ts', import.meta.url));
const TARGET_SHARE = 0.02;

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '5' },
    runs: { type: 'string', default: '3' },
    rate: { type: 'string', default: '100' },
    'interval-ms': { type: 'string', default: '1000' },
    'warmup-s': { type: 'string', default: '5' },
    /** The consumers' ack sampling (ACK_SAMPLE_FREQ, e.g. `100%`); the reference's default otherwise. */
    'ack-sample': { type: 'string' },
    /** Which collectors run in the measured mode, comma-separated (default all): their cost alone. */
    collectors: { type: 'string' },
    /** Writes a V8 CPU profile of each collectors process there, to see where the time goes. */
    'cpu-prof-dir': { type: 'string' },
  },
});
const minutes = Number(values.minutes);
const runs = Number(values.runs);
const rate = Number(values.rate);
const intervalMs = Number(values['interval-ms']);
const warmupS = Number(values['warmup-s']);
const kinds = values.collectors?.split(',').map((k) => k.trim()) ?? [...COLLECTOR_KINDS];
const unknown = kinds.filter((k) => !(COLLECTOR_KINDS as readonly string[]).includes(k));
if (unknown.length > 0) {
  process.stderr.write(`--collectors: unknown ${unknown.join(', ')}; known: ${COLLECTOR_KINDS.join(', ')}\n`);
  process.exit(2);
}
const switches = Object.fromEntries(COLLECTOR_KINDS.map((k) => [k, kinds.includes(k)]));
for (const [name, value] of Object.entries({ minutes, runs, rate, intervalMs })) {
  if (!(value > 0)) {
    process.stderr.write(`--${name} must be a number > 0\n`);
    process.exit(2);
  }
}

type Mode = 'on' | 'off';

interface Measurement {
  mode: Mode;
  cpuSeconds: number;
  windowS: number;
  share: number;
  accepted: number;
  completed: number;
  childRssMb: number;
  samples: number;
  failures: number;
  filesKb: number;
}

/** Resolves with the child's next message of `type`; rejects when it exits or errs first. */
function nextMessage<T extends CollectorsProcessMessage['type']>(
  child: ChildProcess,
  type: T,
  timeoutMs: number,
): Promise<Extract<CollectorsProcessMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => done(new Error(`collectors process: no ${type} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onMessage = (message: CollectorsProcessMessage) => {
      if (message.type === 'error') done(new Error(`collectors process: ${message.message}`));
      else if (message.type === type)
        done(undefined, message as Extract<CollectorsProcessMessage, { type: T }>);
    };
    const onExit = (code: number | null) =>
      done(new Error(`collectors process exited (${code}) before ${type}`));
    function done(err?: Error, message?: Extract<CollectorsProcessMessage, { type: T }>) {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (err || !message) reject(err);
      else resolve(message);
    }
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

async function measure(pipeline: BenchPipeline, mode: Mode, tag: string): Promise<Measurement> {
  const runDir = await mkdtemp(join(tmpdir(), 'pipesoak-overhead-'));
  const config: CollectorsProcessConfig = {
    collectorsOn: mode === 'on',
    options: {
      runDir,
      target: {
        ...referenceTarget(pipeline.settings),
        workerMetricsUrl: `${pipeline.supervisor.url('worker')}/metrics`,
      },
      intervalMs,
      collectors: switches,
      // The load generator is this process: the harness collector watches it as it would the engine.
      processes: [{ pid: process.pid, label: 'load' }],
    },
  };
  const child = fork(CHILD, [], {
    execArgv: [
      '--import',
      'tsx',
      ...(values['cpu-prof-dir'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof-dir']}`] : []),
    ],
    env: { ...process.env, [CONFIG_ENV]: JSON.stringify(config) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pid = child.pid;
  try {
    if (pid === undefined) throw new Error('collectors process did not start');
    await nextMessage(child, 'ready', 60_000);
    // Start-up (loading TypeScript, connecting, priming cursors) is not the steady cost being measured.
    await new Promise((r) => setTimeout(r, warmupS * 1000));
    const before = await processUsage(pid);
    const started = performance.now();
    const load = await openLoad({
      gatewayUrl: pipeline.gatewayUrl,
      ratePerSecond: rate,
      durationMs: minutes * 60_000,
      prefix: tag,
    });
    const after = await processUsage(pid);
    const windowS = (performance.now() - started) / 1000;
    const stopped = nextMessage(child, 'stopped', 60_000);
    const command: CollectorsProcessCommand = { type: 'stop' };
    child.send(command);
    const result = await stopped;
    await exited(child, 10_000);
    const completed = await waitForFacts(pipeline.db, tag, load.accepted, 30_000);
    const cpuSeconds = after.cpuSeconds - before.cpuSeconds;
    return {
      mode,
      cpuSeconds,
      windowS,
      share: cpuSeconds / windowS,
      accepted: load.accepted,
      completed,
      childRssMb: after.rssBytes / 2 ** 20,
      samples: result.samples,
      failures: result.failures,
      filesKb: (await filesBytes(runDir)) / 1024,
    };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await rm(runDir, { recursive: true, force: true });
  }
}

/** Waits for the child to exit on its own (it flushes files and profiles on the way), at most `ms`. */
async function exited(child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  let timer: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    timer = setTimeout(resolve, ms);
  });
  clearTimeout(timer);
}

async function filesBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of [RUN_FILES.collectorsHlog, RUN_FILES.series]) {
    total += await stat(join(dir, name)).then(
      (s) => s.size,
      () => 0,
    );
  }
  return total;
}

const pct = (share: number) => `${(share * 100).toFixed(2)}%`;

// Every sampled ack is one advisory message the jetstream collector receives: its cost scales with it.
const ackSample = values['ack-sample'];
const pipeline = await startBenchPipeline('bench_overhead', ackSample ? { ACK_SAMPLE_FREQ: ackSample } : {});
try {
  process.stdout.write(
    `collector overhead: reference pipeline at ${rate} events/s, collectors every ${intervalMs} ms, ` +
      `${minutes} min windows, ${runs} run(s), collectors: ${kinds.join(',')}, ` +
      `ack sampling: ${pipeline.settings.ackSampleFreq}\n` +
      'run  collectors  cpu(s)  window(s)  share of one core  accepted  completed  samples  failures  rss(MB)  files(KB)\n',
  );
  const results: Measurement[] = [];
  for (let r = 1; r <= runs; r++) {
    // Alternate the order so a pipeline warming up (or slowing down) does not favour one mode.
    const modes: Mode[] = r % 2 === 1 ? ['on', 'off'] : ['off', 'on'];
    for (const mode of modes) {
      const m = await measure(pipeline, mode, `overhead-${Date.now()}-${r}-${mode}`);
      results.push(m);
      process.stdout.write(
        `${String(r).padStart(3)}  ${mode.padStart(10)}  ${m.cpuSeconds.toFixed(2).padStart(6)}  ` +
          `${m.windowS.toFixed(1).padStart(9)}  ${pct(m.share).padStart(17)}  ${String(m.accepted).padStart(8)}  ` +
          `${String(m.completed).padStart(9)}  ${String(m.samples).padStart(7)}  ${String(m.failures).padStart(8)}  ` +
          `${m.childRssMb.toFixed(0).padStart(7)}  ${m.filesKb.toFixed(0).padStart(9)}\n`,
      );
    }
  }
  const on = median(results.filter((m) => m.mode === 'on').map((m) => m.share));
  const off = median(results.filter((m) => m.mode === 'off').map((m) => m.share));
  const difference = on - off;
  process.stdout.write(
    `median of ${runs}: collectors on ${pct(on)} of one core, off (idle child) ${pct(off)}, ` +
      `difference ${pct(difference)} — ${difference < TARGET_SHARE ? 'within' : 'OVER'} the ${pct(TARGET_SHARE)} target\n`,
  );
} finally {
  await pipeline.stop();
}
