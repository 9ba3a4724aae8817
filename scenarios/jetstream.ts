// jetstream: domain events published straight into the target's stream, bypassing the gateway and
// the outbox, each with msgID = its correlation id `<runId>-<k>` (unique per iteration already, and
// the same on a re-run of the same run id, so the stream de-duplicates it; no hash needed). Subject: <the stream's subject prefix>.<eventType>.
import type { IterationContext, LoadSettings } from 'pipesoak/scenario';
import { vus } from './shared/arrivalRate.ts';
import { eventBody } from './shared/bodies.ts';

/** Seeded domain events from generators/ (item k mod N). */
export const dataset = { kind: 'event' as const };

export function options(load: LoadSettings) {
  return {
    scenarios: {
      jetstream: {
        executor: 'constant-arrival-rate' as const,
        rate: load.rate,
        duration: load.durationMs,
        ...vus(load),
      },
    },
  };
}

let prefix: Promise<string> | undefined;

/** "events.>" → "events": the stream's first subject filter, asked once per worker. */
function subjectPrefix(ctx: IterationContext): Promise<string> {
  const stream = ctx.target.stream;
  if (typeof stream !== 'string') throw new Error('the jetstream scenario needs target.stream in the config');
  prefix ??= ctx.jetstream.streamSubjects(stream).then((subjects) => {
    const wildcard = subjects.find((s) => s.endsWith('.>'));
    if (!wildcard)
      throw new Error(`stream ${stream} has no "<prefix>.>" subject (it has ${subjects.join(', ')})`);
    return wildcard.slice(0, -2);
  });
  prefix.catch(() => {
    prefix = undefined; // ask again next iteration
  });
  return prefix;
}

export default async function (ctx: IterationContext) {
  const body = eventBody(ctx);
  const ack = await ctx.jetstream.publish(`${await subjectPrefix(ctx)}.${body.eventType}`, body, {
    msgID: ctx.correlationId,
  });
  ctx.check(ack, { 'stored in the stream': (a) => a.stream === ctx.target.stream });
}
