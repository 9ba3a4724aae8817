// `pipesoak generate` as a user runs it: real processes, real files, exit codes.
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDataset } from '../../generators/datasetFormat.ts';

const CLI = join(import.meta.dirname, '../../runner/pipesoak.mjs');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function pipesoakIn(env: NodeJS.ProcessEnv, ...args: string[]): Promise<Result> {
  return new Promise((done) => {
    execFile(process.execPath, [CLI, ...args], { env, maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      done({ code: typeof code === 'number' ? code : 1, stdout, stderr });
    });
  });
}

const pipesoak = (...args: string[]) => pipesoakIn(process.env, ...args);

const sha256 = async (path: string) =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pipesoak-generate-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('pipesoak generate', () => {
  it('two separate processes with the same seed and options write byte-identical files', async () => {
    const args = (seed: string) => [
      '--seed',
      seed,
      '--count',
      '5000',
      '--poison-share',
      '0.05',
      '--run-id',
      'ci-1',
    ];
    const [a, b, other] = await Promise.all([
      pipesoak('generate', ...args('20240601'), '--out', join(dir, 'a.json')),
      // another time zone and locale must not show in the bytes
      pipesoakIn(
        { ...process.env, TZ: 'Asia/Kolkata', LANG: 'de_DE.UTF-8', LC_ALL: 'de_DE.UTF-8' },
        'generate',
        ...args('20240601'),
        '--out',
        join(dir, 'b.json'),
      ),
      pipesoak('generate', ...args('20240602'), '--out', join(dir, 'c.json')),
    ]);
    for (const r of [a, b, other]) expect(r.code, r.stderr).toBe(0);
    expect(await sha256(join(dir, 'a.json'))).toBe(await sha256(join(dir, 'b.json')));
    expect(await sha256(join(dir, 'c.json'))).not.toBe(await sha256(join(dir, 'a.json')));
    expect(a.stdout).toMatch(/^wrote 5000 chat payloads \(seed 20240601, run id ci-1, 250 poison\) to /);

    const d = parseDataset(await readFile(join(dir, 'a.json'), 'utf8'));
    expect(d.meta).toMatchObject({
      seed: 20240601,
      count: 5000,
      runId: 'ci-1',
      kind: 'chat',
      poisonCount: 250,
    });
    expect(d.items[4999]?.correlationId).toBe('ci-1-4999');
  });

  it.concurrent.each([
    [['--count', '0'], '--count'],
    [['--count', '-5'], '--count'],
    [['--count', 'many'], '--count'],
    [['--poison-share', '1.5'], '--poison-share'],
    [['--poison-share', '-0.01'], '--poison-share'],
    [['--seed', '-1'], '--seed'],
    [['--kind', 'prompt', '--poison-share', '0.1'], '--poison-share'],
    [['--bogus', '1'], 'bogus'],
    [['--kind', 'chat', '--kind', 'event'], '--kind'],
    [['--out', '/nonexistent-pipesoak-dir/x.json'], '--out'],
    [['--out', '/proc/pipesoak-x.json'], '--out'],
    [['--out', '/'], '--out'],
  ])('%j exits 2 with one line naming %s', async (bad, flag) => {
    const flags: Record<string, string | undefined> = {
      '--seed': '1',
      '--count': '10',
      '--out': join(dir, 'bad.json'),
    };
    const extra: string[] = [];
    for (let i = 0; i < bad.length; i += 2) {
      const [name, value] = [bad[i] ?? '', bad[i + 1] ?? ''];
      if (name in flags) flags[name] = value;
      else extra.push(name, value);
    }
    const args = Object.entries(flags).flatMap(([k, v]) => [k, v ?? '']);
    const r = await pipesoak('generate', ...args, ...extra);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(flag);
    expect(r.stdout).toBe('');
    expect((await readdir(dir)).filter((f) => f.includes('bad'))).toEqual([]);
  });

  it('exits 2 naming a missing required flag', async () => {
    const r = await pipesoak('generate', '--count', '10', '--out', join(dir, 'x.json'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^pipesoak: Missing required argument: seed\n$/);
  });

  it('keeps an existing --out file without --force, and replaces it with --force', async () => {
    const path = join(dir, 'keep.json');
    await writeFile(path, 'results of yesterday');
    const refused = await pipesoak('generate', '--seed', '1', '--count', '10', '--out', path);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--out: .*already exists; pass --force/);
    expect(await readFile(path, 'utf8')).toBe('results of yesterday');

    const forced = await pipesoak('generate', '--seed', '1', '--count', '10', '--out', path, '--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(parseDataset(await readFile(path, 'utf8')).meta.count).toBe(10);
  });

  it('over 100k events, reports progress on stderr every 10% when not a terminal', async () => {
    const path = join(dir, 'big.json');
    const r = await pipesoak(
      'generate',
      '--seed',
      '3',
      '--count',
      '100001',
      '--kind',
      'event',
      '--out',
      path,
    );
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.map((l) => /^generate: (\d+)% \(\d+\/100001, \d+\/s\)$/.exec(l)?.[1])).toEqual([
      '10',
      '20',
      '30',
      '40',
      '50',
      '60',
      '70',
      '80',
      '90',
      '100',
    ]);
    const small = await pipesoak(
      'generate',
      '--seed',
      '3',
      '--count',
      '1000',
      '--out',
      join(dir, 'small.json'),
    );
    expect(small.stderr).toBe('');
    await rm(path);
  });

  it('an interrupt mid-write exits 130 and leaves the replaced file as it was, with no partial file', async () => {
    const path = join(dir, 'interrupted.json');
    await writeFile(path, 'keep me');
    const child = spawn(process.execPath, [
      CLI,
      'generate',
      '--seed',
      '1',
      '--count',
      '3000000',
      '--out',
      path,
      '--force',
    ]);
    await new Promise<void>((started) => child.stderr.once('data', () => started()));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((exited) => child.once('exit', exited));
    expect(code).toBe(130);
    expect(await readFile(path, 'utf8')).toBe('keep me');
    expect((await readdir(dir)).filter((f) => f.includes('interrupted'))).toEqual(['interrupted.json']);
  });

  it('--help lists every flag', async () => {
    const r = await pipesoak('generate', '--help');
    expect(r.code).toBe(0);
    for (const flag of [
      '--seed',
      '--count',
      '--out',
      '--run-id',
      '--poison-share',
      '--kind',
      '--text-median',
      '--force',
    ])
      expect(r.stdout).toContain(flag);
  });
});
