// Starts every collector of a run against the configured target, records
// into the run's HDR interval store (`collectors.hlog`) and series (`series.ndjson`), optionally tees
// into OTLP, and flushes the store once per interval so memory stays flat however long the run.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { HistogramSnapshot, LatencySummary } from '../record/histogramSnapshot.ts';
import { HlogWriter } from '../record/hlog.ts';
import { IntervalStore } from '../record/intervalStore.ts';
import type { RecordedMetricName } from '../record/metricCatalog.ts';
import type { Recorder, Tags } from '../record/recorder.ts';
import { writeCollectorsFlushFailed } from '../record/runEvents.ts';
import { RUN_FILES } from '../record/runFiles.ts';
import { SeriesWriter } from '../record/series.ts';
import type { Collector } from './collector.ts';
import {
  COLLECTOR_DEFAULTS,
  CollectorRunner,
  type CollectorRunnerOptions,
  type CollectorStats,
} from './collectorRunner.ts';
import type { CollectorTarget } from './collectorTarget.ts';
import { CompletionCollector } from './completion/completionCollector.ts';
import { HarnessCollector, type TargetProcess, type TrackedProcess } from './harness/harnessCollector.ts';
import { JetStreamCollector } from './jetstream/jetstreamCollector.ts';
import { type LatestGauge, LiveRecorder } from './liveRecorder.ts';
import { type OtelOptions, type OtelRecorder, withOtel } from './otel/otelExporter.ts';
import { OutboxCollector } from './outbox/outboxCollector.ts';
import { PoolCollector } from './pool/poolCollector.ts';
import {
  PrometheusCollector,
  type PrometheusMapping,
  residentMemoryMapping,
} from './prometheus/prometheusCollector.ts';
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

export interface CollectorsOptions {
  /** The run folder; created when missing. */
  runDir: string;
  /** Every name and address sampled: the validated config's `target`. */
  target: CollectorTarget;
  /** Sampling and flush interval; COLLECTOR_DEFAULTS.intervalMs when omitted. */
  intervalMs?: number;
  /** How the worker's Prometheus metrics map to pipesoak names; the reference worker's when omitted. */
  prometheusMappings?: PrometheusMapping[];
  /** Keep every completed correlation id (for the integrity checker); memory grows with the run. */
  keepCorrelationIds?: boolean;
  /** Processes besides the harness to watch (the load engine). */
  processes?: TrackedProcess[];
  /** Target processes the harness started, watched by pid as `target.rss` (tag component). */
  components?: TargetProcess[];
  /**
   * For a target the harness did not start: the component whose `process_resident_memory_bytes`
   * the Prometheus scrape records as `target.rss` (e.g. `worker`). Leave unset when it is in `components`.
   */
  scrapedRssComponent?: string;
  /** Collectors switched off (`false`); all are on by default. */
  collectors?: Partial<Record<CollectorKind, boolean>>;
  /** Tee everything into OTLP as well when an endpoint is given. */
  otel?: OtelOptions;
  /** Backoff and timeouts of the runner; its interval is `intervalMs`. */
  runner?: Omit<CollectorRunnerOptions, 'intervalMs'>;
}

export interface CollectorSet {
  /** Where the run's other writers (the engine's counters, the runner's events) record beside the collectors. */
  readonly recorder: Recorder;
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
  /** Watches one more process (e.g. a load worker once spawned); no-op when the harness collector is off. */
  track(pid: number, label: string): void;
  /** Watches a target component the harness started (`target.rss`); no-op when the harness collector is off. */
  trackComponent(pid: number, component: string): void;
  /** Per-metric HDR summaries over every flushed interval (all of them after stop()). */
  summaries(): Record<string, LatencySummary>;
  /** Sends a histogram recorded elsewhere (the engine's) to OTLP when an endpoint is set; else nothing. */
  exportHistogram(metric: RecordedMetricName, interval: HistogramSnapshot, tags?: Tags): void;
  /** Stops the collectors, writes the last interval and closes the files. Idempotent. */
  stop(): Promise<void>;
}

