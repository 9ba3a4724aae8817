// Merges the series.ndjson of a run's segments into one, in time order:
//   - the collector segment's set-up lines (before its run.start), then one run.start for the run;
//   - every segment's counter lines as they are: deltas, so the reader's sums are the run's sums;
//   - gauges and events as they are, those of the engine (load.*, custom.*) tagged `segment`, since
//     each process samples its own; the collector segment alone has collector gauges and integrity;
//   - one run.end for the run, where the collector segment's stood.
// Each segment's own run.start and run.end are left out; memory is one line per segment.
import type { CutTailOptions } from '../record/lineReader.ts';
import { EVENT, writeRunEnd, writeRunStart } from '../record/runEvents.ts';
import {
  isCounterPoint,
  isGaugePoint,
  readSeriesRecords,
  type SeriesRecord,
  SeriesWriter,
} from '../record/series.ts';
import { metricSource } from './sloExpression.ts';

export interface SeriesPart {
  path: string;
  /** As run.start spells it; the `segment` tag and field of its lines. */
  segment: string;
  /** The segment that ran the collectors and the integrity check. */
  collectors: boolean;
}

export interface MergedSeries {
  parts: readonly SeriesPart[];
  outPath: string;
  /** The merged run.start, without `event`; `t` is its instant. */
  runStart: { t: number } & Parameters<typeof writeRunStart>[1];
  /** The merged run.end; undefined when the collector segment never ended (a partial run). */
  runEnd?: { t: number } & Parameters<typeof writeRunEnd>[1];
  cutTail?: CutTailOptions;
}

interface Stream {
  part: SeriesPart;
  next: AsyncIterator<SeriesRecord>;
  head: SeriesRecord | undefined;
  started: boolean;
}

export async function mergeSeriesFiles(merge: MergedSeries): Promise<void> {
  const writer = SeriesWriter.open(merge.outPath);
  try {
    const streams: Stream[] = [];
    for (const part of merge.parts) {
      const next = readSeriesRecords(part.path, merge.cutTail)[Symbol.asyncIterator]();
      streams.push({ part, next, head: (await next.next()).value ?? undefined, started: false });
    }
    // Set-up: the collector segment's lines before its run.start; the others' are left out.
    for (const s of streams) {
      while (s.head !== undefined && !s.started) {
        if ('event' in s.head && s.head.event === EVENT.runStart) s.started = true;
        else if (s.part.collectors) copy(writer, s.head, s.part, false);
        s.head = (await s.next.next()).value ?? undefined;
      }
    }
    const { t: startT, ...start } = merge.runStart;
    writeRunStart(writer, start, startT);
    for (;;) {
      let first: Stream | undefined;
      for (const s of streams)
        if (s.head !== undefined && (first?.head === undefined || s.head.t < first.head.t)) first = s;
      if (first?.head === undefined) break;
      const record = first.head;
      if ('event' in record && (record.event === EVENT.runStart || record.event === EVENT.runEnd)) {
        if (record.event === EVENT.runEnd && first.part.collectors && merge.runEnd !== undefined) {
          const { t: endT, ...end } = merge.runEnd;
          writeRunEnd(writer, end, endT);
        }
      } else if (first.part.collectors || !('event' in record && record.event === EVENT.integrity)) {
        copy(writer, record, first.part, true);
      }
      first.head = (await first.next.next()).value ?? undefined;
    }
  } finally {
    writer.close();
  }
}

function copy(writer: SeriesWriter, record: SeriesRecord, part: SeriesPart, mark: boolean): void {
  if (isCounterPoint(record)) {
    writer.counter(record.counter, record.value, record.tags, record.t);
  } else if (isGaugePoint(record)) {
    const tags =
      mark && metricSource(record.gauge) === 'load' ? { ...record.tags, segment: part.segment } : record.tags;
    writer.gauge(record.gauge, record.value, tags, record.t);
  } else {
    const { t, event, ...fields } = record;
    writer.event(event, mark && !part.collectors ? { ...fields, segment: part.segment } : fields, t);
  }
}
