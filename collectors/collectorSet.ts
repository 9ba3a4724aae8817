// Starts every collector of a run against one pipeline (the reference pipeline by default), records
// into the run's HDR interval store (`collectors.hlog`) and series (`series.ndjson`), optionally tees
// into OTLP, and flushes the store once per interval so memory stays flat however long the run.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { LatencySummary } from '../record/histogramSnapshot.ts';
import { HlogWriter } from '../record/hlog.ts';
import { IntervalStore } from '../record/intervalStore.ts';
import type { Recorder, Tags } from '../record/recorder.ts';
import { writeCollectorsFlushFailed } from '../record/runEvents.ts';
import { RUN_FILES } from '../record/runFiles.ts';
import { SeriesWriter } from '../record/series.ts';
import { loadSettings } from '../reference/settings.ts';
import type { Collector } from './collector.ts';
import {
  COLLECTOR_DEFAULTS,
  CollectorRunner,
  type CollectorRunnerOptions,
  type CollectorStats,
} from './collectorRunner.ts';
import { CompletionCollector, REFERENCE_COMPLETION_QUERY } from './completion/completionCollector.ts';
import { HarnessCollector, type TrackedProcess } from './harness/harnessCollector.ts';
import { JetStreamCollector } from './jetstream/jetstreamCollector.ts';
import { type LatestGauge, LiveRecorder } from './liveRecorder.ts';
import { type OtelOptions, type OtelRecorder, withOtel } from './otel/otelExporter.ts';
import { OutboxCollector } from './outbox/outboxCollector.ts';
import { defaultPoolApplications, PoolCollector } from './pool/poolCollector.ts';
import { PrometheusCollector, type PrometheusMapping } from './prometheus/prometheusCollector.ts';
import { REFERENCE_WORKER_MAPPINGS } from './prometheus/referenceWorkerMappings.ts';

export const COLLECTOR_KINDS = [
  'outbox',
  'pool',
  'jetstream',
  'prometheus',
  'completion',
  'harness',
] as const;
export type CollectorKind = (typeof COLLECTOR_KINDS)[number];

/** What the collectors sample; every field has a default aimed at the reference pipeline. */
export interface CollectorTargets {
  databaseUrl: string;
  natsUrl: string;
  stream: string;
  consumer: string;
  dlqStream: string;
  dlqConsumer: string;
  /** The worker's Prometheus endpoint, full URL including `/metrics`. */
  workerMetricsUrl: string;
  prometheusMappings: PrometheusMapping[];
  /** application_name values the pool collector reports `db.connections` for. */
  applications: string[];
  /** The completion probe's SQL (contract in completionCollector.ts). */
  completionQuery: string;
  /** Keep every completed correlation id (for the integrity checker); memory grows with the run. */
  keepCorrelationIds: boolean;
  intervalMs: number;
  /** Processes besides the harness to watch (a load generator, k6). */
  processes: TrackedProcess[];
}

export interface CollectorsOptions extends Partial<CollectorTargets> {
  /** The run folder; created when missing. */
  runDir: string;
  /** Environment the reference defaults are read from (reference/settings.ts); process.env when omitted. */
  env?: Record<string, string | undefined>;
  /** Collectors switched off (`false`); all are on by default. */
  collectors?: Partial<Record<CollectorKind, boolean>>;
  /** Tee everything into OTLP as well when an endpoint is given. */
  otel?: OtelOptions;
  /** Backoff and timeouts of the runner; its interval is `intervalMs`. */
  runner?: Omit<CollectorRunnerOptions, 'intervalMs'>;
}

export interface CollectorSet {
  readonly hlogPath: string;
  readonly seriesPath: string;
  /** The collectors that are on, by kind. */
  readonly kinds: CollectorKind[];
  /** Completions the completion probe has seen (0 when it is off). */
  completed(): number;
  /** Observations recorded so far for a latency metric, flushed or not. */
  latencyCount(metric: string): number;
  /** The newest value of a gauge among series whose tags include `tags`. */
  latestGauge(name: string, tags?: Tags): number | undefined;
  latestGauges(): LatestGauge[];
  stats(): CollectorStats[];
  /** Watches one more process (e.g. k6 once spawned); no-op when the harness collector is off. */
  track(pid: number, label: string): void;
  /** Per-metric HDR summaries over every flushed interval (all of them after stop()). */
  summaries(): Record<string, LatencySummary>;
  /** Stops the collectors, writes the last interval and closes the files. Idempotent. */
  stop(): Promise<void>;
}

