// A Postgres pool for one reference component, bounded and named so pg_stat_activity shows whose it is.
import pg from 'pg';
import type { Logger } from './logger.ts';

export function createPool(databaseUrl: string, applicationName: string, max: number, log: Logger): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    application_name: applicationName,
    max,
    // Fail fast when the database is gone, so callers retry with backoff instead of hanging.
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 10_000,
  });
  // An idle connection dropped by the server (restart, pg_terminate_backend) must not crash the
  // process; the pool replaces it. Log the reason only: the error carries the whole client.
  pool.on('error', (err: Error & { code?: string }) =>
    log.warn(
      { code: err.code, reason: err.message, application: applicationName },
      'idle database connection lost',
    ),
  );
  return pool;
}

/**
 * Runs `work` in one transaction on a pooled client. A client whose connection drops or whose
 * transaction fails is discarded rather than reused.
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  // A checked-out client has no pool listener: without ours, a dropped connection would crash us.
  let broken: Error | undefined;
  const onError = (err: Error) => {
    broken = err;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    broken ??= err as Error;
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.off('error', onError);
    // Passing the error makes the pool discard the connection instead of reusing it.
    client.release(broken);
  }
}
