import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { experimentNamed } from '../../faults/experiments/experiments.ts';
import { SINK_COPY_TABLE } from '../../faults/experiments/sinkCopy.ts';
import { ensureToxiproxyBinary } from '../../faults/toxiproxyBinary.ts';
import { COMPONENTS, type ComponentName } from '../../reference/component.ts';
import { loadFaults } from '../../runner/loadFaults.ts';
import { ReferenceSupervisor } from '../../runner/referenceSupervisor.ts';
import {
  checkOutcome,
  type ExperimentDeps,
  type ExperimentReport,
  type ExperimentRunRequest,
  type ExperimentSupervisor,
  runExperiment,
} from '../../runner/run/runExperiment.ts';
import { createTestEnv, PG_ADMIN_URL, type TestEnv } from '../support/testEnv.ts';

const REPO = join(import.meta.dirname, '../..');

let env: TestEnv;
let workDir: string;

beforeAll(async () => {
  await ensureToxiproxyBinary();
  env = await createTestEnv('run_experiment');
  workDir = await mkdtemp(join(tmpdir(), 'pipesoak-experiment-'));
}, 180_000);

afterAll(async () => {
  await env?.teardown();
  await rm(workDir, { recursive: true, force: true });
});

function spec(name: string) {
  const found = experimentNamed(name);
  if (!found) throw new Error(`no experiment ${name}`);
  return found;
}

/** A supervisor that starts nothing and remembers what it was asked. */
class RecordingSupervisor implements ExperimentSupervisor {
  started: ComponentName[] = [];
  stopped = false;
  constructor(readonly env: Record<string, string | undefined>) {}
  async start(names: readonly ComponentName[]) {
    this.started = [...names];
  }
  url(name: ComponentName) {
    return name === 'gateway' ? 'http://127.0.0.1:1' : undefined;
  }
  async stopAll() {
    this.stopped = true;
  }
  signal() {}
  async exited() {}
  async startOne() {}
  async restart() {}
}

function deps(create: ExperimentDeps['createSupervisor']): ExperimentDeps {
  return {
    createSupervisor: create,
    baseEnv: env.env,
    postgresAdminUrl: PG_ADMIN_URL,
    repoRoot: REPO,
    workDir,
  };
}

const passing: ExperimentReport = {
  verdict: 'pass',
  integrity: { lost: 0, duplicated: 0 },
  slos: [{ name: 'integrity.lost', pass: true }],
  faults: [{ name: 'w', drainS: 1.2 }],
};

