// `pipesoak doctor` as users run it: the real CLI in a child process, against the machine's
// Postgres and NATS, with the k6 binary missing or faked by a script.
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult, DoctorReport, K6Check, NatsCheck, PostgresCheck } from '../../runner/doctor.ts';
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

/** A stand-in k6: prints what `k6 version` prints for a build with the given extension lines. */
async function fakeK6(dir: string, extensionLines: string[]): Promise<string> {
  const path = join(dir, `k6-${extensionLines.length}`);
  const body = [
    'k6 v1.2.3 (commit/devel, go1.24.4, linux/amd64)',
    'Extensions:',
    ...extensionLines.map((l) => `  ${l}`),
  ];
  await writeFile(path, `#!/bin/sh\ncat <<'EOF'\n${body.join('\n')}\nEOF\n`);
  await chmod(path, 0o755);
  return path;
}

describe('pipesoak doctor', () => {
  let testEnv: TestEnv;
  let versions: { postgres: string; nats: string };
  let scratch: string;
  let missingDbUrl: string;

  beforeAll(async () => {
    testEnv = await createTestEnv('doctor');
    versions = await serverVersions();
    scratch = await mkdtemp(join(tmpdir(), 'pipesoak-doctor-'));
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
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('doctor - reports the real server versions, the missing database and the missing k6, exit 1', async () => {
    const { run, report } = await doctorJson({
      ...testEnv.env,
      REFERENCE_DATABASE_URL: missingDbUrl,
      PIPESOAK_K6: '/nonexistent',
    });
    expect(run.code).toBe(3);
    expect(report.ok).toBe(false);
    expect(report.checks.map((c) => c.name)).toEqual(['node', 'k6', 'postgres', 'nats']);

    expect(check(report, 'node')).toMatchObject({
      ok: true,
      facts: { version: process.version, minimum: '20.19' },
    });

    const k6: K6Check = check(report, 'k6');
    expect(k6).toMatchObject({
      ok: false,
      detail: 'missing',
      facts: { path: '/nonexistent', present: false },
    });
    expect(k6.hint).toContain('build it with `npm run build:k6`');

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

  it('doctor - passes with a migrated database and a k6 that has both extensions, exit 0', async () => {
    const k6Path = await fakeK6(scratch, [
      'github.com/pipesoak/xk6-nats (devel), k6/x/nats [js]',
      'github.com/pipesoak/xk6-output-hdr (devel), hdrlog [output]',
    ]);
    const { run, report } = await doctorJson({ ...testEnv.env, PIPESOAK_K6: k6Path });
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(run.code).toBe(0);
    expect(check(report, 'k6').facts).toEqual({
      path: k6Path,
      present: true,
      version: 'v1.2.3',
      extensions: [
        'github.com/pipesoak/xk6-nats (devel), k6/x/nats [js]',
        'github.com/pipesoak/xk6-output-hdr (devel), hdrlog [output]',
      ],
      missingExtensions: [],
    });
    const postgres = check(report, 'postgres');
    expect(postgres.facts).toMatchObject({
      serverVersion: versions.postgres,
      databaseExists: true,
      migrated: true,
    });
    expect(postgres.hint).toBeUndefined();
  });

  it('doctor - fails a k6 built without the HDR output, naming it', async () => {
    const k6Path = await fakeK6(scratch, ['github.com/pipesoak/xk6-nats (devel), k6/x/nats [js]']);
    const { run, report } = await doctorJson({ ...testEnv.env, PIPESOAK_K6: k6Path });
    expect(run.code).toBe(3);
    const k6 = check(report, 'k6');
    expect(k6).toMatchObject({ ok: false, facts: { present: true, missingExtensions: ['hdrlog'] } });
    expect(k6.detail).toContain('lacks hdrlog');
  });

  it('doctor - fails the NATS check fast and clearly when nothing listens', async () => {
    const { run, report } = await doctorJson({
      ...testEnv.env,
      NATS_URL: 'nats://127.0.0.1:1',
      PIPESOAK_K6: '/nonexistent',
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
        PIPESOAK_K6: '/nonexistent',
      });
      expect(run.code).toBe(3);
      expect(run.elapsedMs).toBeLessThan(5_000);
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
    const run = await runCli(['doctor'], { ...testEnv.env, PIPESOAK_K6: '/nonexistent' });
    expect(run.code).toBe(3);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 4).map((l) => l.slice(0, 1))).toEqual(['✓', '✗', '✓', '✓']);
    expect(lines[1]).toMatch(/^✗ k6 +missing: build it with `npm run build:k6`/);
    expect(lines[2]).toContain(`${versions.postgres} at postgres@`);
    expect(lines[3]).toContain(`${versions.nats} at `);
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
