// capacity.json (schema pipesoak.capacity/v1) as a wire type: the search's settings, every
// finished step with its verdict and figures, each combination's result and the best setting.
// It is also the resume state, so it is rewritten atomically after every step.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { UsageError } from '../usageError.ts';

export const CAPACITY_SCHEMA = 'pipesoak.capacity/v1';
export const CAPACITY_FILES = { json: 'capacity.json', md: 'capacity.md', html: 'capacity.html' } as const;

const criterion = z.enum(['generator-saturated', 'dropped-iterations', 'backlog-drift', 'slo']);
const rateOrNull = z.number().nullable();

const stepSchema = z.object({
  /** 1-based, in the order the combination ran them. */
  index: z.number(),
  rate: z.number(),
  attempt: z.number(),
  /** The step's run folder, relative to the capacity folder. */
  runDir: z.string(),
  exitCode: z.number(),
  sustainable: z.boolean(),
  failed: z.array(criterion),
  reasons: z.array(z.string()),
  /** A re-run that passed after the first attempt at the same rate failed. */
  flaky: z.boolean(),
  figures: z.object({
    offeredRate: z.number(),
    achievedRate: z.number(),
    e2eP99Ms: rateOrNull,
    droppedIterations: z.number(),
    dbConnectionsMax: rateOrNull,
  }),
});

const resultSchema = z.object({
  conclusion: z.enum(['found', 'generator-limit', 'max-rate', 'none-sustainable', 'step-limit']),
  note: z.string(),
  sustainableRate: rateOrNull,
  failingRate: rateOrNull,
  margin: rateOrNull,
  criterion: criterion.nullable(),
  /** db.connections max during the sustainable step; null without that gauge. */
  dbConnectionsMax: rateOrNull,
});

const comboSchema = z.object({
  id: z.string(),
  settings: z.record(z.string(), z.number()),
  steps: z.array(stepSchema),
  /** null while the combination's search has not finished. */
  result: resultSchema.nullable(),
});

export const capacityJsonSchema = z.object({
  schema: z.literal(CAPACITY_SCHEMA),
  scenario: z.string(),
  startedAt: z.string(),
  search: z.object({
    startRate: z.number(),
    factor: z.number(),
    precision: z.number(),
    maxRate: z.number(),
    minRate: z.number(),
    maxSteps: z.number(),
    confirmFailures: z.boolean(),
  }),
  step: z.object({ durationMs: z.number(), warmUpMs: z.number(), coolDownMs: z.number() }),
  sweep: z.array(z.object({ name: z.string(), values: z.array(z.number()) })),
  combos: z.array(comboSchema),
  best: z
    .object({
      id: z.string(),
      settings: z.record(z.string(), z.number()),
      sustainableRate: z.number(),
      /** The swept `pool` value, when pool is swept. */
      poolLimit: rateOrNull,
      dbConnectionsMax: rateOrNull,
      /** db.connections max <= pool; null when either is unknown. */
      withinPool: z.boolean().nullable(),
    })
    .nullable(),
  complete: z.boolean(),
});

export type CapacityJson = z.output<typeof capacityJsonSchema>;
export type CapacityStepJson = z.output<typeof stepSchema>;
export type CapacityComboJson = z.output<typeof comboSchema>;
export type CapacityResultJson = z.output<typeof resultSchema>;

/** Reads and checks a capacity.json; bad content is a UsageError naming the file and field. */
export function readCapacityJson(path: string): CapacityJson {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`${path}: ${(err as Error).message}`);
  }
  const parsed = capacityJsonSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(`${path}: ${issue?.path.join('.') || '(top)'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}
