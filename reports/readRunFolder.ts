// The one reader of a run folder: series.ndjson once, then the hlogs once (side by side, in
// start-time order), each record handed to every fold that asked for it. The summary, the stage
// buckets, the HTML timeline and fault recovery are folds; they share the run's window
// (steadyWindow.ts), its run.start and run.end, and each interval's histogram is inflated once
// however many folds add it up. Memory is what the folds keep, not the length of the files.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { type EncodedHlogInterval, HlogFormatError, readEncodedHlogIntervals } from '../record/hlog.ts';
import { parseHlogTag } from '../record/hlogTag.ts';
import type { CutTail, CutTailOptions } from '../record/lineReader.ts';
import type { Tags } from '../record/recorder.ts';
import {
  EVENT,
  loadEndWire,
  type RunEndWire,
  type RunStartWire,
  runEndWire,
  runStartWire,
} from '../record/runEvents.ts';
import { RUN_FILES, runHlogPaths } from '../record/runFiles.ts';
import { SegmentError } from '../record/segmentFraction.ts';
import { readSeriesRecords, SeriesFormatError, type SeriesRecord } from '../record/series.ts';
import { type InflatedHistogram, inflateHistogram } from './histogramAccumulator.ts';
import { type RunSegment, runSegmentOf } from './runSegment.ts';
import { SteadyWindow } from './steadyWindow.ts';

/** A run folder that cannot be read: missing, or a file truncated or garbled at a line. */
export class RunFolderError extends Error {
  override readonly name = 'RunFolderError';
}

/** What every fold may consult: the folder, its window and its run.start and run.end. */
export interface RunFolderRead {
  dir: string;
  seriesPath: string;
  window: SteadyWindow;
  start: RunStartWire | undefined;
  end: RunEndWire | undefined;
  /** undefined for a one-process run; set once the series is read. */
  segment: RunSegment | undefined;
  /** Cut-off last lines left out, series first, then the hlogs in runHlogPaths order. */
  cuts: CutTail[];
}

export interface FoldInterval {
  path: string;
  line: number;
  /** The hlog tag as written; `metric` and `tags` are it parsed. */
  tag: string;
  metric: string;
  tags: Tags;
  startS: number;
  lengthS: number;
  /** The interval's histogram, inflated on first use and shared by the folds. */
  histogram(): InflatedHistogram;
}

export interface RunFolderFold {
  /** A series record, in file order; `line` counts records (the series has no blank lines). */
  record?(record: SeriesRecord, line: number, run: RunFolderRead): void;
  /** The series is read: the window is final. */
  seriesRead?(run: RunFolderRead): void;
  /** An hlog interval, in start order across the logs, set-up and warm-up included. */
  interval?(interval: FoldInterval, run: RunFolderRead): void;
}

export async function readRunFolder(dir: string, folds: readonly RunFolderFold[]): Promise<RunFolderRead> {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new RunFolderError(`${dir}: no such run folder`);
  const seriesPath = join(dir, RUN_FILES.series);
  if (!existsSync(seriesPath)) throw new RunFolderError(`${seriesPath}: missing from the run folder`);
  const run: RunFolderRead = {
    dir,
    seriesPath,
    window: new SteadyWindow(),
    start: undefined,
    end: undefined,
    segment: undefined,
    cuts: [],
  };
  // A line cut off mid-write (a crash) is left out and named; the rest of the run still reports.
  const cutTail: CutTailOptions = { onCutTail: (cut) => run.cuts.push(cut) };
  try {
    await readSeries(run, folds, cutTail);
    try {
      run.segment = runSegmentOf(run.start);
    } catch (err) {
      if (err instanceof SegmentError)
        throw new RunFolderError(`${seriesPath}: run.start segment: ${err.message}`);
      throw err;
    }
    // A load-only segment ran no collectors; every other folder must hold their log.
    const collectorsPath = join(dir, RUN_FILES.collectorsHlog);
    if (!run.segment?.loadOnly && !existsSync(collectorsPath))
      throw new RunFolderError(`${collectorsPath}: missing from the run folder`);
    for (const fold of folds) fold.seriesRead?.(run);
    const hlogFolds = folds.filter((f) => f.interval !== undefined);
    if (hlogFolds.length > 0) await readHlogs(run, hlogFolds, cutTail);
  } catch (err) {
    if (err instanceof HlogFormatError || err instanceof SeriesFormatError)
      throw new RunFolderError(err.message);
    throw err;
  }
  const order = [seriesPath, ...runHlogPaths(dir)];
  run.cuts.sort((a, b) => order.indexOf(a.source) - order.indexOf(b.source));
  return run;
}

