// The integrity checker against real Postgres, on rows the test writes (the checker only reads).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkIntegrity } from '../../faults/integrityChecker.ts';
import { AcceptedLogWriter } from '../../record/acceptedLog.ts';
import { integrityWire } from '../../record/runEvents.ts';
import { readSeries, SeriesWriter } from '../../record/series.ts';
import { createTestEnv, type TestEnv } from '../support/testEnv.ts';

let env: TestEnv;
let dir: string;

beforeAll(async () => {
  env = await createTestEnv('integrity_checker');
});
afterAll(async () => {
  await env?.teardown();
});
beforeEach(async () => {
  await env.db.query('TRUNCATE outbox_events, inbox, kg_facts, parked_events');
  dir = mkdtempSync(join(tmpdir(), 'pipesoak-integrity-'));
  return () => rmSync(dir, { recursive: true, force: true });
});

function logIds(file: string, ids: string[]): void {
  const writer = AcceptedLogWriter.open(join(dir, file));
  for (const [i, id] of ids.entries()) writer.record(id, `srv-${i}`, 1_700_000_000_000 + i);
  writer.close();
}

/** One outbox row per correlation id (event id = `e-<correlation id>`), as the gateway writes it. */
async function outbox(ids: string[]): Promise<void> {
  await env.db.query(
    `INSERT INTO outbox_events (id, aggregate_type, aggregate_id, event_type, subject, payload, correlation_id)
     SELECT gen_random_uuid(), 'conversation', 'c', 'message.created', 'events.message.created',
            jsonb_build_object('correlationId', c), c
     FROM unnest($1::text[]) AS c`,
    [ids],
  );
}

async function fact(correlationId: string, deliveries = 1, eventId = `e-${correlationId}`): Promise<void> {
  await env.db.query(
    `INSERT INTO kg_facts (event_id, event_type, correlation_id, payload, deliveries)
     VALUES ($1, 'message.created', $2, jsonb_build_object('correlationId', $2::text), $3)`,
    [eventId, correlationId, deliveries],
  );
}

/** An inbox row for the outbox row of this correlation id. */
async function inbox(correlationId: string, deliveries: number, status = 'done'): Promise<void> {
  await env.db.query(
    `INSERT INTO inbox (message_id, subject, status, deliveries)
     SELECT id::text, subject, $2, $3 FROM outbox_events WHERE correlation_id = $1`,
    [correlationId, status, deliveries],
  );
}

