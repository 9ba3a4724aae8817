import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningComponent } from '../../reference/component.ts';
import { startGateway } from '../../reference/gateway.ts';
import { startLlmStub } from '../../reference/llmStub.ts';
import { createLogger } from '../../reference/logger.ts';
import { referenceTarget } from '../../reference/referenceTarget.ts';
import { startSink } from '../../reference/sink.ts';
import { startWorker } from '../../reference/worker.ts';
import type { Config } from '../../runner/config/configSchema.ts';
import { validateConfig } from '../../runner/config/validateConfig.ts';
import { type PreflightCheck, type PreflightResult, preflight } from '../../runner/preflight.ts';
import { assertPreflightPassed, PreflightError } from '../../runner/preflightError.ts';
import { createTestEnv, type TestEnv } from '../support/testEnv.ts';

const log = createLogger('preflight-test', 'silent');
const TIMEOUT_MS = 3000;

let env: TestEnv;
let target: Config['target'];
const running: RunningComponent[] = [];
let closedPort: number;
let silent: { server: Server; sockets: Socket[]; port: number };

/** A port nothing listens on: bound once, then released. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as { port: number }).port;
  await new Promise((done) => server.close(done));
  return port;
}

/** Accepts connections and never says a word: a hung service. */
async function silentServer(): Promise<typeof silent> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { server, sockets, port: (server.address() as { port: number }).port };
}

function byCheck(results: PreflightResult[]): Record<string, Omit<PreflightResult, 'elapsedMs' | 'check'>> {
  return Object.fromEntries(results.map(({ check, elapsedMs: _elapsed, ...rest }) => [check, rest]));
}

const ALL_CHECKS: PreflightCheck[] = [
  'gateway',
  'database',
  'outbox',
  'nats',
  'stream',
  'consumer',
  'dlqStream',
  'dlqConsumer',
  'metrics',
];

beforeAll(async () => {
  env = await createTestEnv('preflight');
  const sink = await startSink(env.settings, log);
  const llm = await startLlmStub(env.settings, log);
  const gateway = await startGateway({ ...env.settings, llmUrl: llm.url ?? '' }, log);
  // The worker creates the streams and both durable consumers on start.
  const worker = await startWorker({ ...env.settings, sinkUrl: sink.url ?? '' }, log);
  running.push(worker, gateway, llm, sink);
  target = validateConfig({
    target: {
      ...referenceTarget(env.settings),
      gatewayUrl: gateway.url,
      workerMetricsUrl: `${worker.url}/metrics`,
    },
    load: { rate: 1, duration: '1s' },
  }).target;
  closedPort = await freePort();
  silent = await silentServer();
});

afterAll(async () => {
  for (const socket of silent?.sockets ?? []) socket.destroy();
  silent?.server.close();
  for (const component of running) await component.close();
  await env?.teardown();
});

