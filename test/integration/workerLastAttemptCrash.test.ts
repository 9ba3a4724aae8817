// A crash during an event's last attempt must not lose it: JetStream's reserved delivery past the
// cap dead-letters it without another dispatch, so the sink still sees at most 4 tries.

import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReferenceSupervisor } from '../../runner/referenceSupervisor.ts';
import { postMessages, waitFor } from '../support/load.ts';
import { createTestEnv, type TestEnv } from '../support/testEnv.ts';

let t: TestEnv;
let supervisor: ReferenceSupervisor;

async function metric(name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${supervisor.url('worker')}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels}`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

beforeAll(async () => {
  // Slow sink answers give the test a wide window inside the 4th attempt; a short ack wait brings
  // the interrupted delivery back quickly after the restart.
  t = await createTestEnv('lastattempt', { SINK_LATENCY_MS: '1500', ACK_WAIT_MS: '3000' });
  supervisor = new ReferenceSupervisor({ env: { ...process.env, ...t.env } });
  await supervisor.start();
});

afterAll(async () => {
  await supervisor?.stopAll();
  await t?.teardown();
});

describe('worker - killed during the last attempt of a poison event', () => {
  it('dead-letters the event after the restart without a fifth dispatch', async () => {
    await postMessages(supervisor.url('gateway') ?? '', 1, 'lastattempt', { poison: true });
    await waitFor(
      'the 4th main delivery to start',
      () => metric('worker_main_deliveries_total'),
      (n) => n >= 4,
      20_000,
    );
    supervisor.signal('worker', 'SIGKILL');
    await supervisor.exited('worker');
    await supervisor.startOne('worker');

    const nc = await connect({ servers: t.settings.natsUrl });
    try {
      const jsm = await jetstreamManager(nc);
      const dlq = await waitFor(
        'the event to land in the DLQ',
        async () => (await jsm.streams.info(t.settings.dlqStream)).state.messages,
        (n) => n >= 1,
        20_000,
      );
      expect(dlq).toBe(1);
      const main = await jsm.consumers.info(t.settings.stream, t.settings.consumer);
      expect(main.num_pending + main.num_ack_pending).toBe(0);
    } finally {
      await nc.close();
    }
    // The restarted worker dead-lettered the reserved 5th delivery without dispatching it.
    expect(await metric('worker_main_deliveries_total')).toBe(1);
    expect(await metric('worker_dispatch_duration_seconds_count', '{consumer="main"}')).toBe(0);
    expect(await metric('worker_dead_lettered_total')).toBe(1);
    const { rows } = await t.db.query<{ n: string }>('SELECT count(*) AS n FROM kg_facts');
    expect(Number(rows[0]?.n)).toBe(0);
  });
});
