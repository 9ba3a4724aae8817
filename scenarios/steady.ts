// steady: the config's rate for its duration, open model, POST /api/messages with dataset bodies.
// The baseline the other shapes are compared with.
import type { IterationContext, LoadSettings } from 'pipesoak/scenario';
import { vus } from './shared/arrivalRate.ts';
import { chatBody } from './shared/bodies.ts';

/** A seeded dataset of chat messages from generators/ (item k mod N). */
export const dataset = { kind: 'chat' as const };

export function options(load: LoadSettings) {
  return {
    scenarios: {
      steady: {
        executor: 'constant-arrival-rate' as const,
        rate: load.rate,
        duration: load.durationMs,
        ...vus(load),
      },
    },
  };
}

export default async function (ctx: IterationContext) {
  const res = await ctx.http.post(`${ctx.target.gatewayUrl}/api/messages`, { json: chatBody(ctx) });
  ctx.check(res, { 'message accepted (202)': (r) => r.status === 202 });
}