describe('preflight', () => {
  it('preflight - every check passes against a running reference pipeline', async () => {
    const results = await preflight(target, { timeoutMs: TIMEOUT_MS });
    expect(results.map((r) => [r.check, r.status])).toEqual(ALL_CHECKS.map((c) => [c, 'pass']));
    expect(() => assertPreflightPassed(results)).not.toThrow();
  });

  it('preflight - closed ports, a wrong database, a missing stream and consumer are all reported together', async () => {
    const gatewayUrl = `http://127.0.0.1:${closedPort}`;
    const results = await preflight(
      {
        ...target,
        gatewayUrl,
        workerMetricsUrl: `${gatewayUrl}/metrics`,
        databaseUrl: 'postgres://postgres:hunter2@127.0.0.1:5432/pipesoak_no_such_db',
        stream: 'NO_SUCH_STREAM',
        dlqConsumer: 'no-such-consumer',
      },
      { timeoutMs: TIMEOUT_MS },
    );
    expect(byCheck(results)).toEqual({
      gateway: {
        target: `${gatewayUrl}/healthz`,
        status: 'fail',
        problem: `GET ${gatewayUrl}/healthz: connection refused`,
        fix: 'start the gateway, or fix target.gatewayUrl',
      },
      database: {
        target: 'postgres://postgres:***@127.0.0.1:5432/pipesoak_no_such_db',
        status: 'fail',
        problem: 'database "pipesoak_no_such_db" does not exist',
        fix: 'fix the database name in target.databaseUrl',
      },
      outbox: { target: 'table outbox_events', status: 'skip', problem: 'not checked: database failed' },
      nats: { target: target.natsUrl, status: 'pass' },
      stream: {
        target: 'stream NO_SUCH_STREAM',
        status: 'fail',
        problem: 'stream NO_SUCH_STREAM not found',
        fix: 'start the pipeline (it creates its streams), or fix target.stream',
      },
      consumer: {
        target: `consumer ${target.consumer} on NO_SUCH_STREAM`,
        status: 'skip',
        problem: 'not checked: stream NO_SUCH_STREAM is missing',
      },
      dlqStream: { target: `stream ${target.dlqStream}`, status: 'pass' },
      dlqConsumer: {
        target: `consumer no-such-consumer on ${target.dlqStream}`,
        status: 'fail',
        problem: `consumer no-such-consumer not found on stream ${target.dlqStream}`,
        fix: 'start the worker (it creates its durable consumer), or fix target.dlqConsumer',
      },
      metrics: {
        target: `${gatewayUrl}/metrics`,
        status: 'fail',
        problem: `GET ${gatewayUrl}/metrics: connection refused`,
        fix: 'start the worker, or fix target.workerMetricsUrl',
      },
    });
    let error: unknown;
    try {
      assertPreflightPassed(results);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PreflightError);
    expect((error as PreflightError).exitCode).toBe(3);
    expect((error as PreflightError).lines).toEqual([
      `preflight gateway: GET ${gatewayUrl}/healthz: connection refused; start the gateway, or fix target.gatewayUrl`,
      'preflight database: database "pipesoak_no_such_db" does not exist; fix the database name in target.databaseUrl',
      'preflight stream: stream NO_SUCH_STREAM not found; start the pipeline (it creates its streams), or fix target.stream',
      `preflight dlqConsumer: consumer no-such-consumer not found on stream ${target.dlqStream}; ` +
        'start the worker (it creates its durable consumer), or fix target.dlqConsumer',
      `preflight metrics: GET ${gatewayUrl}/metrics: connection refused; start the worker, or fix target.workerMetricsUrl`,
    ]);
    // The password never reaches a message.
    expect((error as Error).message).not.toContain('hunter2');
  });

  it('preflight - with NATS and Postgres unreachable, their dependants are skipped, not failed', async () => {
    const results = await preflight(
      {
        ...target,
        natsUrl: `nats://127.0.0.1:${closedPort}`,
        databaseUrl: `postgres://postgres@127.0.0.1:${closedPort}/whatever`,
      },
      { timeoutMs: TIMEOUT_MS },
    );
    const checks = byCheck(results);
    expect(checks.database).toEqual({
      target: `postgres://postgres@127.0.0.1:${closedPort}/whatever`,
      status: 'fail',
      problem: `cannot use postgres://postgres@127.0.0.1:${closedPort}/whatever: connection refused`,
      fix: 'start Postgres, or fix the host and port in target.databaseUrl',
    });
    expect(checks.nats).toEqual({
      target: `nats://127.0.0.1:${closedPort}`,
      status: 'fail',
      problem: `cannot connect to nats://127.0.0.1:${closedPort}: connection refused`,
      fix: 'start NATS with JetStream, or fix target.natsUrl',
    });
    expect(results.filter((r) => r.status === 'skip').map((r) => [r.check, r.problem])).toEqual([
      ['outbox', 'not checked: database failed'],
      ['stream', 'not checked: nats failed'],
      ['consumer', 'not checked: nats failed'],
      ['dlqStream', 'not checked: nats failed'],
      ['dlqConsumer', 'not checked: nats failed'],
    ]);
    expect(checks.gateway?.status).toBe('pass');
  });

  it('preflight - a missing outbox table and missing outbox columns name the field to fix', async () => {
    const noTable = byCheck(
      await preflight(
        { ...target, outbox: { ...target.outbox, table: 'no_such_outbox' } },
        { timeoutMs: TIMEOUT_MS },
      ),
    );
    const database = new URL(target.databaseUrl).pathname.slice(1);
    expect(noTable.outbox).toEqual({
      target: 'table no_such_outbox',
      status: 'fail',
      problem: `table no_such_outbox not found in database ${database}`,
      fix: "create the pipeline's schema (its migrations), or fix target.outbox.table",
    });
    const noColumns = byCheck(
      await preflight(
        { ...target, outbox: { ...target.outbox, createdAtColumn: 'created', publishedAtColumn: 'sent_at' } },
        { timeoutMs: TIMEOUT_MS },
      ),
    );
    expect(noColumns.outbox).toEqual({
      target: 'table outbox_events',
      status: 'fail',
      problem: 'table outbox_events has no column created, sent_at',
      fix: 'fix target.outbox.createdAtColumn, target.outbox.publishedAtColumn',
    });
  });

  it('preflight - a hung gateway, database and NATS each fail at the deadline, all within one deadline', async () => {
    const hung = `127.0.0.1:${silent.port}`;
    const started = performance.now();
    const results = await preflight(
      {
        ...target,
        gatewayUrl: `http://${hung}`,
        databaseUrl: `postgres://postgres@${hung}/db`,
        natsUrl: `nats://${hung}`,
      },
      { timeoutMs: 1000 },
    );
    const elapsed = performance.now() - started;
    const checks = byCheck(results);
    expect(checks.gateway).toEqual({
      target: `http://${hung}/healthz`,
      status: 'fail',
      problem: `GET http://${hung}/healthz gave no answer within 1000 ms`,
      fix: 'check that the gateway is running and not overloaded, or fix target.gatewayUrl',
    });
    expect(checks.database).toEqual({
      target: `postgres://postgres@${hung}/db`,
      status: 'fail',
      problem: `postgres://postgres@${hung}/db gave no answer within 1000 ms`,
      fix: 'check that Postgres is up and target.databaseUrl points at it',
    });
    expect(checks.nats).toEqual({
      target: `nats://${hung}`,
      status: 'fail',
      problem: `nats://${hung} gave no answer within 1000 ms`,
      fix: 'check that NATS is up and target.natsUrl points at it',
    });
    expect(checks.metrics?.status).toBe('pass');
    // The groups run side by side: one deadline in all (one after another would take 3 s).
    expect(elapsed).toBeLessThan(2500);
  });
});
