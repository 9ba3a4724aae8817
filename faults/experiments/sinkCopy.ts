// The lost-facts negative control: a test-only copy of the sink table (kg_facts), filled by a
// trigger that leaves out one in N facts, so a run whose completion query reads the copy must
// report lost > 0. The real table and the outbox are never changed; the copy and trigger are
// dropped after the run.
import pg from 'pg';
import type { SinkCopyControl } from './experimentSpec.ts';

const TABLE = 'kg_facts';
/** A name no migration uses, so it can never be mistaken for the real table. */
export const SINK_COPY_TABLE = 'pipesoak_control_kg_facts';

/** The reference completion query, reading the copy instead of the sink's table. */
export const SINK_COPY_COMPLETION_QUERY = `SELECT correlation_id, (payload->>'acceptedAt')::timestamptz AS accepted_at,
  applied_at AS completed_at FROM ${SINK_COPY_TABLE} WHERE applied_at > $1 ORDER BY applied_at LIMIT $2`;

/** The integrity checker's completed query (faults/integrityQueries.ts), reading the copy. */
export const SINK_COPY_INTEGRITY_QUERIES = {
  completed: `SELECT correlation_id, deliveries AS applied FROM ${SINK_COPY_TABLE} WHERE starts_with(correlation_id, $1)`,
} as const;

export interface SinkCopy {
  /** Facts the trigger left out so far. */
  dropped(): Promise<number>;
  remove(): Promise<void>;
}

export async function createSinkCopy(databaseUrl: string, control: SinkCopyControl): Promise<SinkCopy> {
  if (!Number.isInteger(control.dropEvery) || control.dropEvery < 2) {
    throw new Error(`sinkCopy.dropEvery: must be a whole number of at least 2 (got ${control.dropEvery})`);
  }
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1, application_name: 'pipesoak-control' });
  const remove = async () => {
    await pool.query(`DROP TRIGGER IF EXISTS ${SINK_COPY_TABLE}_fill ON ${TABLE}`);
    await pool.query(`DROP FUNCTION IF EXISTS ${SINK_COPY_TABLE}_fill()`);
    await pool.query(`DROP TABLE IF EXISTS ${SINK_COPY_TABLE}`);
  };
  try {
    await remove();
    await pool.query(`CREATE TABLE ${SINK_COPY_TABLE} (LIKE ${TABLE} INCLUDING DEFAULTS)`);
    // Dropped by a hash of the correlation id: the same facts go missing on every run.
    await pool.query(`CREATE FUNCTION ${SINK_COPY_TABLE}_fill() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF abs(hashtext(NEW.correlation_id::text)) % ${control.dropEvery} <> 0 THEN
          INSERT INTO ${SINK_COPY_TABLE} SELECT NEW.*;
        END IF;
        RETURN NEW;
      END $$`);
    await pool.query(
      `CREATE TRIGGER ${SINK_COPY_TABLE}_fill AFTER INSERT ON ${TABLE} FOR EACH ROW EXECUTE FUNCTION ${SINK_COPY_TABLE}_fill()`,
    );
  } catch (err) {
    await remove().catch(() => undefined);
    await pool.end();
    throw err;
  }
  // Facts from before the copy existed never reach it: count from the sink table's size now.
  const before = await countFacts(pool);
  return {
    dropped: async () => {
      const { rows } = await pool.query<{ n: number }>(
        `SELECT (SELECT count(*) FROM ${TABLE})::int - (SELECT count(*) FROM ${SINK_COPY_TABLE})::int AS n`,
      );
      return (rows[0]?.n ?? 0) - before;
    },
    remove: async () => {
      try {
        await remove();
      } finally {
        await pool.end();
      }
    },
  };
}

async function countFacts(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${TABLE}`);
  return rows[0]?.n ?? 0;
}
