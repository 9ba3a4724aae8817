// HdrHistogram interval log (format 1.3, as Java's HistogramLogWriter writes it): a header of
// comments and a legend, then one line per interval histogram:
//   Tag=<tag>,<start s since BaseTime>,<length s>,<Interval_Max ms>,<compressed base64 histogram>
// Histogram values are integer microseconds, Interval_Max is in ms. The writer appends each line
// to the file as it comes, so a 24 h soak never holds its log in memory and a crash loses nothing.
import { closeSync, openSync, writeSync } from 'node:fs';
import { HistogramSnapshot } from './histogramSnapshot.ts';
import { type CutTailOptions, readLines } from './lineReader.ts';
import { RecordFormatError } from './recordError.ts';

export const HLOG_LEGEND =
  '"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"';
const FORMAT_VERSION = '1.3';
const YEAR_S = 365 * 24 * 3600;

export interface HlogInterval {
  /** '' when the line has no Tag= field. */
  tag: string;
  /** Interval start, seconds since the epoch. */
  startS: number;
  lengthS: number;
  maxMs: number;
  snapshot: HistogramSnapshot;
}

/** An interval whose histogram is checked complete but left compressed, for fast merging. */
export interface EncodedHlogInterval {
  tag: string;
  /** Interval start, seconds since the epoch. */
  startS: number;
  lengthS: number;
  maxMs: number;
  /** The compressed V2 histogram (the base64 decoded). */
  bytes: Buffer;
  /** 1-based line number, for errors found while decoding. */
  line: number;
}

export interface Hlog {
  startTimeMs?: number;
  intervals: HlogInterval[];
}

/** A truncated or garbled log; `line` is 1-based. Callers turn it into exit code 2. */
export class HlogFormatError extends RecordFormatError {}

export class HlogWriter {
  private fd: number | undefined;

  private constructor(
    fd: number,
    private readonly baseTimeMs: number,
  ) {
    this.fd = fd;
  }

  /** Creates (or truncates) the log and writes its header; timestamps are relative to startTimeMs. */
  static open(path: string, startTimeMs: number = Date.now()): HlogWriter {
    const writer = new HlogWriter(openSync(path, 'w'), startTimeMs);
    const startS = (startTimeMs / 1000).toFixed(3);
    writer.write(
      `#[Histogram log format version ${FORMAT_VERSION}]\n` +
        `#[StartTime: ${startS} (seconds since epoch), ${new Date(startTimeMs).toISOString()}]\n` +
        `#[BaseTime: ${startS} (seconds since epoch)]\n` +
        `${HLOG_LEGEND}\n`,
    );
    return writer;
  }

  /** Any histogram with an encoding and a max will do (the engine's main thread merges in WASM). */
  writeInterval(
    tag: string,
    startMs: number,
    endMs: number,
    snapshot: Pick<HistogramSnapshot, 'maxMs' | 'encode'>,
  ): void {
    if (/[\s,]/.test(tag)) throw new Error(`hlog tag "${tag}" holds a comma or whitespace`);
    const start = ((startMs - this.baseTimeMs) / 1000).toFixed(3);
    const length = ((endMs - startMs) / 1000).toFixed(3);
    const prefix = tag === '' ? '' : `Tag=${tag},`;
    this.write(`${prefix}${start},${length},${snapshot.maxMs.toFixed(3)},${snapshot.encode()}\n`);
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }

  private write(text: string): void {
    if (this.fd === undefined) throw new Error('hlog writer is closed');
    writeSync(this.fd, text);
  }
}

/** Parses one log line by line, holding the StartTime/BaseTime state the format carries. */
class HlogLineParser {
  startTimeS: number | undefined;
  private baseTimeS: number | undefined;

  constructor(private readonly source: string) {}

  parse(line: string, lineNo: number): HlogInterval | undefined {
    const encoded = this.parseEncoded(line, lineNo);
    if (encoded === undefined) return undefined;
    const { bytes, line: _line, ...interval } = encoded;
    return { ...interval, snapshot: this.decode(bytes, lineNo) };
  }

  parseEncoded(line: string, lineNo: number): EncodedHlogInterval | undefined {
    if (line.trim() === '') return undefined;
    if (line.startsWith('#[StartTime:')) {
      this.startTimeS = this.headerNumber(line, lineNo);
      return undefined;
    }
    if (line.startsWith('#[BaseTime:')) {
      this.baseTimeS = this.headerNumber(line, lineNo);
      return undefined;
    }
    if (line.startsWith('#') || line.startsWith('"StartTimestamp"') || line.startsWith('"Timestamp"')) {
      return undefined;
    }
    const fields = line.split(',');
    let tag = '';
    if (fields[0]?.startsWith('Tag=')) tag = (fields.shift() ?? '').slice(4);
    if (fields.length !== 4) {
      throw new HlogFormatError(
        this.source,
        lineNo,
        `expected 4 fields after the tag, found ${fields.length}`,
      );
    }
    const [rawStart, rawLength, rawMax, rawEncoded] = fields as [string, string, string, string];
    const start = this.number(rawStart, 'StartTimestamp', lineNo);
    const lengthS = this.number(rawLength, 'Interval_Length', lineNo);
    const maxMs = this.number(rawMax, 'Interval_Max', lineNo);
    const bytes = this.histogramBytes(rawEncoded.trim(), lineNo);
    // As Java's reader: without BaseTime, timestamps over a year before StartTime are relative to it.
    if (this.baseTimeS === undefined) {
      const startTime = this.startTimeS ?? 0;
      this.baseTimeS = start < startTime - YEAR_S ? startTime : 0;
    }
    return { tag, startS: this.baseTimeS + start, lengthS, maxMs, bytes, line: lineNo };
  }

