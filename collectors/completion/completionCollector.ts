// Completion collector: the SQL end-to-end probe. A configured query returns the completions since
// a cursor; each row records `e2e.latency` = completed_at - accepted_at (ms) and counts as completed.
// The query's contract: columns (correlation_id text, accepted_at timestamptz, completed_at timestamptz),
// `$1` the cursor (completed_at > $1), ordered by completed_at, `LIMIT $2`.
import type pg from 'pg';
import { METRIC } from '../../record/metricCatalog.ts';
import type { Recorder } from '../../record/recorder.ts';
import type { Collector } from '../collector.ts';
import { COLLECTOR_APPLICATION_NAME, createReadOnlyPool } from '../readOnlyPool.ts';

export interface CompletionCollectorConfig {
  databaseUrl: string;
  /** The target's completion query (`target.completionQuery`); there is no default. */
  query: string;
  applicationName?: string;
  /** Rows per query (`$2`); doubled for one query when a page holds nothing but one timestamp. */
  pageSize?: number;
  /** Rows read per sample at most; the rest wait for the next sample. */
  maxRowsPerSample?: number;
  /** Completions stamped less than this long ago are read later, so a late commit is not skipped. */
  settleMs?: number;
  /** Keep every correlation id seen, for the integrity checker; off by default (memory grows with the run). */
  keepCorrelationIds?: boolean;
}

export const COMPLETION_COLLECTOR_DEFAULTS = {
  applicationName: COLLECTOR_APPLICATION_NAME,
  pageSize: 5_000,
  maxRowsPerSample: 50_000,
  settleMs: 1_000,
  keepCorrelationIds: false,
} as const;

/** Wire row of the wrapped query; timestamps as text so the cursor keeps microseconds. */
interface CompletionRow {
  correlation_id: string | null;
  completed_at: string;
  latency_ms: string | null;
  settled: boolean;
}

/** Wraps the configured query so Postgres computes the latency exactly and marks unsettled rows. */
function wrap(query: string): string {
  const inner = query.trim().replace(/;\s*$/, '');
  return `SELECT c.correlation_id::text AS correlation_id, c.completed_at::text AS completed_at,
      EXTRACT(EPOCH FROM c.completed_at - c.accepted_at) * 1000 AS latency_ms,
      c.completed_at <= $3::timestamptz AS settled
    FROM (${inner}) AS c ORDER BY c.completed_at`;
}

export class CompletionCollector implements Collector {
  readonly name = 'completion';
  /** Completions seen since start. */
  completedCount = 0;
  /** Completions whose accepted_at was null: counted, but without a latency. */
  missingAcceptedCount = 0;
  private readonly ids: string[] | undefined;
  private readonly config: Required<CompletionCollectorConfig>;
  private readonly sql: string;
  private pool: pg.Pool | undefined;
  private recorder: Recorder | undefined;
  private cursor = '-infinity';

  constructor(config: CompletionCollectorConfig) {
    this.config = { ...COMPLETION_COLLECTOR_DEFAULTS, ...config };
    const { pageSize, maxRowsPerSample, settleMs, query } = this.config;
    if (!(pageSize >= 1) || !(maxRowsPerSample >= pageSize) || !(settleMs >= 0)) {
      throw new Error(
        'completion collector: need pageSize >= 1, maxRowsPerSample >= pageSize and settleMs >= 0',
      );
    }
    if (!query.includes('$1') || !query.includes('$2')) {
      throw new Error('completion collector: query must use $1 (cursor) and $2 (limit)');
    }
    this.sql = wrap(query);
    this.ids = this.config.keepCorrelationIds ? [] : undefined;
  }

  /** Correlation ids seen since start, when keepCorrelationIds is on. */
  get correlationIds(): readonly string[] {
    if (this.ids === undefined) throw new Error('completion collector: keepCorrelationIds is off');
    return this.ids;
  }

  async start(recorder: Recorder): Promise<void> {
    this.recorder = recorder;
    this.pool = createReadOnlyPool(this.config.databaseUrl, this.config.applicationName);
    // The database's clock stamps completions, so "from now on" is its now, not ours.
    const { rows } = await this.pool.query<{ now: string }>('SELECT clock_timestamp()::text AS now');
    this.cursor = rows[0]?.now ?? '-infinity';
  }

  async sample(): Promise<void> {
    const { pool, recorder } = this.started();
    const { rows: horizonRows } = await pool.query<{ horizon: string }>(
      `SELECT (clock_timestamp() - $1::double precision * interval '1 millisecond')::text AS horizon`,
      [this.config.settleMs],
    );
    const horizon = horizonRows[0]?.horizon;
    if (horizon === undefined) throw new Error('completion collector: no horizon');

    let read = 0;
    let widen = 1;
    while (read < this.config.maxRowsPerSample) {
      // One row over what is left: a full page leaves its last timestamp for later, so this lands on the cap.
      const limit = Math.min(this.config.pageSize, this.config.maxRowsPerSample - read + 1) * widen;
      const { rows } = await pool.query<CompletionRow>(this.sql, [this.cursor, limit, horizon]);
      const settled = rows.findIndex((row) => !row.settled);
      const take = this.pageTake(rows, settled === -1 ? rows.length : settled, limit);
      if (take === undefined) {
        // A full page of one timestamp: the cursor cannot step inside it, so widen this query.
        widen *= 2;
        continue;
      }
      widen = 1;
      for (let i = 0; i < take; i++) this.complete(rows[i] as CompletionRow, recorder);
      const last = rows[take - 1];
      if (last !== undefined) this.cursor = last.completed_at;
      read += take;
      // Done once the page ended before the limit or reached rows past the horizon.
      if (rows.length < limit || settled !== -1) break;
    }
  }

  async stop(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
  }

  /**
   * How many leading rows to take. The cursor is `completed_at > $1`, so on a full page the rows
   * sharing the last timestamp are left for the next query, which reads all of them (some may lie
   * beyond the LIMIT). Undefined when the whole full page is that one timestamp.
   */
  private pageTake(rows: CompletionRow[], settled: number, limit: number): number | undefined {
    if (settled < rows.length || rows.length < limit) return settled;
    const lastAt = rows[rows.length - 1]?.completed_at;
    const firstOfLast = rows.findIndex((row) => row.completed_at === lastAt);
    return firstOfLast === 0 ? undefined : firstOfLast;
  }

  private complete(row: CompletionRow, recorder: Recorder): void {
    this.completedCount++;
    if (row.correlation_id !== null) this.ids?.push(row.correlation_id);
    if (row.latency_ms === null) this.missingAcceptedCount++;
    else recorder.recordLatency(METRIC.e2eLatency, Number(row.latency_ms));
  }

  private started(): { pool: pg.Pool; recorder: Recorder } {
    if (this.pool === undefined || this.recorder === undefined)
      throw new Error('completion collector is not started');
    return { pool: this.pool, recorder: this.recorder };
  }
}
