import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transform } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadSettings } from '../../engine/api/scenarioOptions.ts';
import { resolveScenarioOptions } from '../../engine/scenarioOptions.ts';
import { loadConfig } from '../../runner/config/loadConfig.ts';
import { CONFIG_TEMPLATE, SCENARIO_TEMPLATE } from '../../runner/init/templates.ts';
import { cli, cliIn } from '../support/cli.ts';

const ROOT = join(import.meta.dirname, '../..');
let base: string;

/** A folder where `import … from 'pipesoak'` resolves as it does once the package is installed. */
function projectDir(name: string): string {
  const dir = join(base, name);
  const pkg = join(dir, 'node_modules/pipesoak');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(
    join(pkg, 'package.json'),
    JSON.stringify({ name: 'pipesoak', type: 'module', exports: { '.': './index.ts' } }),
  );
  writeFileSync(
    join(pkg, 'index.ts'),
    `export { defineConfig } from '${join(ROOT, 'runner/config/defineConfig.ts')}';\n`,
  );
  return dir;
}

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'pipesoak-init-'));
});

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
});

describe('pipesoak init', () => {
  it('init - writes a config that validates as written and names a pipeline other than the reference', async () => {
    const dir = projectDir('fresh');
    const result = await cli('init', '--dir', dir);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain(
      `wrote ${join(dir, 'pipesoak.config.ts')} and ${join(dir, 'scenarios/my-pipeline.ts')}`,
    );
    expect(readFileSync(join(dir, 'pipesoak.config.ts'), 'utf8')).toBe(CONFIG_TEMPLATE);
    expect(readFileSync(join(dir, 'scenarios/my-pipeline.ts'), 'utf8')).toBe(SCENARIO_TEMPLATE);
    expect(CONFIG_TEMPLATE).toContain("import { defineConfig } from 'pipesoak';");

    const previous = process.env.ORDERS_DATABASE_URL;
    delete process.env.ORDERS_DATABASE_URL;
    try {
      const config = await loadConfig(join(dir, 'pipesoak.config.ts'));
      expect(config.target).toMatchObject({
        gatewayUrl: 'http://127.0.0.1:3000',
        databaseUrl: 'postgres://orders@127.0.0.1:5432/orders',
        stream: 'ORDERS',
        consumer: 'orders-processor',
        dlqStream: 'ORDERS_DLQ',
        outbox: {
          table: 'order_outbox',
          idColumn: 'event_id',
          createdAtColumn: 'occurred_at',
          publishedAtColumn: 'relayed_at',
        },
      });
      expect(config.load).toMatchObject({ rate: 20, duration: 120_000, warmUp: 15_000, seed: 1 });
      expect(config.slos['e2e.latency']).toEqual({ p50: 500, p99: 2000 });
      expect(config.slos.custom).toEqual(['p999(e2e.latency) < 5000']);
      expect(config.drainTimeout).toBe(30_000);
      // None of the reference pipeline's names: every one is the user's to replace.
      expect(JSON.stringify(config.target)).not.toMatch(
        /EVENTS|sea-mq|outbox_events|kg_facts|pipesoak_reference/,
      );
    } finally {
      if (previous !== undefined) process.env.ORDERS_DATABASE_URL = previous;
    }
  });

  it('init - the starter scenario compiles, schedules from the load settings and posts the dataset item', async () => {
    expect(SCENARIO_TEMPLATE).toContain(
      "import type { ChatBody, DatasetItem, IterationContext, LoadSettings } from 'pipesoak/scenario';",
    );
    // Type imports vanish in the bundle, so the module runs on its own, with a context that
    // records the request.
    const compiled = await transform(SCENARIO_TEMPLATE, { loader: 'ts', format: 'esm' });
    const scenario = (await import(
      `data:text/javascript;base64,${Buffer.from(compiled.code).toString('base64')}`
    )) as {
      dataset: unknown;
      options: (load: LoadSettings) => unknown;
      default: (ctx: unknown) => Promise<void>;
    };
    expect(scenario.dataset).toEqual({ kind: 'chat' });
    const load: LoadSettings = {
      rate: 25,
      durationMs: 60_000,
      warmUpMs: 5_000,
      vus: { preAllocated: 3, max: 30 },
      seed: 1,
    };
    const options = scenario.options(load);
    expect(options).toEqual({
      scenarios: {
        orders: {
          executor: 'constant-arrival-rate',
          rate: 25,
          timeUnit: '1s',
          duration: 60_000,
          preAllocatedVUs: 3,
          maxVUs: 30,
        },
      },
    });
    // The engine takes the schedule as it is.
    expect(() => resolveScenarioOptions(scenario.options, load, (name) => name === 'default')).not.toThrow();
    const posts: unknown[][] = [];
    const checks: unknown[] = [];
    await scenario.default({
      target: { gatewayUrl: 'http://127.0.0.1:3999' },
      data: {
        seq: 42,
        correlationId: 'dataset-42',
        traceparent: '00-00000000000000000000000000000001-0000000000000001-01',
        body: { userId: 'user-7', text: 'two pizzas', conversationId: 'c-1', correlationId: 'dataset-42' },
      },
      correlationId: 'run1-42',
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      http: {
        post: async (...args: unknown[]) => {
          posts.push(args);
          return { status: 202 };
        },
      },
      check: (res: unknown, named: Record<string, (r: unknown) => boolean>) =>
        checks.push(Object.fromEntries(Object.entries(named).map(([k, f]) => [k, f(res)]))),
    });
    expect(posts).toEqual([
      [
        'http://127.0.0.1:3999/api/orders',
        {
          json: { customerId: 'user-7', note: 'two pizzas', correlationId: 'run1-42' },
          headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
        },
      ],
    ]);
    expect(checks).toEqual([{ 'accepted (202)': true }]);
    expect(SCENARIO_TEMPLATE).not.toMatch(/https?:\/\//);
  });

  it('init - in a CommonJS package, run loads the config and compiles scenarios that import pipesoak', async () => {
    const dir = projectDir('commonjs');
    // npm init's package.json: no "type", so .ts files are CommonJS to Node.
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'orders-app', version: '1.0.0' }));
    expect((await cli('init', '--dir', dir)).code).toBe(0);
    // A value import from pipesoak/scenario, which a type-only import would not test.
    writeFileSync(
      join(dir, 'scenarios/ids.ts'),
      "import { uuidFrom, type IterationContext, type LoadSettings } from 'pipesoak/scenario';\n" +
        'export const options = (load: LoadSettings) => ({ scenarios: { ids: {\n' +
        "  executor: 'constant-arrival-rate', rate: load.rate, timeUnit: '1s', duration: load.durationMs,\n" +
        '  preAllocatedVUs: 2, maxVUs: 10 } } });\n' +
        'export default async function (ctx: IterationContext) {\n' +
        "  await ctx.http.post(ctx.target.gatewayUrl + '/api/orders', { json: { id: uuidFrom(ctx.correlationId) } });\n" +
        '}\n',
    );
    for (const scenario of ['scenarios/my-pipeline.ts', 'scenarios/ids.ts']) {
      const result = await cliIn(dir, 'run', scenario, '--duration', '3s', '--warm-up', '1s');
      // Loaded (the rate is the config's), compiled (else exit 2), then stopped at preflight: the
      // example target does not run here.
      expect(result.stdout, result.stderr).toContain(
        `pipesoak run ${scenario}: config pipesoak.config.ts (default), rate 20/s (config),`,
      );
      expect(result.stderr).toMatch(/^pipesoak: preflight database: .*target\.databaseUrl/m);
      expect(result.stderr).not.toMatch(/does not load|require\(\)/);
      expect(result.code, result.stderr).toBe(3);
    }
    // The compiled config is removed after loading.
    expect(readdirSync(dir).filter((f) => f.endsWith('.mjs'))).toEqual([]);
  });

  it('init - refuses to replace an existing file, naming it, and writes nothing', async () => {
    const dir = projectDir('existing');
    mkdirSync(join(dir, 'scenarios'));
    writeFileSync(join(dir, 'scenarios/my-pipeline.ts'), '// mine\n');
    const result = await cli('init', '--dir', dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `pipesoak: init: ${join(dir, 'scenarios/my-pipeline.ts')} already exists (--force replaces it)\n`,
    );
    expect(readFileSync(join(dir, 'scenarios/my-pipeline.ts'), 'utf8')).toBe('// mine\n');
    expect(() => readFileSync(join(dir, 'pipesoak.config.ts'))).toThrow(/ENOENT/);
  });

  it('init - --force replaces existing files', async () => {
    const dir = projectDir('forced');
    writeFileSync(join(dir, 'pipesoak.config.ts'), '// old\n');
    expect((await cli('init', '--dir', dir)).code).toBe(2);
    expect(readFileSync(join(dir, 'pipesoak.config.ts'), 'utf8')).toBe('// old\n');
    const result = await cli('init', '--dir', dir, '--force');
    expect(result.code).toBe(0);
    expect(readFileSync(join(dir, 'pipesoak.config.ts'), 'utf8')).toBe(CONFIG_TEMPLATE);
  });
});
