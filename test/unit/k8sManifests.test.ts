// The Kubernetes manifests of a distributed run: every object against the Kubernetes API's JSON
// schemas (kubernetes-models 4.5.1, pinned), the Indexed Job's fields, the segment pods' shell
// wrapper run for real (with a stand-in for `pipesoak run` that prints its argv), the merge pod's
// wait, and secrets kept out of the ConfigMap.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { validateConfig } from '../../runner/config/validateConfig.ts';
import { clusterConfig } from '../../runner/k8s/clusterConfig.ts';
import { type K8sManifestOptions, type K8sObject, k8sManifests } from '../../runner/k8s/k8sManifests.ts';
import { manifestYaml } from '../../runner/k8s/manifestYaml.ts';
import { awaitSegmentsCommand, segmentOf, segmentSequence } from '../../runner/k8s/podCommands.ts';
import { UsageError } from '../../runner/usageError.ts';
import { localPodArgv, runPodLocally } from '../support/localPod.ts';

const BUNDLE =
  '// pipesoak scenario: steady.ts\nexport const options = {};\nexport default async function () {}\n';
const CONFIG =
  "import { defineConfig } from './runner/config/defineConfig.ts';\nexport default defineConfig({});\n";

function options(over: Partial<K8sManifestOptions> = {}): K8sManifestOptions {
  return {
    name: 'soak-a',
    namespace: 'load',
    parallelism: 3,
    image: 'registry.example/pipesoak:0.1.0',
    runId: 'steady-20261201-220000',
    startAt: '2026-12-01T22:00:00Z',
    scenarioFile: 'steady.ts',
    bundle: BUNDLE,
    bundleMap: '{"version":3,"sources":["steady.ts"],"mappings":""}',
    config: CONFIG,
    secretName: 'soak-db',
    runArgs: ['--rate', '300', '--duration', '10m'],
    storage: { size: '5Gi' },
    ...over,
  };
}

/** kubernetes-models' validate() throws on a schema violation. */
function validate(o: K8sObject): void {
  if (o.kind === 'ConfigMap') new ConfigMap(o).validate();
  else if (o.kind === 'PersistentVolumeClaim') new PersistentVolumeClaim(o).validate();
  else if (o.kind === 'Job') new Job(o).validate();
  else throw new Error(`no schema for ${(o as { kind: string }).kind}`);
}

function byKind(objects: K8sObject[]) {
  const jobs = objects.filter((o) => o.kind === 'Job');
  return {
    configMap: objects.find((o) => o.kind === 'ConfigMap'),
    claim: objects.find((o) => o.kind === 'PersistentVolumeClaim'),
    segments: jobs.find((j) => j.spec?.completionMode === 'Indexed'),
    merge: jobs.find((j) => j.spec?.completionMode === undefined),
  };
}

function fraction(text: string): [number, number] {
  const [n, d] = text.split('/').map(Number);
  return d === undefined ? [n ?? Number.NaN, 1] : [n ?? Number.NaN, d];
}

let base: string;
beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'pipesoak-k8s-unit-'));
});
afterAll(() => {
  rmSync(base, { recursive: true, force: true });
});

/**
 * A folder standing in for the image's /app: runner/pipesoak.mjs there prints its argv as JSON and
 * exits with $FAKE_EXIT, so the wrapper's arithmetic and exit handling run in a real shell.
 */
function appDir(name: string): string {
  const dir = join(base, name);
  mkdirSync(join(dir, 'runner'), { recursive: true });
  writeFileSync(
    join(dir, 'runner/pipesoak.mjs'),
    'console.log(JSON.stringify(process.argv.slice(2)));\nprocess.exit(Number(process.env.FAKE_EXIT ?? 0));\n',
  );
  return dir;
}