/** A parked event; the correlation id in the payload, or only in the headers when `inHeaders`. */
async function parked(correlationId: string, dlqAttempts: number, mainDeliveries: number, inHeaders = false) {
  await env.db.query(
    `INSERT INTO parked_events (message_id, subject, reason, main_deliveries, dlq_attempts, headers, payload)
     SELECT coalesce((SELECT id::text FROM outbox_events WHERE correlation_id = $1), 'm-' || $1),
            'events.message.created', 'sink answered 500', $3, $2,
            CASE WHEN $4 THEN jsonb_build_object('Correlation-Id', $1::text) ELSE '{}'::jsonb END,
            CASE WHEN $4 THEN '{"poison":true}'::jsonb ELSE jsonb_build_object('correlationId', $1::text, 'poison', true) END`,
    [correlationId, dlqAttempts, mainDeliveries, inHeaders],
  );
}

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe('integrity checker', () => {
  it('integrity checker - counts accepted, completed, dead-lettered, lost, duplicated, unexpected and recovered by correlation id, for this run only', async () => {
    const accepted = ids('run-a', 10);
    logIds('accepted.ndjson', [...accepted, 'run-a-2']); // a line twice counts once
    logIds('uncertain.ndjson', ['run-a-u1', 'run-a-u2', 'run-a-0']); // run-a-0 was accepted after all
    await outbox([...accepted, 'run-ab-1', 'other-1']);
    for (const id of ['run-a-0', 'run-a-1', 'run-a-2', 'run-a-4', 'run-a-6']) await fact(id);
    await fact('run-a-3', 2); // the sink was asked twice
    await fact('run-a-5');
    await fact('run-a-5', 1, 'e-run-a-5-again'); // a second event, a second fact: applied twice
    await fact('run-a-u1'); // timed out at the generator, completed all the same
    await fact('run-a-x'); // never accepted by this generator
    await fact('run-ab-1', 3); // another run whose id starts alike
    await fact('other-1', 5);
    await parked('run-a-7', 6, 4);
    await parked('run-a-6', 6, 4, true); // completed and dead-lettered: counts as completed
    await parked('other-1', 9, 8);
    await inbox('run-a-3', 2);
    await inbox('run-a-7', 4, 'dead_lettered'); // 4 main deliveries (its 6 DLQ attempts are parked_events')
    await inbox('other-1', 7);
    const series = SeriesWriter.open(join(dir, 'series.ndjson'));

    const result = await checkIntegrity({
      runDir: dir,
      runId: 'run-a',
      databaseUrl: env.settings.databaseUrl,
      series,
    });
    series.close();

    expect(result).toMatchObject({
      accepted: 10,
      completed: 7,
      deadLettered: 1,
      completedAndDeadLettered: 1,
      lost: 2,
      duplicated: 2,
      unexpected: 1,
      recovered: 1,
      uncertain: 2,
      maxDeliveries: 4,
      maxDlqAttempts: 6,
      notes: [],
    });
    expect(readFileSync(join(dir, 'lost.txt'), 'utf8')).toBe('run-a-8\nrun-a-9\n');
    expect(readFileSync(join(dir, 'duplicated.txt'), 'utf8')).toBe('run-a-3\nrun-a-5\n');
    const [event, ...rest] = await readSeries(join(dir, 'series.ndjson'));
    expect(rest).toEqual([]);
    expect(integrityWire.parse(event)).toEqual({
      t: expect.any(Number),
      event: 'integrity',
      accepted: 10,
      completed: 7,
      deadLettered: 1,
      lost: 2,
      duplicated: 2,
      maxDeliveries: 4,
      maxDlqAttempts: 6,
    });
    // Read only: every row the test wrote is still there, unchanged.
    const { rows } = await env.db.query<{ n: string; d: string }>(
      'SELECT count(*) AS n, sum(deliveries) AS d FROM kg_facts',
    );
    expect(rows[0]).toEqual({ n: '12', d: '19' });
  });

  it('integrity checker - an empty outcome writes empty id lists and leaves the maxima out of the event', async () => {
    logIds('accepted.ndjson', ['run-b-0', 'run-b-1']);
    await fact('run-b-0');
    await fact('run-b-1');
    const events: Record<string, unknown>[] = [];
    const result = await checkIntegrity({
      runDir: dir,
      runId: 'run-b',
      databaseUrl: env.settings.databaseUrl,
      series: { event: (kind, data) => events.push({ kind, ...data }) },
    });
    expect(result).toMatchObject({ accepted: 2, completed: 2, lost: 0, duplicated: 0, maxDeliveries: null });
    expect(readFileSync(join(dir, 'lost.txt'), 'utf8')).toBe('');
    expect(readFileSync(join(dir, 'duplicated.txt'), 'utf8')).toBe('');
    expect(events).toEqual([
      {
        kind: 'integrity',
        accepted: 2,
        completed: 2,
        deadLettered: 0,
        lost: 0,
        duplicated: 0,
        unexpected: 0,
        recovered: 0,
        uncertain: 0,
      },
    ]);
  });

  it('integrity checker - takes configured queries for another schema', async () => {
    logIds('accepted.ndjson', ['run-c-0', 'run-c-1', 'run-c-2']);
    await fact('run-c-0', 3);
    const result = await checkIntegrity({
      runDir: dir,
      runId: 'run-c',
      databaseUrl: env.settings.databaseUrl,
      queries: {
        completed: `SELECT payload->>'correlationId' AS correlation_id, 1 AS applied FROM kg_facts
          WHERE starts_with(payload->>'correlationId', $1)`,
        deadLettered: `SELECT 'run-c-2'::text AS correlation_id, 2 AS dlq_attempts WHERE $1 <> ''`,
        deliveries: `SELECT correlation_id, deliveries FROM kg_facts WHERE starts_with(correlation_id, $1)`,
      },
    });
    expect(result).toMatchObject({
      completed: 1,
      deadLettered: 1,
      lost: 1,
      duplicated: 0,
      maxDeliveries: 3,
      maxDlqAttempts: 2,
    });
  });

  it('integrity checker - refuses an accepted id outside the run prefix, and a missing accepted log', async () => {
    await expect(
      checkIntegrity({ runDir: dir, runId: 'run-d', databaseUrl: env.settings.databaseUrl }),
    ).rejects.toThrow(/accepted\.bits: missing from the run folder \(and no accepted\.ndjson\)/);
    writeFileSync(join(dir, 'accepted.ndjson'), '{"c":"run-d-0","t":1}\n{"c":"zzz","t":2}\n');
    await expect(
      checkIntegrity({ runDir: dir, runId: 'run-d', databaseUrl: env.settings.databaseUrl }),
    ).rejects.toThrow('correlation id "zzz" does not start with the run prefix "run-d-"');
  });

  it('integrity checker - cannot write even through a configured query (read-only session)', async () => {
    logIds('accepted.ndjson', ['run-e-0']);
    await fact('run-e-0');
    await expect(
      checkIntegrity({
        runDir: dir,
        runId: 'run-e',
        databaseUrl: env.settings.databaseUrl,
        queries: {
          deliveries: `SELECT correlation_id, deliveries FROM kg_facts
            WHERE starts_with(correlation_id, $1) AND nextval('kg_facts_id_seq') > 0`,
        },
      }),
    ).rejects.toThrow(/read-only transaction/);
  });
});
