// `pipesoak k8s` through the real CLI: the file it writes parses as YAML whose every object passes
// the Kubernetes API schema (kubernetes-models 4.5.1), the ConfigMap's bundle is the compiled
// scenario and loads as ESM, a password in the config reaches neither the file nor the ConfigMap,
// and bad input is one line with exit code 2.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../../runner/config/loadConfig.ts';
import type { K8sObject } from '../../runner/k8s/k8sManifests.ts';
import { cli } from '../support/cli.ts';

const ROOT = join(import.meta.dirname, '../..');
const SECRET = 'Zq8-long-secret';
let base: string;
let scenario: string;

function secretConfig(dir: string): string {
  // An ESM package, as a project with pipesoak installed is.
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
  const file = join(dir, 'soak.config.ts');
  writeFileSync(
    file,
    `import { defineConfig } from '${join(ROOT, 'runner/config/defineConfig.ts')}';
export default defineConfig({
  target: {
    gatewayUrl: 'http://127.0.0.1:3000',
    databaseUrl: 'postgres://soak:${SECRET}@127.0.0.1:5432/orders',
    natsUrl: 'nats://127.0.0.1:4222',
    workerMetricsUrl: 'http://127.0.0.1:9464/metrics',
    stream: 'ORDERS',
    consumer: 'orders-processor',
    dlqStream: 'ORDERS_DLQ',
    dlqConsumer: 'orders-dlq',
    applications: { worker: 'w', relay: 'r', gateway: 'g', sink: 's' },
    outbox: { table: 'order_outbox', idColumn: 'id', createdAtColumn: 'created_at', publishedAtColumn: 'published_at' },
    completionQuery: 'SELECT correlation_id, accepted_at, completed_at FROM done WHERE completed_at > $1 LIMIT $2',
  },
  load: { rate: 10, duration: '2m' },
});
`,
  );
  return file;
}

function readManifests(dir: string): K8sObject[] {
  const docs = parseAllDocuments(readFileSync(join(dir, 'pipesoak-k8s.yaml'), 'utf8'));
  return docs.map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS() as K8sObject;
  });
}

function validate(o: K8sObject): void {
  if (o.kind === 'ConfigMap') new ConfigMap(o).validate();
  else if (o.kind === 'PersistentVolumeClaim') new PersistentVolumeClaim(o).validate();
  else new Job(o).validate();
}

const future = () => new Date(Date.now() + 10 * 60_000).toISOString();

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'pipesoak-k8s-cli-'));
  scenario = join(base, 'steady.ts');
  writeFileSync(
    scenario,
    "import { helper } from './helper.ts';\nexport const options = { scenarios: { main: { executor: 'constant-arrival-rate', rate: 5 } } };\nexport default async function () { return helper(); }\n",
  );
  writeFileSync(
    join(base, 'helper.ts'),
    "export function helper(): string { return 'k8s-bundle-marker'; }\n",
  );
});

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
});

