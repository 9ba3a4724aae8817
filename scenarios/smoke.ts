// smoke: a few messages and a health check, to see that the pipeline answers before a real run.
// At most 5/s for at most 30 s, whatever the config asks for.
import type { IterationContext, LoadSettings } from 'pipesoak/scenario';
import { chatBody } from './shared/bodies.ts';

const MAX_RATE = 5;
const MAX_DURATION_MS = 30_000;

/** A seeded dataset of chat messages from generators/ (item k mod N). */
export const dataset = { kind: 'chat' as const };

export function options(load: LoadSettings) {
  return {
    scenarios: {
      smoke: {
        executor: 'constant-arrival-rate' as const,
        rate: Math.min(load.rate, MAX_RATE),
        duration: Math.min(load.durationMs, MAX_DURATION_MS),
        preAllocatedVUs: 2,
        maxVUs: Math.max(2, Math.min(load.vus.max, 10)),
      },
    },
  };
}

export default async function (ctx: IterationContext) {
  const health = await ctx.http.get(`${ctx.target.gatewayUrl}/healthz`);
  ctx.check(health, { 'gateway healthy (200)': (r) => r.status === 200 });
  const res = await ctx.http.post(`${ctx.target.gatewayUrl}/api/messages`, {
    json: chatBody(ctx),
    read: 'json',
  });
  ctx.check(res, {
    'message accepted (202)': (r) => r.status === 202,
    'correlation id echoed': (r) =>
      (r.json as { correlationId?: string }).correlationId === ctx.correlationId,
  });
}