function portOpen(address: string): Promise<boolean> {
  const [host, port] = address.split(':');
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('run experiment', () => {
  it('run experiment - network-latency starts the reference behind a NATS proxy and gives the run what it needs', async () => {
    let supervisor: ReferenceSupervisor | undefined;
    let seen: ExperimentRunRequest | undefined;
    let pids: number[] = [];
    let proxyListen = '';
    const result = await runExperiment(
      spec('network-latency'),
      { seed: 7, runId: 'latency-1' },
      deps((o) => {
        supervisor = new ReferenceSupervisor({ env: o.env });
        return supervisor;
      }),
      async (request) => {
        seen = request;
        pids = COMPONENTS.map((c) => supervisor?.pid(c) ?? -1);
        expect(pids.every(alive)).toBe(true);
        // Components reach NATS through the proxy; collectors read the upstream directly.
        proxyListen = new URL(request.componentEnv.NATS_URL ?? '').host;
        expect(request.target.natsUrl).toBe(env.env.NATS_URL);
        expect(proxyListen).not.toBe(new URL(request.target.natsUrl).host);
        expect(request.faultScope.proxied).toEqual({ nats: new URL(env.env.NATS_URL ?? '').host });
        const nc = await connect({ servers: request.componentEnv.NATS_URL, timeout: 10_000 });
        await nc.flush();
        await nc.close();
        // The gateway the run loads is the one started here.
        expect(request.target.gatewayUrl).toBe(supervisor?.url('gateway'));
        expect((await fetch(`${request.target.gatewayUrl}/healthz`)).status).toBe(200);
        // The faults file loads and validates against the scope, as `run --faults` would.
        const schedule = await loadFaults(request.flags.faults, request.faultScope);
        expect(schedule.faults).toMatchObject([
          { id: 'nats-latency', what: 'latency', where: 'nats', latencyMs: 200, at: 6_000, for: 8_000 },
        ]);
        expect(request.faultContext.proxies).toBeDefined();
        return { runDir: '/runs/latency-1', exitCode: 0, report: passing };
      },
    );
    expect(seen?.scenarioPath).toBe(join(REPO, 'scenarios/steady.ts'));
    expect(existsSync(seen?.scenarioPath ?? '')).toBe(true);
    // The latency experiment's own short load: 15/s, warm-up until the fault opens at 6 s.
    expect(seen?.flags).toMatchObject({
      rate: 15,
      duration: '24s',
      warmUp: '6s',
      seed: 7,
      runId: 'latency-1',
    });
    expect(seen?.slos).toBe(spec('network-latency').slos);
    // Torn down: components, proxy and Toxiproxy gone.
    await new Promise((r) => setTimeout(r, 200));
    expect(pids.filter(alive)).toEqual([]);
    expect(await portOpen(proxyListen)).toBe(false);
    // The stand-in's report has no latency rise, so the check says so.
    expect(result.mismatches).toEqual(['fault w: no e2e.latency p99 inside and outside']);
  }, 180_000);

  it('run experiment - broker-pause starts its own nats-server, points everything at it and disposes of it', async () => {
    let made: RecordingSupervisor | undefined;
    let brokerUrl = '';
    await runExperiment(
      spec('broker-pause'),
      { long: true },
      deps((o) => {
        made = new RecordingSupervisor(o.env);
        return made;
      }),
      async (request) => {
        brokerUrl = request.target.natsUrl;
        expect(brokerUrl).not.toBe(env.env.NATS_URL);
        expect(request.componentEnv.NATS_URL).toBe(brokerUrl);
        expect(made?.env.NATS_URL).toBe(brokerUrl);
        expect(await portOpen(new URL(brokerUrl).host)).toBe(true);
        expect(request.faultScope.ownBroker).toBe(true);
        expect(request.faultContext.ownBroker).toBeDefined();
        expect(request.flags).toMatchObject({ rate: 50, duration: '15m' });
        expect((await loadFaults(request.flags.faults, request.faultScope)).faults).toMatchObject([
          { what: 'pause', where: 'broker', at: 300_000, for: 10_000 },
        ]);
        return { runDir: '/r', exitCode: 0, report: passing };
      },
    );
    expect(made?.started).toEqual([...COMPONENTS]);
    expect(made?.stopped).toBe(true);
    expect(await portOpen(new URL(brokerUrl).host)).toBe(false);
  }, 60_000);

  it('run experiment - db-connection-kill fills in the application names the components were started with', async () => {
    await runExperiment(
      spec('db-connection-kill'),
      {},
      deps((o) => new RecordingSupervisor(o.env)),
      async (request) => {
        const schedule = await loadFaults(request.flags.faults, request.faultScope);
        expect(schedule.faults.map((w) => (w.what === 'pg_terminate' ? w.applicationName : ''))).toEqual([
          env.settings.workerAppName,
          env.settings.relayAppName,
        ]);
        expect(request.faultContext.pgAdmin).toBeDefined();
        return { runDir: '/r', exitCode: 0, report: passing };
      },
    );
  }, 60_000);

  it('run experiment - control-no-dedup starts the components with INBOX_DEDUP=false and the slow sink answer', async () => {
    let made: RecordingSupervisor | undefined;
    await runExperiment(
      spec('control-no-dedup'),
      {},
      deps((o) => {
        made = new RecordingSupervisor(o.env);
        return made;
      }),
      async (request) => {
        expect(request.componentEnv.INBOX_DEDUP).toBe('false');
        // The CI profile's slow sink answer (as worker-crash's) reaches the components too.
        expect(request.componentEnv.SINK_ANSWER_DELAY_MS).toBe('300');
        expect(request.componentEnv.ACK_WAIT_MS).toBeUndefined();
        return { runDir: '/r', exitCode: 1, report: passing };
      },
    );
    expect(made?.env.INBOX_DEDUP).toBe('false');
    expect(made?.env.SINK_ANSWER_DELAY_MS).toBe('300');
  }, 60_000);

  it('run experiment - control-lost-facts reads a sink copy that misses 1 in 20 facts, dropped afterwards', async () => {
    await runExperiment(
      spec('control-lost-facts'),
      {},
      deps((o) => new RecordingSupervisor(o.env)),
      async (request) => {
        expect(request.target.completionQuery).toContain(SINK_COPY_TABLE);
        await env.db.query(
          `INSERT INTO kg_facts (event_id, event_type, correlation_id, payload)
         SELECT 'e' || i, 'chat', 'c' || i, '{}'::jsonb FROM generate_series(1, 400) AS i`,
        );
        const { rows } = await env.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM ${SINK_COPY_TABLE}`,
        );
        const copied = rows[0]?.n ?? 0;
        // About 1 in 20 of 400 is left out: some, and not many more than 20.
        expect(copied).toBeLessThan(400);
        expect(copied).toBeGreaterThan(340);
        const real = await env.db.query<{ n: number }>('SELECT count(*)::int AS n FROM kg_facts');
        expect(real.rows[0]?.n).toBe(400);
        return { runDir: '/r', exitCode: 1, report: passing };
      },
    );
    const { rows } = await env.db.query<{ t: string | null }>(
      `SELECT to_regclass('${SINK_COPY_TABLE}')::text AS t`,
    );
    expect(rows[0]?.t).toBeNull();
    await env.db.query('DELETE FROM kg_facts');
  }, 60_000);

  it('run experiment - a run that throws still tears everything down, and the error comes through', async () => {
    let made: RecordingSupervisor | undefined;
    let brokerUrl = '';
    await expect(
      runExperiment(
        spec('broker-pause'),
        {},
        deps((o) => {
          made = new RecordingSupervisor(o.env);
          return made;
        }),
        async (request) => {
          brokerUrl = request.target.natsUrl;
          throw new Error('the run crashed');
        },
      ),
    ).rejects.toThrow('the run crashed');
    expect(made?.stopped).toBe(true);
    expect(await portOpen(new URL(brokerUrl).host)).toBe(false);
  }, 60_000);
});

describe('experiment verdicts', () => {
  it('experiment verdicts - a report as expected has no mismatches', () => {
    expect(checkOutcome(spec('worker-crash'), passing)).toEqual([]);
    expect(
      checkOutcome(spec('webhook-brownout'), {
        ...passing,
        verdict: 'fail',
        slos: [
          { name: 'worker.retries.rate max', pass: false },
          { name: 'integrity.lost', pass: true },
        ],
        faults: [{ name: 'brownout', drainS: 3 }],
      }),
    ).toEqual([]);
    expect(
      checkOutcome(spec('network-latency'), {
        ...passing,
        faults: [
          {
            name: 'nats-latency',
            drainS: 0.5,
            p99Inside: { 'e2e.latency': 900 },
            p99Outside: { 'e2e.latency': 120 },
          },
        ],
      }),
    ).toEqual([]);
  });

  it('experiment verdicts - a control that is not caught, a loss, a missing drain and a flat p99 are each named', () => {
    expect(checkOutcome(spec('control-no-dedup'), passing)).toEqual([
      'verdict is pass, expected fail',
      'duplicated is 0, expected more than 0 (the control was not caught)',
      'SLO integrity.duplicated passed, expected it to fail',
    ]);
    expect(
      checkOutcome(spec('relay-crash'), {
        verdict: 'fail',
        integrity: { lost: 3, duplicated: null },
        slos: [{ name: 'integrity.lost', pass: false }],
        faults: [{ name: 'kill-relay', drainS: null }],
      }),
    ).toEqual([
      'verdict is fail, expected pass',
      'lost is 3, expected 0',
      'duplicated was not counted',
      'SLO integrity.lost failed, expected it to pass',
      'fault kill-relay: no drain time',
    ]);
    expect(
      checkOutcome(spec('network-latency'), {
        ...passing,
        faults: [
          {
            name: 'nats-latency',
            drainS: 0.5,
            p99Inside: { 'e2e.latency': 150 },
            p99Outside: { 'e2e.latency': 120 },
          },
        ],
      }),
    ).toEqual([
      'fault nats-latency: e2e.latency p99 inside 150 ms vs outside 120 ms, expected at least 150 ms higher inside',
    ]);
    expect(checkOutcome(spec('worker-crash'), { ...passing, faults: [] })).toEqual([
      '0 fault windows reported, expected 1',
    ]);
    // A kill -9 of the worker must apply nothing twice, not "at most what was in flight".
    expect(
      checkOutcome(spec('worker-crash'), {
        ...passing,
        verdict: 'fail',
        integrity: { lost: 0, duplicated: 3 },
        slos: [{ name: 'integrity.duplicated', pass: false }],
      }),
    ).toEqual([
      'verdict is fail, expected pass',
      'duplicated is 3, expected 0',
      'SLO integrity.duplicated failed, expected it to pass',
    ]);
  });
});
