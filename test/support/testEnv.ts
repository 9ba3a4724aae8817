// An isolated reference-pipeline environment for one test file: its own database, streams,
// consumers and subject prefixes on the machine's Postgres and NATS, and free ports (0).
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { migrate } from '../../reference/migrate.ts';
import { loadSettings, type ReferenceSettings } from '../../reference/settings.ts';

export const PG_ADMIN_URL = process.env.PIPESOAK_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const NATS_URL = process.env.PIPESOAK_TEST_NATS ?? 'nats://127.0.0.1:4222';

export interface TestEnv {
  env: Record<string, string>;
  settings: ReferenceSettings;
  /** A pool on the test database for assertions (application_name `pipesoak-test`). */
  db: pg.Pool;
  teardown(): Promise<void>;
}

export async function createTestEnv(label: string, overrides: Record<string, string> = {}): Promise<TestEnv> {
  const tag = `${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${process.pid}`;
  const dbUrl = new URL(PG_ADMIN_URL);
  dbUrl.pathname = `/pipesoak_t_${tag}`;
  const upper = tag.toUpperCase();
  const env: Record<string, string> = {
    REFERENCE_DATABASE_URL: dbUrl.toString(),
    NATS_URL,
    GATEWAY_PORT: '0',
    SINK_PORT: '0',
    LLM_PORT: '0',
    METRICS_PORT: '0',
    STREAM: `T_${upper}_EVENTS`,
    SUBJECT_PREFIX: `t_${tag}.events`,
    DLQ_STREAM: `T_${upper}_DLQ`,
    DLQ_SUBJECT_PREFIX: `t_${tag}.dlq`,
    CONSUMER: `t-${tag}-worker`,
    DLQ_CONSUMER: `t-${tag}-dlq`,
    WORKER_APP_NAME: `t-${tag}-worker`,
    RELAY_APP_NAME: `t-${tag}-relay`,
    GATEWAY_APP_NAME: `t-${tag}-gateway`,
    SINK_APP_NAME: `t-${tag}-sink`,
    NAK_BACKOFF_MS: '50,100,200',
    RELAY_POLL_MS: '200',
    LOG_LEVEL: 'warn',
    ...overrides,
  };
  const settings = loadSettings(env);
  await dropDatabase(settings.databaseUrl);
  await deleteStreams(settings);
  await migrate(settings.databaseUrl);
  const db = new pg.Pool({
    connectionString: settings.databaseUrl,
    max: 4,
    application_name: 'pipesoak-test',
  });
  return {
    env,
    settings,
    db,
    async teardown() {
      await db.end();
      await deleteStreams(settings);
      await dropDatabase(settings.databaseUrl);
    },
  };
}

async function deleteStreams(settings: ReferenceSettings): Promise<void> {
  const nc = await connect({ servers: settings.natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    for (const name of [settings.stream, settings.dlqStream]) {
      await jsm.streams.delete(name).catch(() => undefined);
    }
  } finally {
    await nc.close();
  }
}

async function dropDatabase(databaseUrl: string): Promise<void> {
  const name = new URL(databaseUrl).pathname.slice(1);
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
    await admin.query(`DROP DATABASE IF EXISTS "${name}"`);
  } finally {
    await admin.end();
  }
}
