// spike: the config's rate, then SPIKE_FACTOR times it for a tenth of the run (reached in 1 s),
// then back: does the backlog drain, and how long does it take?
import type { IterationContext, LoadSettings } from 'pipesoak/scenario';
import { vus } from './shared/arrivalRate.ts';
import { chatBody } from './shared/bodies.ts';

const SPIKE_FACTOR = 5;
const EDGE_MS = 1000;

/** A seeded dataset of chat messages from generators/ (item k mod N). */
export const dataset = { kind: 'chat' as const };

export function options(load: LoadSettings) {
  const d = load.durationMs;
  const spike = Math.max(EDGE_MS, Math.round(d * 0.1));
  const before = Math.round(d * 0.45);
  const after = d - before - spike - 2 * EDGE_MS;
  if (after <= 0) throw new Error(`spike needs a duration of at least ${10 * EDGE_MS} ms (got ${d})`);
  const peak = load.rate * SPIKE_FACTOR;
  return {
    scenarios: {
      spike: {
        executor: 'ramping-arrival-rate' as const,
        startRate: load.rate,
        stages: [
          { target: load.rate, duration: before },
          { target: peak, duration: EDGE_MS },
          { target: peak, duration: spike },
          { target: load.rate, duration: EDGE_MS },
          { target: load.rate, duration: after },
        ],
        // The spike needs more slots than the base rate: they come from maxVUs, on demand.
        ...vus(load),
      },
    },
  };
}

export default async function (ctx: IterationContext) {
  const res = await ctx.http.post(`${ctx.target.gatewayUrl}/api/messages`, { json: chatBody(ctx) });
  ctx.check(res, { 'message accepted (202)': (r) => r.status === 202 });
}
