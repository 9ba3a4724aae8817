// The integrity checker's SQL: the configurable queries (reference defaults here, once), the
// wrappers that aggregate whatever a configured query returns, and the rows Postgres sends back.
// Every query takes `$1` = the run's correlation id prefix (`<runId>-`) and only reads.

export interface IntegrityQueries {
  /**
   * Side effects seen, columns (correlation_id text, applied integer): how many times the effect
   * was applied. Several rows for one id add up (two facts for one request are a duplicate too).
   */
  completed: string;
  /** Events given up on, columns (correlation_id text, dlq_attempts integer or null). */
  deadLettered: string;
  /** Deliveries on the main consumer per event, columns (correlation_id text, deliveries integer). */
  deliveries: string;
}

/**
 * The reference pipeline: a fact per event in kg_facts (`deliveries` counts how often the sink
 * applied it), parked_events for the DLQ's give-ups, the inbox for delivery counts. The inbox
 * knows no correlation id, so it is joined to the outbox row it was published from (same id).
 * The inbox row counts main-consumer deliveries only, also for an event finished or parked by the
 * DLQ consumer (its attempts are in parked_events), so maxDeliveries is the retry cap's figure.
 */
export const REFERENCE_INTEGRITY_QUERIES: IntegrityQueries = {
  completed: `SELECT correlation_id, deliveries AS applied FROM kg_facts WHERE starts_with(correlation_id, $1)`,
  deadLettered: `SELECT coalesce(payload->>'correlationId', headers->>'Correlation-Id') AS correlation_id,
      dlq_attempts FROM parked_events
    WHERE starts_with(coalesce(payload->>'correlationId', headers->>'Correlation-Id'), $1)`,
  deliveries: `SELECT o.correlation_id, coalesce(p.main_deliveries, i.deliveries) AS deliveries
    FROM outbox_events AS o
    JOIN inbox AS i ON i.message_id = o.id::text
    LEFT JOIN parked_events AS p ON p.message_id = i.message_id
    WHERE starts_with(o.correlation_id, $1)`,
};

const inner = (query: string) => query.trim().replace(/;\s*$/, '');

/** One row per correlation id, streamed: the checker never holds the completed set. */
export function completedByIdSql(query: string): string {
  return `SELECT q.correlation_id::text AS correlation_id, sum(q.applied)::bigint::text AS applied
    FROM (${inner(query)}) AS q WHERE q.correlation_id IS NOT NULL GROUP BY q.correlation_id`;
}

export function deadLetteredByIdSql(query: string): string {
  return `SELECT q.correlation_id::text AS correlation_id, max(q.dlq_attempts)::int AS dlq_attempts
    FROM (${inner(query)}) AS q WHERE q.correlation_id IS NOT NULL GROUP BY q.correlation_id`;
}

export function maxDeliveriesSql(query: string): string {
  return `SELECT max(q.deliveries)::int AS max FROM (${inner(query)}) AS q`;
}

/** Wire row of completedByIdSql: bigint arrives as text. */
export interface CompletedRowWire {
  correlation_id: string;
  applied: string;
}

export interface DeadLetteredRowWire {
  correlation_id: string;
  dlq_attempts: number | null;
}

export interface MaxRowWire {
  max: number | null;
}
