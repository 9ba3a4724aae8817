// The timeline events of series.ndjson (wire types, checked with zod where reports read them) and
// their typed writers, so no event name is spelled outside this file:
//   run.start / run.end      the runner: who, when, which SLOs; how it ended
//   load.end                 the runner: the engine's schedule ended (the drain starts)
//   integrity                the checker's counts after the drain
//   fault.start / fault.end  a fault window of the schedule, paired by id
//   outbox.guard             a fault run's proof that no outbox row changed (faults/outboxGuard.ts)
//   collector.gap.*          a collector's backend unreachable, then back
//   advisories               ack sampling off, a Prometheus metric missing, a process exited
import { z } from 'zod';

export const EVENT = {
  runStart: 'run.start',
  runEnd: 'run.end',
  loadEnd: 'load.end',
  integrity: 'integrity',
  faultStart: 'fault.start',
  faultEnd: 'fault.end',
  outboxGuard: 'outbox.guard',
  collectorGapStart: 'collector.gap.start',
  collectorGapEnd: 'collector.gap.end',
  ackSamplingOff: 'jetstream.ack_sampling_off',
  prometheusMetricMissing: 'prometheus.metric_missing',
  processExited: 'harness.process.exited',
  collectorsFlushFailed: 'collectors.flush.failed',
} as const;

export type EventName = (typeof EVENT)[keyof typeof EVENT];

/** Where events go: a Recorder, an IntervalStore or a SeriesWriter. */
export interface EventSink {
  event(kind: string, data: Record<string, unknown>, atMs?: number): void;
}

const count = z.number().int().min(0);

/** One part of a segmented run, as a merged folder's run.start lists its parts. */
export const runSegmentWire = z.object({
  segment: z.string().min(1),
  loadOnly: z.boolean(),
  /** The segment's run folder, as given to `pipesoak merge`. */
  folder: z.string().optional(),
});

export const runStartWire = z.object({
  t: z.number(),
  event: z.literal(EVENT.runStart),
  id: z.string().min(1),
  scenario: z.string().min(1),
  seed: z.number().int().nullable().default(null),
  warmUpMs: z.number().min(0).default(0),
  /** Already redacted by the runner (record/redact.ts). */
  target: z.record(z.string(), z.unknown()).default({}),
  /** The validated `slos` section of the run's config; defaults when absent. */
  slos: z.unknown().optional(),
  /** This process's share of a segmented run, as `--segment` spells it (`1/3:2/3`); absent: the whole run. */
  segment: z.string().min(1).optional(),
  /** All processes' shares, as `--segment-sequence` spells it (`0,1/3,2/3,1`). */
  segmentSequence: z.string().min(1).optional(),
  /**
   * true when this process ran only the load: no collectors, no integrity check (those run in
   * segment 0 or the coordinator). Absent: a segment that starts after 0 is load-only.
   */
  loadOnly: z.boolean().optional(),
  /** A merged run (`pipesoak merge`): the segments it was merged from, in order. */
  segments: z.array(runSegmentWire).optional(),
});

export const runEndWire = z.object({
  t: z.number(),
  event: z.literal(EVENT.runEnd),
  /** true when the run stopped early (Ctrl-C, engine crash): the report says partial. */
  interrupted: z.boolean().default(false),
  reason: z.string().optional(),
  /** What the engine offered and achieved: report.json's `load` section (DESIGN section 4). */
  load: z.record(z.string(), z.union([z.number(), z.boolean(), z.null()])).optional(),
  /** Said by the engine about its own health, e.g. why the generator counts as saturated. */
  loadNotes: z.array(z.string()).optional(),
});

/** The engine's schedule ended, before the drain: gauges are judged up to here (reports/steadyWindow.ts). */
export const loadEndWire = z.object({
  t: z.number(),
  event: z.literal(EVENT.loadEnd),
});

