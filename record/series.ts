// series.ndjson: the run's gauges, counters and timeline events, one JSON object a line, appended
// as they happen so memory stays flat and a crash keeps everything already sampled:
//   {"t":1700000000000,"gauge":"outbox.pending","value":12,"tags":{"application":"sea-sink"}}
//   {"t":1700000000000,"counter":"http.requests","value":250,"tags":{"status":"202"}}
//   {"t":1700000000000,"event":"collector.gap.start","collector":"jetstream","error":"..."}
// A counter line's value is the delta since the previous line of that series, so any window's total
// is a sum. `tags` is left out when empty; the reader always returns it.
import { closeSync, openSync, writeSync } from 'node:fs';
import { type CutTailOptions, readLines } from './lineReader.ts';
import { RecordFormatError } from './recordError.ts';
import type { Tags } from './recorder.ts';
import { redact } from './redact.ts';

export interface GaugePoint {
  t: number;
  gauge: string;
  value: number;
  tags: Tags;
}

export interface CounterPoint {
  t: number;
  counter: string;
  /** Increase since the previous line of the same (counter, tags) series. */
  value: number;
  tags: Tags;
}

export interface EventPoint {
  t: number;
  event: string;
  [field: string]: unknown;
}

export type SeriesRecord = GaugePoint | CounterPoint | EventPoint;

export function isGaugePoint(record: SeriesRecord): record is GaugePoint {
  return 'gauge' in record;
}

export function isCounterPoint(record: SeriesRecord): record is CounterPoint {
  return 'counter' in record;
}

/** A truncated or garbled series file; `line` is 1-based. Callers turn it into exit code 2. */
export class SeriesFormatError extends RecordFormatError {}

export class SeriesWriter {
  private fd: number | undefined;

  private constructor(fd: number) {
    this.fd = fd;
  }

  /** Appends to the file, creating it when missing. */
  static open(path: string): SeriesWriter {
    return new SeriesWriter(openSync(path, 'a'));
  }

  gauge(name: string, value: number, tags?: Tags, atMs: number = Date.now()): void {
    // JSON has no NaN or Infinity: a non-finite gauge is a collector bug, not a value.
    if (!Number.isFinite(value)) throw new RangeError(`gauge ${name} value ${value} is not a finite number`);
    const line: Record<string, unknown> = { t: atMs, gauge: name, value };
    if (tags !== undefined && Object.keys(tags).length > 0) line.tags = tags;
    this.write(line);
  }

  counter(name: string, delta: number, tags?: Tags, atMs: number = Date.now()): void {
    if (!Number.isFinite(delta) || delta < 0)
      throw new RangeError(`counter ${name} delta ${delta} is not a finite number >= 0`);
    const line: Record<string, unknown> = { t: atMs, counter: name, value: delta };
    if (tags !== undefined && Object.keys(tags).length > 0) line.tags = tags;
    this.write(line);
  }

  event(kind: string, data: Record<string, unknown> = {}, atMs: number = Date.now()): void {
    const { t: _t, event: _event, ...fields } = data;
    const line: Record<string, unknown> = { t: atMs, event: kind };
    for (const [key, value] of Object.entries(fields)) {
      // An Error serialises as {}: keep the message, which is what a reader of the timeline wants.
      line[key] = value instanceof Error ? value.message : value;
    }
    // Events carry free text (a scrape URL, a driver's error message) that may hold a URL with a
    // password; the file is shared with reports, so secrets stop here. Events are rare: no hot path.
    this.write(redact(line));
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }

  private write(line: Record<string, unknown>): void {
    if (this.fd === undefined) throw new Error('series writer is closed');
    writeSync(this.fd, `${JSON.stringify(line)}\n`);
  }
}

/**
 * Streams the records of a series file in order, without reading the whole file into memory. A cut
 * last line (no newline, does not parse) goes to `onCutTail` when given; otherwise it is an error.
 */
export async function* readSeriesRecords(
  path: string,
  options: CutTailOptions = {},
): AsyncGenerator<SeriesRecord> {
  for await (const { text, lineNo, cut } of readLines(path)) {
    if (text.trim() === '') continue;
    let record: SeriesRecord;
    try {
      record = parseRecord(text, path, lineNo);
    } catch (err) {
      if (!cut || options.onCutTail === undefined || !(err instanceof SeriesFormatError)) throw err;
      options.onCutTail({ source: path, line: lineNo, reason: err.reason });
      return;
    }
    yield record;
  }
}

export async function readSeries(path: string, options: CutTailOptions = {}): Promise<SeriesRecord[]> {
  const records: SeriesRecord[] = [];
  for await (const record of readSeriesRecords(path, options)) records.push(record);
  return records;
}

function parseRecord(line: string, source: string, lineNo: number): SeriesRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    throw new SeriesFormatError(source, lineNo, 'not a complete JSON object (truncated?)');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new SeriesFormatError(source, lineNo, 'not a JSON object');
  }
  const record = raw as Record<string, unknown>;
  if (typeof record.t !== 'number' || !Number.isFinite(record.t)) {
    throw new SeriesFormatError(source, lineNo, 'field "t" is not an epoch ms number');
  }
  const kind =
    typeof record.gauge === 'string' ? 'gauge' : typeof record.counter === 'string' ? 'counter' : '';
  if (kind !== '') {
    if (typeof record.value !== 'number')
      throw new SeriesFormatError(source, lineNo, `${kind} without a number value`);
    const tags = record.tags ?? {};
    if (typeof tags !== 'object' || tags === null || Object.values(tags).some((v) => typeof v !== 'string')) {
      throw new SeriesFormatError(source, lineNo, `${kind} tags are not an object of strings`);
    }
    return kind === 'gauge'
      ? { t: record.t, gauge: record.gauge as string, value: record.value, tags: tags as Tags }
      : { t: record.t, counter: record.counter as string, value: record.value, tags: tags as Tags };
  }
  if (typeof record.event === 'string') return record as EventPoint;
  throw new SeriesFormatError(source, lineNo, 'neither a gauge, a counter nor an event');
}
