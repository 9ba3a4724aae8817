// Every shipped scenario compiles, loads and takes its shape from the load settings; each one's
// iterations, run through the real clients, are accepted by the reference gateway or the stream.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIterationContext } from '../../../engine/api/context.ts';
import type { LoadSettings, RampingArrivalRateOptions } from '../../../engine/api/scenarioOptions.ts';
import { createClients } from '../../../engine/clients/createClients.ts';
import { compileScenario } from '../../../engine/compile/compileScenario.ts';
import { type LoadedScenario, loadScenario, resolveOptions } from '../../../engine/compile/loadScenario.ts';
import { parseDataset } from '../../../generators/datasetFormat.ts';
import { datasetOptions } from '../../../generators/datasetOptions.ts';
import { generateDataset } from '../../../generators/generateDataset.ts';
import { METRIC } from '../../../record/metricCatalog.ts';
import type { RunningComponent } from '../../../reference/component.ts';
import { startGateway } from '../../../reference/gateway.ts';
import { startLlmStub } from '../../../reference/llmStub.ts';
import { createLogger } from '../../../reference/logger.ts';
import { loadSettings } from '../../../reference/settings.ts';
import { ensureStreams } from '../../../reference/streams.ts';
import { RecordingEngineRecorder, testIteration } from '../../support/engineRecording.ts';
import { createTestEnv, type TestEnv } from '../../support/testEnv.ts';

const LOAD: LoadSettings = {
  rate: 40,
  durationMs: 60_000,
  warmUpMs: 0,
  vus: { preAllocated: 7, max: 70 },
  seed: 1,
};
const log = createLogger('scenarios-test', 'silent');
let out: string;
let env: TestEnv;
let target: { gatewayUrl: string; natsUrl: string; stream: string };
const running: RunningComponent[] = [];
const bundles = new Map<string, LoadedScenario>();

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'pipesoak-scenarios-'));
  const names = (await readdir('scenarios')).filter((f) => f.endsWith('.ts'));
  for (const name of names) {
    const { bundlePath } = await compileScenario(join('scenarios', name), out);
    bundles.set(name.replace(/\.ts$/, ''), await loadScenario(bundlePath));
  }
  env = await createTestEnv('scenarios');
  const llm = await startLlmStub(loadSettings({ ...env.env, LLM_LATENCY: 'fixed:5' }), log);
  running.push(llm);
  const gateway = await startGateway(loadSettings({ ...env.env, LLM_URL: llm.url ?? '' }), log);
  running.push(gateway);
  const nc = await connect({ servers: env.settings.natsUrl });
  await ensureStreams(await jetstreamManager(nc), env.settings);
  await nc.close();
  target = { gatewayUrl: gateway.url ?? '', natsUrl: env.settings.natsUrl, stream: env.settings.stream };
});

afterAll(async () => {
  await Promise.all(running.map((c) => c.close()));
  await env?.teardown();
  await rm(out, { recursive: true, force: true });
});

function scenario(name: string): LoadedScenario {
  const s = bundles.get(name);
  if (!s) throw new Error(`no scenario ${name}`);
  return s;
}

/** Runs iterations k = 0..n-1 of a scenario's default function at once, as the engine would. */
async function drive(name: string, n: number, runId: string, items?: unknown[]) {
  const recorder = new RecordingEngineRecorder();
  const clients = await createClients({ target, recorder, httpConnectionsPerOrigin: 8, needsNats: false });
  const fn = scenario(name).functions.default as (ctx: unknown) => Promise<void>;
  const infos = Array.from({ length: n }, (_, k) => testIteration(k, { correlationId: `${runId}-${k}` }));
  const results = await Promise.allSettled(
    infos.map((info, i) =>
      fn(
        createIterationContext({
          info,
          clients: clients.forIteration(info),
          recorder,
          vu: 1 + (i % 4),
          iteration: Math.floor(i / 4),
          data: items ? items[info.k % items.length] : undefined,
          target,
          scenarioTags: { scenario: name },
        }),
      ),
    ),
  );
  await clients.close();
  const errors = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
  return { recorder, errors, accepted: infos.filter((i) => i.accepted > 0).length };
}

async function outboxRows(runId: string) {
  const { rows } = await env.db.query<{ correlation_id: string; poison: boolean }>(
    `SELECT correlation_id, (payload->>'poison') = 'true' AS poison FROM outbox_events
      WHERE correlation_id LIKE $1 ORDER BY correlation_id`,
    [`${runId}-%`],
  );
  return rows;
}

