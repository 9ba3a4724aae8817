// ctx.nats and createClients against the machine's NATS, with a responder the test starts.
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nowMs } from '../../../engine/clients/clock.ts';
import { createClients } from '../../../engine/clients/createClients.ts';
import { NatsClient } from '../../../engine/clients/natsClient.ts';
import { METRIC } from '../../../record/metricCatalog.ts';
import { RecordingEngineRecorder, testIteration } from '../../support/engineRecording.ts';
import { NATS_URL } from '../../support/testEnv.ts';

const SUBJECT = `t_natsclient_${process.pid}`;
let nc: NatsConnection;
let responder: Subscription;
const received: { subject: string; data: string; traceparent?: string; correlationId?: string }[] = [];

beforeAll(async () => {
  nc = await connect({ servers: NATS_URL });
  responder = nc.subscribe(`${SUBJECT}.>`, {
    callback: (_err, msg) => {
      received.push({
        subject: msg.subject,
        data: msg.string(),
        traceparent: msg.headers?.get('traceparent'),
        correlationId: msg.headers?.get('Correlation-Id'),
      });
      if (msg.subject.endsWith('.silent')) return;
      if (msg.reply) setTimeout(() => msg.respond(JSON.stringify({ echo: msg.string() })), 20);
    },
  });
  await nc.flush();
});

afterAll(async () => {
  responder?.unsubscribe();
  await nc?.close();
});

function client(recorder: RecordingEngineRecorder) {
  return new NatsClient({ connection: async () => nc, recorder });
}

describe('NatsClient', () => {
  it('request/reply returns the reply and records nats.request.latency from the intended start', async () => {
    const r = new RecordingEngineRecorder();
    const info = testIteration(1, { intendedStartMs: nowMs() - 300 });
    const reply = await client(r).forIteration(info).request(`${SUBJECT}.ask`, { q: 1 });
    expect(reply.json()).toEqual({ echo: '{"q":1}' });
    const [latency] = r.values(METRIC.natsRequestLatency);
    expect(latency).toBeGreaterThanOrEqual(320); // 300 late + the responder's 20 ms
    const seen = received.find((m) => m.subject === `${SUBJECT}.ask`);
    expect(seen?.traceparent).toBe(info.traceparent);
    expect(seen?.correlationId).toBe('run-1');
  });

  it('in the closed model the request latency is the round trip only', async () => {
    const r = new RecordingEngineRecorder();
    const info = testIteration(2, { intendedStartMs: nowMs() - 5000, openModel: false });
    await client(r).forIteration(info).request(`${SUBJECT}.ask2`, 'x');
    const [latency] = r.values(METRIC.natsRequestLatency);
    expect(latency).toBeGreaterThanOrEqual(20);
    expect(latency).toBeLessThan(2000);
  });

  it('a request nobody answers in time rejects and records no latency', async () => {
    const r = new RecordingEngineRecorder();
    await expect(
      client(r).forIteration(testIteration(3)).request(`${SUBJECT}.silent`, 'x', { timeout: 100 }),
    ).rejects.toThrow(/timeout/i);
    expect(r.values(METRIC.natsRequestLatency)).toEqual([]);
  });

  it('an abort ends a pending request with the abort reason', async () => {
    const ac = new AbortController();
    const pending = client(new RecordingEngineRecorder())
      .forIteration(testIteration(4, { signal: ac.signal }))
      .request(`${SUBJECT}.silent`, 'x', { timeout: 5000 });
    setTimeout(() => ac.abort(new Error('graceful stop')), 30);
    await expect(pending).rejects.toThrow('graceful stop');
  });

  it('publish is fire and forget, with the iteration headers', async () => {
    const info = testIteration(5);
    await client(new RecordingEngineRecorder())
      .forIteration(info)
      .publish(`${SUBJECT}.fire`, 'hello', {
        headers: { 'X-Kind': 'fire' },
      });
    await nc.flush();
    await new Promise((r) => setTimeout(r, 50));
    const seen = received.filter((m) => m.subject === `${SUBJECT}.fire`);
    expect(seen).toEqual([
      { subject: `${SUBJECT}.fire`, data: 'hello', traceparent: info.traceparent, correlationId: 'run-5' },
    ]);
  });
});

describe('createClients', () => {
  it('does not connect to NATS until a scenario uses it', async () => {
    const r = new RecordingEngineRecorder();
    // Nothing listens on port 1: connecting would fail, so getting here shows no connection was made.
    const clients = await createClients({
      target: { gatewayUrl: 'http://127.0.0.1:1', natsUrl: 'nats://127.0.0.1:1' },
      recorder: r,
      httpConnectionsPerOrigin: 1,
      needsNats: false,
    });
    const iteration = clients.forIteration(testIteration(6));
    await expect(iteration.nats.publish('x', 'y')).rejects.toThrow(
      'cannot connect to NATS at nats://127.0.0.1:1',
    );
    await clients.close();
  });

  it('connects up front when needsNats says so, and its clients share the one connection', async () => {
    await expect(
      createClients({
        target: { gatewayUrl: 'http://127.0.0.1:1', natsUrl: 'nats://127.0.0.1:1' },
        recorder: new RecordingEngineRecorder(),
        httpConnectionsPerOrigin: 1,
        needsNats: true,
      }),
    ).rejects.toThrow('cannot connect to NATS');
    const r = new RecordingEngineRecorder();
    const clients = await createClients({
      target: { gatewayUrl: 'http://127.0.0.1:1', natsUrl: NATS_URL },
      recorder: r,
      httpConnectionsPerOrigin: 2,
      needsNats: true,
    });
    const a = clients.forIteration(testIteration(7));
    const reply = await a.nats.request(`${SUBJECT}.viaclients`, 'z');
    expect(reply.string()).toBe('{"echo":"z"}');
    const res = await a.http.get('http://127.0.0.1:1/');
    expect(res.status).toBe(0);
    expect(r.total(METRIC.httpErrors, { code: 'ECONNREFUSED' })).toBe(1);
    await clients.close();
  });
});
