// Quick probe of the engine's JetStream publisher (engine/clients/jetstreamClient.ts) beside the
// bare technique it is built on (core publish with a reply under one inbox, headers set, a window)
// and nats.js's js.publish, in one run on a private nats-server with file storage: 100k × 256 B
// each, median of 3.
//   node --import tsx bench/jetstreamClientProbe.ts [--msgs 100000] [--window 256] [--publishers 512]
import { parseArgs } from 'node:util';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, createInbox, headers, type NatsConnection } from '@nats-io/transport-node';
import { nowMs } from '../engine/clients/clock.ts';
import type { IterationInfo } from '../engine/clients/iterationInfo.ts';
import { JetStreamClient } from '../engine/clients/jetstreamClient.ts';
import { OwnNatsServer } from '../faults/ownNatsServer.ts';

const { values } = parseArgs({
  options: {
    msgs: { type: 'string', default: '100000' },
    window: { type: 'string', default: '256' },
    publishers: { type: 'string', default: '512' },
  },
});
const N = Number(values.msgs);
const WINDOW = Number(values.window);
const PUBLISHERS = Number(values.publishers);
const SUBJECT = 'probe.x';
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const payload = new Uint8Array(256);

/** The bare technique: one loop, a window, PubAcks parsed, no promises per message. */
async function bare(nc: NatsConnection, run: number): Promise<number> {
  const prefix = createInbox();
  let inFlight = 0;
  let acked = 0;
  let wake: (() => void) | undefined;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((r) => {
    finish = r;
  });
  const sub = nc.subscribe(`${prefix}.*`, {
    callback: (_e, m) => {
      m.json();
      inFlight--;
      if (++acked === N) finish();
      const w = wake;
      wake = undefined;
      w?.();
    },
  });
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    while (inFlight >= WINDOW) await new Promise<void>((r) => (wake = r));
    inFlight++;
    const h = headers();
    h.set('Nats-Msg-Id', `b${run}-${i}`);
    h.set('traceparent', TRACEPARENT);
    nc.publish(SUBJECT, payload, { reply: `${prefix}.${i.toString(36)}`, headers: h });
  }
  await done;
  sub.unsubscribe();
  return N / ((performance.now() - t0) / 1000);
}

/** The engine's client, driven as the engine does: concurrent iterations, each awaiting its PubAck. */
async function engineClient(nc: NatsConnection, run: number): Promise<number> {
  const client = new JetStreamClient({
    connection: async () => nc,
    recorder: { latency() {}, count() {} },
    window: WINDOW,
  });
  const signal = new AbortController().signal;
  const info = (k: number): IterationInfo => ({
    k,
    correlationId: `r-${k}`,
    traceparent: TRACEPARENT,
    intendedStartMs: nowMs(),
    openModel: true,
    signal,
    markAccepted() {},
  });
  let next = 0;
  const publisher = async () => {
    while (next < N) {
      const k = next++;
      await client.publish(info(k), SUBJECT, payload, { msgID: `c${run}-${k}` });
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: PUBLISHERS }, publisher));
  const rate = N / ((performance.now() - t0) / 1000);
  await client.close();
  return rate;
}

/** nats.js's own js.publish (a request with a timer per message), the same concurrency. */
async function jsPublish(nc: NatsConnection, run: number): Promise<number> {
  const js = jetstream(nc);
  let next = 0;
  const publisher = async () => {
    while (next < N) {
      const k = next++;
      const h = headers();
      h.set('traceparent', TRACEPARENT);
      await js.publish(SUBJECT, payload, { msgID: `j${run}-${k}`, headers: h });
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: PUBLISHERS }, publisher));
  return N / ((performance.now() - t0) / 1000);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

const server = await OwnNatsServer.start();
try {
  const nc = await connect({ servers: server.url });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'PROBE', subjects: ['probe.>'], storage: 'file' as never });
  const bareRates: number[] = [];
  const clientRates: number[] = [];
  const jsRates: number[] = [];
  for (let run = 0; run < 3; run++) {
    bareRates.push(await bare(nc, run));
    clientRates.push(await engineClient(nc, run));
    jsRates.push(await jsPublish(nc, run));
    await jsm.streams.purge('PROBE');
  }
  const b = median(bareRates);
  const c = median(clientRates);
  process.stdout.write(
    `${N} msgs × 256 B, file storage, window ${WINDOW}, ${PUBLISHERS} publishers, median of 3:\n` +
      `  bare core publish + shared inbox: ${b.toFixed(0)} msgs/s\n` +
      `  engine JetStreamClient:           ${c.toFixed(0)} msgs/s (${(c / b).toFixed(2)}× bare)\n` +
      `  nats.js js.publish:               ${median(jsRates).toFixed(0)} msgs/s\n`,
  );
  await nc.close();
} finally {
  await server.dispose();
}
