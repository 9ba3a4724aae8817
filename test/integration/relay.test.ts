// The outbox relay against real Postgres and NATS, with the real worker and sink downstream.
import { randomUUID } from 'node:crypto';
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningComponent } from '../../reference/component.ts';
import { createLogger } from '../../reference/logger.ts';
import { type OutboxRow, publishOutboxRow, type RunningRelay, startRelay } from '../../reference/relay.ts';
import { OUTBOX_CHANNEL } from '../../reference/relayWakeup.ts';
import type { ReferenceSettings } from '../../reference/settings.ts';
import { startSink } from '../../reference/sink.ts';
import { startWorker } from '../../reference/worker.ts';
import { waitFor } from '../support/load.ts';
import { createTestEnv, type TestEnv } from '../support/testEnv.ts';

const log = createLogger('relay-test', process.env.TEST_LOG_LEVEL ?? 'silent');
let t: TestEnv;
let settings: ReferenceSettings;
let sink: RunningComponent;
let worker: RunningComponent;
let relay: RunningRelay | undefined;
let nc: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;

beforeAll(async () => {
  // Polling every 10 s: anything faster than that was woken by NOTIFY.
  t = await createTestEnv('relay', { RELAY_POLL_MS: '10000' });
  sink = await startSink(t.settings, log);
  settings = { ...t.settings, sinkUrl: sink.url ?? '' };
  worker = await startWorker(settings, log);
  relay = await startRelay(settings, log);
  nc = await connect({ servers: settings.natsUrl });
  js = jetstream(nc);
  jsm = await jetstreamManager(nc);
});

afterAll(async () => {
  await relay?.close();
  await worker?.close();
  await sink?.close();
  await nc?.close();
  await t?.teardown();
});

/** Inserts outbox rows the way the gateway does (one statement, then a NOTIFY), returning their ids. */
async function insertOutbox(count: number, label: string): Promise<string[]> {
  const ids = Array.from({ length: count }, () => randomUUID());
  await t.db.query(
    `INSERT INTO outbox_events (id, aggregate_type, aggregate_id, event_type, subject, payload, correlation_id, traceparent)
     SELECT id, 'message', id::text, 'message.created', $2, jsonb_build_object('text', $3 || '-' || n, 'n', n),
            $3 || '-' || n, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
       FROM unnest($1::uuid[]) WITH ORDINALITY AS u(id, n)`,
    [ids, `${settings.subjectPrefix}.message.created`, label],
  );
  await t.db.query(`NOTIFY ${OUTBOX_CHANNEL}`);
  return ids;
}

const unpublished = async (ids: string[]) =>
  Number(
    (
      await t.db.query<{ n: string }>(
        'SELECT count(*) AS n FROM outbox_events WHERE id = ANY($1::uuid[]) AND published_at IS NULL',
        [ids],
      )
    ).rows[0]?.n,
  );

const streamMessages = async () => (await jsm.streams.info(settings.stream)).state.messages;

describe('relay', () => {
  it('relay - publishes inserted rows with Nats-Msg-Id = id and marks them published, woken by NOTIFY in < 1 s', async () => {
    const before = await streamMessages();
    const started = Date.now();
    const ids = await insertOutbox(5, 'notify');
    await waitFor(
      'the 5 rows to be marked published',
      () => unpublished(ids),
      (n) => n === 0,
      5_000,
      10,
    );
    expect(Date.now() - started).toBeLessThan(1_000);

    expect(await streamMessages()).toBe(before + 5);
    const seen = new Map<
      string,
      { subject: string; correlation: string; traceparent: string; text: string }
    >();
    for (let seq = before + 1; seq <= before + 5; seq++) {
      const m = await jsm.streams.getMessage(settings.stream, { seq });
      expect(m).not.toBeNull();
      if (!m) continue;
      seen.set(m.header.get('Nats-Msg-Id'), {
        subject: m.subject,
        correlation: m.header.get('Correlation-Id'),
        traceparent: m.header.get('traceparent'),
        text: m.json<{ text: string }>().text,
      });
    }
    expect([...seen.keys()].sort()).toEqual([...ids].sort());
    const first = seen.get(ids[0] ?? '');
    expect(first?.subject).toBe(`${settings.subjectPrefix}.message.created`);
    expect(first?.correlation).toBe('notify-1');
    expect(first?.text).toBe('notify-1');
    expect(first?.traceparent).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');

    const { rows } = await t.db.query<{ ok: boolean }>(
      'SELECT bool_and(published_at >= created_at) AS ok FROM outbox_events WHERE id = ANY($1::uuid[])',
      [ids],
    );
    expect(rows[0]?.ok).toBe(true);
    // Downstream: each row becomes exactly one fact.
    await waitFor(
      'the 5 facts',
      async () =>
        Number(
          (await t.db.query('SELECT count(*) AS n FROM kg_facts WHERE event_id = ANY($1)', [ids])).rows[0]?.n,
        ),
      (n) => n === 5,
      5_000,
    );
  });

  it('the relay publishing the same row twice (crash after publish, before marking) yields a JetStream duplicate (PubAck duplicate=true, stream message count unchanged) and one side effect (kg_facts one row, deliveries 1)', async () => {
    // The relay "crashes": it published the row but never marked it.
    await relay?.close();
    relay = undefined;
    const [id = ''] = await insertOutbox(1, 'crash');
    const row = (await t.db.query<OutboxRow>('SELECT * FROM outbox_events WHERE id = $1', [id])).rows[0];
    if (!row) throw new Error('outbox row missing');
    const before = await streamMessages();
    const first = await publishOutboxRow(js, row);
    expect(first.duplicate).toBe(false);
    expect(await streamMessages()).toBe(before + 1);

    // The restarted relay claims the unmarked row and publishes it again.
    relay = await startRelay(settings, log);
    await waitFor(
      'the row to be marked published',
      () => unpublished([id]),
      (n) => n === 0,
      5_000,
      10,
    );
    expect(relay.stats().duplicates).toBe(1);
    const again = await publishOutboxRow(js, row);
    expect(again.duplicate).toBe(true);
    expect(again.seq).toBe(first.seq);
    expect(await streamMessages()).toBe(before + 1);

    await waitFor(
      'the inbox to record the event',
      async () => (await t.db.query('SELECT status FROM inbox WHERE message_id = $1', [id])).rows.length,
      (n) => n === 1,
      5_000,
    );
    // Give a stray second delivery time to show up before counting.
    await new Promise((r) => setTimeout(r, 300));
    const facts = await t.db.query<{ deliveries: number }>(
      'SELECT deliveries FROM kg_facts WHERE event_id = $1',
      [id],
    );
    expect(facts.rows).toEqual([{ deliveries: 1 }]);
  });
});
