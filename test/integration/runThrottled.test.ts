// `pipesoak run` against a reference worker throttled below the input rate (WORKER_THROTTLE_EPS):
// the consumer backlog grows all run long, and the verdict fails naming the drift SLO.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReferenceSupervisor } from '../../runner/referenceSupervisor.ts';
import { runScenario } from '../../runner/run/runScenario.ts';
import { bufferOut, runConfig } from '../support/runTarget.ts';
import { createTestEnv, type TestEnv } from '../support/testEnv.ts';

// 30/s in, 10/s out: the backlog grows ~1,200 a minute, far above the drift floor of 10/min. The
// 18 s steady window sampled every 500 ms makes 18 one-second windows, past the 5 a trend needs.
const RATE = 30;
const THROTTLE_EPS = 10;

let t: TestEnv;
let supervisor: ReferenceSupervisor;
let outDir: string;

beforeAll(async () => {
  t = await createTestEnv('run_throttled', { WORKER_THROTTLE_EPS: String(THROTTLE_EPS) });
  supervisor = new ReferenceSupervisor({ env: { ...process.env, ...t.env } });
  await supervisor.start();
  outDir = await mkdtemp(join(tmpdir(), 'pipesoak-run-throttled-'));
}, 120_000);

afterAll(async () => {
  await supervisor?.stopAll();
  await t?.teardown();
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

describe('pipesoak run against a throttled worker', () => {
  it('run - a worker slower than the input rate fails the verdict on consumer.pending drift', async () => {
    const out = bufferOut();
    const outcome = await runScenario({
      scenarioPath: 'scenarios/steady.ts',
      flags: { rate: String(RATE), duration: '20s', warmUp: '2s', out: join(outDir, 'throttled') },
      // The backlog cannot drain at 10/s in any useful time: count what completed and report.
      config: runConfig(t, supervisor, { drainTimeout: '2s' }),
      out,
      handleSignals: false,
    });
    const drift = outcome.report.slos.find((s) => s.name === 'consumer.pending drift');
    expect(drift, out.text()).toBeDefined();
    expect(drift?.pass, out.text()).toBe(false);
    expect(drift?.reason).toMatch(/lower bound [\d.]+\/min, threshold 10\/min over \d+ windows/);
    expect(outcome.report.verdict).toBe('fail');
    expect(outcome.exitCode).toBe(1);
    expect(out.text()).toMatch(/✗ consumer\.pending drift:/);
  }, 180_000);
});
