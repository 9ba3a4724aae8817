// The run's metadata and its steady-window summary, as a fold of the run-folder reader
// (readRunFolder.ts): histograms merge as they stream, gauges keep two floats a second, so memory
// stays flat in the length of the run. Warm-up and the load window (gauges up to the load's end,
// not through the drain) are steadyWindow.ts's rules.
import { basename } from 'node:path';
import { gaugeKey } from '../record/gaugeKey.ts';
import { METRIC, metricEntry } from '../record/metricCatalog.ts';
import { EVENT, type IntegrityWire, integrityWire } from '../record/runEvents.ts';
import { isCounterPoint, isGaugePoint, type SeriesRecord } from '../record/series.ts';
import { type SloConfig, slosSchema } from '../record/sloConfig.ts';
import { GaugeAccumulator } from './gaugeAccumulator.ts';
import { accumulatorIn, type HistogramAccumulator } from './histogramAccumulator.ts';
import {
  type FoldInterval,
  parseEvent,
  RunFolderError,
  type RunFolderFold,
  type RunFolderRead,
  readRunFolder,
} from './readRunFolder.ts';
import type { RunSegment } from './runSegment.ts';
import type { GaugeSummary, RunSummary } from './runSummary.ts';
import { counterLineIn, intervalIn } from './steadyWindow.ts';

export { RunFolderError } from './readRunFolder.ts';

export interface RunMeta {
  id: string;
  scenario: string;
  seed: number | null;
  startedAtMs: number;
  warmUpMs: number;
  durationS: number;
  target: Record<string, unknown>;
  slos: SloConfig;
  /** The engine's figures from run.end; empty when the run recorded none. */
  load: Record<string, number | boolean | null>;
  partial: boolean;
  notes: string[];
  /** A segment that ran only the load: collectors.hlog and the integrity check are elsewhere. */
  loadOnly: boolean;
  /** The run's segments (report.json run.segments); undefined for a one-process run. */
  segments?: RunSegment[];
}

export type { RunSegment } from './runSegment.ts';

export interface RunFolder {
  meta: RunMeta;
  summary: RunSummary;
}

export async function summarizeRunFolder(dir: string): Promise<RunFolder> {
  const fold = new SummaryFold();
  return fold.result(await readRunFolder(dir, [fold]));
}

const tagKey = (metric: string, key: string, value: string) => `${metric}\u0000${key}\u0000${value}`;

export class SummaryFold implements RunFolderFold {
  private readonly gauges = new Map<string, GaugeAccumulator>();
  /** By `gauge{tag=value}` (record/gaugeKey.ts), for the tags the catalogue keeps apart. */
  private readonly tagGauges = new Map<string, GaugeAccumulator>();
  private readonly counters = new Map<string, number>();
  private integrity: IntegrityWire | undefined;
  private ackSamplingOff = false;
  private flushFailures = 0;
  private readonly gaps = new Map<string, number>();
  private readonly metrics = new Map<string, HistogramAccumulator>();
  private readonly byTag = new Map<string, HistogramAccumulator>();
  /** The accumulators an interval of this hlog tag adds into: the metric's, then one per kept tag. */
  private readonly into = new Map<string, HistogramAccumulator[]>();

