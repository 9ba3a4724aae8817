// The reference pipeline as the benchmarks run it: its own database, streams and consumers (named
// after the bench), on free ports, migrated, every component a child process.
import pg from 'pg';
import { migrate } from '../../reference/migrate.ts';
import { loadSettings, type ReferenceSettings } from '../../reference/settings.ts';
import { ReferenceSupervisor } from '../../runner/referenceSupervisor.ts';

export interface BenchPipeline {
  env: Record<string, string>;
  settings: ReferenceSettings;
  supervisor: ReferenceSupervisor;
  gatewayUrl: string;
  /** A small pool on the bench database for counting completions. */
  db: pg.Pool;
  stop(): Promise<void>;
}

/** `label` names everything: database `pipesoak_<label>`, stream `<LABEL>_EVENTS`, subjects `<label>.events.>`. */
export function benchEnv(label: string): Record<string, string> {
  if (!/^[a-z][a-z0-9_]*$/.test(label)) throw new Error(`bench label "${label}" must be [a-z][a-z0-9_]*`);
  const upper = label.toUpperCase();
  return {
    REFERENCE_DATABASE_URL: `postgres://postgres@127.0.0.1:5432/pipesoak_${label}`,
    STREAM: `${upper}_EVENTS`,
    SUBJECT_PREFIX: `${label}.events`,
    DLQ_STREAM: `${upper}_DLQ`,
    DLQ_SUBJECT_PREFIX: `${label}.dlq`,
    CONSUMER: `${label}-worker`,
    DLQ_CONSUMER: `${label}-dlq`,
    GATEWAY_PORT: '0',
    SINK_PORT: '0',
    LLM_PORT: '0',
    METRICS_PORT: '0',
    LOG_LEVEL: 'warn',
  };
}

export async function startBenchPipeline(
  label: string,
  overrides: Record<string, string> = {},
): Promise<BenchPipeline> {
  const env = { ...benchEnv(label), ...overrides };
  const settings = loadSettings(env);
  await migrate(settings.databaseUrl);
  const db = new pg.Pool({ connectionString: settings.databaseUrl, max: 2 });
  const supervisor = new ReferenceSupervisor({ env: { ...process.env, ...env } });
  try {
    await supervisor.start();
  } catch (err) {
    await db.end();
    throw err;
  }
  return {
    env,
    settings,
    supervisor,
    gatewayUrl: supervisor.url('gateway') ?? '',
    db,
    async stop() {
      await supervisor.stopAll();
      await db.end();
    },
  };
}

/** Facts applied for correlation ids starting `<prefix>-`. */
export async function countFacts(db: pg.Pool, prefix: string): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    'SELECT count(*) AS n FROM kg_facts WHERE correlation_id LIKE $1',
    [`${prefix}-%`],
  );
  return Number(rows[0]?.n ?? 0);
}

/** Waits (bounded) until `expected` facts of `prefix` are applied; returns how many were. */
export async function waitForFacts(
  db: pg.Pool,
  prefix: string,
  expected: number,
  timeoutMs: number,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let done = await countFacts(db, prefix);
  while (done < expected && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    done = await countFacts(db, prefix);
  }
  return done;
}
