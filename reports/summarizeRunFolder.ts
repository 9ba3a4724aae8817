// Reads a run folder in one streaming pass per file (series.ndjson, collectors.hlog, load.hlog when
// present) into the run's metadata and its steady-window summary. Memory stays flat in the length
// of the run: histograms merge as they stream, gauges keep two floats a second.
import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { z } from 'zod';
import { gaugeKey } from '../record/gaugeKey.ts';
import { HlogFormatError, readEncodedHlogIntervals } from '../record/hlog.ts';
import { parseHlogTag } from '../record/hlogTag.ts';
import type { CutTail, CutTailOptions } from '../record/lineReader.ts';
import { METRIC, metricEntry } from '../record/metricCatalog.ts';
import {
  EVENT,
  type IntegrityWire,
  integrityWire,
  type RunEndWire,
  type RunStartWire,
  runEndWire,
  runStartWire,
} from '../record/runEvents.ts';
import { RUN_FILES, runHlogPaths } from '../record/runFiles.ts';
import { SegmentError } from '../record/segmentFraction.ts';
import { isCounterPoint, isGaugePoint, readSeriesRecords, SeriesFormatError } from '../record/series.ts';
import { type SloConfig, slosSchema } from '../record/sloConfig.ts';
import { GaugeAccumulator } from './gaugeAccumulator.ts';
import { HistogramAccumulator } from './histogramAccumulator.ts';
import { type RunSegment, runSegmentOf } from './runSegment.ts';
import type { GaugeSummary, RunSummary } from './runSummary.ts';

/** A run folder that cannot be read: missing, or a file truncated or garbled at a line. */
export class RunFolderError extends Error {
  override readonly name = 'RunFolderError';
}

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
  /** The run recorded fault windows or an outbox guard: report.json gets `faults` (reports/faultReport.ts). */
  faultRun?: boolean;
}

export type { RunSegment } from './runSegment.ts';

export interface RunFolder {
  meta: RunMeta;
  summary: RunSummary;
}

export async function summarizeRunFolder(dir: string): Promise<RunFolder> {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new RunFolderError(`${dir}: no such run folder`);
  const seriesPath = join(dir, RUN_FILES.series);
  const collectorsPath = join(dir, RUN_FILES.collectorsHlog);
  if (!existsSync(seriesPath)) throw new RunFolderError(`${seriesPath}: missing from the run folder`);
  try {
    // A line cut off mid-write (a crash) is left out and named; the rest of the run still reports.
    const cuts: CutTail[] = [];
    const cutTail: CutTailOptions = { onCutTail: (cut) => cuts.push(cut) };
    const series = await readSeriesFile(seriesPath, basename(dir), cutTail);
    // A load-only segment ran no collectors; every other folder must hold their log.
    if (!series.meta.loadOnly && !existsSync(collectorsPath))
      throw new RunFolderError(`${collectorsPath}: missing from the run folder`);
    const metrics = new Map<string, HistogramAccumulator>();
    const byTag = new Map<string, HistogramAccumulator>();
    for (const path of runHlogPaths(dir))
      await mergeHlog(path, series.steadyStartMs, metrics, byTag, cutTail);
    for (const cut of cuts) {
      series.meta.partial = true;
      series.meta.notes.push(
        `${basename(cut.source)} line ${cut.line} was cut off mid-write (${cut.reason}): left out, partial results`,
      );
    }

    const summary: RunSummary = {
      metrics: {},
      byTag: {},
      gauges: {},
      gaugesByTag: {},
      counters: Object.fromEntries([...series.counters].sort(([a], [b]) => a.localeCompare(b))),
      counts: {
        http_reqs: series.counter(METRIC.httpRequests),
        // Requests were counted but none failed: 0 errors, not "not recorded".
        errors:
          series.counter(METRIC.httpErrors) ?? (series.counter(METRIC.httpRequests) === null ? null : 0),
        // The engine writes a counter line only when it moved: iterations but no drop line is 0 dropped.
        dropped_iterations:
          series.counter(METRIC.loadDroppedIterations) ??
          (series.counter(METRIC.loadIterations) === null ? null : 0),
        // After an integrity check, no delivery (or no dead letter) of the run's events means 0.
        deliveries_per_event_max: series.integrity ? (series.integrity.maxDeliveries ?? 0) : null,
        dlq_attempts_max: series.integrity ? (series.integrity.maxDlqAttempts ?? 0) : null,
      },
      integrity: series.integrity
        ? {
            accepted: series.integrity.accepted,
            completed: series.integrity.completed,
            deadLettered: series.integrity.deadLettered,
            lost: series.integrity.lost,
            duplicated: series.integrity.duplicated,
          }
        : null,
    };
    for (const name of [...metrics.keys()].sort()) {
      const acc = metrics.get(name);
      if (acc !== undefined && acc.count > 0) summary.metrics[name] = acc.toSnapshot().summary();
    }
    for (const key of [...byTag.keys()].sort()) {
      const acc = byTag.get(key);
      const [metric = '', tag = '', value = ''] = key.split('\u0000');
      if (acc === undefined || acc.count === 0) continue;
      const byKey = summary.byTag[metric] ?? {};
      summary.byTag[metric] = byKey;
      const byValue = byKey[tag] ?? {};
      byKey[tag] = byValue;
      byValue[value] = acc.toSnapshot().summary();
    }
    for (const name of [...series.gauges.keys()].sort()) {
      const acc = series.gauges.get(name);
      if (acc?.seen) summary.gauges[name] = acc.summary();
    }
    const gaugesByTag: Record<string, GaugeSummary> = {};
    for (const name of [...series.tagGauges.keys()].sort()) {
      const acc = series.tagGauges.get(name);
      if (acc?.seen) gaugesByTag[name] = acc.summary();
    }
    summary.gaugesByTag = gaugesByTag;
    return { meta: series.meta, summary };
  } catch (err) {
    if (err instanceof HlogFormatError || err instanceof SeriesFormatError)
      throw new RunFolderError(err.message);
    throw err;
  }
}

