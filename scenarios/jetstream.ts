// jetstream: domain events published straight into the target's stream, bypassing the gateway and
// the outbox, each with msgID = its correlation id `<runId>-<k>` (unique per iteration already, and
// the same on a re-run of the same run id, so the stream de-duplicates it; no hash needed). Subject: <the stream's subject prefix>.<eventType>.
import type { IterationContext, LoadSettings } from 'pipesoak/scenario';
import { vus } from './shared/arrivalRate.ts';
import { eventBytes, eventType } from './shared/bodies.ts';

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
// Once known: later iterations neither await the look-up nor build the subject again.
let known: string | undefined;
const subjectOfType = new Map<string, string>();
/** A dataset with more event types than this builds the rest per message. */
const SUBJECT_CACHE = 1024;

/** "events.>" → "events": the stream's first subject filter, asked once per worker. */
function subjectPrefix(ctx: IterationContext): Promise<string> {
  const stream = ctx.target.stream;
  if (typeof stream !== 'string') throw new Error('the jetstream scenario needs target.stream in the config');
  prefix ??= ctx.jetstream.streamSubjects(stream).then((subjects) => {
    const wildcard = subjects.find((s) => s.endsWith('.>'));
    if (!wildcard)
      throw new Error(`stream ${stream} has no "<prefix>.>" subject (it has ${subjects.join(', ')})`);
    known = wildcard.slice(0, -2);
    return known;
  });
  prefix.catch(() => {
    prefix = undefined; // ask again next iteration
  });
  return prefix;
}

/** The check's predicate, made once rather than per iteration. */
const STORED = { 'stored in the stream': (ok: boolean) => ok };

export default async function (ctx: IterationContext) {
  const type = eventType(ctx);
  const base = known ?? (await subjectPrefix(ctx));
  let subject = subjectOfType.get(type);
  if (subject === undefined) {
    subject = `${base}.${type}`;
    if (subjectOfType.size < SUBJECT_CACHE) subjectOfType.set(type, subject);
  }
  // The event's JSON, byte for byte JSON.stringify(eventBody(ctx)), from a template per dataset item.
  const ack = await ctx.jetstream.publish(subject, eventBytes(ctx), { msgID: ctx.correlationId });
  ctx.check(ack.stream === ctx.target.stream, STORED);
}
