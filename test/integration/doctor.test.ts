// `pipesoak doctor` as users run it: the real CLI in a child process, against the machine's
// Postgres and NATS and the engine's installed parts.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CheckResult,
  type DoctorReport,
  ENGINE_PACKAGES,
  type EngineCheck,
  meetsRange,
  type NatsCheck,
  type PostgresCheck,
} from '../../runner/doctor.ts';
import { createTestEnv, NATS_URL, PG_ADMIN_URL, type TestEnv } from '../support/testEnv.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
}

function runCli(args: string[], env: Record<string, string>): Promise<CliRun> {
  const started = performance.now();
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['runner/pipesoak.mjs', ...args],
      { cwd: root, env: { ...process.env, ...env }, timeout: 20_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        done({ code, stdout, stderr, elapsedMs: performance.now() - started });
      },
    );
  });
}

async function doctorJson(env: Record<string, string>): Promise<{ run: CliRun; report: DoctorReport }> {
  const run = await runCli(['doctor', '--json'], env);
  return { run, report: JSON.parse(run.stdout) as DoctorReport };
}

function check<N extends CheckResult['name']>(
  report: DoctorReport,
  name: N,
): Extract<CheckResult, { name: N }> {
  const found = report.checks.find((c) => c.name === name);
  if (!found) throw new Error(`no ${name} check in ${JSON.stringify(report)}`);
  return found as Extract<CheckResult, { name: N }>;
}

async function serverVersions(): Promise<{ postgres: string; nats: string }> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  const postgres = (await client.query<{ server_version: string }>('SHOW server_version')).rows[0]
    ?.server_version;
  await client.end();
  const nc = await connect({ servers: NATS_URL });
  const nats = nc.info?.version;
  await nc.close();
  if (!postgres || !nats) throw new Error('could not read the server versions');
  return { postgres, nats };
}

/** The engine's parts as installed, read straight from node_modules, and as package.json declares them. */
async function engineParts(): Promise<Pick<EngineCheck['facts'], 'packages' | 'declared'>> {
  const read = async (path: string) =>
    JSON.parse(await readFile(join(root, path), 'utf8')) as {
      version: string;
      dependencies: Record<string, string>;
    };
  const declared = (await read('package.json')).dependencies;
  const packages: Record<string, string | null> = {};
  const ranges: Record<string, string | null> = {};
  for (const name of ENGINE_PACKAGES) {
    packages[name] = (await read(`node_modules/${name}/package.json`)).version;
    ranges[name] = declared[name] ?? null;
  }
  return { packages, declared: ranges } as Pick<EngineCheck['facts'], 'packages' | 'declared'>;
}