describe('pipesoak k8s', () => {
  it('k8s CLI - writes schema-valid manifests with the compiled scenario, N segments and the shared start', async () => {
    const out = join(base, 'plain');
    const startAt = future();
    const result = await cli(
      'k8s',
      scenario,
      '--parallelism',
      '4',
      '--out',
      out,
      '--start-at',
      startAt,
      '--rate',
      '400',
      '--duration',
      '30m',
      '--config',
      join(ROOT, 'pipesoak.config.ts'),
      '--image',
      'registry.example/pipesoak:0.1.0',
      '--name',
      'soak-plain',
      '--allow-remote',
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `wrote ${join(out, 'pipesoak-k8s.yaml')}: ConfigMap soak-plain-scenario,`,
    );
    expect(result.stdout).toContain('kubectl get pods -l app.kubernetes.io/instance=soak-plain -w');

    const objects = readManifests(out);
    expect(objects.map((o) => `${o.kind} ${o.metadata?.name}`)).toEqual([
      'ConfigMap soak-plain-scenario',
      'PersistentVolumeClaim soak-plain-runs',
      'Job soak-plain',
      'Job soak-plain-merge',
    ]);
    for (const o of objects) validate(o);

    const [configMap, , segments, merge] = objects as [ConfigMap, PersistentVolumeClaim, Job, Job];
    const bundle = configMap.data?.['steady.mjs'] ?? '';
    expect(bundle.startsWith('// pipesoak scenario: steady.ts\n')).toBe(true);
    expect(bundle).toContain('return "k8s-bundle-marker"');
    expect(bundle.trimEnd().endsWith('//# sourceMappingURL=steady.mjs.map')).toBe(true);
    const map = JSON.parse(configMap.data?.['steady.mjs.map'] ?? '{}') as { sourcesContent: string[] };
    expect(map.sourcesContent.join('')).toContain("'k8s-bundle-marker'");
    expect(configMap.data?.['pipesoak.config.ts']).toBe(
      readFileSync(join(ROOT, 'pipesoak.config.ts'), 'utf8'),
    );
    // The bundle stands alone: its relative import is inside it, and it loads as ESM.
    // The scenario folder as the pod mounts it: the bundle and its map side by side.
    const mounted = join(base, 'plain-mount');
    mkdirSync(mounted);
    const copy = join(mounted, 'steady.mjs');
    writeFileSync(copy, bundle);
    writeFileSync(join(mounted, 'steady.mjs.map'), configMap.data?.['steady.mjs.map'] ?? '');
    const loaded = (await import(pathToFileURL(copy).href)) as {
      default: () => Promise<string>;
      options: unknown;
    };
    expect(await loaded.default()).toBe('k8s-bundle-marker');

    expect(segments.spec).toMatchObject({
      completionMode: 'Indexed',
      completions: 4,
      parallelism: 4,
      backoffLimit: 0,
    });
    const command = segments.spec?.template.spec?.containers[0]?.command ?? [];
    const runId = segments.metadata?.labels?.['pipesoak/run-id'] ?? '';
    expect(runId).toMatch(/^steady-\d{8}-\d{6}$/);
    expect(command.slice(3)).toEqual([
      'pipesoak-segment',
      '4',
      `/runs/${runId}`,
      '/etc/pipesoak/scenario/steady.mjs',
      '--segment-sequence',
      '0,1/4,2/4,3/4,1',
      '--start-at',
      startAt,
      // One run id for every pod: their correlation ids and the merge's same-run check.
      '--run-id',
      runId,
      '--config',
      'pipesoak.config.ts',
      '--rate',
      '400',
      '--duration',
      '30m',
      '--allow-remote',
    ]);
    // Long enough for the wait, the 30 min run, the config's 60 s drain and the graceful stop.
    // The wait for the start (10 min, less the seconds this test took), the 30 min run, the config's
    // 60 s drain and the 30 s graceful stop; then 5 min more for the segments, 15 for the merge.
    const run = 10 * 60 + 30 * 60 + 60 + 30;
    const segmentsDeadline = segments.spec?.activeDeadlineSeconds ?? 0;
    expect(segmentsDeadline).toBeGreaterThan(run + 5 * 60 - 60);
    expect(segmentsDeadline).toBeLessThanOrEqual(run + 5 * 60);
    expect(merge.spec?.activeDeadlineSeconds).toBe(segmentsDeadline + 10 * 60);
  });

  it('k8s CLI - a password in the config is refused without --secret, and with it stays out of the manifests', async () => {
    const dir = join(base, 'secret');
    mkdirSync(dir, { recursive: true });
    const config = secretConfig(dir);
    const refused = await cli('k8s', scenario, '--parallelism', '2', '--out', dir, '--config', config);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      `pipesoak: config ${config}: target.databaseUrl holds a secret; put it in a Secret under DATABASE_URL and pass --secret NAME\n`,
    );

    const result = await cli(
      'k8s',
      scenario,
      '--parallelism',
      '2',
      '--out',
      dir,
      '--config',
      config,
      '--secret',
      'soak-db',
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('note: target.databaseUrl is read from DATABASE_URL in Secret soak-db');
    const file = readFileSync(join(dir, 'pipesoak-k8s.yaml'), 'utf8');
    expect(file).not.toContain(SECRET);
    expect(result.stdout + result.stderr).not.toContain(SECRET);
    const objects = readManifests(dir);
    for (const o of objects) validate(o);
    const configText = (objects[0] as ConfigMap).data?.['soak.config.ts'] ?? '';
    expect(configText).toContain('databaseUrl: process.env.DATABASE_URL,');
    const segments = objects[2] as Job;
    expect(segments.spec?.template.spec?.containers[0]?.envFrom).toEqual([
      { secretRef: { name: 'soak-db' } },
    ]);
    expect(segments.spec?.template.spec?.containers[0]?.command).toContain('soak.config.ts');

    // What the pod reads: the ConfigMap's config, with the Secret's DATABASE_URL in its environment.
    const podConfig = join(dir, 'pod.config.ts');
    writeFileSync(podConfig, configText);
    process.env.DATABASE_URL = `postgres://soak:${SECRET}@db.soak.svc:5432/orders`;
    try {
      expect((await loadConfig(podConfig)).target.databaseUrl).toBe(process.env.DATABASE_URL);
    } finally {
      delete process.env.DATABASE_URL;
    }
  });

  it.each([
    [['--parallelism', '0'], /^pipesoak: --parallelism: 0 must be a whole number, at least 1\n$/],
    [
      ['--parallelism', '2', '--start-at', '2020-01-01T00:00:00Z'],
      /^pipesoak: --start-at: 2020-01-01T00:00:00Z is already past/,
    ],
    [
      ['--parallelism', '2', '--start-at', 'soon'],
      /^pipesoak: --start-at: "soon" is not an ISO 8601 instant/,
    ],
    [['--parallelism', '2', '--name', 'Bad_Name'], /^pipesoak: --name: "Bad_Name" must be lowercase/],
    [['--parallelism', '2', '--duration', 'forever'], /^pipesoak: --duration: "forever" is not a duration/],
    [
      ['--parallelism', '2', '--config', 'missing.config.ts'],
      /^pipesoak: config missing.config.ts: file not found\n$/,
    ],
  ])('k8s CLI - bad input is one line and exit code 2: %j', async (flags, message) => {
    const out = join(base, 'bad');
    const result = await cli('k8s', scenario, '--out', out, ...flags);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('k8s CLI - a missing or broken scenario is one line and exit code 2', async () => {
    const missing = await cli('k8s', join(base, 'nope.ts'), '--parallelism', '2', '--out', join(base, 'bad'));
    expect(missing).toMatchObject({
      code: 2,
      stderr: `pipesoak: scenario ${join(base, 'nope.ts')}: file not found\n`,
    });
    const broken = join(base, 'broken.ts');
    writeFileSync(broken, 'export default async function ( {\n');
    const result = await cli('k8s', broken, '--parallelism', '2', '--out', join(base, 'bad'));
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `pipesoak: scenario ${broken}: 2: Expected identifier but found end of file\n`,
    );
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('k8s CLI - --help shows an example', async () => {
    const result = await cli('k8s', '--help');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('pipesoak k8s scenarios/steady.ts --parallelism 4');
    expect(result.stdout).toContain('--allow-remote');
    expect(result.stdout).toContain('--start-at');
  });
});