export const integrityWire = z.object({
  t: z.number(),
  event: z.literal(EVENT.integrity),
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

export const faultStartWire = z.object({
  t: z.number(),
  event: z.literal(EVENT.faultStart),
  id: z.string().min(1),
  /** The kind of fault, e.g. `pause`, `latency`, `kill`. */
  what: z.string().default(''),
  /** The component it hits, e.g. `nats`, `postgres`, `worker`. */
  where: z.string().default(''),
});

export const faultEndWire = z.object({
  t: z.number(),
  event: z.literal(EVENT.faultEnd),
  id: z.string().min(1),
});

export type RunStartWire = z.output<typeof runStartWire>;
export type RunSegmentWire = z.output<typeof runSegmentWire>;
export type RunEndWire = z.output<typeof runEndWire>;
export type LoadEndWire = z.output<typeof loadEndWire>;
const outboxChecksumWire = z.object({ count, checksum: z.string() });
const outboxComparisonWire = z.object({
  before: outboxChecksumWire,
  after: outboxChecksumWire,
  unchanged: z.boolean(),
});

/** The outbox guard's before/after checksums: rows created before the run, and during the load. */
export const outboxGuardWire = outboxComparisonWire.extend({
  t: z.number(),
  event: z.literal(EVENT.outboxGuard),
  preRun: outboxComparisonWire,
  window: outboxComparisonWire,
});

export type IntegrityWire = z.output<typeof integrityWire>;
export type OutboxGuardWire = z.output<typeof outboxGuardWire>;
export type FaultStartWire = z.output<typeof faultStartWire>;
export type FaultEndWire = z.output<typeof faultEndWire>;

type Fields<W> = Omit<W, 't' | 'event'>;

export function writeRunStart(
  sink: EventSink,
  fields: Omit<z.input<typeof runStartWire>, 't' | 'event'>,
  atMs?: number,
): void {
  sink.event(EVENT.runStart, fields, atMs);
}

export function writeRunEnd(
  sink: EventSink,
  fields: Omit<z.input<typeof runEndWire>, 't' | 'event'>,
  atMs?: number,
): void {
  sink.event(EVENT.runEnd, fields, atMs);
}

export function writeLoadEnd(sink: EventSink, atMs?: number): void {
  sink.event(EVENT.loadEnd, {}, atMs);
}

/** `extra` carries counts readers may ignore (unexpected, recovered, uncertain). */
export function writeIntegrity(
  sink: EventSink,
  fields: Fields<IntegrityWire> & Record<string, unknown>,
  atMs?: number,
): void {
  sink.event(EVENT.integrity, fields, atMs);
}

export function writeFaultStart(
  sink: EventSink,
  fields: Fields<FaultStartWire> & { params?: Record<string, unknown> },
  atMs?: number,
): void {
  sink.event(EVENT.faultStart, fields, atMs);
}

/** `extra`: what the undo measured (e.g. rows seen), or `error` when apply or undo failed. */
export function writeFaultEnd(
  sink: EventSink,
  fields: Fields<FaultEndWire> & { what?: string; where?: string } & Record<string, unknown>,
  atMs?: number,
): void {
  sink.event(EVENT.faultEnd, fields, atMs);
}

export function writeOutboxGuard(sink: EventSink, fields: Fields<OutboxGuardWire>, atMs?: number): void {
  sink.event(EVENT.outboxGuard, fields, atMs);
}

export function writeCollectorGapStart(
  sink: EventSink,
  fields: { collector: string; error: string },
  atMs?: number,
): void {
  sink.event(EVENT.collectorGapStart, fields, atMs);
}

export function writeCollectorGapEnd(
  sink: EventSink,
  fields: { collector: string; gapMs: number },
  atMs?: number,
): void {
  sink.event(EVENT.collectorGapEnd, fields, atMs);
}

export function writeAckSamplingOff(sink: EventSink, fields: Record<string, string>, atMs?: number): void {
  sink.event(EVENT.ackSamplingOff, fields, atMs);
}

export function writePrometheusMetricMissing(
  sink: EventSink,
  fields: { collector: string; metric: string; as: string; url: string },
  atMs?: number,
): void {
  sink.event(EVENT.prometheusMetricMissing, fields, atMs);
}

export function writeProcessExited(
  sink: EventSink,
  fields: { pid: number; process: string },
  atMs?: number,
): void {
  sink.event(EVENT.processExited, fields, atMs);
}

export function writeCollectorsFlushFailed(sink: EventSink, fields: { error: string }, atMs?: number): void {
  sink.event(EVENT.collectorsFlushFailed, fields, atMs);
}
