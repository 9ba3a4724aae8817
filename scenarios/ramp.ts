// ramp: 0 → the config's rate over the first 40% of the duration, hold for 40%, down to 0 over
// the last 20%: where does latency start to bend as load grows?
import type { IterationContext, LoadSettings } from 'pipesoak/scenario';
import { vus } from './shared/arrivalRate.ts';
import { chatBody } from './shared/bodies.ts';

/** A seeded dataset of chat messages from generators/ (item k mod N). */
export const dataset = { kind: 'chat' as const };

export function options(load: LoadSettings) {
  const up = Math.round(load.durationMs * 0.4);
  const hold = Math.round(load.durationMs * 0.4);
  return {
    scenarios: {
      ramp: {
        executor: 'ramping-arrival-rate' as const,
        startRate: 0,
        stages: [
          { target: load.rate, duration: up },
          { target: load.rate, duration: hold },
          { target: 0, duration: load.durationMs - up - hold },
        ],
        ...vus(load),
      },
    },
  };
}

export default async function (ctx: IterationContext) {
  const res = await ctx.http.post(`${ctx.target.gatewayUrl}/api/messages`, { json: chatBody(ctx) });
  ctx.check(res, { 'message accepted (202)': (r) => r.status === 202 });
}
