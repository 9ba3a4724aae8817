// The reference pipeline end to end, each component a real child process (as `reference up` runs it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workerConcurrency } from '../../reference/worker.ts';
import { ReferenceSupervisor } from '../../runner/referenceSupervisor.ts';
import { sampleConnections } from '../support/connectionSampler.ts';
import { postMessages, waitFor } from '../support/load.ts';
import { createTestEnv, type TestEnv } from '../support/testEnv.ts';

let t: TestEnv;
let supervisor: ReferenceSupervisor;
let gateway: string;

const count = async (sql: string, params: unknown[] = []) =>
  Number((await t.db.query<{ n: string }>(sql, params)).rows[0]?.n);

beforeAll(async () => {
  t = await createTestEnv('pipeline');
  supervisor = new ReferenceSupervisor({ env: { ...process.env, ...t.env } });
  await supervisor.start();
  gateway = supervisor.url('gateway') ?? '';
});

afterAll(async () => {
  await supervisor?.stopAll();
  await t?.teardown();
});

describe('reference pipeline', () => {
  it('delivers 1,000 concurrently posted messages to kg_facts within 10 s and publishes every outbox row', async () => {
    const started = Date.now();
    const ids = await postMessages(gateway, 1000, 'burst');
    await waitFor(
      'kg_facts to hold 1,000 burst facts',
      () => count(`SELECT count(*) AS n FROM kg_facts WHERE correlation_id LIKE 'burst-%'`),
      (n) => n >= 1000,
      10_000 - (Date.now() - started),
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(
      await count(
        `SELECT count(DISTINCT correlation_id) AS n FROM kg_facts WHERE correlation_id LIKE 'burst-%'`,
      ),
    ).toBe(1000);
    expect(new Set(ids).size).toBe(1000);
    expect(await count('SELECT count(*) AS n FROM outbox_events WHERE published_at IS NULL')).toBe(0);
    expect(await count(`SELECT count(*) AS n FROM outbox_events WHERE correlation_id LIKE 'burst-%'`)).toBe(
      1000,
    );
  });

  it('keeps the worker at or under 10 Postgres connections while 500 concurrent requests flow through', async () => {
    const sampler = sampleConnections(t.db, t.settings.workerAppName);
    await postMessages(gateway, 500, 'pool');
    await waitFor(
      'the 500 pool messages to complete',
      () => count(`SELECT count(*) AS n FROM kg_facts WHERE correlation_id LIKE 'pool-%'`),
      (n) => n >= 500,
      20_000,
    );
    const max = await sampler.stop();
    expect(max).toBeGreaterThan(0); // the sampler did see the worker's pool
    expect(max).toBeLessThanOrEqual(10);
  });

  it('loses nothing and applies nothing twice when the worker is killed with -9 mid-batch and restarted', async () => {
    const total = 2000;
    const posting = postMessages(gateway, total, 'crash');
    const before = await waitFor(
      'the worker to be part-way through the crash messages',
      () => count(`SELECT count(*) AS n FROM kg_facts WHERE correlation_id LIKE 'crash-%'`),
      (n) => n >= 200,
      20_000,
      5,
    );
    supervisor.signal('worker', 'SIGKILL');
    await supervisor.exited('worker');
    await posting;
    const atKill = await count(`SELECT count(*) AS n FROM kg_facts WHERE correlation_id LIKE 'crash-%'`);
    expect(atKill).toBeLessThan(total); // the kill really landed mid-stream
    expect(before).toBeGreaterThanOrEqual(200);
    await supervisor.startOne('worker');
    await waitFor(
      'every crash message to complete after the restart',
      () => count(`SELECT count(*) AS n FROM kg_facts WHERE correlation_id LIKE 'crash-%'`),
      (n) => n >= total,
      30_000,
    );
    // Lost: none. Every accepted correlation id has exactly one fact.
    expect(
      await count(
        `SELECT count(DISTINCT correlation_id) AS n FROM kg_facts WHERE correlation_id LIKE 'crash-%'`,
      ),
    ).toBe(total);
    expect(await count(`SELECT count(*) AS n FROM kg_facts WHERE correlation_id LIKE 'crash-%'`)).toBe(total);
    // Applied twice: the inbox lets through again only events whose dispatch was in flight when the
    // worker died (at most its dispatch concurrency); everything it had finished is skipped.
    const redispatched = await count(
      `SELECT count(*) AS n FROM kg_facts WHERE correlation_id LIKE 'crash-%' AND deliveries > 1`,
    );
    expect(redispatched).toBeLessThanOrEqual(workerConcurrency(t.settings));
    expect(await count(`SELECT count(*) AS n FROM inbox WHERE status = 'done'`)).toBeGreaterThanOrEqual(
      total,
    );
  });
});
