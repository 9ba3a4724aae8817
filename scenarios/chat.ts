// chat: the synchronous path, POST /api/chat → the LLM stub → the reply, open model. Its latency
// is the LLM's plus the gateway's; nothing goes through the outbox.
import type { IterationContext, LoadSettings } from 'pipesoak/scenario';
import { vus } from './shared/arrivalRate.ts';
import { promptBody } from './shared/bodies.ts';

// The LLM stub's slow tail is seconds long; past this the iteration counts as a transport error.
const CHAT_TIMEOUT_MS = 60_000;

/** Seeded prompts from generators/ (item k mod N). */
export const dataset = { kind: 'prompt' as const };

export function options(load: LoadSettings) {
  return {
    scenarios: {
      chat: {
        executor: 'constant-arrival-rate' as const,
        rate: load.rate,
        duration: load.durationMs,
        ...vus(load),
      },
    },
  };
}

export default async function (ctx: IterationContext) {
  const res = await ctx.http.post(`${ctx.target.gatewayUrl}/api/chat`, {
    json: promptBody(ctx),
    timeout: CHAT_TIMEOUT_MS,
    read: 'json',
  });
  ctx.check(res, {
    'chat answered (200)': (r) => r.status === 200,
    'reply has text': (r) => typeof (r.json as { reply?: unknown } | undefined)?.reply === 'string',
  });
}
