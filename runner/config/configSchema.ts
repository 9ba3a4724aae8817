// The shape of pipesoak.config.ts: strict objects (an unknown key is a typo, so it is an error),
// durations as strings turned into ms, and an SLO default for every row of DESIGN section 1 taken
// from the system contract (record/contract.ts), the one place those numbers live.
import { z } from 'zod';
import type { CollectorTarget } from '../../collectors/collectorTarget.ts';
import { PLAIN_IDENTIFIER } from '../../collectors/outbox/outboxQueries.ts';
import { formatDuration } from '../../record/duration.ts';
import { positive, slosSchema } from '../../record/sloConfig.ts';
import { duration, typeError } from '../../record/zodFields.ts';

function url(protocols: string[]) {
  return z.string({ error: typeError('must be a URL string') }).check((ctx) => {
    let parsed: URL;
    try {
      parsed = new URL(ctx.value);
    } catch {
      ctx.issues.push({ code: 'custom', message: `"${ctx.value}" is not a URL`, input: ctx.value });
      return;
    }
    if (!protocols.includes(parsed.protocol)) {
      ctx.issues.push({
        code: 'custom',
        message: `must be a ${protocols.join(' or ')} URL (got ${parsed.protocol})`,
        input: ctx.value,
      });
    }
  });
}

const name = z.string({ error: typeError('must be a string') }).min(1, { error: 'must not be empty' });
const identifier = z
  .string({ error: 'must be a string' })
  .regex(PLAIN_IDENTIFIER, { error: 'must be a plain SQL identifier' });
const wholeAtLeast = (min: number) =>
  z
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(min, { error: `must be at least ${min}` });

const targetSchema = z.strictObject({
  gatewayUrl: url(['http:', 'https:']),
  databaseUrl: url(['postgres:', 'postgresql:']),
  natsUrl: url(['nats:', 'tls:', 'ws:', 'wss:']),
  workerMetricsUrl: url(['http:', 'https:']),
  stream: name,
  consumer: name,
  dlqStream: name,
  dlqConsumer: name,
  applications: z.strictObject({ worker: name, relay: name, gateway: name, sink: name }),
  outbox: z.strictObject({
    table: identifier,
    idColumn: identifier,
    createdAtColumn: identifier,
    publishedAtColumn: identifier,
  }),
  completionQuery: z
    .string({ error: 'must be a SQL string' })
    .refine((q) => q.includes('$1') && q.includes('$2'), {
      error: 'must use $1 (the completed_at cursor) and $2 (the page size)',
    }),
});

const loadSchema = z
  .strictObject({
    /** Events per second, open model. */
    rate: positive,
    duration: duration({ positive: true }),
    /** Left out of the SLO summary: caches, JIT and pools fill up first. */
    warmUp: duration().default(0),
    vus: z
      .strictObject({ preAllocated: wholeAtLeast(1).default(10), max: wholeAtLeast(1).default(200) })
      .prefault({}),
    seed: wholeAtLeast(0).default(1),
  })
  .superRefine((load, ctx) => {
    if (load.warmUp >= load.duration) {
      ctx.addIssue({
        code: 'custom',
        path: ['warmUp'],
        message: `must be shorter than load.duration (${formatDuration(load.duration)})`,
      });
    }
    if (load.vus.max < load.vus.preAllocated) {
      ctx.addIssue({
        code: 'custom',
        path: ['vus', 'max'],
        message: `must be at least vus.preAllocated (${load.vus.preAllocated})`,
      });
    }
  });

/** `pipesoak capacity`: every field optional; runner/capacity/capacitySettings.ts fills the defaults. */
const capacitySchema = z.strictObject({
  /** How a sweep puts each setting in force: a shell command with {name} placeholders, then a wait. */
  apply: z
    .strictObject({
      command: name,
      ready: z
        .strictObject({
          /** Polled until it exits 0. */
          command: name.optional(),
          /** Polled until it answers 2xx. */
          url: url(['http:', 'https:']).optional(),
          timeout: duration({ positive: true }).optional(),
        })
        .refine((r) => r.command !== undefined || r.url !== undefined, {
          error: 'needs a command or a url to wait for',
        })
        .optional(),
    })
    .optional(),
  step: z
    .strictObject({
      duration: duration({ positive: true }).optional(),
      warmUp: duration().optional(),
      coolDown: duration().optional(),
    })
    .optional(),
  search: z
    .strictObject({
      startRate: positive.optional(),
      factor: z
        .number({ error: 'must be a number' })
        .refine((f) => f > 1, { error: 'must be above 1' })
        .optional(),
      precision: z
        .number({ error: 'must be a number' })
        .refine((p) => p > 0 && p < 1, { error: 'must be above 0 and below 1 (0.05 = 5%)' })
        .optional(),
      maxRate: positive.optional(),
      minRate: positive.optional(),
      maxSteps: wholeAtLeast(1).optional(),
      confirmFailures: z.boolean({ error: 'must be true or false' }).optional(),
    })
    .optional(),
});

export const configSchema = z.strictObject({
  target: targetSchema,
  load: loadSchema,
  collectors: z
    .strictObject({
      interval: duration({ positive: true }).default(1000),
      otel: z.strictObject({ endpoint: url(['http:', 'https:']).optional() }).optional(),
    })
    .prefault({}),
  slos: slosSchema,
  /** How long the end of a run waits for the pipeline to empty before counting. */
  drainTimeout: duration().default(60_000),
  capacity: capacitySchema.optional(),
  secrets: z
    .strictObject({
      /** Key names (case-insensitive substrings) redacted besides secret, token, password, key. */
      redactKeys: z.array(name).default([]),
    })
    .prefault({}),
});

/** What a user writes in pipesoak.config.ts (durations as strings, defaults optional). */
export type ConfigInput = z.input<typeof configSchema>;
/** A validated config: durations in ms, every default filled in. */
export type Config = z.output<typeof configSchema>;

// The collectors take the target as it is validated here; a field they need that the schema lacks
// is a type error at this line, not a run without samples.
const targetFitsCollectors: (target: Config['target']) => CollectorTarget = (target) => target;
void targetFitsCollectors;
