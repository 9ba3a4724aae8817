// `pipesoak doctor`'s checks: what this machine has for a run (Node, the engine's parts, Postgres, NATS).
// Each check returns a result instead of printing or throwing, and gives up after its timeout.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { JetStreamApiCodes, JetStreamApiError, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import pg from 'pg';
import { databaseTarget } from '../reference/migrate.ts';
import type { ReferenceSettings } from '../reference/settings.ts';

const CHECK_TIMEOUT_MS = 3_000;
// Local CPU work, not a server that may never answer: loading the WASM build and starting a thread
// take well under a second idle, seconds on a loaded 2-core machine; the bound only catches a hang.
const ENGINE_CHECK_TIMEOUT_MS = 10_000;
/** The libraries the engine puts everything on the wire through, and the bundler of scenarios. */
export const ENGINE_PACKAGES = [
  'undici',
  '@nats-io/jetstream',
  '@nats-io/transport-node',
  'hdr-histogram-js',
  'esbuild',
] as const;
export type EnginePackage = (typeof ENGINE_PACKAGES)[number];
const INSTALL_HINT = 'run `npm ci` in the pipesoak checkout';
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
export type EngineCheck = Check<
  'engine',
  {
    /** Installed version of each part; null when it cannot be found. */
    packages: Record<EnginePackage, string | null>;
    /** What package.json asks for. */
    declared: Record<EnginePackage, string | null>;
    /** hdr-histogram-js initialised its WebAssembly build and recorded into a WASM histogram. */
    hdrWasm: boolean | null;
    /** A worker thread started and answered (the engine runs its VUs in them). */
    workerThreads: boolean | null;
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
export type CheckResult = NodeCheck | EngineCheck | PostgresCheck | NatsCheck;

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

/** The installed version of a package: the package.json above its entry point. */
async function installedVersion(name: string): Promise<string | null> {
  let dir: string;
  try {
    dir = dirname(fileURLToPath(import.meta.resolve(name)));
  } catch {
    return null;
  }
  for (;;) {
    try {
      const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === name) return pkg.version ?? null;
    } catch {
      // No package.json here (or a nested one without a name): keep climbing.
    }
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/** Whether `version` meets a package.json range: exact `x.y.z`, or `^x.y.z` (same leftmost non-zero part). */
export function meetsRange(version: string, range: string): boolean {
  const caret = range.startsWith('^');
  const want = parseVersion(range.replace(/^[\^~=]/, ''));
  const have = parseVersion(version);
  if (!caret) return want.every((part, i) => have[i] === part);
  const fixed = want.findIndex((part) => part !== 0);
  const keep = fixed === -1 ? want.length : fixed + 1;
  return want.slice(0, keep).every((part, i) => have[i] === part) && versionAtLeast(version, range.slice(1));
}

async function hdrWasmWorks(): Promise<void> {
  const hdr = await import('hdr-histogram-js');
  await hdr.initWebAssembly();
  const histogram = hdr.build({ useWebAssembly: true });
  try {
    histogram.recordValue(1_000);
    if (histogram.totalCount !== 1) throw new Error(`recorded 1 value, counted ${histogram.totalCount}`);
  } finally {
    histogram.destroy();
  }
}

function workerAnswers(signal: AbortSignal): Promise<void> {
  return new Promise((done, fail) => {
    const worker = new Worker("require('node:worker_threads').parentPort.postMessage('ready')", {
      // Without the parent's --import tsx: this asks whether threads start, not how fast tsx loads.
      eval: true,
      execArgv: [],
    });
    const stop = () => void worker.terminate();
    signal.addEventListener('abort', stop, { once: true });
    worker.once('message', () => {
      signal.removeEventListener('abort', stop);
      void worker.terminate().then(() => done());
    });
    worker.once('error', (err) => {
      signal.removeEventListener('abort', stop);
      fail(err);
    });
  });
}

async function checkEngine(timeoutMs: number): Promise<EngineCheck> {
  const none = () => Object.fromEntries(ENGINE_PACKAGES.map((p) => [p, null])) as Record<EnginePackage, null>;
  const facts: EngineCheck['facts'] = {
    packages: none(),
    declared: none(),
    hdrWasm: null,
    workerThreads: null,
  };
  return timed<EngineCheck>(
    'engine',
    facts,
    timeoutMs,
    async (signal) => {
      const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
        dependencies?: Record<string, string>;
      };
      const problems: string[] = [];
      for (const name of ENGINE_PACKAGES) {
        const version = await installedVersion(name);
        const declared = pkg.dependencies?.[name] ?? null;
        facts.packages[name] = version;
        facts.declared[name] = declared;
        if (version === null) problems.push(`${name} is not installed`);
        else if (declared !== null && !meetsRange(version, declared))
          problems.push(`${name} ${version} does not meet package.json's ${declared}`);
      }
      // Side by side: on a loaded machine loading the WASM build alone takes a second or more.
      const [wasm, threads] = await Promise.allSettled([hdrWasmWorks(), workerAnswers(signal)]);
      facts.hdrWasm = wasm.status === 'fulfilled';
      if (wasm.status === 'rejected')
        problems.push(`hdr-histogram-js WebAssembly does not initialise: ${(wasm.reason as Error).message}`);
      if (signal.aborted) throw new Error('aborted');
      facts.workerThreads = threads.status === 'fulfilled';
      if (threads.status === 'rejected')
        problems.push(`a worker thread did not start: ${(threads.reason as Error).message}`);
      const parts = ENGINE_PACKAGES.map((name) => `${name} ${facts.packages[name] ?? 'missing'}`).join(', ');
      const runtime = `hdr WASM ${facts.hdrWasm ? 'on' : 'off'}, worker_threads ${facts.workerThreads ? 'on' : 'off'}`;
      return problems.length === 0
        ? { ok: true, detail: `${parts}; ${runtime}` }
        : { ok: false, detail: `${problems.join('; ')} (${parts}; ${runtime})`, hint: INSTALL_HINT };
    },
    () => ({
      ok: false,
      detail: `the engine's parts gave no answer within ${timeoutMs} ms`,
      hint: INSTALL_HINT,
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
  nodeVersion?: string;
  timeoutMs?: number;
}

/** All checks, side by side so doctor takes about one timeout at worst; results in a fixed order. */
export async function doctor(options: DoctorOptions): Promise<DoctorReport> {
  const timeoutMs = options.timeoutMs ?? CHECK_TIMEOUT_MS;
  const checks: CheckResult[] = await Promise.all([
    minimumNodeVersion().then((minimum) => checkNode(options.nodeVersion ?? process.version, minimum)),
    checkEngine(Math.max(timeoutMs, ENGINE_CHECK_TIMEOUT_MS)),
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
