import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultRunner } from '../../faults/faultRunner.ts';
import { type FaultScheduleInput, type FaultScope, validateFaults } from '../../faults/faultSchedule.ts';
import { hostPortOfUrl } from '../../faults/loopbackAddress.ts';
import { OwnNatsServer } from '../../faults/ownNatsServer.ts';
import { Proxies } from '../../faults/proxies.ts';
import { ensureToxiproxyBinary } from '../../faults/toxiproxyBinary.ts';
import { ToxiproxyServer } from '../../faults/toxiproxyServer.ts';
import { EVENT } from '../../record/runEvents.ts';
import { ReferenceSupervisor } from '../../runner/referenceSupervisor.ts';
import { RecordingRecorder, waitFor } from '../support/recordingRecorder.ts';
import { createTestEnv, NATS_URL, PG_ADMIN_URL, type TestEnv } from '../support/testEnv.ts';

// Application names unique to this process, so a concurrent test's backends are never counted.
const VICTIM = `faultvictim-${process.pid}`;
const BYSTANDER = `bystander-${process.pid}`;
const natsUpstream = hostPortOfUrl(NATS_URL);
const pgUpstream = hostPortOfUrl(PG_ADMIN_URL);

let env: TestEnv;
let supervisor: ReferenceSupervisor;
let broker: OwnNatsServer;
let toxiproxy: ToxiproxyServer;
let proxies: Proxies;
let pgAdmin: pg.Pool;
let scope: FaultScope;

beforeAll(async () => {
  env = await createTestEnv('faults_runner');
  supervisor = new ReferenceSupervisor({ env: env.env });
  await supervisor.start(['sink', 'llm']);
  broker = await OwnNatsServer.start();
  toxiproxy = await ToxiproxyServer.start({ binary: await ensureToxiproxyBinary() });
  proxies = new Proxies(toxiproxy.url);
  const sink = hostPortOfUrl(supervisor.url('sink') ?? '');
  await proxies.create('nats', `${natsUpstream.host}:${natsUpstream.port}`);
  await proxies.create('postgres', `${pgUpstream.host}:${pgUpstream.port}`);
  await proxies.create('webhook', `${sink.host}:${sink.port}`);
  pgAdmin = new pg.Pool({ connectionString: PG_ADMIN_URL, max: 2, application_name: 'pipesoak-fault-admin' });
  scope = {
    components: ['sink', 'llm'],
    ownBroker: true,
    proxied: Object.fromEntries(proxies.all.map((p) => [p.name, p.upstream])),
    applications: [VICTIM],
    postgresUrl: PG_ADMIN_URL,
  };
}, 180_000);

afterAll(async () => {
  await supervisor?.stopAll();
  await broker?.dispose();
  await proxies?.removeAll().catch(() => undefined);
  await toxiproxy?.stop();
  await pgAdmin?.end();
  await env?.teardown();
});

function runnerFor(input: FaultScheduleInput, recorder: RecordingRecorder): FaultRunner {
  return new FaultRunner(validateFaults(input, scope), {
    recorder,
    supervisor,
    proxies,
    ownBroker: broker,
    pgAdmin,
    sinkAdminUrl: supervisor.url('sink'),
  });
}

/** The state letter of /proc/<pid>/stat: R running, S sleeping, T stopped, ... */
function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

async function proxyState(name: string): Promise<{ enabled: boolean; toxics: { name: string }[] }> {
  return (await (await fetch(`${toxiproxy.url}/proxies/${name}`)).json()) as {
    enabled: boolean;
    toxics: { name: string }[];
  };
}

async function sinkShare(): Promise<number> {
  const res = await fetch(`${supervisor.url('sink')}/admin/fail-rate`);
  return ((await res.json()) as { share: number }).share;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function backends(app: string): Promise<number> {
  const { rows } = await pgAdmin.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1',
    [app],
  );
  return rows[0]?.n ?? -1;
}