describe('shipped scenarios', () => {
  it('all eight compile and load, each into a bundle of a few kilobytes', async () => {
    expect([...bundles.keys()].sort()).toEqual(
      ['chat', 'jetstream', 'poison-mix', 'ramp', 'smoke', 'soak', 'spike', 'steady'].sort(),
    );
    for (const s of bundles.values()) {
      expect((await readFile(s.bundlePath, 'utf8')).length).toBeLessThan(8 * 1024);
      expect(s.functions.default).toBeTypeOf('function');
    }
  });

  it('take rate, duration and VUs from the load settings', () => {
    for (const name of ['steady', 'soak', 'poison-mix', 'chat', 'jetstream']) {
      const [exec] = Object.values(resolveOptions(scenario(name), LOAD).scenarios);
      expect(exec).toMatchObject({
        executor: 'constant-arrival-rate',
        rate: 40,
        duration: 60_000,
        preAllocatedVUs: 7,
        maxVUs: 70,
      });
    }
    const smoke = Object.values(resolveOptions(scenario('smoke'), LOAD).scenarios)[0];
    expect(smoke).toMatchObject({ rate: 5, duration: 30_000 });
    const total = (o: RampingArrivalRateOptions) => o.stages.reduce((a, s) => a + Number(s.duration), 0);
    const ramp = Object.values(
      resolveOptions(scenario('ramp'), LOAD).scenarios,
    )[0] as RampingArrivalRateOptions;
    expect(total(ramp)).toBe(60_000);
    expect(ramp.stages.map((s) => s.target)).toEqual([40, 40, 0]);
    const spike = Object.values(
      resolveOptions(scenario('spike'), LOAD).scenarios,
    )[0] as RampingArrivalRateOptions;
    expect(total(spike)).toBe(60_000);
    expect(Math.max(...spike.stages.map((s) => s.target))).toBe(200);
    expect(spike.startRate).toBe(40);
  });

  it('steady posts dataset bodies with the iteration correlation ids, all accepted', async () => {
    const path = join(out, 'chat.json');
    await generateDataset(datasetOptions({ kind: 'chat', seed: 3, count: 7 }), { path, force: true });
    const items = parseDataset(await readFile(path, 'utf8')).items;
    const { recorder, errors, accepted } = await drive('steady', 30, 'steady1', items);
    expect(errors).toEqual([]);
    expect(accepted).toBe(30);
    expect(recorder.total(METRIC.checksPassed, { check: 'message accepted (202)', scenario: 'steady' })).toBe(
      30,
    );
    const rows = await outboxRows('steady1');
    expect(rows.map((r) => r.correlation_id).sort()).toEqual(
      Array.from({ length: 30 }, (_, k) => `steady1-${k}`).sort(),
    );
  });

  it('smoke and soak run without a dataset', async () => {
    for (const name of ['smoke', 'soak']) {
      const { errors, recorder } = await drive(name, 5, `${name}1`);
      expect(errors).toEqual([]);
      expect(recorder.total(METRIC.checksFailed)).toBe(0);
      expect(await outboxRows(`${name}1`)).toHaveLength(5);
    }
  });

  it('poison-mix marks exactly the configured share as poison', async () => {
    const { errors } = await drive('poison-mix', 40, 'poison1');
    expect(errors).toEqual([]);
    const rows = await outboxRows('poison1');
    expect(rows).toHaveLength(40);
    // PIPESOAK_POISON_SHARE is unset here: the default 5% of 40.
    expect(rows.filter((r) => r.poison)).toHaveLength(2);
  });

  it('chat gets its replies from the LLM stub', async () => {
    const { errors, recorder } = await drive('chat', 4, 'chat1');
    expect(errors).toEqual([]);
    expect(recorder.total(METRIC.checksPassed, { check: 'reply has text' })).toBe(4);
    expect(recorder.total(METRIC.httpRequests, { status: '200' })).toBe(4);
  });

  it('jetstream publishes straight into the stream; the same run again is all duplicates', async () => {
    const first = await drive('jetstream', 25, 'js1');
    expect(first.errors).toEqual([]);
    expect(first.accepted).toBe(25);
    expect(first.recorder.total(METRIC.jetstreamPublishDuplicates)).toBe(0);
    const again = await drive('jetstream', 25, 'js1');
    expect(again.recorder.total(METRIC.jetstreamPublishDuplicates)).toBe(25);
    const nc = await connect({ servers: target.natsUrl });
    const info = await (await jetstreamManager(nc)).streams.info(target.stream);
    await nc.close();
    expect(info.state.messages).toBe(25);
  });

  it('a scenario given the wrong kind of dataset says which kind it needs', async () => {
    const { errors } = await drive('jetstream', 1, 'wrong1', [{ seq: 0, body: { text: 'not an event' } }]);
    expect(errors).toEqual([
      'Error: this scenario needs a dataset of kind event (pipesoak generate --kind event)',
    ]);
  });
});
