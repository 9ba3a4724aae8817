// A Postgres pool for one reference component, bounded and named so pg_stat_activity shows whose it is.
import pg from 'pg';

export function createPool(databaseUrl: string, applicationName: string, max: number): pg.Pool {
  return new pg.Pool({
    connectionString: databaseUrl,
    application_name: applicationName,
    max,
    // Fail fast when the database is gone, so callers retry with backoff instead of hanging.
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 10_000,
  });
}