describe('k8s manifests', () => {
  it('k8s manifests - every object passes the Kubernetes API schema, also as read back from the YAML', () => {
    const objects = k8sManifests(options());
    expect(objects.map((o) => o.kind)).toEqual(['ConfigMap', 'PersistentVolumeClaim', 'Job', 'Job']);
    for (const o of objects) validate(o);
    const yaml = manifestYaml(objects, ['a comment']);
    const docs = parseAllDocuments(yaml).map((d) => {
      expect(d.errors).toEqual([]);
      return d.toJS() as K8sObject;
    });
    expect(docs).toEqual(objects);
    for (const o of docs) validate(o);
  });

  it('k8s manifests - the schema check rejects a broken Job, so it can fail', () => {
    const { segments } = byKind(k8sManifests(options()));
    const broken = structuredClone(segments) as K8sObject & { spec: { completions: unknown } };
    broken.spec.completions = 'three';
    expect(() => validate(broken)).toThrow(/completions/);
    const noContainers = structuredClone(segments) as K8sObject & {
      spec: { template: { spec: { containers?: unknown } } };
    };
    delete noContainers.spec.template.spec.containers;
    expect(() => validate(noContainers)).toThrow(/containers/);
  });

  it('k8s manifests - an Indexed Job of N pods, never retried, non-root, from the shared volume', () => {
    const { segments, claim, configMap } = byKind(k8sManifests(options({ parallelism: 5 })));
    expect(segments?.metadata).toMatchObject({ name: 'soak-a', namespace: 'load' });
    expect(segments?.spec).toMatchObject({
      completionMode: 'Indexed',
      completions: 5,
      parallelism: 5,
      backoffLimit: 0,
    });
    const pod = segments?.spec?.template.spec;
    expect(pod?.restartPolicy).toBe('Never');
    expect(pod?.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000 });
    const container = pod?.containers[0];
    expect(container?.image).toBe('registry.example/pipesoak:0.1.0');
    expect(container?.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
    });
    expect(container?.resources?.limits).toEqual({ cpu: '1', memory: '1Gi' });
    expect(container?.envFrom).toEqual([{ secretRef: { name: 'soak-db' } }]);
    expect(claim?.spec).toMatchObject({
      accessModes: ['ReadWriteMany'],
      resources: { requests: { storage: '5Gi' } },
    });
    const claimName = pod?.volumes?.find((v) => v.name === 'runs')?.persistentVolumeClaim?.claimName;
    expect(claimName).toBe(claim?.metadata?.name);
    expect(Object.keys(configMap?.data ?? {}).sort()).toEqual([
      'pipesoak.config.ts',
      'steady.mjs',
      'steady.mjs.map',
    ]);
    expect(configMap?.data?.['steady.mjs']).toBe(BUNDLE);
    // The config replaces the image's own, so its relative imports resolve in /app.
    expect(container?.volumeMounts).toContainEqual({
      name: 'scenario',
      mountPath: '/app/pipesoak.config.ts',
      subPath: 'pipesoak.config.ts',
      readOnly: true,
    });
  });

  it('k8s manifests - the segments are stopped after the run and a margin, the merge later still', () => {
    const timed = byKind(k8sManifests(options({ runSeconds: 3600 })));
    expect(timed.segments?.spec?.activeDeadlineSeconds).toBe(3600 + 300);
    expect(timed.merge?.spec?.activeDeadlineSeconds).toBe(3600 + 900);
    // Time for the partial report after SIGTERM.
    expect(timed.segments?.spec?.template.spec?.terminationGracePeriodSeconds).toBe(60);
    const untimed = byKind(k8sManifests(options()));
    expect(untimed.segments?.spec?.activeDeadlineSeconds).toBeUndefined();
    expect(untimed.merge?.spec?.activeDeadlineSeconds).toBeUndefined();
  });

  it('k8s manifests - an existing claim is used, not made', () => {
    const objects = k8sManifests(options({ storage: { claimName: 'shared-runs' } }));
    expect(objects.map((o) => o.kind)).toEqual(['ConfigMap', 'Job', 'Job']);
    for (const job of objects.filter((o) => o.kind === 'Job')) {
      const vols = job.spec?.template.spec?.volumes ?? [];
      expect(vols.find((v) => v.name === 'runs')?.persistentVolumeClaim?.claimName).toBe('shared-runs');
    }
  });

  it.each([1, 2, 3, 7])(
    'k8s manifests - %i pods run that many distinct segments, which tile [0,1]',
    async (n) => {
      const { segments } = byKind(k8sManifests(options({ parallelism: n })));
      const command = segments?.spec?.template.spec?.containers[0]?.command ?? [];
      const runDir = '/runs/steady-20261201-220000';
      expect(command).toContain(runDir);
      const cwd = appDir(`tile-${n}`);
      const local = join(cwd, 'runs/steady-20261201-220000');
      const argv = localPodArgv(command, { runsDir: join(cwd, 'runs'), scenarioDir: join(cwd, 'scenario') });
      const argvs: string[][] = [];
      for (let i = 0; i < n; i++) {
        const out = await runPodLocally(argv, { cwd, index: i });
        expect(out.code).toBe(0);
        argvs.push(JSON.parse(out.stdout.split('\n')[0] as string) as string[]);
      }
      const flag = (argv: string[], name: string) => argv[argv.indexOf(name) + 1];
      const sequence = segmentSequence(n).split(',').map(fraction);
      const spans = argvs.map((argv, i) => {
        expect(argv.slice(0, 2)).toEqual(['run', join(cwd, 'scenario/steady.mjs')]);
        expect(flag(argv, '--segment-sequence')).toBe(segmentSequence(n));
        expect(flag(argv, '--start-at')).toBe('2026-12-01T22:00:00Z');
        expect(flag(argv, '--run-id')).toBe('steady-20261201-220000');
        expect(flag(argv, '--rate')).toBe('300');
        expect(flag(argv, '--out')).toBe(join(local, `segment-${i}`));
        const segment = flag(argv, '--segment') as string;
        expect(segment).toBe(segmentOf(i, n));
        return segment.split(':').map(fraction);
      });
      expect(new Set(argvs.map((a) => flag(a, '--segment'))).size).toBe(n);
      // Exact tiling: segment i starts where i-1 ends (cross-multiplied), the first at 0, the last at 1,
      // and the segments' bounds are the sequence's points.
      const value = ([a, b]: [number, number]) => a / b;
      expect(value(spans[0]?.[0] as [number, number])).toBe(0);
      expect(value(spans[n - 1]?.[1] as [number, number])).toBe(1);
      for (let i = 0; i < n; i++) {
        const [from, to] = spans[i] as [[number, number], [number, number]];
        const [sFrom, sTo] = [sequence[i], sequence[i + 1]] as [[number, number], [number, number]];
        expect(from[0] * sFrom[1]).toBe(sFrom[0] * from[1]);
        expect(to[0] * sTo[1]).toBe(sTo[0] * to[1]);
      }
      for (let i = 0; i < n; i++)
        expect(readFileSync(join(local, `status/segment-${i}.exit`), 'utf8')).toBe('0\n');
    },
  );

  it('k8s manifests - a segment whose SLOs failed ends its pod well (the merge gives the verdict); a crash fails it', async () => {
    const { segments } = byKind(k8sManifests(options()));
    const command = segments?.spec?.template.spec?.containers[0]?.command ?? [];
    const cwd = appDir('exits');
    const local = join(cwd, 'runs/steady-20261201-220000');
    const argv = localPodArgv(command, { runsDir: join(cwd, 'runs') });
    const slo = await runPodLocally(argv, { cwd, index: 1, env: { FAKE_EXIT: '1' } });
    expect(slo.code).toBe(0);
    expect(readFileSync(join(local, 'status/segment-1.exit'), 'utf8')).toBe('1\n');
    const crash = await runPodLocally(argv, { cwd, index: 2, env: { FAKE_EXIT: '3' } });
    expect(crash.code).toBe(3);
    expect(readFileSync(join(local, 'status/segment-2.exit'), 'utf8')).toBe('3\n');
  });

  it('k8s manifests - a segment pod without a valid JOB_COMPLETION_INDEX refuses to run', async () => {
    const { segments } = byKind(k8sManifests(options()));
    const command = segments?.spec?.template.spec?.containers[0]?.command ?? [];
    const cwd = appDir('no-index');
    const argv = localPodArgv(command, { runsDir: join(cwd, 'runs') });
    for (const index of [undefined, 'x1', '3']) {
      const out = await runPodLocally(argv, { cwd, ...(index === undefined ? {} : { index }) });
      expect(out.code).toBe(2);
      expect(out.stdout).toBe('');
      expect(out.stderr).toMatch(/^pipesoak segment: JOB_COMPLETION_INDEX/);
    }
    expect(existsSync(join(cwd, 'runs/steady-20261201-220000/status'))).toBe(false);
  });

  it('k8s manifests - SIGTERM to a segment pod reaches pipesoak, whose exit code is recorded', async () => {
    const { segments } = byKind(k8sManifests(options()));
    const command = segments?.spec?.template.spec?.containers[0]?.command ?? [];
    const cwd = appDir('sigterm');
    writeFileSync(
      join(cwd, 'runner/pipesoak.mjs'),
      "process.on('SIGTERM', () => process.exit(130));\nconsole.log('ready');\nsetInterval(() => {}, 1000);\n",
    );
    const local = join(cwd, 'runs/steady-20261201-220000');
    const [cmd, ...rest] = localPodArgv(command, { runsDir: join(cwd, 'runs') });
    const pod = spawn(cmd as string, rest, {
      cwd,
      env: { PATH: process.env.PATH ?? '', JOB_COMPLETION_INDEX: '0' },
    });
    await new Promise<void>((resolve) => pod.stdout.once('data', () => resolve()));
    pod.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => pod.once('exit', (c) => resolve(c)));
    expect(code).toBe(130);
    expect(readFileSync(join(local, 'status/segment-0.exit'), 'utf8')).toBe('130\n');
  });

  it('k8s manifests - the merge pod waits for every segment to end, then merges the N folders by name', async () => {
    const { merge } = byKind(k8sManifests(options({ parallelism: 3 })));
    const spec = merge?.spec?.template.spec;
    expect(merge?.spec).toMatchObject({ backoffLimit: 0, completions: 1 });
    expect(spec?.containers[0]?.command).toEqual([
      'node',
      'runner/pipesoak.mjs',
      'merge',
      '/runs/steady-20261201-220000/segment-0',
      '/runs/steady-20261201-220000/segment-1',
      '/runs/steady-20261201-220000/segment-2',
      '--out',
      '/runs/steady-20261201-220000/merged',
      // Integrity is checked again over every segment's ids, against the target's database.
      '--config',
      'pipesoak.config.ts',
    ]);
    expect(spec?.containers[0]?.envFrom).toEqual([{ secretRef: { name: 'soak-db' } }]);
    expect(spec?.containers[0]?.volumeMounts).toContainEqual({
      name: 'scenario',
      mountPath: '/app/pipesoak.config.ts',
      subPath: 'pipesoak.config.ts',
      readOnly: true,
    });
    const wait = spec?.initContainers?.[0]?.command ?? [];
    expect(wait).toEqual(
      awaitSegmentsCommand({ parallelism: 3, runDir: '/runs/steady-20261201-220000', pollSeconds: 10 }),
    );

    const local = join(base, 'await');
    mkdirSync(join(local, 'status'), { recursive: true });
    const [cmd, ...rest] = awaitSegmentsCommand({ parallelism: 3, runDir: local, pollSeconds: 0.05 });
    const waiter = spawn(cmd as string, rest);
    let output = '';
    waiter.stdout.on('data', (b: Buffer) => {
      output += b.toString();
    });
    let exited = false;
    const done = new Promise<number | null>((resolve) =>
      waiter.once('exit', (c) => {
        exited = true;
        resolve(c);
      }),
    );
    const pause = () => new Promise((r) => setTimeout(r, 300));
    writeFileSync(join(local, 'status/segment-0.exit'), '0\n');
    writeFileSync(join(local, 'status/segment-2.exit'), '1\n');
    await pause();
    expect(exited).toBe(false);
    writeFileSync(join(local, 'status/segment-1.exit'), '3\n');
    expect(await done).toBe(0);
    expect(output).toMatch(/2 of 3 segments ended; waiting/);
    expect(output).toContain(
      'pipesoak merge: segment 0 exited 0\npipesoak merge: segment 1 exited 3\npipesoak merge: segment 2 exited 1\n',
    );
  });

  it.each([
    ['a name with capitals', { name: 'Soak_A' }, /^--name: "Soak_A" must be lowercase/],
    ['a name too long for -merge', { name: 'a'.repeat(58) }, /at most 57 characters/],
    ['no pods', { parallelism: 0 }, /^--parallelism: 0 must be a whole number from 1/],
    [
      'a start without a zone',
      { startAt: '2026-12-01 22:00' },
      /^--start-at: "2026-12-01 22:00" is not an ISO 8601 instant/,
    ],
    [
      'a storage size in words',
      { storage: { size: 'ten gigs' } },
      /^--storage-size: "ten gigs" is not a Kubernetes quantity/,
    ],
    [
      'a scenario name with a space',
      { scenarioFile: 'my scenario.ts' },
      /^scenario my scenario.ts: its name may only hold/,
    ],
    ['a bundle over 1 MiB', { bundle: 'x'.repeat(1024 * 1024) }, /over the 1 MiB a ConfigMap holds/],
  ] as const)('k8s manifests - bad options are one UsageError line: %s', (_, over, message) => {
    const call = () => k8sManifests(options(over as Partial<K8sManifestOptions>));
    expect(call).toThrow(UsageError);
    expect(call).toThrow(message);
  });
});

