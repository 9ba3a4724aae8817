// Pool collector: the `db.connections` gauge, from pg_stat_activity in the target database, for each
// configured application_name and connection state, plus each application's total as state=all.
// Seeing other roles' states takes pg_read_all_stats (or pg_monitor); without it they count as `unknown`.
import type pg from 'pg';
import { METRIC } from '../../record/metricCatalog.ts';
import type { Recorder } from '../../record/recorder.ts';
import type { Collector } from '../collector.ts';
import { COLLECTOR_APPLICATION_NAME, createReadOnlyPool } from '../readOnlyPool.ts';

export interface PoolCollectorConfig {
  databaseUrl: string;
  /** application_name values to report (the target's components). */
  applications: string[];
  applicationName?: string;
}

/** Wire row of CONNECTIONS_SQL. */
interface ConnectionsRow {
  application_name: string;
  state: string;
  connections: number;
}

const CONNECTIONS_SQL = `SELECT application_name, coalesce(state, 'unknown') AS state, count(*)::int AS connections
  FROM pg_stat_activity
  WHERE datname = current_database() AND application_name = ANY($1::text[])
  GROUP BY 1, 2`;

/** Reported as 0 when absent, so a state that empties shows a drop rather than a stale last value. */
const USUAL_STATES = ['active', 'idle', 'idle in transaction'];

export class PoolCollector implements Collector {
  readonly name = 'pool';
  private readonly applications: string[];
  private pool: pg.Pool | undefined;
  private recorder: Recorder | undefined;

  constructor(private readonly config: PoolCollectorConfig) {
    this.applications = config.applications;
    if (this.applications.length === 0) throw new Error('pool collector: no application names to watch');
  }

  async start(recorder: Recorder): Promise<void> {
    this.recorder = recorder;
    this.pool = createReadOnlyPool(
      this.config.databaseUrl,
      this.config.applicationName ?? COLLECTOR_APPLICATION_NAME,
    );
    await this.pool.query('SELECT 1');
  }

  async sample(): Promise<void> {
    if (this.pool === undefined || this.recorder === undefined)
      throw new Error('pool collector is not started');
    const atMs = Date.now();
    const { rows } = await this.pool.query<ConnectionsRow>(CONNECTIONS_SQL, [this.applications]);
    for (const application of this.applications) {
      const byState = new Map(USUAL_STATES.map((state) => [state, 0]));
      for (const row of rows) {
        if (row.application_name === application) byState.set(row.state, row.connections);
      }
      let total = 0;
      for (const [state, connections] of byState) {
        this.recorder.gauge(METRIC.dbConnections, connections, { application, state }, atMs);
        total += connections;
      }
      this.recorder.gauge(METRIC.dbConnections, total, { application, state: 'all' }, atMs);
    }
  }

  async stop(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
  }
}