interface TagAccumulators {
  metric: string;
  /** The accumulators an interval of this tag adds into: the metric's, then one per kept tag. */
  into: HistogramAccumulator[];
}

async function mergeHlog(
  path: string,
  steadyStartMs: number,
  metrics: Map<string, HistogramAccumulator>,
  byTag: Map<string, HistogramAccumulator>,
  cutTail: CutTailOptions,
) {
  const accumulator = (map: Map<string, HistogramAccumulator>, key: string) => {
    let acc = map.get(key);
    if (acc === undefined) {
      acc = new HistogramAccumulator();
      map.set(key, acc);
    }
    return acc;
  };
  const tags = new Map<string, TagAccumulators>();
  for await (const interval of readEncodedHlogIntervals(path, cutTail)) {
    // Warm-up: an interval that starts before the steady window belongs to it.
    // In whole ms, as the log writes them: a log re-based by `pipesoak merge` decides the same.
    if (Math.round(interval.startS * 1000) < steadyStartMs) continue;
    let entry = tags.get(interval.tag);
    if (entry === undefined) {
      let parsed: ReturnType<typeof parseHlogTag>;
      try {
        parsed = parseHlogTag(interval.tag);
      } catch (err) {
        throw new HlogFormatError(path, interval.line, (err as Error).message);
      }
      const kept = metricEntry(parsed.metric)?.tags ?? [];
      const into = [accumulator(metrics, parsed.metric)];
      for (const key of kept) {
        const value = parsed.tags[key];
        if (value !== undefined) into.push(accumulator(byTag, tagKey(parsed.metric, key, value)));
      }
      entry = { metric: parsed.metric, into };
      tags.set(interval.tag, entry);
    }
    try {
      for (const acc of entry.into) acc.add(interval.bytes);
    } catch (err) {
      throw new HlogFormatError(path, interval.line, (err as Error).message);
    }
  }
}

const tagKey = (metric: string, key: string, value: string) => `${metric}\u0000${key}\u0000${value}`;

interface SeriesResult {
  meta: RunMeta;
  steadyStartMs: number;
  gauges: Map<string, GaugeAccumulator>;
  /** By `gauge{tag=value}` (record/gaugeKey.ts), for the tags the catalogue keeps apart. */
  tagGauges: Map<string, GaugeAccumulator>;
  integrity: IntegrityWire | undefined;
  counters: Map<string, number>;
  counter(name: string): number | null;
}