/** The targets of the reference pipeline configured by `env`. */
export function referenceTargets(env: Record<string, string | undefined> = process.env): CollectorTargets {
  const s = loadSettings(env);
  return {
    databaseUrl: s.databaseUrl,
    natsUrl: s.natsUrl,
    stream: s.stream,
    consumer: s.consumer,
    dlqStream: s.dlqStream,
    dlqConsumer: s.dlqConsumer,
    workerMetricsUrl: `http://127.0.0.1:${s.metricsPort}/metrics`,
    prometheusMappings: REFERENCE_WORKER_MAPPINGS,
    applications: defaultPoolApplications(s),
    completionQuery: REFERENCE_COMPLETION_QUERY,
    keepCorrelationIds: false,
    intervalMs: COLLECTOR_DEFAULTS.intervalMs,
    processes: [],
  };
}

export async function startCollectors(options: CollectorsOptions): Promise<CollectorSet> {
  const { runDir, env, collectors: switches, otel, runner: runnerOptions, ...overrides } = options;
  const targets: CollectorTargets = { ...referenceTargets(env), ...definedOnly(overrides) };
  if (!(targets.intervalMs > 0)) throw new Error(`collectors: intervalMs ${targets.intervalMs} is not > 0`);
  const on = (kind: CollectorKind) => switches?.[kind] !== false;

  // Built before any file is opened, so a bad config fails without leaving a half-written run folder.
  const completion = on('completion')
    ? new CompletionCollector({
        databaseUrl: targets.databaseUrl,
        query: targets.completionQuery,
        keepCorrelationIds: targets.keepCorrelationIds,
      })
    : undefined;
  const harness = on('harness') ? new HarnessCollector({ processes: targets.processes }) : undefined;
  const byKind: Record<CollectorKind, () => Collector | undefined> = {
    outbox: () => (on('outbox') ? new OutboxCollector({ databaseUrl: targets.databaseUrl }) : undefined),
    pool: () =>
      on('pool')
        ? new PoolCollector({ databaseUrl: targets.databaseUrl, applications: targets.applications })
        : undefined,
    jetstream: () =>
      on('jetstream')
        ? new JetStreamCollector({
            natsUrl: targets.natsUrl,
            stream: targets.stream,
            consumer: targets.consumer,
            dlqStream: targets.dlqStream,
            dlqConsumer: targets.dlqConsumer,
          })
        : undefined,
    prometheus: () =>
      on('prometheus')
        ? new PrometheusCollector({ url: targets.workerMetricsUrl, mappings: targets.prometheusMappings })
        : undefined,
    completion: () => completion,
    harness: () => harness,
  };
  const kinds = COLLECTOR_KINDS.filter(on);
  const active = kinds.map((kind) => byKind[kind]()).filter((c): c is Collector => c !== undefined);

  mkdirSync(runDir, { recursive: true });
  const startMs = Date.now();
  const hlogPath = join(runDir, RUN_FILES.collectorsHlog);
  const seriesPath = join(runDir, RUN_FILES.series);
  const hlog = HlogWriter.open(hlogPath, startMs);
  const series = SeriesWriter.open(seriesPath);
  const store = new IntervalStore({ hlog, series, startMs });
  const live = new LiveRecorder(store);
  const tee: OtelRecorder | undefined = otel?.endpoint ? withOtel(live, otel) : undefined;
  const recorder: Recorder = tee ?? live;
  const runner = new CollectorRunner(active, recorder, { ...runnerOptions, intervalMs: targets.intervalMs });

  const flush = () => {
    try {
      store.flush();
    } catch (err) {
      // A failing disk must not kill the run; the timeline says what was lost.
      safeEvent(() =>
        writeCollectorsFlushFailed(store, { error: err instanceof Error ? err.message : String(err) }),
      );
    }
  };
  const flushTimer = setInterval(flush, targets.intervalMs);
  try {
    await runner.start();
  } catch (err) {
    clearInterval(flushTimer);
    hlog.close();
    series.close();
    throw err;
  }

  let stopping: Promise<void> | undefined;
  const stop = async () => {
    clearInterval(flushTimer);
    try {
      await runner.stop();
      flush();
      await tee?.shutdown().catch(() => undefined);
    } finally {
      hlog.close();
      series.close();
    }
  };

  return {
    hlogPath,
    seriesPath,
    kinds,
    completed: () => completion?.completedCount ?? 0,
    latencyCount: (metric) => live.latencyCount(metric),
    latestGauge: (name, tags) => live.latestGauge(name, tags),
    latestGauges: () => live.latestGauges(),
    stats: () => runner.stats(),
    track: (pid, label) => harness?.track(pid, label),
    summaries: () => store.summaries(),
    stop: () => {
      stopping ??= stop();
      return stopping;
    },
  };
}

/** Drops keys set to undefined, so `{ natsUrl: undefined }` keeps the default. */
function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function safeEvent(write: () => void): void {
  try {
    write();
  } catch {
    // Nowhere better to report it.
  }
}