describe('k8s config', () => {
  const text = [
    "import { defineConfig } from './runner/config/defineConfig.ts';",
    'export default defineConfig({',
    '  target: {',
    "    gatewayUrl: 'http://gateway.soak.svc:8080',",
    "    databaseUrl: 'postgres://soak:Zq8-long-secret@db.soak.svc:5432/orders',",
    '  },',
    '});',
    '',
  ].join('\n');
  const config = validateConfig({
    target: {
      gatewayUrl: 'http://gateway.soak.svc:8080',
      databaseUrl: 'postgres://soak:Zq8-long-secret@db.soak.svc:5432/orders',
      natsUrl: 'nats://nats.soak.svc:4222',
      workerMetricsUrl: 'http://worker.soak.svc:9090/metrics',
      stream: 'EVENTS',
      consumer: 'w',
      dlqStream: 'DLQ',
      dlqConsumer: 'd',
      applications: { worker: 'w', relay: 'r', gateway: 'g', sink: 's' },
      outbox: { table: 't', idColumn: 'id', createdAtColumn: 'c', publishedAtColumn: 'p' },
      completionQuery: 'SELECT 1 WHERE $1 < $2',
    },
    load: { rate: 10, duration: '1m' },
  });

  it('k8s config - a password in the config becomes a process.env reference, and never reaches the ConfigMap', () => {
    const cluster = clusterConfig(text, config, 'pipesoak.config.ts');
    expect(cluster.replaced).toEqual([{ field: 'target.databaseUrl', env: 'DATABASE_URL' }]);
    expect(cluster.text).toBe(
      text.replace("'postgres://soak:Zq8-long-secret@db.soak.svc:5432/orders'", 'process.env.DATABASE_URL'),
    );
    const objects = k8sManifests(options({ config: cluster.text }));
    const yaml = manifestYaml(objects);
    expect(yaml).not.toContain('Zq8-long-secret');
    expect(JSON.stringify(objects)).not.toContain('Zq8-long-secret');
    expect(byKind(objects).configMap?.data?.['pipesoak.config.ts']).toContain(
      'databaseUrl: process.env.DATABASE_URL,',
    );
  });

  it('k8s config - the manifests refuse a config text that still holds a URL password', () => {
    expect(() => k8sManifests(options({ config: text }))).toThrow(
      /^config pipesoak.config.ts: holds a URL with a password/,
    );
  });

  it('k8s config - a secret spelt other than as one literal is refused, naming the field', () => {
    const pieced = text.replace(
      "'postgres://soak:Zq8-long-secret@db.soak.svc:5432/orders'",
      "'postgres://soak:' + 'Zq8-long-secret' + '@db.soak.svc:5432/orders'",
    );
    expect(() => clusterConfig(pieced, config, 'c.ts')).toThrow(
      'config c.ts: the secret in target.databaseUrl is written in the file other than as one string literal; read it from process.env',
    );
  });

  it('k8s config - a secret read from the environment is left to the Secret and named', () => {
    const fromEnv = text.replace(
      "'postgres://soak:Zq8-long-secret@db.soak.svc:5432/orders'",
      'process.env.ORDERS_DATABASE_URL',
    );
    expect(clusterConfig(fromEnv, config, 'c.ts')).toEqual({
      text: fromEnv,
      replaced: [],
      fromEnvironment: ['target.databaseUrl'],
    });
  });
});