  record(record: SeriesRecord, line: number, run: RunFolderRead): void {
    const steadyStartMs = run.window.steadyStartMs;
    const loadEndMs = () => run.window.loadEndMs;
    if (isGaugePoint(record)) {
      this.gauge(this.gauges, record.gauge, record.gauge, steadyStartMs, loadEndMs).add(
        record.t,
        record.value,
        record.tags,
      );
      // Each tag the catalogue keeps apart also gets its own series (target.rss by component).
      for (const key of metricEntry(record.gauge)?.tags ?? []) {
        const value = record.tags[key];
        if (value === undefined) continue;
        this.gauge(
          this.tagGauges,
          gaugeKey(record.gauge, { key, value }),
          record.gauge,
          steadyStartMs,
          loadEndMs,
        ).add(record.t, record.value, record.tags);
      }
      return;
    }
    if (isCounterPoint(record)) {
      // Deltas: the steady window's total is the sum of its lines. A counter seen only in warm-up
      // still counts as recorded: its steady total is 0.
      const steady = counterLineIn(record.t, steadyStartMs) ? record.value : 0;
      this.counters.set(record.counter, (this.counters.get(record.counter) ?? 0) + steady);
      return;
    }
    switch (record.event) {
      case EVENT.runStart:
        // Points before run.start are set-up, not run: start every gauge afresh on the window.
        for (const name of this.gauges.keys())
          this.gauges.set(name, new GaugeAccumulator(name, steadyStartMs, loadEndMs));
        for (const [name, acc] of this.tagGauges)
          this.tagGauges.set(name, new GaugeAccumulator(acc.name, steadyStartMs, loadEndMs));
        for (const name of this.counters.keys()) this.counters.set(name, 0);
        break;
      case EVENT.integrity:
        this.integrity = parseEvent(integrityWire, record, run.seriesPath, line);
        break;
      case EVENT.ackSamplingOff:
        this.ackSamplingOff = true;
        break;
      case EVENT.collectorsFlushFailed:
        this.flushFailures++;
        break;
      case EVENT.collectorGapStart: {
        const collector = String(record.collector ?? 'unknown');
        this.gaps.set(collector, (this.gaps.get(collector) ?? 0) + 1);
        break;
      }
    }
  }

  interval(interval: FoldInterval, run: RunFolderRead): void {
    if (!intervalIn(interval.startS, run.window.steadyStartMs)) return;
    let into = this.into.get(interval.tag);
    if (into === undefined) {
      into = [accumulatorIn(this.metrics, interval.metric)];
      for (const tag of metricEntry(interval.metric)?.tags ?? []) {
        const value = interval.tags[tag];
        if (value !== undefined) into.push(accumulatorIn(this.byTag, tagKey(interval.metric, tag, value)));
      }
      this.into.set(interval.tag, into);
    }
    const histogram = interval.histogram();
    for (const acc of into) acc.add(histogram);
  }

  result(run: RunFolderRead): RunFolder {
    const meta = this.meta(run);
    const counter = (name: string) => this.counters.get(name) ?? null;
    const integrity = this.integrity;
    const summary: RunSummary = {
      metrics: {},
      byTag: {},
      gauges: {},
      gaugesByTag: {},
      counters: Object.fromEntries([...this.counters].sort(([a], [b]) => a.localeCompare(b))),
      counts: {
        http_reqs: counter(METRIC.httpRequests),
        // Requests were counted but none failed: 0 errors, not "not recorded".
        errors: counter(METRIC.httpErrors) ?? (counter(METRIC.httpRequests) === null ? null : 0),
        // The engine writes a counter line only when it moved: iterations but no drop line is 0 dropped.
        dropped_iterations:
          counter(METRIC.loadDroppedIterations) ?? (counter(METRIC.loadIterations) === null ? null : 0),
        // After an integrity check, no delivery (or no dead letter) of the run's events means 0.
        deliveries_per_event_max: integrity ? (integrity.maxDeliveries ?? 0) : null,
        dlq_attempts_max: integrity ? (integrity.maxDlqAttempts ?? 0) : null,
      },
      integrity: integrity
        ? {
            accepted: integrity.accepted,
            completed: integrity.completed,
            deadLettered: integrity.deadLettered,
            lost: integrity.lost,
            duplicated: integrity.duplicated,
          }
        : null,
    };
    for (const name of [...this.metrics.keys()].sort()) {
      const acc = this.metrics.get(name);
      if (acc !== undefined && acc.count > 0) summary.metrics[name] = acc.toSnapshot().summary();
    }
    for (const key of [...this.byTag.keys()].sort()) {
      const acc = this.byTag.get(key);
      const [metric = '', tag = '', value = ''] = key.split('\u0000');
      if (acc === undefined || acc.count === 0) continue;
      const byKey = summary.byTag[metric] ?? {};
      summary.byTag[metric] = byKey;
      const byValue = byKey[tag] ?? {};
      byKey[tag] = byValue;
      byValue[value] = acc.toSnapshot().summary();
    }
    for (const name of [...this.gauges.keys()].sort()) {
      const acc = this.gauges.get(name);
      if (acc?.seen) summary.gauges[name] = acc.summary();
    }
    const gaugesByTag: Record<string, GaugeSummary> = {};
    for (const name of [...this.tagGauges.keys()].sort()) {
      const acc = this.tagGauges.get(name);
      if (acc?.seen) gaugesByTag[name] = acc.summary();
    }
    summary.gaugesByTag = gaugesByTag;
    return { meta, summary };
  }

