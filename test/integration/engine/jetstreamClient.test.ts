// ctx.jetstream against a private nats-server: msgIDs de-duplicate through the PubAck, the window
// bounds what is in flight, and a dead or stalled broker gives counted errors, never acceptances.
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JetStreamClient, type PubAck } from '../../../engine/clients/jetstreamClient.ts';
import { OwnNatsServer } from '../../../faults/ownNatsServer.ts';
import { METRIC } from '../../../record/metricCatalog.ts';
import { RecordingEngineRecorder, testIteration } from '../../support/engineRecording.ts';

let server: OwnNatsServer;
let nc: NatsConnection;
const STREAM = 'T_JSCLIENT';

beforeAll(async () => {
  server = await OwnNatsServer.start();
  nc = await connect({ servers: server.url });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: STREAM, subjects: ['jsc.>'], duplicate_window: 60_000_000_000 });
});

afterAll(async () => {
  await nc?.close();
  await server?.dispose();
});

function publisher(
  recorder: RecordingEngineRecorder,
  o: { window?: number; ackTimeoutMs?: number; url?: string } = {},
) {
  let conn: Promise<NatsConnection> | undefined;
  const own: NatsConnection[] = [];
  const client = new JetStreamClient({
    connection: () => {
      conn ??= o.url
        ? connect({ servers: o.url, maxReconnectAttempts: -1 }).then((c) => {
            own.push(c);
            return c;
          })
        : Promise.resolve(nc);
      return conn;
    },
    recorder,
    ...(o.window ? { window: o.window } : {}),
    ...(o.ackTimeoutMs ? { ackTimeoutMs: o.ackTimeoutMs } : {}),
    sweepMs: 20,
  });
  return {
    client,
    async close() {
      await client.close();
      for (const c of own) await c.close();
    },
  };
}

async function storedMessages(): Promise<number> {
  const jsm = await jetstreamManager(nc);
  return (await jsm.streams.info(STREAM)).state.messages;
}

