// The timeline events a run writes into series.ndjson that reports read back (wire types, checked
// with zod): `run.start` (who, when, what SLOs), `run.end` (how it ended), `integrity` (the
// checker's counts after the drain). Written by the runner; the names live here, once.
import { z } from 'zod';

export const RUN_START_EVENT = 'run.start';
export const RUN_END_EVENT = 'run.end';
export const INTEGRITY_EVENT = 'integrity';
export const ACK_SAMPLING_OFF_EVENT = 'jetstream.ack_sampling_off';
export const COLLECTOR_GAP_START_EVENT = 'collector.gap.start';

const count = z.number().int().min(0);

export const runStartWire = z.object({
  t: z.number(),
  event: z.literal(RUN_START_EVENT),
  id: z.string().min(1),
  scenario: z.string().min(1),
  seed: z.number().int().nullable().default(null),
  warmUpMs: z.number().min(0).default(0),
  /** Already redacted by the runner (runner/config/redact.ts). */
  target: z.record(z.string(), z.unknown()).default({}),
  /** The validated `slos` section of the run's config; defaults when absent. */
  slos: z.unknown().optional(),
});

export const runEndWire = z.object({
  t: z.number(),
  event: z.literal(RUN_END_EVENT),
  /** true when the run stopped early (Ctrl-C, engine crash): the report says partial. */
  interrupted: z.boolean().default(false),
  reason: z.string().optional(),
});

export const integrityWire = z.object({
  t: z.number(),
  event: z.literal(INTEGRITY_EVENT),
  accepted: count,
  completed: count,
  deadLettered: count,
  lost: count,
  duplicated: count,
  /** Highest delivery count of any event on the main consumer. */
  maxDeliveries: count.optional(),
  /** Highest delivery count of any dead letter on the DLQ consumer. */
  maxDlqAttempts: count.optional(),
});

export type RunStartWire = z.output<typeof runStartWire>;
export type RunEndWire = z.output<typeof runEndWire>;
export type IntegrityWire = z.output<typeof integrityWire>;