describe('faults - runner', () => {
  it('fault runner - kill ends the component, and the window end starts it again with a new pid', async () => {
    const recorder = new RecordingRecorder();
    const oldPid = supervisor.pid('llm') ?? -1;
    const runner = runnerFor({ faults: [{ what: 'kill', at: '0s', for: '1500ms', where: 'llm' }] }, recorder);
    runner.start();
    await waitFor(() => !existsSync(`/proc/${oldPid}`), 3000);
    expect(supervisor.pid('llm')).toBeUndefined();
    await runner.done;
    const newPid = supervisor.pid('llm') ?? -1;
    expect(newPid).toBeGreaterThan(0);
    expect(newPid).not.toBe(oldPid);
    expect(existsSync(`/proc/${newPid}`)).toBe(true);
    expect((await fetch(`${supervisor.url('llm')}/healthz`)).status).toBe(200);
    expect(recorder.eventsOf(EVENT.faultEnd)).toEqual([
      {
        kind: EVENT.faultEnd,
        data: { id: 'kill-llm-0', what: 'kill', where: 'llm' },
        atMs: expect.any(Number),
      },
    ]);
  });

  it('fault runner - pause stops the process (state T) for the window and it runs after', async () => {
    const recorder = new RecordingRecorder();
    const pid = supervisor.pid('llm') ?? -1;
    const runner = runnerFor({ faults: [{ what: 'pause', at: '0s', for: '1s', where: 'llm' }] }, recorder);
    runner.start();
    await waitFor(() => procState(pid) === 'T', 2000);
    // A stopped process answers nothing.
    await expect(
      fetch(`${supervisor.url('llm')}/healthz`, { signal: AbortSignal.timeout(300) }),
    ).rejects.toThrow();
    await runner.done;
    expect(['R', 'S']).toContain(procState(pid));
    expect(supervisor.pid('llm')).toBe(pid);
    expect((await fetch(`${supervisor.url('llm')}/healthz`)).status).toBe(200);
  });

  it("fault runner - the harness's own nats-server is down for the window and back after", async () => {
    const recorder = new RecordingRecorder();
    const runner = runnerFor(
      { faults: [{ what: 'kill', at: '0s', for: '800ms', where: 'broker' }] },
      recorder,
    );
    runner.start();
    await waitFor(() => recorder.eventsOf(EVENT.faultStart).length === 1, 2000);
    await waitFor(async () => !(await portOpen(broker.port)), 2000);
    await expect(connect({ servers: broker.url, reconnect: false, timeout: 500 })).rejects.toThrow();
    await runner.done;
    const nc = await connect({ servers: broker.url, reconnect: false });
    expect(await nc.rtt()).toBeLessThan(1000);
    await nc.close();
  });

  it("fault runner - pg_terminate ends exactly the named application's backends", async () => {
    const clients: pg.Client[] = [];
    const open = async (app: string) => {
      const client = new pg.Client({ connectionString: PG_ADMIN_URL, application_name: app });
      client.on('error', () => undefined); // the victims' connections are cut on purpose
      await client.connect();
      clients.push(client);
    };
    try {
      for (let i = 0; i < 3; i++) await open(VICTIM);
      for (let i = 0; i < 2; i++) await open(BYSTANDER);
      expect([await backends(VICTIM), await backends(BYSTANDER)]).toEqual([3, 2]);
      const recorder = new RecordingRecorder();
      const runner = runnerFor(
        {
          faults: [
            { what: 'pg_terminate', at: '0s', for: '300ms', where: 'postgres', applicationName: VICTIM },
          ],
        },
        recorder,
      );
      runner.start();
      await runner.done;
      await waitFor(async () => (await backends(VICTIM)) === 0, 3000);
      expect(await backends(BYSTANDER)).toBe(2);
      expect(recorder.eventsOf(EVENT.faultEnd)[0]?.data).toEqual({
        id: 'pg_terminate-postgres-0',
        what: 'pg_terminate',
        where: 'postgres',
        terminated: 3,
      });
    } finally {
      await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    }
  });

  it('fault runner - a 3-window schedule records fault.start and fault.end at the planned times', async () => {
    const recorder = new RecordingRecorder();
    const runner = runnerFor(
      {
        faults: [
          {
            id: 'slow-nats',
            what: 'latency',
            at: '0ms',
            for: '800ms',
            where: 'nats',
            latencyMs: 100,
            jitterMs: 10,
          },
          { id: 'pg-down', what: 'down', at: '200ms', for: '700ms', where: 'postgres' },
          { id: 'sink-fails', what: 'sink_fail', at: '300ms', for: '700ms', where: 'sink', share: 1 },
        ],
      },
      recorder,
    );
    const startAt = Date.now();
    runner.start(startAt);
    // At 450 ms all three are in force (the first ends at 800 ms: room for a slow event loop).
    await new Promise((r) => setTimeout(r, 450));
    expect((await proxyState('nats')).toxics.map((t) => t.name)).toEqual(['slow-nats']);
    expect((await proxyState('postgres')).enabled).toBe(false);
    expect(await sinkShare()).toBe(1);
    await runner.done;

    expect((await proxyState('nats')).toxics).toEqual([]);
    expect((await proxyState('postgres')).enabled).toBe(true);
    expect(await sinkShare()).toBe(0);

    const planned: Record<string, [number, number]> = {
      'slow-nats': [0, 800],
      'pg-down': [200, 900],
      'sink-fails': [300, 1000],
    };
    const starts = recorder.eventsOf(EVENT.faultStart);
    const ends = recorder.eventsOf(EVENT.faultEnd);
    expect(starts.map((e) => e.data.id)).toEqual(['slow-nats', 'pg-down', 'sink-fails']);
    expect(ends.map((e) => e.data.id)).toEqual(['slow-nats', 'pg-down', 'sink-fails']);
    for (const [id, [from, to]] of Object.entries(planned)) {
      const start = starts.find((e) => e.data.id === id);
      const end = ends.find((e) => e.data.id === id);
      expect(Math.abs((start?.atMs ?? Number.NaN) - startAt - from), `${id} start`).toBeLessThanOrEqual(150);
      expect(Math.abs((end?.atMs ?? Number.NaN) - startAt - to), `${id} end`).toBeLessThanOrEqual(150);
      expect(end?.data.error).toBeUndefined();
    }
    expect(starts[0]?.data).toEqual({
      id: 'slow-nats',
      what: 'latency',
      where: 'nats',
      params: { latencyMs: 100, jitterMs: 10 },
    });
    expect(starts[2]?.data.params).toEqual({ share: 1 });
  });

  it('fault runner - stop() mid-window restores every active fault at once and never opens later ones', async () => {
    const recorder = new RecordingRecorder();
    const llmPid = supervisor.pid('llm') ?? -1;
    const runner = runnerFor(
      {
        faults: [
          { what: 'latency', at: '0s', for: '20s', where: 'nats', latencyMs: 300 },
          { what: 'down', at: '0s', for: '20s', where: 'postgres' },
          { what: 'sink_fail', at: '0s', for: '20s', where: 'sink', share: 0.75 },
          { what: 'pause', at: '0s', for: '20s', where: 'llm' },
          { what: 'kill', at: '0s', for: '20s', where: 'broker' },
          { what: 'reset_peer', at: '10s', for: '5s', where: 'webhook' },
        ],
      },
      recorder,
    );
    runner.start();
    await waitFor(() => procState(llmPid) === 'T', 2000);
    await waitFor(async () => !(await portOpen(broker.port)), 2000);
    expect(await sinkShare()).toBe(0.75);
    expect(recorder.eventsOf(EVENT.faultStart)).toHaveLength(5);

    const stopping = performance.now();
    await runner.stop();
    expect(performance.now() - stopping).toBeLessThan(5000);
    await runner.done;

    expect((await proxyState('nats')).toxics).toEqual([]);
    expect((await proxyState('postgres')).enabled).toBe(true);
    expect(await sinkShare()).toBe(0);
    expect(['R', 'S']).toContain(procState(llmPid));
    expect(await portOpen(broker.port)).toBe(true);
    expect(recorder.eventsOf(EVENT.faultEnd).map((e) => [e.data.id, e.data.error])).toEqual(
      expect.arrayContaining([
        ['latency-nats-0', undefined],
        ['down-postgres-1', undefined],
        ['sink_fail-sink-2', undefined],
        ['pause-llm-3', undefined],
        ['kill-broker-4', undefined],
      ]),
    );
    expect(recorder.eventsOf(EVENT.faultEnd)).toHaveLength(5);
    // The later window never opened: no events and no toxic on the webhook proxy.
    expect(recorder.events.some((e) => e.data.id === 'reset_peer-webhook-5')).toBe(false);
    expect((await proxyState('webhook')).toxics).toEqual([]);
  });

  it('fault runner - a fault that cannot be applied is recorded with its reason, not thrown', async () => {
    const recorder = new RecordingRecorder();
    // The scope says the harness started a worker, but the supervisor has none running.
    const schedule = validateFaults(
      { faults: [{ what: 'pause', at: '0s', for: '5s', where: 'worker' }] },
      { ...scope, components: ['worker'] },
    );
    const runner = new FaultRunner(schedule, { recorder, supervisor });
    runner.start();
    await runner.done;
    expect(recorder.eventsOf(EVENT.faultStart)).toHaveLength(1);
    expect(recorder.eventsOf(EVENT.faultEnd)[0]?.data).toEqual({
      id: 'pause-worker-0',
      what: 'pause',
      where: 'worker',
      error: 'could not apply: worker is not running',
    });
  });
});
