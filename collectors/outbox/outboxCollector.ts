// Outbox collector: how far the relay is behind. Every sample records the gauges `outbox.pending`
// and `outbox.oldest.age`, and `outbox.lag` (published_at - created_at, ms) once per row published
// since the previous sample, walked through a (published_at, id) cursor a page at a time.
// For leaks and bloat over a soak it also records the time its pending query took and the
// table's size, dead tuples and autovacuum count.
import type pg from 'pg';
import { METRIC } from '../../record/metricCatalog.ts';
import type { Recorder } from '../../record/recorder.ts';
import type { Collector } from '../collector.ts';
import { COLLECTOR_APPLICATION_NAME, createReadOnlyPool } from '../readOnlyPool.ts';
import {
  type CursorRow,
  type LagRow,
  type OutboxQueries,
  type OutboxTable,
  outboxQueries,
  type PendingRow,
  type TableStatsRow,
} from './outboxQueries.ts';

/** The table and its columns come from the target (`target.outbox`); there is no default. */
export interface OutboxCollectorConfig extends OutboxTable {
  databaseUrl: string;
  applicationName?: string;
  /** Rows per lag query. */
  pageSize?: number;
  /** Lag rows read per sample at most; the rest wait for the next sample (the cursor keeps them). */
  maxRowsPerSample?: number;
  /**
   * Rows published less than this long ago are read on a later sample: a relay transaction that
   * stamps published_at and commits a little later would otherwise land behind the cursor and be missed.
   */
  settleMs?: number;
  /** Sample the table's size, dead tuples and autovacuum count (one catalog query per sample). */
  tableStats?: boolean;
}

export const OUTBOX_COLLECTOR_DEFAULTS = {
  applicationName: COLLECTOR_APPLICATION_NAME,
  pageSize: 5_000,
  maxRowsPerSample: 50_000,
  settleMs: 1_000,
  tableStats: true,
} as const;

/** Before the first published row exists, every row published later is new. */
const EMPTY_CURSOR: { publishedAt: string; id: string | null } = { publishedAt: '-infinity', id: null };

export class OutboxCollector implements Collector {
  readonly name = 'outbox';
  readonly queries: OutboxQueries;
  private readonly config: Required<Omit<OutboxCollectorConfig, keyof OutboxTable>>;
  private pool: pg.Pool | undefined;
  private recorder: Recorder | undefined;
  private cursor = EMPTY_CURSOR;

  constructor(config: OutboxCollectorConfig) {
    const { table, idColumn, createdAtColumn, publishedAtColumn, ...rest } = {
      ...OUTBOX_COLLECTOR_DEFAULTS,
      ...config,
    };
    // Validates the identifiers now, so a bad config fails before the run rather than at the first sample.
    this.queries = outboxQueries({ table, idColumn, createdAtColumn, publishedAtColumn });
    this.config = rest;
    if (!(rest.pageSize >= 1) || !(rest.maxRowsPerSample >= rest.pageSize) || !(rest.settleMs >= 0)) {
      throw new Error('outbox collector: need pageSize >= 1, maxRowsPerSample >= pageSize and settleMs >= 0');
    }
  }

  async start(recorder: Recorder): Promise<void> {
    this.recorder = recorder;
    this.pool = createReadOnlyPool(this.config.databaseUrl, this.config.applicationName);
    // Start at the newest published row, so history is not replayed as lag.
    const { rows } = await this.pool.query<CursorRow>(this.queries.prime);
    const newest = rows[0];
    this.cursor = newest === undefined ? EMPTY_CURSOR : { publishedAt: newest.published_at, id: newest.id };
  }

  async sample(): Promise<void> {
    const { pool, recorder } = this.started();
    const atMs = Date.now();
    const queryStart = performance.now();
    const pendingResult = await pool.query<PendingRow>(this.queries.pending, [this.config.settleMs]);
    // Round trip included: on loopback it is the query's own time, and what a relay's poll would see.
    const queryMs = performance.now() - queryStart;
    const pending = pendingResult.rows[0];
    if (pending === undefined) throw new Error('outbox pending query returned no row');
    recorder.gauge(METRIC.outboxPending, Number(pending.pending), undefined, atMs);
    recorder.gauge(METRIC.outboxOldestAge, Math.max(0, Number(pending.oldest_age_ms ?? 0)), undefined, atMs);
    recorder.gauge(METRIC.outboxQueryTime, queryMs, undefined, atMs);
    if (this.config.tableStats) await this.sampleTable(pool, recorder, atMs);

    let read = 0;
    while (read < this.config.maxRowsPerSample) {
      const limit = Math.min(this.config.pageSize, this.config.maxRowsPerSample - read);
      const { rows } = await pool.query<LagRow>(this.queries.lagPage, [
        this.cursor.publishedAt,
        this.cursor.id,
        pending.horizon,
        limit,
      ]);
      for (const row of rows) recorder.recordLatency(METRIC.outboxLag, Number(row.lag_ms));
      const last = rows.at(-1);
      if (last !== undefined) this.cursor = { publishedAt: last.published_at, id: last.id };
      read += rows.length;
      if (rows.length < limit) break;
    }
  }

  private async sampleTable(pool: pg.Pool, recorder: Recorder, atMs: number): Promise<void> {
    const { rows } = await pool.query<TableStatsRow>(this.queries.tableStats);
    const row = rows[0];
    if (row === undefined) throw new Error('outbox table statistics query returned no row');
    recorder.gauge(METRIC.outboxTableBytes, Number(row.total_bytes), undefined, atMs);
    // Statistics appear with the table's first activity; absent, nothing is known yet, so nothing is recorded.
    if (row.dead_tuples !== null)
      recorder.gauge(METRIC.outboxDeadTuples, Number(row.dead_tuples), undefined, atMs);
    if (row.autovacuum_count !== null)
      recorder.gauge(METRIC.outboxAutovacuumCount, Number(row.autovacuum_count), undefined, atMs);
  }

  async stop(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
  }

  private started(): { pool: pg.Pool; recorder: Recorder } {
    if (this.pool === undefined || this.recorder === undefined)
      throw new Error('outbox collector is not started');
    return { pool: this.pool, recorder: this.recorder };
  }
}
