// Streams a query's rows through a server-side cursor in one read-only transaction: one scan of
// the table, a page of rows in memory at a time, however many rows the run left behind.
import type pg from 'pg';

export const CURSOR_FETCH_ROWS = 10_000;

export interface CursorOptions {
  fetchRows?: number;
  /** Statements run inside the transaction before the cursor opens (e.g. SET LOCAL TimeZone). */
  setup?: readonly string[];
}

export async function* cursorRows<Row extends pg.QueryResultRow>(
  pool: pg.Pool,
  sql: string,
  params: unknown[],
  options: CursorOptions = {},
): AsyncGenerator<Row> {
  const fetchRows = options.fetchRows ?? CURSOR_FETCH_ROWS;
  if (!(Number.isInteger(fetchRows) && fetchRows >= 1)) throw new Error('cursor: fetchRows must be >= 1');
  const client = await pool.connect();
  let broken: Error | undefined;
  let open = false;
  try {
    // READ ONLY on the transaction too: the pool's session default could be overridden by a role.
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    open = true;
    for (const statement of options.setup ?? []) await client.query(statement);
    await client.query(
      `DECLARE pipesoak_rows NO SCROLL CURSOR FOR ${sql.trim().replace(/;\s*$/, '')}`,
      params,
    );
    for (;;) {
      const { rows } = await client.query<Row>(`FETCH FORWARD ${fetchRows} FROM pipesoak_rows`);
      for (const row of rows) yield row;
      if (rows.length < fetchRows) break;
    }
    await client.query('COMMIT');
    open = false;
  } catch (err) {
    broken = err as Error;
    throw err;
  } finally {
    // A consumer that stops early leaves the transaction open: roll it back before reuse.
    if (open && broken === undefined) await client.query('ROLLBACK').catch(() => undefined);
    client.release(broken);
  }
}
