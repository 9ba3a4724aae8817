// soak: the config's rate for a long time (hours). The shape is steady's; what differs is what a
// soak looks for (drift in lag, memory and table bloat), and a longer graceful stop for a backlog.
import type { IterationContext, LoadSettings } from 'pipesoak/scenario';
import { vus } from './shared/arrivalRate.ts';
import { chatBody } from './shared/bodies.ts';

/** A seeded dataset of chat messages from generators/ (item k mod N). */
export const dataset = { kind: 'chat' as const };

export function options(load: LoadSettings) {
  return {
    scenarios: {
      soak: {
        executor: 'constant-arrival-rate' as const,
        rate: load.rate,
        duration: load.durationMs,
        gracefulStop: '60s',
        ...vus(load),
      },
    },
  };
}

export default async function (ctx: IterationContext) {
  const res = await ctx.http.post(`${ctx.target.gatewayUrl}/api/messages`, { json: chatBody(ctx) });
  ctx.check(res, { 'message accepted (202)': (r) => r.status === 202 });
}
