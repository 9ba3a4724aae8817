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

/**
 * Exactly round-down(share × (k+1)) of the first k+1 iterations are picked: the share holds over
 * any prefix of the run and across segments, since it depends on k alone.
 */
export function pickedByShare(k: number, share: number): boolean {
  return Math.floor((k + 1) * share) > Math.floor(k * share);
}
