// `pipesoak doctor`'s checks: what this machine has for a run (Node, the k6 binary, Postgres, NATS).
// Each check returns a result instead of printing or throwing, and gives up after its timeout.
import { execFile } from 'node:child_process';
import { access, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JetStreamApiCodes, JetStreamApiError, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import pg from 'pg';
import { databaseTarget } from '../reference/migrate.ts';
import type { ReferenceSettings } from '../reference/settings.ts';

const CHECK_TIMEOUT_MS = 3_000;
/** The k6 extensions a run needs, as `k6 version` lists them. */
const REQUIRED_K6_EXTENSIONS = ['k6/x/nats', 'hdrlog'] as const;
const K6_BUILD_HINT =
  'build it with `npm run build:k6` once the engine lands (blocked here: README, Status), or point PIPESOAK_K6 at one';
const MIGRATE_HINT = 'run `pipesoak reference migrate`';
// Client-side timeouts sit a little past the check's deadline: the deadline's message wins, and they
// still close what the abort could not reach.
const CLIENT_GRACE_MS = 500;

interface Check<N extends string, F> {
  name: N;
  /** False fails doctor (exit 1): a run would not work. */
  ok: boolean;
  /** What was found, one line. */
  detail: string;
  /** What to do next: set on failure, and on a pass that still needs a step. */
  hint?: string;
  elapsedMs: number;
  facts: F;
}

export type NodeCheck = Check<'node', { version: string; minimum: string }>;
export type K6Check = Check<
  'k6',
  {
    path: string;
    present: boolean;
    version: string | null;
    extensions: string[];
    missingExtensions: string[];
  }
>;
export type PostgresCheck = Check<
  'postgres',
  {
    target: string;
    serverVersion: string | null;
    database: string;
    databaseExists: boolean | null;
    /** The reference schema (outbox_events) is in place. */
    migrated: boolean | null;
  }
>;
export type NatsCheck = Check<
  'nats',
  {
    target: string;
    serverVersion: string | null;
    jetstream: boolean | null;
    streams: Record<string, boolean>;
  }
>;
export type CheckResult = NodeCheck | K6Check | PostgresCheck | NatsCheck;

export interface DoctorReport {
  ok: boolean;
  checks: CheckResult[];
}

type Outcome<C extends CheckResult> = Pick<C, 'ok' | 'detail' | 'hint'>;

/**
 * Runs `body` with a deadline. On timeout the check fails with `onTimeout`'s text and `signal`
 * aborts, so the body closes its sockets and the process can exit.
 */
async function timed<C extends CheckResult>(
  name: C['name'],
  facts: C['facts'],
  timeoutMs: number,
  body: (signal: AbortSignal) => Promise<Outcome<C>>,
  onTimeout: () => Outcome<C>,
): Promise<C> {
  const started = performance.now();
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<Outcome<C>>((done) => {
    timer = setTimeout(() => {
      controller.abort();
      done(onTimeout());
    }, timeoutMs);
  });
  try {
    // An unexpected error fails this check, not the whole doctor.
    const guarded = body(controller.signal).catch(
      (err: Error): Outcome<C> =>
        ({ ok: false, detail: `${name} check failed: ${err.message}` }) as Outcome<C>,
    );
    const outcome = await Promise.race([guarded, deadline]);
    const { ok, detail, hint } = outcome;
    const elapsedMs = Math.round(performance.now() - started);
    return { name, ok, detail, ...(hint ? { hint } : {}), elapsedMs, facts } as C;
  } finally {
    clearTimeout(timer);
  }
}

/** `user@host:port/path`: enough to tell which server, never a password. */
function describeUrl(raw: string): string {
  try {
    const url = new URL(raw);
    const user = url.username ? `${decodeURIComponent(url.username)}@` : '';
    return `${user}${url.host}${url.pathname === '/' ? '' : url.pathname}`;
  } catch {
    return '(unparseable url)';
  }
}

function parseVersion(version: string): number[] {
  return version
    .replace(/^v/, '')
    .split('.')
    .map((part) => Number.parseInt(part, 10) || 0);
}

/** Whether dotted `version` is at least `minimum` (missing parts count as 0). */
function versionAtLeast(version: string, minimum: string): boolean {
  const have = parseVersion(version);
  const need = parseVersion(minimum);
  for (let i = 0; i < Math.max(have.length, need.length); i++) {
    const diff = (have[i] ?? 0) - (need[i] ?? 0);
    if (diff !== 0) return diff > 0;
  }
  return true;
}

/** The minimum Node version, from package.json's `engines.node` (`>=x.y`), the one place it lives. */
async function minimumNodeVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
    engines?: { node?: string };
  };
  const match = /^>=\s*(\d+(?:\.\d+){0,2})$/.exec(pkg.engines?.node?.trim() ?? '');
  if (!match?.[1])
    throw new Error(`package.json engines.node "${pkg.engines?.node}" is not of the form >=x.y`);
  return match[1];
}

