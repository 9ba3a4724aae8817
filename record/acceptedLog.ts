// accepted.ndjson (RUN_FILES.acceptedLog): the load generator's record of what the target accepted, one line per accepted
// event, appended as responses arrive so a crash keeps everything already recorded:
//   {"c":"<runId>-42","t":1700000000123,"id":"9b2f…"}
// `c` the correlation id the request carried, `t` epoch ms of the acceptance, `id` the server's
// id when it answered one. uncertain.ndjson has the same lines for requests whose outcome the
// generator could not tell (timed out, connection reset): the integrity checker reports those
// found completed later as recovered, never as lost.
import { closeSync, openSync, writeSync } from 'node:fs';
import { type CutTailOptions, readLines } from './lineReader.ts';
import { RecordFormatError } from './recordError.ts';

/** Wire form of one line. */
interface AcceptedLineWire {
  c: string;
  t: number;
  id?: string;
}

export interface AcceptedEntry {
  correlationId: string;
  atMs: number;
  serverId?: string;
}

/** A garbled line; `line` is 1-based. Callers turn it into exit code 2. */
export class AcceptedLogError extends RecordFormatError {}

// Batched so recording costs a string append, not a syscall, per request.
const FLUSH_BYTES = 64 * 1024;

export class AcceptedLogWriter {
  private fd: number | undefined;
  private buffer = '';

  private constructor(fd: number) {
    this.fd = fd;
  }

  /** Appends to the file, creating it when missing. */
  static open(path: string): AcceptedLogWriter {
    return new AcceptedLogWriter(openSync(path, 'a'));
  }

  record(correlationId: string, serverId?: string, atMs: number = Date.now()): void {
    if (this.fd === undefined) throw new Error('accepted log writer is closed');
    if (correlationId === '') throw new Error('accepted log: empty correlation id');
    const line: AcceptedLineWire = { c: correlationId, t: atMs };
    if (serverId !== undefined) line.id = serverId;
    this.buffer += `${JSON.stringify(line)}\n`;
    if (this.buffer.length >= FLUSH_BYTES) this.flush();
  }

  /** Writes what is buffered; call it on a timer so a crash loses at most that much. */
  flush(): void {
    if (this.fd === undefined || this.buffer === '') return;
    writeSync(this.fd, this.buffer);
    this.buffer = '';
  }

  close(): void {
    if (this.fd === undefined) return;
    this.flush();
    closeSync(this.fd);
    this.fd = undefined;
  }
}

/**
 * Streams the entries of a log file in order, holding one chunk of the file at a time. A cut last
 * line (no newline, does not parse: the writer died mid-line) names an entry that is unknowable,
 * so it goes to `onCutTail` when given rather than failing the whole check; a garbled line
 * anywhere else is an error.
 */
export async function* readAcceptedLog(
  path: string,
  options: CutTailOptions = {},
): AsyncGenerator<AcceptedEntry> {
  for await (const { text, lineNo, cut } of readLines(path)) {
    let entry: AcceptedEntry | undefined;
    try {
      entry = parseLine(text, path, lineNo);
    } catch (err) {
      if (!cut || options.onCutTail === undefined || !(err instanceof AcceptedLogError)) throw err;
      options.onCutTail({ source: path, line: lineNo, reason: err.reason });
      return;
    }
    if (entry !== undefined) yield entry;
  }
}

/**
 * Every distinct correlation id in the file. In memory: about 100 bytes an id, so 10^6 accepted
 * events cost ~100 MB; the checker needs random lookups by id and the file is in arrival order.
 */
export async function readCorrelationIds(path: string, options: CutTailOptions = {}): Promise<Set<string>> {
  const ids = new Set<string>();
  for await (const entry of readAcceptedLog(path, options)) ids.add(entry.correlationId);
  return ids;
}

function parseLine(line: string, source: string, lineNo: number): AcceptedEntry | undefined {
  if (line.trim() === '') return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    throw new AcceptedLogError(source, lineNo, 'not a complete JSON object (truncated?)');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new AcceptedLogError(source, lineNo, 'not a JSON object');
  }
  const wire = raw as Partial<Record<keyof AcceptedLineWire, unknown>>;
  if (typeof wire.c !== 'string' || wire.c === '') {
    throw new AcceptedLogError(source, lineNo, 'field "c" is not a non-empty correlation id string');
  }
  if (typeof wire.t !== 'number' || !Number.isFinite(wire.t)) {
    throw new AcceptedLogError(source, lineNo, 'field "t" is not an epoch ms number');
  }
  if (wire.id !== undefined && typeof wire.id !== 'string') {
    throw new AcceptedLogError(source, lineNo, 'field "id" is not a string');
  }
  return wire.id === undefined
    ? { correlationId: wire.c, atMs: wire.t }
    : { correlationId: wire.c, atMs: wire.t, serverId: wire.id };
}