describe('JetStreamClient', () => {
  const N = 300;
  const infos = Array.from({ length: N }, (_, k) => testIteration(k));
  const publishAll = (client: JetStreamClient) =>
    Promise.all(
      infos.map((info) =>
        client.publish(info, `jsc.event.${info.k % 3}`, { k: info.k }, { msgID: `id-${info.k}` }),
      ),
    );

  it('N messages with msgIDs arrive as N distinct messages, each PubAck accepted', async () => {
    const r = new RecordingEngineRecorder();
    const { client, close } = publisher(r);
    const acks = await publishAll(client);
    await close();
    expect(acks.every((a) => a.stream === STREAM && !a.duplicate)).toBe(true);
    expect(new Set(acks.map((a) => a.seq)).size).toBe(N);
    expect(await storedMessages()).toBe(N);
    expect(r.total(METRIC.jetstreamPublishAcks)).toBe(N);
    expect(r.total(METRIC.jetstreamPublishDuplicates)).toBe(0);
    expect(r.values(METRIC.jetstreamPublishLatency)).toHaveLength(N);
    expect(infos.every((i) => i.accepted === 1)).toBe(true);
  });

  it('the same N again are N duplicates through the PubAck, and nothing new is stored', async () => {
    const r = new RecordingEngineRecorder();
    const { client, close } = publisher(r);
    const acks = await publishAll(client);
    await close();
    expect(acks.filter((a) => a.duplicate)).toHaveLength(N);
    expect(r.total(METRIC.jetstreamPublishDuplicates)).toBe(N);
    expect(await storedMessages()).toBe(N);
  });

  it('sends Nats-Msg-Id, traceparent and the correlation id as headers', async () => {
    const { client, close } = publisher(new RecordingEngineRecorder());
    const info = testIteration(9001);
    const ack = await client.publish(info, 'jsc.headers', 'x', {
      msgID: 'hdr-1',
      headers: { 'X-Extra': 'y' },
    });
    await close();
    const jsm = await jetstreamManager(nc);
    const stored = await jsm.streams.getMessage(STREAM, { seq: ack.seq });
    expect(stored?.header.get('Nats-Msg-Id')).toBe('hdr-1');
    expect(stored?.header.get('traceparent')).toBe(info.traceparent);
    expect(stored?.header.get('Correlation-Id')).toBe('run-9001');
    expect(stored?.header.get('X-Extra')).toBe('y');
  });

  it("a scenario's header of the same name replaces ours; a msgID with a line break is refused", async () => {
    const r = new RecordingEngineRecorder();
    const { client, close } = publisher(r);
    const info = testIteration(9002);
    const ack = await client.publish(info, 'jsc.headers', 'x', {
      msgID: 'hdr-2',
      headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    });
    const before = await storedMessages();
    const injected = client.publish(testIteration(9003), 'jsc.headers', 'x', { msgID: 'a\r\nX-Evil: 1' });
    await expect(injected).rejects.toThrow(/cannot contain \\r or \\n/);
    await close();
    const jsm = await jetstreamManager(nc);
    const stored = await jsm.streams.getMessage(STREAM, { seq: ack.seq });
    expect(stored?.header.values('traceparent')).toEqual([
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    ]);
    expect(await storedMessages()).toBe(before);
    expect(r.total(METRIC.jetstreamPublishAcks)).toBe(1);
  });

  it('never has more than the window in flight, and fills it', async () => {
    const { client, close } = publisher(new RecordingEngineRecorder(), { window: 4 });
    let most = 0;
    const watch = setInterval(() => {
      most = Math.max(most, client.inFlightCount);
    }, 0);
    const acks = await Promise.all(
      Array.from({ length: 200 }, (_, k) =>
        client.publish(testIteration(k), 'jsc.window', 'w').then((a: PubAck) => {
          most = Math.max(most, client.inFlightCount);
          return a;
        }),
      ),
    );
    clearInterval(watch);
    expect(client.inFlightCount).toBe(0);
    await close();
    expect(acks).toHaveLength(200);
    expect(most).toBe(4);
  });

  it('a PubAck error is counted as an error and not accepted', async () => {
    const r = new RecordingEngineRecorder();
    const { client, close } = publisher(r);
    const info = testIteration(1);
    const res = client.publish(info, 'jsc.expect', 'x', {
      headers: { 'Nats-Expected-Stream': 'NOT_THIS_ONE' },
    });
    await expect(res).rejects.toThrow(/PubAck error 10060/);
    await close();
    expect(r.total(METRIC.jetstreamPublishErrors, { code: '10060' })).toBe(1);
    expect(info.accepted).toBe(0);
  });

  it('a subject no stream listens on is a counted error', async () => {
    const r = new RecordingEngineRecorder();
    const { client, close } = publisher(r);
    await expect(client.publish(testIteration(1), 'nobody.listens', 'x')).rejects.toThrow(/no responders/);
    await close();
    expect(r.total(METRIC.jetstreamPublishErrors, { code: 'no_responders' })).toBe(1);
  });

  it('a dead broker gives timeouts counted as errors, none accepted', async () => {
    const own = await OwnNatsServer.start();
    try {
      const setup = await connect({ servers: own.url });
      await (await jetstreamManager(setup)).streams.add({ name: 'DEAD', subjects: ['dead.>'] });
      await setup.close();
      const r = new RecordingEngineRecorder();
      const { client, close } = publisher(r, { url: own.url, ackTimeoutMs: 300 });
      await client.publish(testIteration(0), 'dead.x', 'alive'); // connected and subscribed
      await own.kill();
      const infos = Array.from({ length: 5 }, (_, k) => testIteration(k + 1));
      const results = await Promise.allSettled(infos.map((i) => client.publish(i, 'dead.x', 'gone')));
      await close();
      expect(results.every((x) => x.status === 'rejected')).toBe(true);
      expect(r.total(METRIC.jetstreamPublishErrors)).toBe(5);
      expect(r.total(METRIC.jetstreamPublishAcks)).toBe(1);
      expect(infos.every((i) => i.accepted === 0)).toBe(true);
      expect(client.inFlightCount).toBe(0);
    } finally {
      await own.dispose();
    }
  });

  it('an abort rejects a pending publish with the abort reason and frees its slot', async () => {
    // A subscriber that never answers: the publish stays pending (no 503, since someone listens).
    const silent = nc.subscribe('stall.x', { callback: () => undefined });
    await nc.flush();
    const r = new RecordingEngineRecorder();
    const { client, close } = publisher(r, { window: 1 });
    const ac = new AbortController();
    const first = client.publish(testIteration(1, { signal: ac.signal }), 'stall.x', 'stalled');
    const second = client.publish(
      testIteration(2, { signal: ac.signal }),
      'stall.x',
      'waiting for the window',
    );
    const results = Promise.allSettled([first, second]);
    await new Promise((res) => setTimeout(res, 50));
    expect(client.inFlightCount).toBe(1);
    ac.abort(new Error('graceful stop'));
    const [a, b] = await results;
    expect(a).toMatchObject({ status: 'rejected', reason: new Error('graceful stop') });
    expect(b).toMatchObject({ status: 'rejected', reason: new Error('graceful stop') });
    expect(client.inFlightCount).toBe(0);
    // The slot is free again: a publish to the stream goes through.
    const ack = await client.publish(testIteration(3), 'jsc.after', 'after the abort');
    expect(ack.stream).toBe(STREAM);
    silent.unsubscribe();
    await close();
    expect(r.total(METRIC.jetstreamPublishErrors)).toBe(0);
  });
});
