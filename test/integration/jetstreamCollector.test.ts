import {
  AckPolicy,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JetStreamCollector } from '../../collectors/jetstream/jetstreamCollector.ts';
import { RecordingRecorder, waitFor } from '../support/recordingRecorder.ts';
import { NATS_URL } from '../support/testEnv.ts';

const id = `${process.pid}_${Math.random().toString(36).slice(2, 8)}`.toUpperCase();
const STREAM = `T_JSC_${id}`;
const DLQ = `T_JSC_${id}_DLQ`;
const SUBJECT = `t_jsc_${id}.events`;
const DLQ_SUBJECT = `t_jsc_${id}.dlq`;

let nc: NatsConnection;
let jsm: JetStreamManager;
let js: JetStreamClient;
const collectors: JetStreamCollector[] = [];

async function addConsumer(name: string, extra: Record<string, unknown> = {}): Promise<void> {
  await jsm.consumers.add(STREAM, {
    durable_name: name,
    ack_policy: AckPolicy.Explicit,
    ack_wait: 30_000_000_000,
    filter_subject: `${SUBJECT}.${name}`,
    ...extra,
  });
}

async function publish(consumer: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await js.publish(`${SUBJECT}.${consumer}`, `m${i}`);
}

async function startCollector(consumer: string, dlqStream = DLQ): Promise<RecordingRecorder> {
  const recorder = new RecordingRecorder();
  const collector = new JetStreamCollector({
    natsUrl: NATS_URL,
    stream: STREAM,
    consumer,
    dlqStream,
    dlqConsumer: 'dlq-worker',
  });
  collectors.push(collector);
  await collector.start(recorder);
  return recorder;
}

beforeAll(async () => {
  nc = await connect({ servers: NATS_URL });
  jsm = await jetstreamManager(nc);
  js = jetstream(nc);
  await jsm.streams.add({ name: STREAM, subjects: [`${SUBJECT}.>`] });
});

afterAll(async () => {
  for (const c of collectors) await c.stop();
  await jsm.streams.delete(STREAM).catch(() => undefined);
  await jsm.streams.delete(DLQ).catch(() => undefined);
  await nc.close();
});

