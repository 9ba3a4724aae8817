// `pipesoak run` through the real CLI (issue 11's acceptance): bad configs and flags exit 2 with one
// line naming what is wrong, an unreachable target exits 3 with what to do, and Ctrl-C mid-run
// exits 130 with a partial report that opens, leaving no process behind.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportJsonSchema } from '../../reports/reportJson.ts';
import type { ConfigInput } from '../../runner/config/configSchema.ts';
import { ReferenceSupervisor } from '../../runner/referenceSupervisor.ts';
import { cli } from '../support/cli.ts';
import { runConfig } from '../support/runTarget.ts';
import { createTestEnv, type TestEnv } from '../support/testEnv.ts';

const CLI = join(import.meta.dirname, '../../runner/pipesoak.mjs');
const STEADY = 'scenarios/steady.ts';

let t: TestEnv;
let supervisor: ReferenceSupervisor;
let dir: string;
let good: ConfigInput;

beforeAll(async () => {
  t = await createTestEnv('run_cli');
  supervisor = new ReferenceSupervisor({ env: { ...process.env, ...t.env } });
  await supervisor.start();
  dir = await mkdtemp(join(tmpdir(), 'pipesoak-run-cli-'));
  good = runConfig(t, supervisor).input as ConfigInput;
}, 120_000);

afterAll(async () => {
  await supervisor?.stopAll();
  await t?.teardown();
  if (dir) await rm(dir, { recursive: true, force: true });
});

let files = 0;
/** Writes a config (plain data, so no imports) to the temp folder and returns its path. */
async function configFile(config: unknown): Promise<string> {
  const path = join(dir, `config-${files++}.mjs`);
  await writeFile(path, `export default ${JSON.stringify(config, null, 2)};\n`);
  return path;
}

// biome-ignore lint/suspicious/noExplicitAny: the cases write deliberately ill-typed values
type Loose = Record<string, any>;
const variant = (patch: (c: Loose) => void): Loose => {
  const c = structuredClone(good) as Loose;
  patch(c);
  return c;
};

/** A port nothing listens on: bound once, then released. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as { port: number }).port;
  await new Promise((done) => server.close(done));
  return port;
}

/** Runs up to `width` at once: each CLI start is a tsx load, slow on a shared machine. */
async function pool<T, R>(items: T[], width: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await f(items[i] as T);
      }
    }),
  );
  return results;
}

interface BadCase {
  name: string;
  config?: (c: Loose) => void;
  flags?: string[];
  scenario?: string;
  /** The field or flag the one line names. */
  names: string | RegExp;
}

const BAD: BadCase[] = [
  { name: 'rate negative', config: (c) => (c.load.rate = -1), names: 'load.rate' },
  {
    name: 'duration not a duration',
    config: (c) => (c.load.duration = '10 minutes'),
    names: 'load.duration',
  },
  { name: 'warm-up longer than the run', config: (c) => (c.load.warmUp = '1h'), names: 'load.warmUp' },
  {
    name: 'vus.max below preAllocated',
    config: (c) => (c.load.vus = { preAllocated: 50, max: 5 }),
    names: 'load.vus.max',
  },
  { name: 'unknown top-level key', config: (c) => (c.lod = {}), names: 'lod' },
  {
    name: 'gateway URL not a URL',
    config: (c) => (c.target.gatewayUrl = 'not a url'),
    names: 'target.gatewayUrl',
  },
  {
    name: 'outbox table not an identifier',
    config: (c) => (c.target.outbox.table = 'drop table;'),
    names: 'target.outbox.table',
  },
  { name: 'errorRate above 1', config: (c) => (c.slos = { errorRate: 2 }), names: 'slos.errorRate' },
  {
    name: 'drift of an unknown gauge',
    config: (c) => (c.slos = { drift: { gauges: { 'no.such': {} } } }),
    names: 'slos.drift.gauges.no.such',
  },
  {
    name: 'custom SLO that does not parse',
    config: (c) => (c.slos = { custom: ['p99(e2e.latency) <'] }),
    names: 'slos.custom[0]',
  },
  {
    name: 'remote target',
    config: (c) => (c.target.gatewayUrl = 'http://203.0.113.9:8080'),
    names: /gatewayUrl|--allow-remote/,
  },
  { name: '--rate not a number', flags: ['--rate', '12abc'], names: '--rate' },
  { name: '--duration not a duration', flags: ['--duration', 'forever'], names: '--duration' },
  {
    name: '--warm-up past the duration',
    flags: ['--duration', '5s', '--warm-up', '10s'],
    names: /--warm-up|--duration/,
  },
  { name: '--workers zero', flags: ['--workers', '0'], names: '--workers' },
  { name: '--start-at not an instant', flags: ['--start-at', 'tomorrow'], names: '--start-at' },
  { name: '--segment past 1', flags: ['--segment', '1/3:5/3'], names: '--segment' },
  {
    name: '--faults in a load-only segment',
    flags: ['--segment', '1/3:2/3', '--faults', 'faults.mts'],
    names: '--faults',
  },
  { name: 'scenario missing', scenario: 'scenarios/no-such.ts', names: 'no-such' },
];

