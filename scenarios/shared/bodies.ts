// Request and message bodies for the shipped scenarios: the dataset item's body (item k mod N,
// from `pipesoak generate`) with this iteration's correlation id, or, for a run without a dataset,
// a small body made from k so the scenario still runs.
import type { ChatBody, EventBody, IterationContext, PromptBody } from 'pipesoak/scenario';

type Ctx = IterationContext<unknown>;

function datasetBody(ctx: Ctx, has: string, kind: string): Record<string, unknown> | undefined {
  const item = ctx.data as { body?: Record<string, unknown> } | undefined;
  if (item === undefined) return undefined;
  if (typeof item.body !== 'object' || item.body === null || !(has in item.body))
    throw new Error(`this scenario needs a dataset of kind ${kind} (pipesoak generate --kind ${kind})`);
  return item.body;
}

function participants(k: number) {
  return { conversationId: `conversation-${k % 97}`, userId: `user-${k % 31}` };
}

/** POST /api/messages. `poison` is the dataset's unless given. */
export function chatBody(ctx: Ctx, poison?: boolean): ChatBody {
  const body = (datasetBody(ctx, 'conversationId', 'chat') as ChatBody | undefined) ?? {
    ...participants(ctx.k),
    text: `pipesoak message ${ctx.correlationId}`,
    correlationId: '',
  };
  const { poison: fromDataset, ...rest } = body;
  const marked = poison ?? fromDataset === true;
  return { ...rest, correlationId: ctx.correlationId, ...(marked ? { poison: true as const } : {}) };
}

/** POST /api/chat takes exactly these fields; the correlation id travels as x-correlation-id. */
export function promptBody(ctx: Ctx): PromptBody {
  const body = datasetBody(ctx, 'text', 'prompt') as PromptBody | undefined;
  const { conversationId, userId, text } = body ?? {
    ...participants(ctx.k),
    text: `Summarise message ${ctx.correlationId}`,
  };
  return { conversationId, userId, text };
}

/** A domain event for JetStream, subject `<prefix>.<eventType>`. */
export function eventBody(ctx: Ctx): EventBody {
  const body = (datasetBody(ctx, 'eventType', 'event') as EventBody | undefined) ?? {
    eventType: 'message.created',
    aggregateType: 'conversation',
    aggregateId: participants(ctx.k).conversationId,
    correlationId: '',
    data: { ...participants(ctx.k), text: `pipesoak event ${ctx.correlationId}` },
  };
  return { ...body, correlationId: ctx.correlationId };
}

// eventJson's templates: the event's JSON made once per dataset item (or per fallback shape) with
// this marker as the correlation id, split at it; an iteration joins the pieces with its own id.
// JSON escapes a string character by character, so the join is byte for byte the JSON.stringify
// of eventBody(ctx), without the spread and the whole-object stringify per message.
const MARKER = 'PIPESOAK_CORRELATION_ID_9d41c7';
const itemTemplates = new WeakMap<object, Template>();
const fallbackTemplates = new Map<number, Template>();

interface Template {
  eventType: string;
  /** undefined when the body holds the marker itself: then each message is stringified whole. */
  parts: string[] | undefined;
  /** The parts as UTF-8, made on first use by eventBytes. */
  bytes?: Buffer[];
}

function templateOf(ctx: Ctx): Template {
  const item = ctx.data;
  const byItem = typeof item === 'object' && item !== null;
  // The fallback body depends on k only through participants(k).
  const key = (ctx.k % 97) * 31 + (ctx.k % 31);
  let t = byItem ? itemTemplates.get(item) : fallbackTemplates.get(key);
  if (t === undefined) {
    const marked = eventBody({ k: ctx.k, data: item, correlationId: MARKER } as Ctx);
    const unsafe = byItem && JSON.stringify(item).includes(MARKER);
    t = { eventType: marked.eventType, parts: unsafe ? undefined : JSON.stringify(marked).split(MARKER) };
    if (byItem) itemTemplates.set(item, t);
    else fallbackTemplates.set(key, t);
  }
  return t;
}

/** eventBody(ctx).eventType, from the cached template. */
export function eventType(ctx: Ctx): string {
  return templateOf(ctx).eventType;
}

/** Exactly JSON.stringify(eventBody(ctx)), from a template made once per dataset item. */
export function eventJson(ctx: Ctx): string {
  const t = templateOf(ctx);
  if (t.parts === undefined) return JSON.stringify(eventBody(ctx));
  return t.parts.join(JSON.stringify(ctx.correlationId).slice(1, -1));
}

/**
 * Exactly Buffer.from(eventJson(ctx)), written from the template's encoded parts into one buffer
 * (a JetStream worker at 80k msgs/s spent 7% of its time joining and encoding the string). The id
 * is copied a character at a time and the parts with Uint8Array's set(): for ~30 characters both
 * beat Buffer's write() and copy(), which check their arguments in JavaScript on every call.
 */
export function eventBytes(ctx: Ctx): Uint8Array {
  const t = templateOf(ctx);
  const id = ctx.correlationId;
  if (t.parts === undefined) return Buffer.from(eventJson(ctx));
  t.bytes ??= t.parts.map((part) => Buffer.from(part));
  const parts = t.bytes;
  let size = id.length * (parts.length - 1);
  for (const part of parts) size += part.length;
  // Every byte is written below (or the buffer is dropped), so the pooled, uninitialised one is safe.
  const out = Buffer.allocUnsafe(size);
  const first = parts[0] as Buffer;
  out.set(first, 0);
  let at = first.length;
  for (let i = 1; i < parts.length; i++) {
    for (let j = 0; j < id.length; j++) {
      const c = id.charCodeAt(j);
      // Needs a JSON escape or more than one byte (run ids are [A-Za-z0-9._:-]): the general way.
      if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return Buffer.from(eventJson(ctx));
      out[at++] = c;
    }
    const part = parts[i] as Buffer;
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * Exactly round-down(share × (k+1)) of the first k+1 iterations are picked: the share holds over
 * any prefix of the run and across segments, since it depends on k alone.
 */
export function pickedByShare(k: number, share: number): boolean {
  return Math.floor((k + 1) * share) > Math.floor(k * share);
}