describe('jetstream collector', () => {
  it('reports undelivered messages as pending and fetched-but-unacked ones as ack pending', async () => {
    await addConsumer('pending');
    await publish('pending', 37);
    const consumer = await js.consumers.get(STREAM, 'pending');
    const batch = await consumer.fetch({ max_messages: 5, expires: 2000 });
    let fetched = 0;
    for await (const _ of batch) fetched++;
    expect(fetched).toBe(5);

    const recorder = await startCollector('pending');
    const collector = collectors.at(-1);
    await collector?.sample();
    const tags = { stream: STREAM, consumer: 'pending' };
    expect(recorder.lastGauge('consumer.pending', tags)).toBe(32);
    expect(recorder.lastGauge('consumer.ack_pending', tags)).toBe(5);
    expect(recorder.lastGauge('consumer.redelivered', tags)).toBe(0);
    expect(recorder.lastGauge('consumer.delivered', tags)).toBeGreaterThanOrEqual(5);
    expect(recorder.lastGauge('consumer.ack_floor', tags)).toBe(0);
    expect(recorder.lastGauge('stream.messages', { stream: STREAM })).toBeGreaterThanOrEqual(37);
    expect(recorder.lastGauge('stream.bytes', { stream: STREAM })).toBeGreaterThan(0);
  });

  it('records an ack_sampling_off event once when the consumer has no sample_freq', async () => {
    await addConsumer('nosample');
    const recorder = await startCollector('nosample');
    const collector = collectors.at(-1);
    await collector?.sample();
    await collector?.sample();
    expect(collector?.ackSampling).toBe(false);
    const events = recorder.eventsOf('jetstream.ack_sampling_off');
    expect(events).toHaveLength(1);
    expect(events[0]?.data).toEqual({ stream: STREAM, consumer: 'nosample' });
  });

  it('records sampled ack latency in ms (the server sends ns)', async () => {
    await addConsumer('sampled', { sample_freq: '100%' });
    const recorder = await startCollector('sampled');
    const collector = collectors.at(-1);
    await collector?.sample();
    expect(collector?.ackSampling).toBe(true);
    expect(recorder.eventsOf('jetstream.ack_sampling_off')).toHaveLength(0);

    await publish('sampled', 5);
    const consumer = await js.consumers.get(STREAM, 'sampled');
    const batch = await consumer.fetch({ max_messages: 5, expires: 2000 });
    const msgs = [];
    for await (const m of batch) msgs.push(m);
    expect(msgs).toHaveLength(5);
    await new Promise((r) => setTimeout(r, 120));
    for (const m of msgs) await m.ackAck();

    await waitFor(() => recorder.latencyValues('consumer.ack.latency').length >= 5);
    const values = recorder.latencyValues('consumer.ack.latency');
    expect(values).toHaveLength(5);
    for (const v of values) {
      expect(v).toBeGreaterThanOrEqual(100);
      expect(v).toBeLessThan(5000);
    }
    await collector?.sample();
    expect(recorder.lastGauge('consumer.ack.deliveries', { consumer: 'sampled' })).toBe(1);
  });

  it('counts a max-deliveries advisory for a message nak-ed until max_deliver', async () => {
    await addConsumer('naked', { max_deliver: 2 });
    const recorder = await startCollector('naked');
    const collector = collectors.at(-1);
    await publish('naked', 1);
    const consumer = await js.consumers.get(STREAM, 'naked');
    // The server notices max_deliver was reached on the next pull after the last nak.
    let deliveries = 0;
    for (let i = 0; i < 4; i++) {
      const batch = await consumer.fetch({ max_messages: 1, expires: 1000 });
      let got = 0;
      for await (const m of batch) {
        got++;
        m.nak();
      }
      deliveries += got;
      if (got === 0) break;
    }
    expect(deliveries).toBe(2);
    const tags = { stream: STREAM, consumer: 'naked' };
    await waitFor(async () => {
      await collector?.sample();
      return recorder.lastGauge('consumer.max_deliveries', tags) === 1;
    });
    await collector?.sample();
    expect(recorder.lastGauge('consumer.max_deliveries', tags)).toBe(1);
    expect(recorder.lastGauge('consumer.terminated', tags)).toBe(0);
  });

  it('counts a terminated advisory for a message term-ed', async () => {
    await addConsumer('termed');
    const recorder = await startCollector('termed');
    const collector = collectors.at(-1);
    await publish('termed', 1);
    const consumer = await js.consumers.get(STREAM, 'termed');
    const batch = await consumer.fetch({ max_messages: 1, expires: 1000 });
    for await (const m of batch) m.term();
    const tags = { stream: STREAM, consumer: 'termed' };
    await waitFor(async () => {
      await collector?.sample();
      return recorder.lastGauge('consumer.terminated', tags) === 1;
    });
    expect(recorder.lastGauge('consumer.max_deliveries', tags)).toBe(0);
  });

  it('reports dlq.depth as the DLQ stream message count, 0 when the DLQ stream does not exist', async () => {
    await addConsumer('dlqcheck');
    const missing = await startCollector('dlqcheck', `${DLQ}_MISSING`);
    await collectors.at(-1)?.sample();
    expect(missing.lastGauge('dlq.depth')).toBe(0);

    await jsm.streams.add({ name: DLQ, subjects: [`${DLQ_SUBJECT}.>`] });
    for (let i = 0; i < 3; i++) await js.publish(`${DLQ_SUBJECT}.x`, `d${i}`);
    const recorder = await startCollector('dlqcheck');
    await collectors.at(-1)?.sample();
    expect(recorder.lastGauge('dlq.depth', { stream: DLQ })).toBe(3);
  });
});
