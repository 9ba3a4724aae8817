// Compiling and loading scenarios: a good bundle runs against a real server; broken ones fail
// with ScenarioError naming file:line; an iteration's error maps back to the scenario's line.
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIterationContext } from '../../../engine/api/context.ts';
import { HttpClient } from '../../../engine/clients/httpClient.ts';
import { compileScenario } from '../../../engine/compile/compileScenario.ts';
import { scenarioFrame } from '../../../engine/compile/errorLocation.ts';
import { loadScenario, resolveOptions } from '../../../engine/compile/loadScenario.ts';
import { ScenarioError } from '../../../engine/compile/scenarioError.ts';
import { METRIC } from '../../../record/metricCatalog.ts';
import { cli } from '../../support/cli.ts';
import { RecordingEngineRecorder, testIteration } from '../../support/engineRecording.ts';

const FIXTURES = 'test/fixtures/scenarios';
const LOAD = { rate: 50, durationMs: 20_000, warmUpMs: 0, vus: { preAllocated: 5, max: 10 }, seed: 1 };
let out: string;
let server: Server;
let gatewayUrl: string;

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'pipesoak-compile-'));
  server = createServer((_req, res) => res.end('hi'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  gatewayUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  server.close();
  await rm(out, { recursive: true, force: true });
});

async function compileError(name: string): Promise<string> {
  try {
    const { bundlePath } = await compileScenario(join(FIXTURES, name), out);
    await loadScenario(bundlePath);
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioError);
    return (err as Error).message;
  }
  throw new Error(`${name} compiled and loaded`);
}

async function runOnce(name: string, data: unknown) {
  const { bundlePath } = await compileScenario(join(FIXTURES, name), out);
  const scenario = await loadScenario(bundlePath);
  const recorder = new RecordingEngineRecorder();
  const http = new HttpClient({ recorder, connectionsPerOrigin: 1 });
  const info = testIteration(3);
  const ctx = createIterationContext({
    info,
    clients: { http: http.forIteration(info), jetstream: undefined as never, nats: undefined as never },
    recorder,
    vu: 1,
    iteration: 0,
    data,
    target: { gatewayUrl, natsUrl: 'nats://127.0.0.1:1' },
    scenarioTags: { scenario: 'main' },
  });
  try {
    await (scenario.functions.default as (c: typeof ctx) => Promise<void>)(ctx);
    return { scenario, recorder, info, error: undefined as unknown };
  } catch (error) {
    return { scenario, recorder, info, error };
  } finally {
    await http.close();
  }
}

describe('compileScenario and loadScenario', () => {
  it('bundles a scenario into one small ESM file with a source map, and the bundle runs', async () => {
    const { recorder, info, scenario, error } = await runOnce('good.ts', { path: '/hello' });
    expect(error).toBeUndefined();
    expect(info.accepted).toBe(1);
    expect(recorder.total(METRIC.checksPassed, { check: 'is 200', scenario: 'main' })).toBe(1);
    expect(recorder.total(METRIC.checksPassed, { check: 'says hi' })).toBe(1);
    expect(recorder.total(METRIC.checksFailed)).toBe(0);
    expect(recorder.values('custom.think', { scenario: 'main' })).toEqual([12.5]);
    expect(recorder.total('custom.ids')).toBe(1);
    expect(resolveOptions(scenario, LOAD).scenarios.main).toMatchObject({ rate: 10, preAllocatedVUs: 1 });
    const bundle = await readFile(scenario.bundlePath, 'utf8');
    // Types only from pipesoak/scenario, plus uuidFrom: no undici, no nats.js.
    expect(bundle.length).toBeLessThan(8 * 1024);
    expect(bundle).not.toMatch(/undici|nats-io/);
    const map = JSON.parse(await readFile(`${scenario.bundlePath}.map`, 'utf8')) as { sources: string[] };
    expect(map.sources.some((s) => s.endsWith('test/fixtures/scenarios/good.ts'))).toBe(true);
  });

  it('a syntax error is file:line:col', async () => {
    expect(await compileError('syntaxError.ts')).toMatch(
      /^test\/fixtures\/scenarios\/syntaxError\.ts:5:13: /,
    );
  });

  it('an import that cannot be resolved is file:line:col', async () => {
    expect(await compileError('badImport.ts')).toMatch(
      /^test\/fixtures\/scenarios\/badImport\.ts:3:\d+: Could not resolve "\.\/doesNotExist\.ts"/,
    );
  });

  it('a scenario file that is not there is named', async () => {
    expect(await compileError('notThere.ts')).toBe(
      'test/fixtures/scenarios/notThere.ts: no such scenario file',
    );
  });

  it('a missing default export is named with the file', async () => {
    expect(await compileError('noDefault.ts')).toBe(
      'test/fixtures/scenarios/noDefault.ts:1: the scenario has no default export (export default async function (ctx) { ... })',
    );
  });

  it('options that are not an object or a function point at the options line', async () => {
    expect(await compileError('badOptions.ts')).toBe(
      'test/fixtures/scenarios/badOptions.ts:4: options must be an object or a function of the load settings',
    );
  });

  it('an exec naming no exported function fails when the options are resolved', async () => {
    const { bundlePath } = await compileScenario(join(FIXTURES, 'badExec.ts'), out);
    const scenario = await loadScenario(bundlePath);
    expect(() => resolveOptions(scenario, LOAD)).toThrow(
      'test/fixtures/scenarios/badExec.ts:4: options.scenarios.main.exec "missing" is not a function the scenario exports',
    );
  });

  it('an error while the module loads names the scenario line', async () => {
    expect(await compileError('throwsAtLoad.ts')).toBe(
      'throwsAtLoad.ts:4: the scenario failed to load: cannot start',
    );
  });

  it("an error thrown in an iteration maps back to the scenario's own file:line", async () => {
    const { error } = await runOnce('throws.ts', undefined);
    expect((error as Error).message).toBe('boom in the scenario');
    expect(scenarioFrame(error)).toBe('throws.ts:8');
  });

  it('pipesoak compile prints one line and exits 2 for a bad scenario, 0 for good ones', async () => {
    const bad = await cli('compile', join(FIXTURES, 'syntaxError.ts'), '--out', out);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^pipesoak: test\/fixtures\/scenarios\/syntaxError\.ts:5:13: /);
    const good = await cli('compile', join(FIXTURES, 'good.ts'), '--out', out);
    expect(good.code).toBe(0);
    expect(good.stdout).toContain(`${join(out, 'good.mjs')}`);
  });
});
