// steady: the config's rate for its duration, open model, POST /api/messages with dataset bodies.
// The baseline every other shape is compared with.
import type { ChatBody, DatasetItem, IterationContext, LoadSettings } from 'pipesoak/scenario';

export function options(load: LoadSettings) {
  return {
    scenarios: {
      steady: {
        executor: 'constant-arrival-rate' as const,
        rate: load.rate,
        timeUnit: '1s',
        duration: load.durationMs,
        preAllocatedVUs: load.vus.preAllocated,
        maxVUs: load.vus.max,
      },
    },
  };
}

export default async function (ctx: IterationContext<DatasetItem<ChatBody> | undefined>) {
  const res = await ctx.http.post(`${ctx.target.gatewayUrl}/api/messages`, {
    json: { ...ctx.data?.body, correlationId: ctx.correlationId },
  });
  ctx.check(res, { 'message accepted (202)': (r) => r.status === 202 });
}