function checkNode(version: string, minimum: string): NodeCheck {
  const ok = versionAtLeast(version, minimum);
  return {
    name: 'node',
    ok,
    detail: `${version} (needs >= ${minimum})`,
    ...(ok ? {} : { hint: `install Node.js ${minimum} or newer` }),
    elapsedMs: 0,
    facts: { version, minimum },
  };
}

/** The k6 binary doctor and runs use: `PIPESOAK_K6` (relative to the working directory) or the project's `bin/k6`. */
export function k6Path(env: Record<string, string | undefined> = process.env): string {
  const override = env.PIPESOAK_K6;
  return override ? resolve(override) : fileURLToPath(new URL('../bin/k6', import.meta.url));
}

/** `k6 version` output → version and extension lines (k6 lists one extension a line after `Extensions:`). */
function parseK6Version(output: string): { version: string | null; extensions: string[] } {
  const lines = output
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const version = /\bk6 (v\d+\.\d+\.\d+\S*)/.exec(lines[0] ?? '')?.[1] ?? null;
  const extensions = lines.slice(1).filter((line) => !/^extensions:?$/i.test(line));
  return { version, extensions };
}

async function checkK6(path: string, timeoutMs: number): Promise<K6Check> {
  const facts: K6Check['facts'] = {
    path,
    present: false,
    version: null,
    extensions: [],
    missingExtensions: [],
  };
  return timed<K6Check>(
    'k6',
    facts,
    timeoutMs,
    async (signal) => {
      try {
        await access(path);
      } catch {
        return { ok: false, detail: 'missing', hint: `${K6_BUILD_HINT} (looked for ${path})` };
      }
      facts.present = true;
      let stdout: string;
      try {
        stdout = await new Promise<string>((done, fail) => {
          execFile(path, ['version'], { signal, timeout: timeoutMs + CLIENT_GRACE_MS }, (err, out, errOut) =>
            err ? fail(Object.assign(err, { stderr: errOut })) : done(out),
          );
        });
      } catch (err) {
        if (signal.aborted) throw err;
        const { code, stderr, message } = err as Error & { code?: unknown; stderr?: string };
        const why = typeof code === 'number' ? `exit code ${code}` : message;
        const said = stderr?.trim().split('\n')[0];
        return {
          ok: false,
          detail: `\`${path} version\` failed (${why})${said ? `: ${said}` : ''}`,
          hint: `re${K6_BUILD_HINT}`,
        };
      }
      const parsed = parseK6Version(stdout);
      facts.version = parsed.version;
      facts.extensions = parsed.extensions;
      facts.missingExtensions = REQUIRED_K6_EXTENSIONS.filter(
        (ext) => !parsed.extensions.some((l) => l.includes(ext)),
      );
      const listed = parsed.extensions.length ? parsed.extensions.join('; ') : 'no extensions';
      const detail = `${parsed.version ?? 'unknown version'} at ${path} (${listed})`;
      if (facts.missingExtensions.length) {
        return {
          ok: false,
          detail: `${detail}: lacks ${facts.missingExtensions.join(', ')}`,
          hint: `re${K6_BUILD_HINT}`,
        };
      }
      return { ok: true, detail };
    },
    () => ({
      ok: false,
      detail: `${path} version gave no answer within ${timeoutMs} ms`,
      hint: `re${K6_BUILD_HINT}`,
    }),
  );
}

