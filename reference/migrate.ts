// Versioned, idempotent migrations for the reference database; creates the database if missing.
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
// Any constant shared by concurrent migrators, so two `reference up` never apply the same file twice.
const ADVISORY_LOCK_KEY = 4_242_001;

export interface MigrationResult {
  database: string;
  created: boolean;
  applied: string[];
}

/**
 * The database a Postgres URL names, and the URL of the same server's `postgres` database (there
 * on every server) to create it from. Throws a one-line error, without the URL, when it does not parse.
 */
export function databaseTarget(databaseUrl: string): { name: string; adminUrl: string } {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw new Error('REFERENCE_DATABASE_URL is not a postgres://user@host:port/database URL');
  }
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  url.pathname = '/postgres';
  return { name, adminUrl: url.toString() };
}

/** Creates the database named in `databaseUrl` when it does not exist yet. */
async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const { name, adminUrl } = databaseTarget(databaseUrl);
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`database name "${name}" is not a plain identifier`);
  const client = new pg.Client({ connectionString: adminUrl, application_name: 'pipesoak-migrate' });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return false;
    try {
      await client.query(`CREATE DATABASE "${name}"`);
    } catch (err) {
      // Another migrator created it between our check and our CREATE.
      if ((err as { code?: string }).code !== '42P04') throw err;
      return false;
    }
    return true;
  } finally {
    await client.end();
  }
}

export async function migrate(databaseUrl: string): Promise<MigrationResult> {
  const created = await ensureDatabase(databaseUrl);
  const files = (await readdir(MIGRATIONS_DIR)).filter((f) => /^\d+_.*\.sql$/.test(f)).sort();
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'pipesoak-migrate' });
  await client.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [ADVISORY_LOCK_KEY]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = new Set(
      (await client.query<{ version: string }>('SELECT version FROM schema_migrations')).rows.map(
        (r) => r.version,
      ),
    );
    for (const file of files) {
      const version = file.replace(/\.sql$/, '');
      if (done.has(version)) continue;
      const sql = await readFile(`${MIGRATIONS_DIR}${file}`, 'utf8');
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [version]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${file} failed: ${(err as Error).message}`);
      }
      applied.push(version);
    }
    await client.query('SELECT pg_advisory_unlock($1)', [ADVISORY_LOCK_KEY]);
  } finally {
    await client.end();
  }
  return { database: databaseTarget(databaseUrl).name, created, applied };
}
