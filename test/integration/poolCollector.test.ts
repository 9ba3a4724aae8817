import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PoolCollector } from '../../collectors/pool/poolCollector.ts';
import { RecordingRecorder } from '../support/recordingRecorder.ts';
import { createTestEnv, type TestEnv } from '../support/testEnv.ts';

let env: TestEnv;
beforeAll(async () => {
  env = await createTestEnv('pool_collector');
});
afterAll(async () => {
  await env?.teardown();
});

describe('pool collector', () => {
  it('pool collector - counts connections by application and state', async () => {
    const application = 'pooltest-x';
    const clients = Array.from(
      { length: 3 },
      () => new pg.Client({ connectionString: env.settings.databaseUrl, application_name: application }),
    );
    const collector = new PoolCollector({
      databaseUrl: env.settings.databaseUrl,
      applications: [application, 'pooltest-absent'],
    });
    try {
      await Promise.all(clients.map((c) => c.connect()));
      const recorder = new RecordingRecorder();
      await collector.start(recorder);
      const sleeping = clients[0]?.query('SELECT pg_sleep(2)');
      // Wait until the sleeping backend shows as active (its query reaches the server).
      for (let i = 0; i < 50; i++) {
        const { rows } = await env.db.query(
          `SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND state = 'active'`,
          [application],
        );
        if (rows.length > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await collector.sample();
      await sleeping;

      expect(recorder.lastGauge('db.connections', { application, state: 'idle' })).toBe(2);
      expect(recorder.lastGauge('db.connections', { application, state: 'active' })).toBe(1);
      expect(recorder.lastGauge('db.connections', { application, state: 'idle in transaction' })).toBe(0);
      expect(recorder.lastGauge('db.connections', { application, state: 'all' })).toBe(3);
      expect(recorder.lastGauge('db.connections', { application: 'pooltest-absent', state: 'all' })).toBe(0);
      // The collector's own connection is not one of the watched applications.
      expect(recorder.gauges.every((g) => g.tags?.application !== 'pipesoak-collector')).toBe(true);
    } finally {
      await collector.stop();
      await Promise.all(clients.map((c) => c.end()));
    }
  });
});
