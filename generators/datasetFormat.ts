// The dataset file format, shared by the generator and the scenarios. Kept free of faker
// and of Node built-ins so a scenario bundle that reads a dataset stays a few kilobytes.
//
// One JSON document, not NDJSON: a scenario loads it with a single native JSON.parse
// (`new SharedArray('items', () => parseDataset(open(path)).items)`), where splitting and parsing a
// million lines in JavaScript would be far slower. The metadata sits inside, on the first line, so a
// dataset and its description cannot drift apart; each item has a line of its own, so `head`, `grep`
// and diffs work on it:
//
//   {"schema":"pipesoak.dataset/v1","meta":{...},"items":[
//   {"seq":0,"correlationId":"run-0","traceparent":"00-…-01","body":{...}},
//   ...
//   ]}

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

/**
 * Parses a dataset file's text. Checks the envelope and the first item's shape (not every item:
 * a scenario parses a million of them at start-up); throws an error naming what is wrong.
 */
export function parseDataset<B extends PayloadBody = PayloadBody>(text: string): Dataset<B> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Error(`dataset is not valid JSON (truncated?): ${(err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null) throw new Error('dataset is not a JSON object');
  const d = doc as Partial<Dataset<B>>;
  if (d.schema !== DATASET_SCHEMA)
    throw new Error(`dataset schema is ${JSON.stringify(d.schema)}, expected ${DATASET_SCHEMA}`);
  if (typeof d.meta !== 'object' || d.meta === null) throw new Error('dataset has no meta object');
  if (!Array.isArray(d.items)) throw new Error('dataset has no items array');
  if (d.items.length !== d.meta.count)
    throw new Error(`dataset has ${d.items.length} items, its meta says ${d.meta.count}`);
  const first = d.items[0];
  if (
    first &&
    (first.seq !== 0 ||
      typeof first.correlationId !== 'string' ||
      typeof first.traceparent !== 'string' ||
      typeof first.body !== 'object')
  ) {
    throw new Error('dataset item 0 lacks seq 0, correlationId, traceparent or body');
  }
  return d as Dataset<B>;
}
