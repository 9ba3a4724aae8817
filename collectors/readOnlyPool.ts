// The Postgres pool every SQL collector samples through: one named connection (so it shows in
// pg_stat_activity as the harness), read-only at the session level (DESIGN section 7: the harness
// never writes to the target), with timeouts so a stalled database fails a sample instead of hanging it.
import pg from 'pg';

export const COLLECTOR_APPLICATION_NAME = 'pipesoak-collector';

export function createReadOnlyPool(databaseUrl: string, applicationName: string): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    application_name: applicationName,
    max: 1,
    options: '-c default_transaction_read_only=on',
    connectionTimeoutMillis: 5_000,
    statement_timeout: 10_000,
    // Keep the one connection between samples; a broken one is replaced on the next query.
    idleTimeoutMillis: 0,
  });
  // An idle connection dying (database restart, fault injection) must not crash the harness:
  // the next sample fails or reconnects, and the runner records the gap.
  pool.on('error', () => undefined);
  return pool;
}
