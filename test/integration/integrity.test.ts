// The integrity checker and the outbox guard on the real reference pipeline (each component a child
// process): 300 messages with the run's correlation ids, 5 of them poison, the worker killed with -9
// mid-stream and restarted; then a negative control where the test (never the checker) deletes
// and re-delivers facts and the checker must name exactly those ids.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkIntegrity, type IntegrityResult } from '../../faults/integrityChecker.ts';
import { OutboxGuard } from '../../faults/outboxGuard.ts';
import { AcceptedLogWriter } from '../../record/acceptedLog.ts';
import { ReferenceSupervisor } from '../../runner/referenceSupervisor.ts';
import { postMessages, waitFor } from '../support/load.ts';
import { createTestEnv, type TestEnv } from '../support/testEnv.ts';

const RUN_ID = 'smoke-20260101-120000';
const BATCH = 10;
const BATCH_EVERY_MS = 100;

let t: TestEnv;
let supervisor: ReferenceSupervisor;
let nc: NatsConnection;
let runDir: string;
let gateway: string;

beforeAll(async () => {
  t = await createTestEnv('integrity', {
    // Poison goes through 4 deliveries and 6 DLQ attempts in well under a second.
    NAK_BACKOFF_MS: '20,40,80',
    // What the killed worker had in flight comes back after 3 s, not the default 30.
    ACK_WAIT_MS: '3000',
  });
  supervisor = new ReferenceSupervisor({ env: { ...process.env, ...t.env } });
  await supervisor.start();
  gateway = supervisor.url('gateway') ?? '';
  nc = await connect({ servers: t.settings.natsUrl });
  runDir = mkdtempSync(join(tmpdir(), 'pipesoak-integrity-run-'));
});

afterAll(async () => {
  await nc?.close();
  await supervisor?.stopAll();
  await t?.teardown();
  if (runDir) rmSync(runDir, { recursive: true, force: true });
});

const count = async (sql: string, params: unknown[] = []) =>
  Number((await t.db.query<{ n: string }>(sql, params)).rows[0]?.n);
const runFacts = () =>
  count('SELECT count(*) AS n FROM kg_facts WHERE starts_with(correlation_id, $1)', [`${RUN_ID}-`]);

/** Posts batches at a steady pace, recording each accepted id as the load generator would. */
async function postPaced(
  log: AcceptedLogWriter,
  batches: { prefix: string; size: number; extra?: Record<string, unknown> }[],
): Promise<void> {
  for (const b of batches) {
    const started = Date.now();
    for (const id of await postMessages(gateway, b.size, b.prefix, b.extra)) log.record(id);
    log.flush();
    await new Promise((r) => setTimeout(r, Math.max(0, BATCH_EVERY_MS - (Date.now() - started))));
  }
}

/** Both consumers have nothing left to deliver and nothing awaiting an ack. */
async function consumersIdle(): Promise<boolean> {
  const jsm = await jetstreamManager(nc);
  const { settings } = t;
  for (const [stream, consumer] of [
    [settings.stream, settings.consumer],
    [settings.dlqStream, settings.dlqConsumer],
  ] as const) {
    const info = await jsm.consumers.info(stream, consumer);
    if (info.num_pending > 0 || info.num_ack_pending > 0) return false;
  }
  return true;
}

const check = () => checkIntegrity({ runDir, runId: RUN_ID, databaseUrl: t.settings.databaseUrl });
const idList = (file: string) => readFileSync(join(runDir, file), 'utf8').split('\n').filter(Boolean);

