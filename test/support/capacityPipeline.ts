// The reference pipeline the capacity ground-truth tests search: its own database and streams
// (testEnv.ts), every component a child process, the worker's metrics on a fixed port so a worker
// restarted with new settings (throttle, pool) keeps its URL. Short steps for CI;
// PIPESOAK_CAPACITY_STEP=60s gives real durations.
import { createServer } from 'node:net';
import shipped from '../../pipesoak.config.ts';
import { parseDuration } from '../../record/duration.ts';
import type { StepDurations } from '../../runner/capacity/capacityRun.ts';
import type { SearchOptions } from '../../runner/capacity/capacitySearch.ts';
import type { Config, ConfigInput } from '../../runner/config/configSchema.ts';
import { validateConfig } from '../../runner/config/validateConfig.ts';
import { ReferenceSupervisor } from '../../runner/referenceSupervisor.ts';
import { createTestEnv, type TestEnv } from './testEnv.ts';
import { testTarget } from './testTarget.ts';

const STEP_MS = parseDuration(process.env.PIPESOAK_CAPACITY_STEP ?? '8s');
export const CAPACITY_STEP: StepDurations = {
  durationMs: STEP_MS,
  warmUpMs: Math.max(2_000, Math.round(STEP_MS / 4)),
  coolDownMs: 1_000,
};
/**
 * No confirming re-runs: each costs a step; each test's bracket leaves room for one verdict's bias.
 * Sized for the throttle ground truth (WORKER_THROTTLE_EPS=30), at rates a loaded 2-core host
 * carries: 27.5 passes, 27.5 x 1.2 = 33 fails, the bisection tries 30.25 and stops (three steps).
 * The precision is just above 10% so that 27.5..30.25 (10.0%, in floating point a hair more) ends it.
 */
export const CAPACITY_SEARCH: SearchOptions = {
  startRate: 27.5,
  factor: 1.2,
  precision: 0.12,
  maxRate: 2_000,
  minRate: 2,
  maxSteps: 8,
  confirmFailures: false,
};
export const CAPACITY_SCENARIO = 'scenarios/steady.ts';

export interface CapacityPipeline {
  t: TestEnv;
  supervisor: ReferenceSupervisor;
  /** The config for the reference's gateway. */
  config: Config;
  /**
   * The same target with another gateway URL (a stand-in target in front of the same collectors),
   * with `slos` in place of the defaults when given.
   */
  configFor(gatewayUrl: string, slos?: ConfigInput['slos']): Config;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  await new Promise<void>((ok) => server.close(() => ok()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export async function startCapacityPipeline(label: string): Promise<CapacityPipeline> {
  const metricsPort = await freePort();
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  // Every ack sampled: at the few events/s of the pool ground truth, JetStream's default 10% left
  // a step's 6 s window with no consumer.ack.latency sample at all (3.5/s: 0.9^21 = 11%), and an
  // SLO without samples fails the step.
  const t = await createTestEnv(label, { METRICS_PORT: String(metricsPort), ACK_SAMPLE_FREQ: '100%' });
  const supervisor = new ReferenceSupervisor({ env: { ...process.env, ...t.env } });
  await supervisor.start();
  const configFor = (gatewayUrl: string, slos?: ConfigInput['slos']): Config =>
    validateConfig({
      ...shipped,
      target: { ...testTarget(t.settings, { workerMetricsUrl: metricsUrl }), gatewayUrl },
      ...(slos === undefined ? {} : { slos }),
    });
  return {
    t,
    supervisor,
    config: configFor(supervisor.url('gateway') ?? ''),
    configFor,
    async stop() {
      await supervisor.stopAll();
      await t.teardown();
    },
  };
}
