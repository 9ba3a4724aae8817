// The dataset file format, shared by the generator, the engine and the scenarios. Kept free of
// faker and of Node built-ins so a scenario bundle that imports its types stays a few kilobytes.
//
// One JSON document whose lines are each complete: the metadata sits inside, on the first line, so
// a dataset and its description cannot drift apart; each item has a line of its own, so `head`,
// `grep` and diffs work on it, and a reader (readDataset.ts) parses it line by line like the other
// line files, naming the line of any fault:
//
//   {"schema":"pipesoak.dataset/v1","meta":{...},"items":[
//   {"seq":0,"correlationId":"run-0","traceparent":"00-…-01","body":{...}},
//   ...
//   ]}

import { RecordFormatError } from '../record/recordError.ts';

export const DATASET_SCHEMA = 'pipesoak.dataset/v1';

export const PAYLOAD_KINDS = ['chat', 'event', 'prompt'] as const;
export type PayloadKind = (typeof PAYLOAD_KINDS)[number];

/** `POST /api/messages`: a chat message, stored with an outbox row. */
export interface ChatBody {
  conversationId: string;
  userId: string;
  text: string;
  correlationId: string;
  poison?: true;
}

/** `POST /api/chat`: a prompt for the LLM. The endpoint takes exactly these fields. */
export interface PromptBody {
  conversationId: string;
  userId: string;
  text: string;
}

/** A domain event published straight to JetStream, to subject `<prefix>.<eventType>`. */
export interface EventBody {
  eventType: string;
  aggregateType: string;
  aggregateId: string;
  correlationId: string;
  data: Record<string, string | number | boolean>;
  poison?: true;
}

export type PayloadBody = ChatBody | PromptBody | EventBody;

export interface DatasetItem<B extends PayloadBody = PayloadBody> {
  /** 0-based position; the item's index in `items`. */
  seq: number;
  /** `<runId>-<seq>`: send it as the correlation id header (and for chat and events it is also in the body). */
  correlationId: string;
  /** W3C trace context for the request or message headers. */
  traceparent: string;
  /** Exactly what the endpoint accepts. */
  body: B;
}

export interface DatasetMeta {
  /** Bumped whenever the same options would produce different bytes. */
  generator: string;
  /** The faker version the text came from. */
  faker: string;
  kind: PayloadKind;
  seed: number;
  count: number;
  runId: string;
  poisonShare: number;
  /** Exactly round(count * poisonShare) items carry `poison: true`. */
  poisonCount: number;
  text: { median: number; sigma: number; max: number };
}

export interface Dataset<B extends PayloadBody = PayloadBody> {
  schema: typeof DATASET_SCHEMA;
  meta: DatasetMeta;
  items: DatasetItem<B>[];
}

export const TRACEPARENT_PATTERN = /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/;

export function correlationIdFor(runId: string, seq: number): string {
  return `${runId}-${seq}`;
}

/** The file's opening line: schema, metadata, and the start of the items array. */
export function datasetHead(meta: DatasetMeta): string {
  return `{"schema":${JSON.stringify(DATASET_SCHEMA)},"meta":${JSON.stringify(meta)},"items":[\n`;
}

/** One item's line; every item but the last ends with a comma. */
export function datasetItemLine(item: DatasetItem, last: boolean): string {
  return `${JSON.stringify(item)}${last ? '' : ','}\n`;
}

export const DATASET_TAIL = ']}\n';

/** A dataset file that is not one: names the file and the 1-based line. */
export class DatasetFormatError extends RecordFormatError {}

const HEAD_END = '"items":[';

/**
 * Reads a dataset a line at a time: the head, each item (checked: seq, correlationId, traceparent,
 * body), the tail. Throws DatasetFormatError naming the line of what is wrong.
 */
export class DatasetLineParser<B extends PayloadBody = PayloadBody> {
  private head: Omit<Dataset<B>, 'items'> | undefined;
  private readonly items: DatasetItem<B>[] = [];
  /** The last item line had no comma: only the tail may follow. */
  private lastItem = false;
  private closed = false;
  private lineNo = 0;

  constructor(private readonly source: string) {}

  line(text: string, lineNo: number): void {
    this.lineNo = lineNo;
    if (text.trim() === '') return;
    if (this.closed) this.fail('text after the closing ]}');
    if (this.head === undefined) {
      this.head = this.parseHead(text);
      return;
    }
    if (text.trim() === DATASET_TAIL.trim()) {
      this.closed = true;
      return;
    }
    if (this.lastItem) this.fail(`an item after the last one (no comma ends line ${lineNo - 1})`);
    const comma = text.endsWith(',');
    this.lastItem = !comma;
    const item = this.parseJson(comma ? text.slice(0, -1) : text, 'item') as Partial<DatasetItem<B>>;
    const seq = this.items.length;
    if (item.seq !== seq) this.fail(`item has seq ${JSON.stringify(item.seq)}, expected ${seq}`);
    if (typeof item.correlationId !== 'string' || typeof item.traceparent !== 'string')
      this.fail(`item ${seq} lacks a correlationId or traceparent string`);
    if (typeof item.body !== 'object' || item.body === null) this.fail(`item ${seq} has no body object`);
    this.items.push(item as DatasetItem<B>);
  }

  /** After the last line: the dataset, once the tail closed it and the count matches its meta. */
  finish(): Dataset<B> {
    if (this.head === undefined) throw new DatasetFormatError(this.source, 1, 'the file is empty');
    if (!this.closed) this.fail('the file ends before the closing ]} (truncated?)');
    const { count } = this.head.meta;
    if (this.items.length !== count)
      this.fail(`dataset has ${this.items.length} items, its meta says ${count}`);
    return { ...this.head, items: this.items };
  }

  private parseHead(text: string): Omit<Dataset<B>, 'items'> {
    if (!text.endsWith(HEAD_END))
      this.fail(`not a ${DATASET_SCHEMA} head: expected {"schema":…,"meta":{…},"items":[ on one line`);
    const doc = this.parseJson(`${text}]}`, 'head') as Partial<Dataset<B>>;
    if (doc.schema !== DATASET_SCHEMA)
      this.fail(`dataset schema is ${JSON.stringify(doc.schema)}, expected ${DATASET_SCHEMA}`);
    const meta = doc.meta;
    if (typeof meta !== 'object' || meta === null) this.fail('dataset has no meta object');
    if (typeof meta.count !== 'number') this.fail('dataset meta has no count');
    return { schema: DATASET_SCHEMA, meta };
  }

  private parseJson(text: string, what: string): Record<string, unknown> {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.fail(`${what} is not valid JSON (truncated?)`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      this.fail(`${what} is not a JSON object`);
    return value as Record<string, unknown>;
  }

  private fail(reason: string): never {
    throw new DatasetFormatError(this.source, this.lineNo, reason);
  }
}

/** Parses a dataset file's text (readDataset.ts streams a file); throws DatasetFormatError. */
export function parseDataset<B extends PayloadBody = PayloadBody>(
  text: string,
  source = 'dataset',
): Dataset<B> {
  const parser = new DatasetLineParser<B>(source);
  const lines = text.split('\n');
  // A final newline ends the last line; it does not start another (as the line reader counts).
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((line, i) => {
    parser.line(line.endsWith('\r') ? line.slice(0, -1) : line, i + 1);
  });
  return parser.finish();
}