async function readSeriesFile(
  path: string,
  folderName: string,
  cutTail: CutTailOptions,
): Promise<SeriesResult> {
  const gauges = new Map<string, GaugeAccumulator>();
  const tagGauges = new Map<string, GaugeAccumulator>();
  const counters = new Map<string, number>();
  let start: RunStartWire | undefined;
  let end: RunEndWire | undefined;
  let integrity: IntegrityWire | undefined;
  let steadyStartMs = Number.NEGATIVE_INFINITY;
  let firstT: number | undefined;
  let lastT = 0;
  let ackSamplingOff = false;
  let faultRun = false;
  let flushFailures = 0;
  const gaps = new Map<string, number>();
  let lineNo = 0;
  const parse = <S extends z.ZodType>(schema: S, record: unknown): z.output<S> => {
    const parsed = schema.safeParse(record);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `field "${issue.path.join('.')}"` : 'event';
    throw new SeriesFormatError(path, lineNo, `${where}: ${issue?.message ?? 'invalid'}`);
  };

  for await (const record of readSeriesRecords(path, cutTail)) {
    // readSeriesRecords skips blank lines; count records to name a line (series has no blank lines).
    lineNo++;
    firstT ??= record.t;
    if (record.t > lastT) lastT = record.t;
    if (isGaugePoint(record)) {
      let acc = gauges.get(record.gauge);
      if (acc === undefined) {
        acc = new GaugeAccumulator(record.gauge, steadyStartMs);
        gauges.set(record.gauge, acc);
      }
      acc.add(record.t, record.value, record.tags);
      // Each tag the catalogue keeps apart also gets its own series (target.rss by component).
      for (const key of metricEntry(record.gauge)?.tags ?? []) {
        const value = record.tags[key];
        if (value === undefined) continue;
        const name = gaugeKey(record.gauge, { key, value });
        let tagged = tagGauges.get(name);
        if (tagged === undefined) {
          tagged = new GaugeAccumulator(record.gauge, steadyStartMs);
          tagGauges.set(name, tagged);
        }
        tagged.add(record.t, record.value, record.tags);
      }
      continue;
    }
    if (isCounterPoint(record)) {
      // Deltas: the steady window's total is the sum of its lines.
      // A line is stamped at the end of the interval it counts, so one at the warm-up's end is
      // warm-up. A counter seen only in warm-up still counts as recorded: its steady total is 0.
      const steady = record.t > steadyStartMs ? record.value : 0;
      counters.set(record.counter, (counters.get(record.counter) ?? 0) + steady);
      continue;
    }
    switch (record.event) {
      case EVENT.runStart:
        start = parse(runStartWire, record);
        steadyStartMs = start.t + start.warmUpMs;
        // Points before run.start are set-up, not run: start every gauge afresh on the window.
        for (const name of gauges.keys()) gauges.set(name, new GaugeAccumulator(name, steadyStartMs));
        for (const [name, acc] of tagGauges)
          tagGauges.set(name, new GaugeAccumulator(acc.name, steadyStartMs));
        for (const name of counters.keys()) counters.set(name, 0);
        break;
      case EVENT.runEnd:
        end = parse(runEndWire, record);
        break;
      case EVENT.integrity:
        integrity = parse(integrityWire, record);
        break;
      case EVENT.faultStart:
      case EVENT.outboxGuard:
        faultRun = true;
        break;
      case EVENT.ackSamplingOff:
        ackSamplingOff = true;
        break;
      case EVENT.collectorsFlushFailed:
        flushFailures++;
        break;
      case EVENT.collectorGapStart: {
        const collector = String(record.collector ?? 'unknown');
        gaps.set(collector, (gaps.get(collector) ?? 0) + 1);
        break;
      }
    }
  }

  const notes: string[] = [];
  if (start === undefined)
    notes.push('series.ndjson has no run.start event: warm-up not excluded, SLO defaults used');
  if (end === undefined) notes.push('the run did not end (no run.end event): partial results');
  else if (end.interrupted) notes.push(`the run was interrupted${end.reason ? `: ${end.reason}` : ''}`);
  let segment: RunSegment | undefined;
  try {
    segment = runSegmentOf(start);
  } catch (err) {
    if (err instanceof SegmentError) throw new RunFolderError(`${path}: run.start segment: ${err.message}`);
    throw err;
  }
  const loadOnly = segment?.loadOnly ?? false;
  if (loadOnly) {
    notes.push(
      `a load-only segment (${segment?.segment}): collectors and the integrity check ran in segment 0; merge the segments (pipesoak merge) for the whole run`,
    );
  } else if (integrity === undefined) notes.push('no integrity check was recorded');
  notes.push(...(end?.loadNotes ?? []));
  if (ackSamplingOff) {
    notes.push(
      `JetStream ack sampling is off (consumer sample_freq unset): ${METRIC.consumerAckLatency} has no samples`,
    );
  }
  if (flushFailures > 0) {
    notes.push(
      `collectors could not write ${flushFailures} interval${flushFailures === 1 ? '' : 's'} (collectors.flush.failed in series.ndjson): their samples are missing`,
    );
  }
  for (const [collector, count] of [...gaps].sort(([a], [b]) => a.localeCompare(b))) {
    notes.push(`collector ${collector} had ${count} gap${count === 1 ? '' : 's'} (see series.ndjson)`);
  }
  const slosParsed = slosSchema.safeParse(start?.slos ?? {});
  if (!slosParsed.success) {
    const issue = slosParsed.error.issues[0];
    throw new RunFolderError(
      `${path}: run.start slos.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
    );
  }
  const startedAtMs = start?.t ?? firstT ?? 0;
  const endMs = end?.t ?? lastT;
  return {
    meta: {
      id: start?.id ?? folderName,
      scenario: start?.scenario ?? 'unknown',
      seed: start?.seed ?? null,
      startedAtMs,
      warmUpMs: start?.warmUpMs ?? 0,
      durationS: Math.max(0, (endMs - startedAtMs) / 1000),
      target: start?.target ?? {},
      slos: slosParsed.data,
      load: end?.load ?? {},
      partial: end === undefined || end.interrupted || flushFailures > 0,
      notes,
      loadOnly,
      ...(faultRun ? { faultRun } : {}),
      ...(start?.segments !== undefined
        ? { segments: start.segments }
        : segment !== undefined
          ? { segments: [segment] }
          : {}),
    },
    steadyStartMs,
    gauges,
    tagGauges,
    integrity,
    counters,
    counter: (name) => counters.get(name) ?? null,
  };
}