const PG_FIXES: Record<string, string> = {
  ECONNREFUSED: 'start Postgres (`docker compose up -d postgres`) or set REFERENCE_DATABASE_URL',
  ENOTFOUND: 'fix the host in REFERENCE_DATABASE_URL',
  '28P01': 'fix the user or password in REFERENCE_DATABASE_URL',
  '28000': 'fix the user in REFERENCE_DATABASE_URL, or allow it in pg_hba.conf',
};

async function checkPostgres(databaseUrl: string, timeoutMs: number): Promise<PostgresCheck> {
  const target = describeUrl(databaseUrl);
  const facts: PostgresCheck['facts'] = {
    target,
    serverVersion: null,
    database: '',
    databaseExists: null,
    migrated: null,
  };
  return timed<PostgresCheck>(
    'postgres',
    facts,
    timeoutMs,
    async (signal) => {
      let adminUrl: string;
      try {
        ({ name: facts.database, adminUrl } = databaseTarget(databaseUrl));
      } catch (err) {
        return {
          ok: false,
          detail: (err as Error).message,
          hint: 'set REFERENCE_DATABASE_URL to the reference database',
        };
      }
      try {
        const [version, migrated] = await queryServer(databaseUrl, timeoutMs, signal, true);
        facts.serverVersion = version;
        facts.databaseExists = true;
        facts.migrated = migrated;
        return migrated
          ? { ok: true, detail: `${version} at ${target}` }
          : { ok: true, detail: `${version} at ${target}, schema not migrated`, hint: MIGRATE_HINT };
      } catch (err) {
        if ((err as { code?: string }).code !== '3D000') return pgFailure(err, target);
      }
      // The reference database does not exist yet: ask the server's own `postgres` database instead.
      facts.databaseExists = false;
      try {
        const [version] = await queryServer(adminUrl, timeoutMs, signal, false);
        facts.serverVersion = version;
        const server = new URL(adminUrl);
        server.pathname = '/';
        return {
          ok: true,
          detail: `${version} at ${describeUrl(server.href)}, no database ${facts.database} yet`,
          hint: MIGRATE_HINT,
        };
      } catch (err) {
        return pgFailure(err, target);
      }
    },
    () => ({
      ok: false,
      detail: `${target} gave no answer within ${timeoutMs} ms`,
      hint: 'check that Postgres is up and REFERENCE_DATABASE_URL points at it',
    }),
  );
}

/** Server version and, when asked, whether the reference schema is there. */
async function queryServer(
  url: string,
  timeoutMs: number,
  signal: AbortSignal,
  withSchema: boolean,
): Promise<[string, boolean]> {
  const client = new pg.Client({
    connectionString: url,
    application_name: 'pipesoak-doctor',
    connectionTimeoutMillis: timeoutMs + CLIENT_GRACE_MS,
    query_timeout: timeoutMs + CLIENT_GRACE_MS,
  });
  const end = () => void client.end().catch(() => undefined);
  signal.addEventListener('abort', end, { once: true });
  try {
    await client.connect();
    const version = (await client.query<{ server_version: string }>('SHOW server_version')).rows[0]
      ?.server_version;
    if (!version) throw new Error('SHOW server_version returned no row');
    if (!withSchema) return [version, false];
    const found = await client.query<{ migrated: boolean }>(
      "SELECT to_regclass('outbox_events') IS NOT NULL AS migrated",
    );
    return [version, found.rows[0]?.migrated === true];
  } finally {
    signal.removeEventListener('abort', end);
    await client.end().catch(() => undefined);
  }
}

function pgFailure(err: unknown, target: string): Outcome<PostgresCheck> {
  const { code, message } = err as { code?: string; message?: string };
  const reason = message || code || String(err);
  return {
    ok: false,
    detail: `cannot use ${target}: ${reason}`,
    hint: PG_FIXES[code ?? ''] ?? 'check that Postgres is up and REFERENCE_DATABASE_URL points at it',
  };
}