  private meta(run: RunFolderRead): RunMeta {
    const { start, end, segment, window } = run;
    const notes: string[] = [];
    if (start === undefined)
      notes.push('series.ndjson has no run.start event: warm-up not excluded, SLO defaults used');
    if (end === undefined) notes.push('the run did not end (no run.end event): partial results');
    else if (end.interrupted) notes.push(`the run was interrupted${end.reason ? `: ${end.reason}` : ''}`);
    const loadOnly = segment?.loadOnly ?? false;
    if (loadOnly) {
      notes.push(
        `a load-only segment (${segment?.segment}): collectors and the integrity check ran in segment 0; merge the segments (pipesoak merge) for the whole run`,
      );
    } else if (this.integrity === undefined) notes.push('no integrity check was recorded');
    notes.push(...(end?.loadNotes ?? []));
    if (this.ackSamplingOff) {
      notes.push(
        `JetStream ack sampling is off (consumer sample_freq unset): ${METRIC.consumerAckLatency} has no samples`,
      );
    }
    if (this.flushFailures > 0) {
      notes.push(
        `collectors could not write ${this.flushFailures} interval${this.flushFailures === 1 ? '' : 's'} (collectors.flush.failed in series.ndjson): their samples are missing`,
      );
    }
    for (const [collector, count] of [...this.gaps].sort(([a], [b]) => a.localeCompare(b))) {
      notes.push(`collector ${collector} had ${count} gap${count === 1 ? '' : 's'} (see series.ndjson)`);
    }
    const slosParsed = slosSchema.safeParse(start?.slos ?? {});
    if (!slosParsed.success) {
      const issue = slosParsed.error.issues[0];
      throw new RunFolderError(
        `${run.seriesPath}: run.start slos.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
      );
    }
    let partial = end === undefined || end.interrupted || this.flushFailures > 0;
    for (const cut of run.cuts) {
      partial = true;
      notes.push(
        `${basename(cut.source)} line ${cut.line} was cut off mid-write (${cut.reason}): left out, partial results`,
      );
    }
    return {
      id: start?.id ?? basename(run.dir),
      scenario: start?.scenario ?? 'unknown',
      seed: start?.seed ?? null,
      startedAtMs: window.runStartMs,
      warmUpMs: window.warmUpMs,
      durationS: window.durationS,
      target: start?.target ?? {},
      slos: slosParsed.data,
      load: end?.load ?? {},
      partial,
      notes,
      loadOnly,
      ...(start?.segments !== undefined
        ? { segments: start.segments }
        : segment !== undefined
          ? { segments: [segment] }
          : {}),
    };
  }

  private gauge(
    map: Map<string, GaugeAccumulator>,
    key: string,
    name: string,
    steadyStartMs: number,
    loadEndMs: () => number,
  ): GaugeAccumulator {
    let acc = map.get(key);
    if (acc === undefined) {
      acc = new GaugeAccumulator(name, steadyStartMs, loadEndMs);
      map.set(key, acc);
    }
    return acc;
  }
}