async function readSeries(run: RunFolderRead, folds: readonly RunFolderFold[], cutTail: CutTailOptions) {
  const seriesFolds = folds.filter((f) => f.record !== undefined);
  let line = 0;
  for await (const record of readSeriesRecords(run.seriesPath, cutTail)) {
    line++;
    run.window.observe(record.t);
    if ('event' in record) {
      if (record.event === EVENT.runStart) {
        run.start = parseEvent(runStartWire, record, run.seriesPath, line);
        run.window.runStarted(run.start);
      } else if (record.event === EVENT.runEnd) {
        run.end = parseEvent(runEndWire, record, run.seriesPath, line);
        run.window.runEnded(run.end);
      } else if (record.event === EVENT.loadEnd) {
        run.window.loadEnded(parseEvent(loadEndWire, record, run.seriesPath, line));
      }
    }
    for (const fold of seriesFolds) fold.record?.(record, line, run);
  }
}

/** Parses one event of the series, or names its line and field. */
export function parseEvent<S extends z.ZodType>(
  schema: S,
  record: unknown,
  path: string,
  line: number,
): z.output<S> {
  const parsed = schema.safeParse(record);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue?.path.length ? `field "${issue.path.join('.')}"` : 'event';
  throw new SeriesFormatError(path, line, `${where}: ${issue?.message ?? 'invalid'}`);
}

async function readHlogs(run: RunFolderRead, folds: readonly RunFolderFold[], cutTail: CutTailOptions) {
  const tags = new Map<string, { metric: string; tags: Tags }>();
  for await (const { path, interval } of byStart(runHlogPaths(run.dir), cutTail)) {
    let parsed = tags.get(interval.tag);
    if (parsed === undefined) {
      try {
        parsed = parseHlogTag(interval.tag);
      } catch (err) {
        throw new HlogFormatError(path, interval.line, (err as Error).message);
      }
      tags.set(interval.tag, parsed);
    }
    let inflated: InflatedHistogram | undefined;
    const item: FoldInterval = {
      path,
      line: interval.line,
      tag: interval.tag,
      metric: parsed.metric,
      tags: parsed.tags,
      startS: interval.startS,
      lengthS: interval.lengthS,
      histogram: () => {
        if (inflated === undefined) {
          try {
            inflated = inflateHistogram(interval.bytes);
          } catch (err) {
            throw new HlogFormatError(path, interval.line, (err as Error).message);
          }
        }
        return inflated;
      },
    };
    for (const fold of folds) fold.interval?.(item, run);
  }
}

interface SourcedInterval {
  path: string;
  interval: EncodedHlogInterval;
}

/** Interleaves the logs' intervals by start time, reading each log one line ahead. */
async function* byStart(paths: readonly string[], cutTail: CutTailOptions): AsyncGenerator<SourcedInterval> {
  const sources = paths.map((p) => readEncodedHlogIntervals(p, cutTail));
  const heads = await Promise.all(sources.map((s) => s.next()));
  for (;;) {
    let best = -1;
    let bestStart = Number.POSITIVE_INFINITY;
    heads.forEach((head, i) => {
      if (!head.done && (best === -1 || head.value.startS < bestStart)) {
        best = i;
        bestStart = head.value.startS;
      }
    });
    const head = heads[best];
    const source = sources[best];
    const path = paths[best];
    if (best === -1 || head === undefined || head.done || source === undefined || path === undefined) return;
    yield { path, interval: head.value };
    heads[best] = await source.next();
  }
}
