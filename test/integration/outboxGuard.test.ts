// The outbox guard against real Postgres. The test plays relay and vandal (it writes rows); the
// guard only reads, and must tell a legitimate published_at stamp from any other change.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OutboxGuard } from '../../faults/outboxGuard.ts';
import { createTestEnv, type TestEnv } from '../support/testEnv.ts';

let env: TestEnv;
const guards: OutboxGuard[] = [];

beforeAll(async () => {
  env = await createTestEnv('outbox_guard');
});
afterAll(async () => {
  await Promise.all(guards.map((g) => g.close()));
  await env?.teardown();
});
beforeEach(async () => {
  await env.db.query('TRUNCATE outbox_events');
});

/** `n` rows tagged `label`, created `agoS` seconds ago (0: now), unpublished. */
async function insert(label: string, n: number, agoS = 0): Promise<void> {
  await env.db.query(
    `INSERT INTO outbox_events (id, aggregate_type, aggregate_id, event_type, subject, payload, correlation_id, created_at)
     SELECT gen_random_uuid(), 'conversation', $1 || '-' || g, 'message.created', 'events.message.created',
            jsonb_build_object('n', g, 'text', 'hello'), $1 || '-' || g,
            clock_timestamp() - $3::int * interval '1 second'
     FROM generate_series(1, $2::int) g`,
    [label, n, agoS],
  );
}

async function started(): Promise<OutboxGuard> {
  const guard = await OutboxGuard.start({ databaseUrl: env.settings.databaseUrl, settleMs: 0 });
  guards.push(guard);
  return guard;
}

/** Pre-run rows, the guard's start, rows during the load, the load's end. */
async function runWithRows(): Promise<OutboxGuard> {
  await insert('old', 200, 3600);
  const guard = await started();
  await insert('run', 300);
  await guard.loadEnded();
  return guard;
}

describe('outbox guard', () => {
  it('outbox guard - on a table read from the catalogue, every column but the mutable one counts', async () => {
    await insert('old', 20, 3600);
    const onTable = async () => {
      const guard = await OutboxGuard.startOnTable({
        databaseUrl: env.settings.databaseUrl,
        table: 'outbox_events',
        settleMs: 0,
        mutableColumns: ['published_at'],
      });
      guards.push(guard);
      await guard.loadEnded();
      return guard;
    };
    // The relay's stamp is allowed ...
    const stamped = await onTable();
    await env.db.query('UPDATE outbox_events SET published_at = clock_timestamp()');
    expect((await stamped.finish()).unchanged).toBe(true);
    // ... a change to any other column is not, even one the default list leaves out.
    const vandalised = await onTable();
    await env.db.query(`UPDATE outbox_events SET causation_id = 'vandal' WHERE correlation_id = 'old-3'`);
    const result = await vandalised.finish();
    expect(result.preRun).toMatchObject({ unchanged: false, before: { count: 20 }, after: { count: 20 } });
    expect(result.window.unchanged).toBe(true);
  });

  it('outbox guard - unchanged when the relay only stamps published_at, and rows after the load do not count', async () => {
    const guard = await runWithRows();
    await env.db.query('UPDATE outbox_events SET published_at = clock_timestamp()');
    await insert('later', 50); // another client's traffic after the load ended
    const result = await guard.finish();
    expect(result.unchanged).toBe(true);
    expect(result.preRun).toMatchObject({ unchanged: true, before: { count: 200 }, after: { count: 200 } });
    expect(result.window).toMatchObject({ unchanged: true, before: { count: 300 }, after: { count: 300 } });
    expect(result.before).toEqual(result.after);
    expect(result.before.count).toBe(500);
    expect(result.before.checksum).toMatch(/^[0-9a-f]{32}$/);
    expect(result.preRun.before.checksum).not.toBe(result.window.before.checksum);
  });

  it('outbox guard - detects a payload update on a row created before the run', async () => {
    const guard = await runWithRows();
    await env.db.query(
      `UPDATE outbox_events SET payload = payload || '{"text":"edited"}' WHERE correlation_id = 'old-17'`,
    );
    const result = await guard.finish();
    expect(result.unchanged).toBe(false);
    expect(result.preRun.unchanged).toBe(false);
    expect(result.preRun.after.count).toBe(200);
    expect(result.preRun.after.checksum).not.toBe(result.preRun.before.checksum);
    expect(result.window.unchanged).toBe(true);
  });

  it('outbox guard - detects a row of the run deleted during the drain', async () => {
    const guard = await runWithRows();
    await env.db.query(`DELETE FROM outbox_events WHERE correlation_id = 'run-250'`);
    const result = await guard.finish();
    expect(result.unchanged).toBe(false);
    expect(result.window).toMatchObject({ unchanged: false, before: { count: 300 }, after: { count: 299 } });
    expect(result.preRun.unchanged).toBe(true);
  });

  it('outbox guard - detects a changed correlation id, a NULL where there was a value, and a moved created_at', async () => {
    for (const vandalism of [
      `UPDATE outbox_events SET correlation_id = 'run-1x' WHERE correlation_id = 'run-1'`,
      `UPDATE outbox_events SET correlation_id = NULL WHERE correlation_id = 'run-2'`,
      `UPDATE outbox_events SET created_at = created_at + interval '1 microsecond' WHERE correlation_id = 'run-3'`,
    ]) {
      await env.db.query('TRUNCATE outbox_events');
      const guard = await runWithRows();
      await env.db.query(vandalism);
      expect((await guard.finish()).window.unchanged, vandalism).toBe(false);
    }
  });

  it('outbox guard - refuses a bad column name before the run and reads as the harness (one named connection)', async () => {
    await expect(
      OutboxGuard.start({ databaseUrl: env.settings.databaseUrl, immutableColumns: ['id', 'payload; DROP'] }),
    ).rejects.toThrow(/immutableColumns "payload; DROP" is not a plain identifier/);
    const guard = await started();
    await guard.loadEnded();
    const { rows } = await env.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'pipesoak-collector'
         AND datname = current_database()`,
    );
    expect(Number(rows[0]?.n)).toBe(1);
    expect((await guard.finish()).unchanged).toBe(true);
  });
});
