// Proves the harness changed no outbox rows (DESIGN section 7), by reading only: a count and a
// checksum of the rows' immutable columns, ordered by id, taken twice for two sets of rows:
//   pre-run  rows created before the run started: at start and again at the end (nothing old touched)
//   window   rows created during the load: at the end of the load and again after the drain
// published_at is left out: the relay sets it, legitimately, in between.
// Each row is hashed by Postgres (md5 of a jsonb array of its columns, timestamps in UTC) and the
// hashes are folded in order here through a cursor, so memory stays flat however large the table.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { quoteIdentifier } from '../collectors/outbox/outboxQueries.ts';
import { COLLECTOR_APPLICATION_NAME, createReadOnlyPool } from '../collectors/readOnlyPool.ts';
import { cursorRows } from './cursorRows.ts';

export interface OutboxGuardConfig {
  databaseUrl: string;
  table?: string;
  idColumn?: string;
  createdAtColumn?: string;
  /** The columns no one may change once a row exists; the id column is always included. */
  immutableColumns?: readonly string[];
  applicationName?: string;
  /**
   * How long a gateway transaction may stay open between stamping created_at and committing. The
   * pre-run set ends this long before start; the window's second boundary is read this long after it
   * is stamped, so a late commit lands in the set it belongs to before the first checksum.
   */
  settleMs?: number;
}

export const OUTBOX_GUARD_DEFAULTS = {
  table: 'outbox_events',
  idColumn: 'id',
  createdAtColumn: 'created_at',
  immutableColumns: [
    'id',
    'aggregate_type',
    'aggregate_id',
    'event_type',
    'subject',
    'payload',
    'correlation_id',
    'created_at',
  ],
  applicationName: COLLECTOR_APPLICATION_NAME,
  settleMs: 1_000,
} as const;

export interface OutboxChecksum {
  count: number;
  checksum: string;
}

export interface OutboxComparison {
  before: OutboxChecksum;
  after: OutboxChecksum;
  unchanged: boolean;
}

/**
 * For report.json: `before`/`after` combine both sets (counts added, checksum = md5 of the two
 * checksums), so one line says whether anything changed; `preRun` and `window` say which.
 */
export interface OutboxGuardResult extends OutboxComparison {
  preRun: OutboxComparison;
  window: OutboxComparison & { fromDb: string; toDb: string };
}

/** Wire row of the hash query. */
interface RowHashWire {
  h: string;
}

interface NowRowWire {
  now: string;
}

export class OutboxGuard {
  private readonly sql: string;
  private readonly settleMs: number;
  private preRunBefore: OutboxChecksum | undefined;
  private windowBefore: OutboxChecksum | undefined;
  private windowEnd: string | undefined;

  private constructor(
    config: Required<OutboxGuardConfig>,
    private readonly runStart: string,
    private readonly pool: pg.Pool,
  ) {
    this.sql = hashQuery(config);
    this.settleMs = config.settleMs;
  }

  /** Stamps the run's start on the database clock and checksums the rows created before it. */
  static async start(config: OutboxGuardConfig): Promise<OutboxGuard> {
    const full: Required<OutboxGuardConfig> = { ...OUTBOX_GUARD_DEFAULTS, ...config };
    if (!(full.settleMs >= 0)) throw new Error('outbox guard: settleMs must be 0 or more');
    hashQuery(full); // a bad identifier fails here, before the run
    const pool = createReadOnlyPool(full.databaseUrl, full.applicationName);
    try {
      const { rows } = await pool.query<NowRowWire>(
        `SELECT (clock_timestamp() - $1::double precision * interval '1 millisecond')::text AS now`,
        [full.settleMs],
      );
      const runStart = rows[0]?.now;
      if (runStart === undefined) throw new Error('outbox guard: no clock_timestamp');
      const guard = new OutboxGuard(full, runStart, pool);
      guard.preRunBefore = await guard.checksum('-infinity', runStart);
      return guard;
    } catch (err) {
      await pool.end();
      throw err;
    }
  }