export async function startCollectors(options: CollectorsOptions): Promise<CollectorSet> {
  const { runDir, target, collectors: switches, otel, runner: runnerOptions } = options;
  const intervalMs = options.intervalMs ?? COLLECTOR_DEFAULTS.intervalMs;
  if (!(intervalMs > 0)) throw new Error(`collectors: intervalMs ${intervalMs} is not > 0`);
  const on = (kind: CollectorKind) => switches?.[kind] !== false;

  // Built before any file is opened, so a bad config fails without leaving a half-written run folder.
  const completion = on('completion')
    ? new CompletionCollector({
        databaseUrl: target.databaseUrl,
        query: target.completionQuery,
        keepCorrelationIds: options.keepCorrelationIds ?? false,
      })
    : undefined;
  const harness = on('harness')
    ? new HarnessCollector({ processes: options.processes ?? [], components: options.components ?? [] })
    : undefined;
  const mappings = [
    ...(options.prometheusMappings ?? REFERENCE_WORKER_MAPPINGS),
    ...(options.scrapedRssComponent ? [residentMemoryMapping(options.scrapedRssComponent)] : []),
  ];
  const byKind: Record<CollectorKind, () => Collector | undefined> = {
    outbox: () =>
      on('outbox') ? new OutboxCollector({ databaseUrl: target.databaseUrl, ...target.outbox }) : undefined,
    pool: () =>
      on('pool')
        ? new PoolCollector({
            databaseUrl: target.databaseUrl,
            applications: Object.values(target.applications),
          })
        : undefined,
    jetstream: () =>
      on('jetstream')
        ? new JetStreamCollector({
            natsUrl: target.natsUrl,
            stream: target.stream,
            consumer: target.consumer,
            dlqStream: target.dlqStream,
            dlqConsumer: target.dlqConsumer,
          })
        : undefined,
    prometheus: () =>
      on('prometheus')
        ? new PrometheusCollector({
            url: target.workerMetricsUrl,
            mappings,
          })
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
  const runner = new CollectorRunner(active, recorder, { ...runnerOptions, intervalMs });

  // A failing disk must not kill the run mid-way: the timeline says what was lost (the report
  // notes it), and stop() throws if any interval was lost, so the run ends as one that failed.
  let lostFlushes: string[] = [];
  const flush = () => {
    try {
      store.flush();
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      lostFlushes.push(error);
      try {
        writeCollectorsFlushFailed(store, { error });
      } catch {
        // The series is failing too; stop() reports the loss.
      }
    }
  };
  const flushTimer = setInterval(flush, intervalMs);
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
      // Telemetry export is best effort: the run's own files are complete without it.
      await tee?.shutdown().catch(() => undefined);
    } finally {
      hlog.close();
      series.close();
    }
    if (lostFlushes.length > 0) {
      const [first] = lostFlushes;
      const count = lostFlushes.length;
      lostFlushes = [];
      throw new Error(`collectors: ${count} interval(s) could not be written to ${runDir}: ${first}`);
    }
  };

  return {
    recorder,
    hlogPath,
    seriesPath,
    kinds,
    completed: () => completion?.completedCount ?? 0,
    latencyCount: (metric) => live.latencyCount(metric),
    latestGauge: (name, tags) => live.latestGauge(name, tags),
    latestGauges: () => live.latestGauges(),
    stats: () => runner.stats(),
    track: (pid, label) => harness?.track(pid, label),
    trackComponent: (pid, component) => harness?.trackComponent(pid, component),
    summaries: () => store.summaries(),
    exportHistogram: (metric, interval, tags) => tee?.exportHistogram(metric, interval, tags),
    stop: () => {
      stopping ??= stop();
      return stopping;
    },
  };
}