async function checkNats(
  settings: Pick<ReferenceSettings, 'natsUrl' | 'stream' | 'dlqStream'>,
  timeoutMs: number,
): Promise<NatsCheck> {
  const target = describeUrl(settings.natsUrl);
  const facts: NatsCheck['facts'] = { target, serverVersion: null, jetstream: null, streams: {} };
  const startHint = 'start nats-server with JetStream (`nats-server -js`) or set NATS_URL';
  return timed<NatsCheck>(
    'nats',
    facts,
    timeoutMs,
    async (signal) => {
      let nc: NatsConnection;
      try {
        nc = await connect({
          servers: settings.natsUrl,
          timeout: timeoutMs + CLIENT_GRACE_MS,
          reconnect: false,
          name: 'pipesoak-doctor',
        });
      } catch (err) {
        if (signal.aborted) throw err;
        const cause = (err as { cause?: { code?: string } }).cause?.code;
        return {
          ok: false,
          detail: `cannot connect to ${target}: ${(err as Error).message}${cause ? ` (${cause})` : ''}`,
          hint: startHint,
        };
      }
      const close = () => void nc.close().catch(() => undefined);
      signal.addEventListener('abort', close, { once: true });
      try {
        facts.serverVersion = nc.info?.version ?? null;
        const version = facts.serverVersion ?? 'unknown version';
        try {
          const jsm = await jetstreamManager(nc, { timeout: timeoutMs + CLIENT_GRACE_MS });
          await jsm.getAccountInfo();
          facts.jetstream = true;
          for (const name of [settings.stream, settings.dlqStream]) {
            facts.streams[name] = await streamExists(jsm, name);
          }
        } catch (err) {
          if (signal.aborted) throw err;
          facts.jetstream = false;
          return {
            ok: false,
            detail: `${version} at ${target}, JetStream unavailable: ${(err as Error).message}`,
            hint: 'enable JetStream: start nats-server with `-js`',
          };
        }
        const streams = Object.entries(facts.streams)
          .map(([name, exists]) => `${name} ${exists ? 'present' : 'missing'}`)
          .join(', ');
        const missing = Object.values(facts.streams).some((exists) => !exists);
        return {
          ok: true,
          detail: `${version} at ${target}, JetStream on, streams ${streams}`,
          ...(missing ? { hint: '`pipesoak reference up` creates them' } : {}),
        };
      } finally {
        signal.removeEventListener('abort', close);
        await nc.close().catch(() => undefined);
      }
    },
    () => ({ ok: false, detail: `${target} gave no answer within ${timeoutMs} ms`, hint: startHint }),
  );
}

async function streamExists(
  jsm: Awaited<ReturnType<typeof jetstreamManager>>,
  name: string,
): Promise<boolean> {
  try {
    await jsm.streams.info(name);
    return true;
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) return false;
    throw err;
  }
}

export interface DoctorOptions {
  settings: ReferenceSettings;
  k6Path: string;
  nodeVersion?: string;
  timeoutMs?: number;
}

/** All checks, side by side so doctor takes about one timeout at worst; results in a fixed order. */
export async function doctor(options: DoctorOptions): Promise<DoctorReport> {
  const timeoutMs = options.timeoutMs ?? CHECK_TIMEOUT_MS;
  const checks: CheckResult[] = await Promise.all([
    minimumNodeVersion().then((minimum) => checkNode(options.nodeVersion ?? process.version, minimum)),
    checkK6(options.k6Path, timeoutMs),
    checkPostgres(options.settings.databaseUrl, timeoutMs),
    checkNats(options.settings, timeoutMs),
  ]);
  return { ok: checks.every((check) => check.ok), checks };
}

/** One line a check: ✓/✗, name, what was found and, when there is one, what to do. */
export function formatCheck(check: CheckResult): string {
  const mark = check.ok ? '✓' : '✗';
  const hint = check.hint ? `: ${check.hint}` : '';
  return `${mark} ${check.name.padEnd(8)} ${check.detail}${hint}`;
}
