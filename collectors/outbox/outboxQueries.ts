// The outbox collector's SQL and the rows Postgres returns for it. Every query goes through one of
// the reference schema's partial indexes (unpublished rows; published_at), never a table scan.

export interface OutboxTable {
  table: string;
  idColumn: string;
  createdAtColumn: string;
  publishedAtColumn: string;
}

export interface OutboxQueries {
  /** $1 settle ms → one PendingRow. */
  pending: string;
  /** → zero or one CursorRow: the newest published row, where the lag cursor starts. */
  prime: string;
  /** $1 cursor published_at, $2 cursor id, $3 horizon (published_at upper bound), $4 limit → LagRow[]. */
  lagPage: string;
  /** → one TableStatsRow: size with indexes and TOAST, dead tuples, autovacuum runs. */
  tableStats: string;
}

/** Wire row of `tableStats`: bigint columns arrive as strings; null when statistics are missing. */
export interface TableStatsRow {
  total_bytes: string;
  dead_tuples: string | null;
  autovacuum_count: string | null;
}

/** Wire row of `pending`: numeric and bigint columns arrive as strings. */
export interface PendingRow {
  pending: string;
  oldest_age_ms: string | null;
  /** clock_timestamp() minus the settle window, as timestamptz text. */
  horizon: string;
}

/** Timestamps stay text so the cursor keeps Postgres's microseconds (a JS Date has only ms). */
export interface CursorRow {
  published_at: string;
  id: string;
}

export interface LagRow extends CursorRow {
  lag_ms: string;
}

/** A Postgres identifier that needs no quoting rules beyond double quotes (config checks it too). */
export const PLAIN_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Quotes a plain identifier; anything else (schema-qualified, spaces, quotes) is a config error. */
export function quoteIdentifier(name: string, field: string): string {
  if (!PLAIN_IDENTIFIER.test(name)) {
    throw new Error(`${field} "${name}" is not a plain identifier (letters, digits, _; at most 63)`);
  }
  return `"${name}"`;
}

export function outboxQueries(config: OutboxTable): OutboxQueries {
  const t = quoteIdentifier(config.table, 'table');
  const id = quoteIdentifier(config.idColumn, 'idColumn');
  const created = quoteIdentifier(config.createdAtColumn, 'createdAtColumn');
  const published = quoteIdentifier(config.publishedAtColumn, 'publishedAtColumn');
  return {
    pending: `SELECT count(*) AS pending,
        EXTRACT(EPOCH FROM clock_timestamp() - min(${created})) * 1000 AS oldest_age_ms,
        (clock_timestamp() - $1::double precision * interval '1 millisecond')::text AS horizon
      FROM ${t} WHERE ${published} IS NULL`,
    // Columns are qualified (o.) in WHERE and ORDER BY: bare names there would mean the ::text outputs.
    prime: `SELECT o.${published}::text AS published_at, o.${id}::text AS id
      FROM ${t} AS o WHERE o.${published} IS NOT NULL
      ORDER BY o.${published} DESC, o.${id} DESC LIMIT 1`,
    // The >= bound is the index range; the OR breaks ties on published_at (a relay batch shares one).
    lagPage: `SELECT o.${id}::text AS id, o.${published}::text AS published_at,
        EXTRACT(EPOCH FROM o.${published} - o.${created}) * 1000 AS lag_ms
      FROM ${t} AS o
      WHERE o.${published} IS NOT NULL
        AND o.${published} >= $1::timestamptz AND o.${published} <= $3::timestamptz
        AND (o.${published} > $1::timestamptz OR o.${id} > $2)
      ORDER BY o.${published}, o.${id} LIMIT $4`,
    // The quoted name resolves through the search_path, as the other queries' FROM does.
    tableStats: `SELECT pg_total_relation_size(c.oid)::text AS total_bytes,
        s.n_dead_tup::text AS dead_tuples, s.autovacuum_count::text AS autovacuum_count
      FROM (SELECT '${t.replaceAll("'", "''")}'::regclass AS oid) AS c
      LEFT JOIN pg_stat_user_tables AS s ON s.relid = c.oid`,
  };
}