  /**
   * For a target's own outbox: every column of the table is immutable but `mutableColumns` (the
   * published-at column the relay sets), read from the catalogue so no column list is configured.
   */
  static async startOnTable(
    config: Omit<OutboxGuardConfig, 'immutableColumns'> & { mutableColumns: readonly string[] },
  ): Promise<OutboxGuard> {
    const { mutableColumns, ...rest } = config;
    const table = config.table ?? OUTBOX_GUARD_DEFAULTS.table;
    const pool = createReadOnlyPool(config.databaseUrl, config.applicationName ?? COLLECTOR_APPLICATION_NAME);
    let columns: string[];
    try {
      const { rows } = await pool.query<{ column_name: string }>(
        `SELECT a.attname AS column_name FROM pg_attribute AS a
         WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
        [table],
      );
      columns = rows.map((r) => r.column_name).filter((c) => !mutableColumns.includes(c));
    } finally {
      await pool.end();
    }
    if (columns.length === 0) throw new Error(`outbox guard: table ${table} has no columns to checksum`);
    return OutboxGuard.start({ ...rest, immutableColumns: columns });
  }

  /** Call when the load generator has stopped: checksums the rows the run created. */
  async loadEnded(): Promise<void> {
    const { rows } = await this.pool.query<NowRowWire>('SELECT clock_timestamp()::text AS now');
    const end = rows[0]?.now;
    if (end === undefined) throw new Error('outbox guard: no clock_timestamp');
    await sleep(this.settleMs);
    this.windowEnd = end;
    this.windowBefore = await this.checksum(this.runStart, end);
  }

  /** Call after the drain: checksums both sets again, compares and closes the pool. */
  async finish(): Promise<OutboxGuardResult> {
    const preRunBefore = this.preRunBefore;
    const windowBefore = this.windowBefore;
    const windowEnd = this.windowEnd;
    if (preRunBefore === undefined || windowBefore === undefined || windowEnd === undefined) {
      throw new Error('outbox guard: finish() before loadEnded()');
    }
    try {
      const preRun = compare(preRunBefore, await this.checksum('-infinity', this.runStart));
      const window = compare(windowBefore, await this.checksum(this.runStart, windowEnd));
      return {
        ...compare(combine(preRun.before, window.before), combine(preRun.after, window.after)),
        preRun,
        window: { ...window, fromDb: this.runStart, toDb: windowEnd },
      };
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }

  /** Rows created in [from, to), ordered by id. */
  private async checksum(from: string, to: string): Promise<OutboxChecksum> {
    const hash = createHash('md5');
    let count = 0;
    // UTC: the text of a timestamptz follows the session's time zone, which must not move the checksum.
    const rows = cursorRows<RowHashWire>(this.pool, this.sql, [from, to], {
      setup: ["SET LOCAL TimeZone = 'UTC'"],
    });
    for await (const row of rows) {
      hash.update(row.h);
      count++;
    }
    return { count, checksum: hash.digest('hex') };
  }
}

function hashQuery(config: Required<OutboxGuardConfig>): string {
  const t = quoteIdentifier(config.table, 'table');
  const id = quoteIdentifier(config.idColumn, 'idColumn');
  const created = quoteIdentifier(config.createdAtColumn, 'createdAtColumn');
  const names = [config.idColumn, ...config.immutableColumns.filter((c) => c !== config.idColumn)];
  const columns = names.map((c) => `o.${quoteIdentifier(c, 'immutableColumns')}`).join(', ');
  // jsonb keeps NULL apart from the string 'null' and normalises the payload's key order.
  return `SELECT md5(jsonb_build_array(${columns})::text) AS h FROM ${t} AS o
    WHERE o.${created} >= $1::timestamptz AND o.${created} < $2::timestamptz ORDER BY o.${id}`;
}

function compare(before: OutboxChecksum, after: OutboxChecksum): OutboxComparison {
  return { before, after, unchanged: before.count === after.count && before.checksum === after.checksum };
}

function combine(a: OutboxChecksum, b: OutboxChecksum): OutboxChecksum {
  return {
    count: a.count + b.count,
    checksum: createHash('md5').update(`${a.checksum}:${b.checksum}`).digest('hex'),
  };
}