describe('integrity on the reference pipeline', () => {
  let first: IntegrityResult;

  it('integrity - 300 accepted, 295 completed, 5 dead-lettered, 0 lost across a worker kill -9, outbox untouched', async () => {
    const guard = await OutboxGuard.start({ databaseUrl: t.settings.databaseUrl, settleMs: 200 });
    const log = AcceptedLogWriter.open(join(runDir, 'accepted.ndjson'));
    const batches = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => ({ prefix: `${RUN_ID}-${from + i}`, size: BATCH }));

    // 200 messages at 100/s; the worker dies once 60 of them are done.
    const phase1 = postPaced(log, batches(0, 20));
    await waitFor('60 facts before the kill', runFacts, (n) => n >= 60, 20_000, 5);
    supervisor.signal('worker', 'SIGKILL');
    await supervisor.exited('worker');
    await phase1;
    const atRestart = await runFacts();
    expect(atRestart).toBeLessThan(200); // the kill landed mid-stream
    await supervisor.startOne('worker');
    // 100 more with the 5 poison among them. Poison goes after the restart on purpose: a kill during
    // a poison event's last main delivery would lose it (max_deliver reached, DLQ publish not made).
    await postPaced(log, [
      ...batches(20, 25),
      { prefix: `${RUN_ID}-poison`, size: 5, extra: { poison: true } },
      ...batches(25, 29),
      { prefix: `${RUN_ID}-29`, size: 5 },
    ]);
    log.close();
    await guard.loadEnded();

    await waitFor(
      'the drain: 295 facts, 5 parked, both consumers idle, nothing unpublished',
      async () => ({
        facts: await runFacts(),
        parked: await count('SELECT count(*) AS n FROM parked_events'),
        unpublished: await count('SELECT count(*) AS n FROM outbox_events WHERE published_at IS NULL'),
        idle: await consumersIdle(),
      }),
      (s) => s.facts >= 295 && s.parked >= 5 && s.unpublished === 0 && s.idle,
      60_000,
      200,
    );

    first = await check();
    const inFlightBound = Math.min(t.settings.batchSize, t.settings.dbPoolMax * 2);
    console.log(
      `integrity after kill -9: duplicated ${first.duplicated} (in-flight bound ${inFlightBound}), ` +
        `${atRestart} facts when the worker came back`,
    );
    expect(first).toMatchObject({
      accepted: 300,
      completed: 295,
      deadLettered: 5,
      lost: 0,
      unexpected: 0,
      recovered: 0,
      completedAndDeadLettered: 0,
      maxDeliveries: 4,
      maxDlqAttempts: 6,
      notes: [],
    });
    expect(first.duplicated).toBeLessThanOrEqual(inFlightBound);
    // The default dead-letter query's fallback (headers) holds the same id as the payload does.
    expect(
      await count(
        `SELECT count(*) AS n FROM parked_events WHERE headers->>'Correlation-Id' = payload->>'correlationId'`,
      ),
    ).toBe(5);
    expect(idList('lost.txt')).toEqual([]);
    expect(idList('duplicated.txt')).toHaveLength(first.duplicated);

    const outbox = await guard.finish();
    expect(outbox.window).toMatchObject({ unchanged: true, before: { count: 300 } });
    expect(outbox.unchanged).toBe(true);
  });

  it('integrity - negative control: 3 facts deleted and 2 re-delivered by the test are exactly what lost.txt and duplicated.txt name', async () => {
    expect(first).toBeDefined();
    const already = new Set(idList('duplicated.txt'));
    const { rows } = await t.db.query<{ correlation_id: string }>(
      `SELECT correlation_id FROM kg_facts WHERE starts_with(correlation_id, $1) AND deliveries = 1
       ORDER BY correlation_id LIMIT 5`,
      [`${RUN_ID}-`],
    );
    const picked = rows.map((r) => r.correlation_id);
    const deleted = picked.slice(0, 3);
    const bumped = picked.slice(3, 5);
    expect(bumped).toHaveLength(2);
    // The test writes; the checker still only reads.
    await t.db.query('DELETE FROM kg_facts WHERE correlation_id = ANY($1)', [deleted]);
    await t.db.query('UPDATE kg_facts SET deliveries = deliveries + 1 WHERE correlation_id = ANY($1)', [
      bumped,
    ]);

    const result = await check();
    expect(result).toMatchObject({ accepted: 300, completed: 292, deadLettered: 5, lost: 3 });
    expect(result.duplicated).toBe(first.duplicated + 2);
    expect(result.duplicated).toBeGreaterThanOrEqual(2);
    expect(idList('lost.txt')).toEqual([...deleted].sort());
    expect(idList('duplicated.txt')).toEqual([...already, ...bumped].sort());
  });
});