describe('pipesoak doctor', () => {
  let testEnv: TestEnv;
  let versions: { postgres: string; nats: string };
  let parts: Awaited<ReturnType<typeof engineParts>>;
  let missingDbUrl: string;

  beforeAll(async () => {
    testEnv = await createTestEnv('doctor');
    versions = await serverVersions();
    parts = await engineParts();
    const url = new URL(PG_ADMIN_URL);
    url.pathname = `/pipesoak_doctor_missing_${process.pid}`;
    missingDbUrl = url.toString();
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "pipesoak_doctor_missing_${process.pid}"`);
    await admin.end();
    // One of the two streams exists, so the report has to tell them apart.
    const nc = await connect({ servers: NATS_URL });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({
      name: testEnv.settings.stream,
      subjects: [`${testEnv.settings.subjectPrefix}.>`],
    });
    await nc.close();
  });

  afterAll(async () => {
    await testEnv?.teardown();
  });

  it("doctor - reports the real server versions, the missing database and the engine's parts, exit 0", async () => {
    const { run, report } = await doctorJson({ ...testEnv.env, REFERENCE_DATABASE_URL: missingDbUrl });
    expect(report.checks.map((c) => c.name)).toEqual(['node', 'engine', 'postgres', 'nats']);
    // A database not created yet is a step to take (the hint), not a failure.
    expect(report.ok).toBe(true);
    expect(run.code).toBe(0);

    expect(check(report, 'node')).toMatchObject({
      ok: true,
      facts: { version: process.version, minimum: '20.19' },
    });

    const engine: EngineCheck = check(report, 'engine');
    expect(engine.ok).toBe(true);
    expect(engine.facts).toEqual({ ...parts, hdrWasm: true, workerThreads: true });
    // The pins the engine was built and measured against (DESIGN section 5).
    expect(engine.facts.packages.undici?.split('.')[0]).toBe('7');
    expect(engine.facts.packages['@nats-io/jetstream']).toBe('3.3.1');
    expect(engine.hint).toBeUndefined();

    const postgres: PostgresCheck = check(report, 'postgres');
    expect(postgres.facts.serverVersion).toBe(versions.postgres);
    expect(postgres).toMatchObject({ ok: true, facts: { databaseExists: false, migrated: null } });
    expect(postgres.hint).toContain('run `pipesoak reference migrate`');

    const nats: NatsCheck = check(report, 'nats');
    expect(nats).toMatchObject({ ok: true, facts: { serverVersion: versions.nats, jetstream: true } });
    expect(nats.facts.streams).toEqual({
      [testEnv.settings.stream]: true,
      [testEnv.settings.dlqStream]: false,
    });
  });

  it('doctor - passes with a migrated database, exit 0', async () => {
    const { run, report } = await doctorJson(testEnv.env);
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(run.code).toBe(0);
    const postgres = check(report, 'postgres');
    expect(postgres.facts).toMatchObject({
      serverVersion: versions.postgres,
      databaseExists: true,
      migrated: true,
    });
    expect(postgres.hint).toBeUndefined();
  });

  it("doctor - an engine part must meet package.json's range", () => {
    expect(meetsRange('3.3.1', '3.3.1')).toBe(true);
    expect(meetsRange('3.3.2', '3.3.1')).toBe(false);
    expect(meetsRange('7.30.2', '^7.30.2')).toBe(true);
    expect(meetsRange('7.31.0', '^7.30.2')).toBe(true);
    expect(meetsRange('7.30.1', '^7.30.2')).toBe(false);
    expect(meetsRange('8.0.0', '^7.30.2')).toBe(false);
    // Below 1.0 a caret keeps the minor: esbuild 0.29 is not ^0.28.2.
    expect(meetsRange('0.28.9', '^0.28.2')).toBe(true);
    expect(meetsRange('0.29.0', '^0.28.2')).toBe(false);
  });

  it('doctor - fails the NATS check fast and clearly when nothing listens', async () => {
    const { run, report } = await doctorJson({
      ...testEnv.env,
      NATS_URL: 'nats://127.0.0.1:1',
    });
    expect(run.elapsedMs).toBeLessThan(5_000);
    expect(run.code).toBe(3);
    const nats = check(report, 'nats');
    expect(nats.ok).toBe(false);
    expect(nats.facts).toEqual({ target: '127.0.0.1:1', serverVersion: null, jetstream: null, streams: {} });
    expect(nats.detail).toBe('cannot connect to 127.0.0.1:1: connection refused (ECONNREFUSED)');
    expect(nats.hint).toContain('NATS_URL');
    expect(nats.elapsedMs).toBeLessThan(3_000);
  });

  it('doctor - gives up on a silent server after 3 s instead of hanging', async () => {
    // Accepts connections and never says a word: neither the NATS INFO nor the Postgres handshake comes.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((done) => silent.listen(0, '127.0.0.1', done));
    const { port } = silent.address() as AddressInfo;
    try {
      const { run, report } = await doctorJson({
        ...testEnv.env,
        NATS_URL: `nats://127.0.0.1:${port}`,
        REFERENCE_DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/pipesoak_reference`,
      });
      expect(run.code).toBe(3);
      // The checks run at once, each with its 3 s deadline (asserted per check below); the rest of
      // the bound is the CLI's own start-up, which includes loading the engine's parts.
      expect(run.elapsedMs).toBeLessThan(10_000);
      const targets = {
        postgres: `postgres@127.0.0.1:${port}/pipesoak_reference`,
        nats: `127.0.0.1:${port}`,
      };
      for (const [name, target] of Object.entries(targets) as Array<['postgres' | 'nats', string]>) {
        const result = check(report, name);
        expect(result.ok, name).toBe(false);
        expect(result.detail, name).toBe(`${target} gave no answer within 3000 ms`);
        expect(result.elapsedMs, name).toBeGreaterThanOrEqual(2_900);
        expect(result.elapsedMs, name).toBeLessThan(3_500);
      }
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((done) => silent.close(done));
    }
  });

  it('doctor - prints one ✓/✗ line a check, with what to do on failure', async () => {
    const run = await runCli(['doctor'], { ...testEnv.env, NATS_URL: 'nats://127.0.0.1:1' });
    expect(run.code).toBe(3);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 4).map((l) => l.slice(0, 1))).toEqual(['✓', '✓', '✓', '✗']);
    const installed = ENGINE_PACKAGES.map((name) => `${name} ${parts.packages[name]}`).join(', ');
    expect(lines[1]).toBe(`✓ engine   ${installed}; hdr WASM on, worker_threads on`);
    expect(lines[2]).toContain(`${versions.postgres} at postgres@`);
    expect(lines[3]).toMatch(/^✗ nats +cannot connect to 127\.0\.0\.1:1: .*: start nats-server/);
    expect(lines[4]).toBe('not ready: fix the ✗ lines above');
    expect(run.stdout).not.toContain('{');
  });

  it('doctor - rejects an unknown flag with exit 2 and one line naming it', async () => {
    const run = await runCli(['doctor', '--bogus'], {});
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('bogus');
  });
});
