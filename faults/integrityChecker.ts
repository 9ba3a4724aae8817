// The integrity checker (Jepsen's queue checker, by correlation id), run once after the drain:
// what the load generator saw accepted (accepted.ndjson) against what the target's tables show
// done (the side effect), given up on (dead-lettered) or applied twice. Scoped to the run's
// correlation ids (`<runId>-…`) so other runs in the same database do not count; reads only.
//   accepted      distinct ids in accepted.ndjson
//   completed     accepted ids whose side effect is seen
//   deadLettered  accepted ids dead-lettered and never completed
//   lost          accepted ids neither completed nor dead-lettered        → lost.txt
//   duplicated    accepted or recovered ids whose effect applied > once   → duplicated.txt
//   unexpected    ids seen downstream that were neither accepted nor uncertain (reported apart)
//   recovered     uncertain ids (outcome unknown to the generator) found completed
import { existsSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { COLLECTOR_APPLICATION_NAME, createReadOnlyPool } from '../collectors/readOnlyPool.ts';
import { readAcceptedBitmap } from '../record/acceptedBitmap.ts';
import { readAcceptedLog, readCorrelationIds } from '../record/acceptedLog.ts';
import type { CutTailOptions } from '../record/lineReader.ts';
import { type EventSink, writeIntegrity } from '../record/runEvents.ts';
import { RUN_FILES } from '../record/runFiles.ts';
import { cursorRows } from './cursorRows.ts';
import {
  type CompletedRowWire,
  completedByIdSql,
  type DeadLetteredRowWire,
  deadLetteredByIdSql,
  type IntegrityQueries,
  type MaxRowWire,
  maxDeliveriesSql,
  REFERENCE_INTEGRITY_QUERIES,
} from './integrityQueries.ts';

export interface IntegrityCheckOptions {
  /** The run folder: accepted.ndjson (and uncertain.ndjson) are read there, lost.txt and duplicated.txt written. */
  runDir: string;
  runId: string;
  databaseUrl: string;
  queries?: Partial<IntegrityQueries>;
  applicationName?: string;
  /** Where the `integrity` event goes (the run's SeriesWriter); left out, nothing is emitted. */
  series?: EventSink;
}

export interface IntegrityResult {
  accepted: number;
  completed: number;
  deadLettered: number;
  lost: number;
  duplicated: number;
  unexpected: number;
  recovered: number;
  /** Ids the generator could not tell the outcome of (uncertain.ndjson, not also accepted). */
  uncertain: number;
  /** Accepted ids both completed and dead-lettered (counted completed: the effect is there). */
  completedAndDeadLettered: number;
  /** Highest main-consumer delivery count of any event of the run; null when none was delivered. */
  maxDeliveries: number | null;
  /** Highest DLQ attempt count of any dead-lettered event; null when none was. */
  maxDlqAttempts: number | null;
  lostFile: string;
  duplicatedFile: string;
  notes: string[];
}

/** The run's correlation id prefix: the scope of every query. */
export function runPrefix(runId: string): string {
  if (runId === '') throw new Error('integrity checker: empty run id');
  return `${runId}-`;
}

// Per accepted id, which outcomes were seen.
const COMPLETED = 1;
const DEAD_LETTERED = 2;

export async function checkIntegrity(options: IntegrityCheckOptions): Promise<IntegrityResult> {
  const prefix = runPrefix(options.runId);
  const queries = { ...REFERENCE_INTEGRITY_QUERIES, ...options.queries };
  const notes: string[] = [];
  const cutTail: CutTailOptions = {
    onCutTail: (cut) =>
      notes.push(
        `${basename(cut.source)}: line ${cut.line} is cut short (the writer stopped mid-line); skipped`,
      ),
  };

  const outcomes = new Map<string, number>();
  const bitmapPath = join(options.runDir, RUN_FILES.accepted);
  const acceptedPath = join(options.runDir, RUN_FILES.acceptedLog);
  if (existsSync(bitmapPath)) {
    // The engine's record: iteration k was accepted, and it carried the id `<runId>-<k>`.
    const bitmap = readAcceptedBitmap(bitmapPath);
    if (bitmap.runId !== options.runId)
      throw new Error(`${bitmapPath}: written for run "${bitmap.runId}", not "${options.runId}"`);
    for (const k of bitmap.indices()) outcomes.set(`${prefix}${k}`, 0);
  } else if (!existsSync(acceptedPath)) {
    throw new Error(`${bitmapPath}: missing from the run folder (and no ${RUN_FILES.acceptedLog})`);
  }
  for await (const entry of existsSync(acceptedPath) ? readAcceptedLog(acceptedPath, cutTail) : []) {
    if (!entry.correlationId.startsWith(prefix)) {
      // Scoping is by prefix: an id without it could never be found, and would read as lost.
      throw new Error(
        `${acceptedPath}: correlation id "${entry.correlationId}" does not start with the run prefix "${prefix}"`,
      );
    }
    outcomes.set(entry.correlationId, 0);
  }
  const uncertainPath = join(options.runDir, RUN_FILES.uncertainLog);
  const uncertain = existsSync(uncertainPath)
    ? await readCorrelationIds(uncertainPath, cutTail)
    : new Set<string>();
  for (const id of outcomes.keys()) uncertain.delete(id);

  const pool = createReadOnlyPool(options.databaseUrl, options.applicationName ?? COLLECTOR_APPLICATION_NAME);
  let completed = 0;
  let recovered = 0;
  let deadLettered = 0;
  let completedAndDeadLettered = 0;
  const unexpected = new Set<string>();
  const duplicated: string[] = [];
  let maxDlqAttempts: number | null = null;
  let maxDeliveries: number | null;
  try {
    for await (const row of cursorRows<CompletedRowWire>(pool, completedByIdSql(queries.completed), [
      prefix,
    ])) {
      const id = row.correlation_id;
      const seen = outcomes.get(id);
      const ours = seen !== undefined || uncertain.has(id);
      if (seen !== undefined) {
        outcomes.set(id, seen | COMPLETED);
        completed++;
      } else if (ours) {
        recovered++;
      } else {
        unexpected.add(id);
      }
      if (ours && Number(row.applied) > 1) duplicated.push(id);
    }
    for await (const row of cursorRows<DeadLetteredRowWire>(pool, deadLetteredByIdSql(queries.deadLettered), [
      prefix,
    ])) {
      const id = row.correlation_id;
      if (row.dlq_attempts !== null) maxDlqAttempts = Math.max(maxDlqAttempts ?? 0, row.dlq_attempts);
      const seen = outcomes.get(id);
      if (seen === undefined) {
        if (!uncertain.has(id)) unexpected.add(id);
        continue;
      }
      outcomes.set(id, seen | DEAD_LETTERED);
      if (seen & COMPLETED) completedAndDeadLettered++;
      else deadLettered++;
    }
    const { rows } = await pool.query<MaxRowWire>(maxDeliveriesSql(queries.deliveries), [prefix]);
    maxDeliveries = rows[0]?.max ?? null;
  } finally {
    await pool.end();
  }

  const lost: string[] = [];
  for (const [id, seen] of outcomes) if (seen === 0) lost.push(id);
  const lostFile = join(options.runDir, RUN_FILES.lost);
  const duplicatedFile = join(options.runDir, RUN_FILES.duplicated);
  writeIdList(lostFile, lost);
  writeIdList(duplicatedFile, duplicated);

  const result: IntegrityResult = {
    accepted: outcomes.size,
    completed,
    deadLettered,
    lost: lost.length,
    duplicated: duplicated.length,
    unexpected: unexpected.size,
    recovered,
    uncertain: uncertain.size,
    completedAndDeadLettered,
    maxDeliveries,
    maxDlqAttempts,
    lostFile,
    duplicatedFile,
    notes,
  };
  if (options.series !== undefined) writeIntegrity(options.series, integrityEventData(result));
  return result;
}

/** The `integrity` event's fields (record/runEvents.ts), plus the extra counts readers may ignore. */
export function integrityEventData(result: IntegrityResult): Parameters<typeof writeIntegrity>[1] {
  return {
    accepted: result.accepted,
    completed: result.completed,
    deadLettered: result.deadLettered,
    lost: result.lost,
    duplicated: result.duplicated,
    // The wire type has no null: an unknown maximum is left out.
    ...(result.maxDeliveries === null ? {} : { maxDeliveries: result.maxDeliveries }),
    ...(result.maxDlqAttempts === null ? {} : { maxDlqAttempts: result.maxDlqAttempts }),
    unexpected: result.unexpected,
    recovered: result.recovered,
    uncertain: result.uncertain,
  };
}

/** Sorted (code unit order, as `LC_ALL=C sort`), one id a line; an empty file when there are none. */
function writeIdList(path: string, ids: string[]): void {
  ids.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  writeFileSync(path, ids.length === 0 ? '' : `${ids.join('\n')}\n`);
}
