// Samples how many Postgres connections one application holds (pg_stat_activity) while a test
// runs load, and reports the most it saw.
import type pg from 'pg';

export function sampleConnections(
  db: pg.Pool,
  applicationName: string,
  everyMs = 20,
): { stop(): Promise<number> } {
  let max = 0;
  let sampling = true;
  const loop = (async () => {
    while (sampling) {
      const { rows } = await db.query<{ n: string }>(
        'SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1',
        [applicationName],
      );
      max = Math.max(max, Number(rows[0]?.n ?? 0));
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      sampling = false;
      await loop;
      return max;
    },
  };
}
