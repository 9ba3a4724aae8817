// Bench scenario: the config's rate, open model, GET <gatewayUrl>/ — the same request wrk and
// autocannon send, so the HTTP bench compares clients and not request shapes.
import type { IterationContext, LoadSettings } from 'pipesoak/scenario';

export function options(load: LoadSettings) {
  return {
    scenarios: {
      httpGet: {
        executor: 'constant-arrival-rate' as const,
        rate: load.rate,
        duration: load.durationMs,
        preAllocatedVUs: load.vus.preAllocated,
        maxVUs: load.vus.max,
      },
    },
  };
}

export default async function (ctx: IterationContext) {
  await ctx.http.get(`${ctx.target.gatewayUrl}/`);
}