describe('manifest YAML', () => {
  const tricky = fc.string({
    unit: fc.constantFrom(
      'a',
      'Z',
      ' ',
      '\n',
      '\t',
      '#',
      ':',
      '-',
      '|',
      '"',
      "'",
      '\\',
      '\r',
      '\u0085',
      '\u2028',
      '\ufeff',
      '\u007f',
      '\u0001',
      'é',
      '😀',
    ),
    maxLength: 40,
  });
  const value = fc.letrec((tie) => ({
    node: fc.oneof(
      { depthSize: 'small' },
      tricky,
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie('node'), { maxLength: 4 }),
      fc.dictionary(tricky, tie('node'), { maxKeys: 4 }),
    ),
  })).node;

  it('manifest YAML - reads back as the same objects, whatever the strings hold', () => {
    fc.assert(
      fc.property(
        fc.array(fc.dictionary(tricky, value, { maxKeys: 5 }), { minLength: 1, maxLength: 3 }),
        (objects) => {
          const docs = parseAllDocuments(manifestYaml(objects));
          for (const d of docs) expect(d.errors).toEqual([]);
          expect(docs.map((d) => d.toJS())).toEqual(objects);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('manifest YAML - multi-line text is a literal block; YAML 1.1 words as keys are quoted', () => {
    expect(manifestYaml([{ data: { 'a.mjs': 'one\ntwo\n' }, on: ['x\ny'] }], ['top'])).toBe(
      '# top\n---\ndata:\n  a.mjs: |\n    one\n    two\n"on":\n- |-\n  x\n  y\n',
    );
  });
});
