// A synthetic run folder written with the real writers (HlogWriter, SeriesWriter): run.start,
// one interval a second per metric, gauges at 1 Hz, integrity and run.end. Values are fixed
// per phase so tests can assert exact numbers: warm-up values are outliers that must not show.
import { join } from 'node:path';
import { HistogramSnapshot } from '../../record/histogramSnapshot.ts';
import { HlogWriter } from '../../record/hlog.ts';
import { formatHlogTag } from '../../record/hlogTag.ts';
import { RUN_FILES } from '../../record/runFiles.ts';
import { SeriesWriter } from '../../record/series.ts';

export const SYNTHETIC_START_MS = 1_700_000_000_000;

export const SYNTHETIC_METRICS = [
  'gateway.latency',
  'outbox.lag',
  'jetstream.publish.latency',
  'consumer.ack.latency',
  'dispatch.latency',
  'e2e.latency',
  'iteration.delay',
  'worker.custom.latency',
] as const;

export interface SyntheticRunOptions {
  seconds: number;
  warmUpS?: number;
  /** Metrics to write; all eight by default. */
  metrics?: readonly string[];
  /** Leave out run.end (an interrupted run). */
  interrupted?: boolean;
  /** Leave out the integrity event. */
  noIntegrity?: boolean;
  /** The `slos` stored in run.start. */
  slos?: unknown;
  /** Distinct snapshots cycled per metric; more is slower to write and closer to real data. */
  variety?: number;
  /** Extra spread-out samples per interval (1 ms .. 2 s), so encodings are as big as real ones. */
  extraSamples?: number;
  /** Also write load.hlog with gateway.latency from the load engine (the collectors then leave it out). */
  load?: boolean;
  /** Count iterations as the engine does, and write no drop line at all (a run that dropped none). */
  noDrops?: boolean;
  /**
   * Seconds of drain after the `seconds` of load: the collectors keep sampling and e2e keeps
   * completing, and a load.end event marks where the load stopped.
   */
  drainS?: number;
  /** With drainS: write no load.end (a folder from before the runner wrote it). */
  noLoadEnd?: boolean;
  /** consumer.pending grows this much a second through the steady load, then drains to 0. */
  pendingGrowthPerS?: number;
}

/** Steady-window latencies: 10, 20, ..., 100 ms each second (scaled per metric index). */
function steadySnapshot(scale: number, shift: number, extra: number): HistogramSnapshot {
  const s = HistogramSnapshot.empty();
  for (let v = 1; v <= 10; v++) s.record(v * 10 * scale + shift);
  let x = Math.round(scale * 1000 + shift * 1e6) + 1;
  for (let i = 0; i < extra; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    s.record(Math.exp((x / 2147483648) * 7.6)); // 1 ms .. 2 s, log-spread
  }
  return s;
}

export function writeSyntheticRunFolder(dir: string, options: SyntheticRunOptions): void {
  const warmUpS = options.warmUpS ?? 0;
  const metrics = options.metrics ?? SYNTHETIC_METRICS;
  const variety = options.variety ?? 1;
  const start = SYNTHETIC_START_MS;
  const series = SeriesWriter.open(join(dir, 'series.ndjson'));
  series.event(
    'run.start',
    {
      id: 'synthetic-run',
      scenario: 'synthetic',
      seed: 7,
      warmUpMs: warmUpS * 1000,
      target: {
        databaseUrl: 'postgres://app:hunter2@127.0.0.1:5432/db',
        gatewayUrl: 'http://127.0.0.1:8080',
      },
      ...(options.slos === undefined ? {} : { slos: options.slos }),
    },
    start,
  );
  const collectors = HlogWriter.open(join(dir, 'collectors.hlog'), start);
  const load = options.load ? HlogWriter.open(join(dir, RUN_FILES.loadHlog), start) : undefined;
  const warm = HistogramSnapshot.empty();
  warm.record(5000);
  const pools = metrics.map((_, m) =>
    Array.from({ length: variety }, (_, k) =>
      steadySnapshot(1 + m * 0.5, k === 0 ? 0 : k * 0.001, options.extraSamples ?? 0),
    ),
  );
  const tags = metrics.map((metric) =>
    formatHlogTag(metric, metric === 'dispatch.latency' ? { consumer: 'main' } : undefined),
  );

  const drainS = options.drainS ?? 0;
  const growth = options.pendingGrowthPerS ?? 0;
  const peak = 20 + growth * (options.seconds - warmUpS);
  const pending = (i: number) =>
    i < options.seconds
      ? 20 + (i % 2) + growth * (i - warmUpS)
      : Math.max(0, Math.round(peak * (1 - (i - options.seconds + 1) / drainS)));
  for (let i = 0; i < options.seconds + drainS; i++) {
    const t = start + i * 1000;
    const inWarmUp = i < warmUpS;
    if (i === options.seconds && !options.noLoadEnd) series.event('load.end', {}, t);
    metrics.forEach((metric, m) => {
      const snapshot = inWarmUp ? warm : (pools[m]?.[i % variety] ?? warm);
      // The engine writes gateway.latency and a scenario's trends (custom.*) to load.hlog.
      const writer =
        load && (metric === 'gateway.latency' || metric.startsWith('custom.')) ? load : collectors;
      writer.writeInterval(tags[m] ?? metric, t, t + 1000, snapshot);
    });
    // Sampled at the start of each second: the sample at the warm-up boundary is steady.
    const at = t;
    series.gauge(
      'consumer.pending',
      inWarmUp ? 999 : pending(i),
      { stream: 'EVENTS', consumer: 'sea-mq-worker' },
      at,
    );
    series.gauge('outbox.pending', inWarmUp ? 500 : 5, undefined, at);
    series.gauge('outbox.oldest.age', 100, undefined, at);
    series.gauge('consumer.ack_pending', 3, { stream: 'EVENTS', consumer: 'sea-mq-worker' }, at);
    series.gauge('dlq.depth', 0, { stream: 'DLQ' }, at);
    series.gauge('db.connections', 5, { application: 'sea-mq-worker', state: 'active' }, at);
    series.gauge('db.connections', inWarmUp ? 40 : 7, { application: 'sea-mq-worker', state: 'all' }, at);
    series.gauge('db.connections', 3, { application: 'sea-gateway', state: 'all' }, at);
    series.gauge('harness.rss', 100_000_000, { process: 'harness' }, at);
    series.gauge('harness.rss', 50_000_000, { process: 'load' }, at);
    // Counters, a line a second stamped at its end as the engine ships them: one drop a second
    // during warm-up only, 100 requests a second, an error every 10 s.
    const end = t + 1000;
    if (i >= options.seconds) continue; // the engine has stopped: no more requests in the drain
    if (options.noDrops) series.counter('load.iterations', 100, undefined, end);
    else series.counter('load.dropped_iterations', inWarmUp ? 1 : 0, undefined, end);
    series.counter('http.requests', 100, { status: '202' }, end);
    series.counter('http.errors', (i + 1) % 10 === 0 ? 1 : 0, undefined, end);
  }
  collectors.close();
  load?.close();
  const endMs = start + (options.seconds + drainS) * 1000;
  if (!options.noIntegrity) {
    series.event(
      'integrity',
      {
        accepted: 1000,
        completed: 998,
        deadLettered: 2,
        lost: 0,
        duplicated: 0,
        maxDeliveries: 4,
        maxDlqAttempts: 6,
      },
      endMs + 500,
    );
  }
  if (!options.interrupted) series.event('run.end', {}, endMs + 1000);
  series.close();
}