describe('pipesoak run through the CLI', () => {
  it(`run - ${BAD.length} bad configs and flags each exit 2 with one line naming the field or flag`, async () => {
    const results = await pool(BAD, 4, async (c) => {
      const config = await configFile(c.config ? variant(c.config) : good);
      const args = [
        'run',
        c.scenario ?? STEADY,
        '--config',
        config,
        '--out',
        join(dir, `bad-${files}`),
        ...(c.flags ?? []),
      ];
      const r = await cli(...args);
      const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
      return {
        name: c.name,
        code: r.code,
        lines,
        named: lines.length === 1 && matches(lines[0] ?? '', c.names),
      };
    });
    const wrong = results.filter((r) => r.code !== 2 || !r.named);
    expect(wrong).toEqual([]);
    expect(results.length).toBeGreaterThanOrEqual(15);
  }, 400_000);

  it('run - an unreachable target exits 3 with a preflight line saying what to do', async () => {
    const closed = await freePort();
    const config = await configFile(
      variant((c) => {
        c.target.gatewayUrl = `http://127.0.0.1:${closed}`;
        c.target.workerMetricsUrl = `http://127.0.0.1:${closed}/metrics`;
      }),
    );
    const r = await cli('run', STEADY, '--config', config, '--out', join(dir, 'unreachable'));
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(new RegExp(`gateway.*127\\.0\\.0\\.1:${closed}`));
    // What to do, not only what failed.
    expect(r.stderr).toMatch(/start|check|is it running|pipesoak reference up/i);
    expect(existsSync(join(dir, 'unreachable', 'report.json'))).toBe(false);
  }, 120_000);

  it('run - Ctrl-C mid-run exits 130 with a partial report that opens and no process left behind', async () => {
    const config = await configFile(good);
    const runDir = join(dir, 'interrupted');
    const child = spawn(
      process.execPath,
      [
        CLI,
        'run',
        STEADY,
        '--config',
        config,
        '--rate',
        '20',
        '--duration',
        '60s',
        '--warm-up',
        '2s',
        '--out',
        runDir,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => (stdout += String(d)));
    child.stderr?.on('data', (d) => (stderr += String(d)));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    try {
      // The first progress line means the engine is running; then a few seconds of load.
      await until(
        () => /\[\d+s\/1m /.test(stdout),
        150_000,
        () => `${stdout}\n${stderr}`,
      );
      await new Promise((done) => setTimeout(done, 3000));
      const spawned = descendants(child.pid ?? 0);
      child.kill('SIGINT');
      const code = await Promise.race([
        exited,
        new Promise((done) => setTimeout(() => done('timed out'), 90_000)),
      ]);
      expect(code, `${stdout}\n${stderr}`).toBe(130);
      // A child sees its parent go (esbuild's service reads EOF on stdin) a moment later: allow 10 s.
      const end = Date.now() + 10_000;
      while (spawned.some(alive) && Date.now() < end) await new Promise((done) => setTimeout(done, 200));
      expect(spawned.filter(alive).map(command)).toEqual([]);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    expect(stdout).toMatch(/stopping/);
    const report = reportJsonSchema.parse(JSON.parse(await readFile(join(runDir, 'report.json'), 'utf8')));
    expect(report.partial).toBe(true);
    expect(report.load.iterations).toBeGreaterThan(0);
    expect(report.load.iterations as number).toBeLessThan(20 * 60);
    const html = await readFile(join(runDir, 'report.html'), 'utf8');
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html.trimEnd()).toMatch(/<\/html>$/);
    expect(html).toContain(report.run.id);
  }, 300_000);
});

function matches(line: string, names: string | RegExp): boolean {
  return typeof names === 'string' ? line.includes(names) : names.test(line);
}

async function until(f: () => boolean, timeoutMs: number, say: () => string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out waiting for the run to start:\n${say()}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

/** Every process below pid (ps), so the test can check none outlives the run. */
function descendants(pid: number): number[] {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number) as [number, number]);
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const [p, pp] of rows)
      if (pp === parent) {
        found.push(p);
        walk(p);
      }
  };
  walk(pid);
  return found;
}

function command(pid: number): string {
  try {
    return `${pid} ${execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }).trim()}`;
  } catch {
    return `${pid} (gone)`;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
