// poison-mix: steady's shape with a share of poison messages (`poison: true`, which the reference
// sink rejects) to exercise retries and the DLQ. With a dataset, its poison items are the poison
// (pipesoak generate --poison-share S); without one, PIPESOAK_POISON_SHARE (default 0.05) of the
// iterations, picked by k so the share is exact over any stretch of the run.
import type { IterationContext, LoadSettings } from 'pipesoak/scenario';
import { vus } from './shared/arrivalRate.ts';
import { chatBody, pickedByShare } from './shared/bodies.ts';

const DEFAULT_POISON_SHARE = 0.05;

function poisonShare(): number {
  const raw = process.env.PIPESOAK_POISON_SHARE;
  if (raw === undefined || raw === '') return DEFAULT_POISON_SHARE;
  const share = Number(raw);
  if (!(share >= 0 && share <= 1))
    throw new Error(`PIPESOAK_POISON_SHARE must be a number from 0 to 1 (got "${raw}")`);
  return share;
}

export function options(load: LoadSettings) {
  poisonShare(); // a bad share fails the run before it starts
  return {
    scenarios: {
      'poison-mix': {
        executor: 'constant-arrival-rate' as const,
        rate: load.rate,
        duration: load.durationMs,
        ...vus(load),
      },
    },
  };
}

const share = poisonShare();

export default async function (ctx: IterationContext) {
  const poison = ctx.data === undefined ? pickedByShare(ctx.k, share) : undefined;
  const body = chatBody(ctx, poison);
  const res = await ctx.http.post(`${ctx.target.gatewayUrl}/api/messages`, {
    json: body,
    name: body.poison ? 'POST /api/messages poison' : 'POST /api/messages',
  });
  ctx.check(res, { 'message accepted (202)': (r) => r.status === 202 });
  if (body.poison) ctx.metrics.counter('poison_sent').add(1);
}