  private headerNumber(line: string, lineNo: number): number {
    return this.number(line.split(/\s+/)[1] ?? '', 'header time', lineNo);
  }

  private number(raw: string, field: string, lineNo: number): number {
    const value = raw.trim() === '' ? Number.NaN : Number(raw);
    if (!Number.isFinite(value))
      throw new HlogFormatError(this.source, lineNo, `${field} "${raw}" is not a number`);
    return value;
  }

  private histogramBytes(encoded: string, lineNo: number): Buffer {
    const bytes = Buffer.from(encoded, 'base64');
    // Node skips characters that are not base64, so a clean string decodes to exactly 3/4 of its
    // length (less the padding): cheaper than a regular expression over every line.
    const padding = encoded.endsWith('==') ? 2 : encoded.endsWith('=') ? 1 : 0;
    if (
      encoded.length === 0 ||
      encoded.length % 4 !== 0 ||
      bytes.length !== (encoded.length / 4) * 3 - padding
    ) {
      throw new HlogFormatError(this.source, lineNo, 'histogram is not complete base64 (truncated?)');
    }
    // The V2 header names the compressed length; a shorter payload is a truncated line.
    if (bytes.length < 8 || bytes.length < 8 + bytes.readInt32BE(4)) {
      throw new HlogFormatError(
        this.source,
        lineNo,
        'histogram is shorter than its header says (truncated?)',
      );
    }
    return bytes;
  }

  private decode(bytes: Buffer, lineNo: number): HistogramSnapshot {
    try {
      return HistogramSnapshot.decode(bytes.toString('base64'));
    } catch (err) {
      throw new HlogFormatError(this.source, lineNo, `histogram does not decode: ${(err as Error).message}`);
    }
  }
}

/**
 * Streams the intervals of a log file in order, without reading the whole file into memory. A cut
 * last line (no newline, does not parse) goes to `onCutTail` when given; otherwise it is an error.
 */
export function readHlogIntervals(path: string, options: CutTailOptions = {}): AsyncGenerator<HlogInterval> {
  const parser = new HlogLineParser(path);
  return parseFile(path, (line, n) => parser.parse(line, n), options);
}

/** As readHlogIntervals, but leaves each histogram compressed (decoding costs ~0.1 ms a line). */
export function readEncodedHlogIntervals(
  path: string,
  options: CutTailOptions = {},
): AsyncGenerator<EncodedHlogInterval> {
  const parser = new HlogLineParser(path);
  return parseFile(path, (line, n) => parser.parseEncoded(line, n), options);
}

export async function readHlog(path: string, options: CutTailOptions = {}): Promise<Hlog> {
  const parser = new HlogLineParser(path);
  const intervals: HlogInterval[] = [];
  for await (const interval of parseFile(path, (line, n) => parser.parse(line, n), options)) {
    intervals.push(interval);
  }
  return withStartTime(parser, intervals);
}

async function* parseFile<T>(
  path: string,
  parse: (line: string, lineNo: number) => T | undefined,
  options: CutTailOptions,
): AsyncGenerator<T> {
  for await (const { text, lineNo, cut } of readLines(path)) {
    let interval: T | undefined;
    try {
      interval = parse(text, lineNo);
    } catch (err) {
      if (!cut || options.onCutTail === undefined || !(err instanceof HlogFormatError)) throw err;
      options.onCutTail({ source: path, line: lineNo, reason: err.reason });
      return;
    }
    if (interval !== undefined) yield interval;
  }
}

export function parseHlog(text: string, source = 'hlog'): Hlog {
  const parser = new HlogLineParser(source);
  const intervals: HlogInterval[] = [];
  text.split(/\r\n|\r|\n/).forEach((line, i) => {
    const interval = parser.parse(line, i + 1);
    if (interval !== undefined) intervals.push(interval);
  });
  return withStartTime(parser, intervals);
}

function withStartTime(parser: HlogLineParser, intervals: HlogInterval[]): Hlog {
  return parser.startTimeS === undefined
    ? { intervals }
    : { startTimeMs: Math.round(parser.startTimeS * 1000), intervals };
}
