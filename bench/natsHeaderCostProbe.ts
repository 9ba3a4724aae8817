// Probe: what a JetStream message's msgID and headers cost, client and server together. The bare
// technique of the engine's client (core publish with a reply under one inbox, a window, no engine)
// publishes 256 B messages on a private nats-server with file storage in four variants: no headers,
// Nats-Msg-Id alone, traceparent and Correlation-Id alone, all three (what the jetstream scenario
// sends). It prints msgs/s and nats-server's CPU µs per message for each, round-robin, --runs times.
//   node --import tsx bench/natsHeaderCostProbe.ts [--msgs 100000] [--window 512] [--runs 3]
import { parseArgs } from 'node:util';
import { jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { connect, createInbox, headers, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import { OwnNatsServer } from '../faults/ownNatsServer.ts';
import { median } from './support/median.ts';
import { serverCpuSeconds } from './support/serverCpu.ts';

const { values } = parseArgs({
  options: {
    msgs: { type: 'string', default: '100000' },
    window: { type: 'string', default: '512' },
    runs: { type: 'string', default: '3' },
  },
});
const N = Number(values.msgs);
const WINDOW = Number(values.window);
const RUNS = Number(values.runs);
const STREAM = 'HEADER_COST';
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const payload = new Uint8Array(256);

const VARIANTS = {
  none: { msgID: false, trace: false },
  msgID: { msgID: true, trace: false },
  'traceparent+Correlation-Id': { msgID: false, trace: true },
  all: { msgID: true, trace: true },
} as const;
type Variant = keyof typeof VARIANTS;

function headersOf(variant: Variant, id: string): MsgHdrs | undefined {
  const v = VARIANTS[variant];
  if (!v.msgID && !v.trace) return undefined;
  const h = headers();
  if (v.msgID) h.set('Nats-Msg-Id', id);
  if (v.trace) {
    h.set('traceparent', TRACEPARENT);
    h.set('Correlation-Id', id);
  }
  return h;
}

/** msgs/s and the server's CPU µs per message for N messages of one variant. */
async function publishAll(
  nc: NatsConnection,
  server: OwnNatsServer,
  variant: Variant,
  run: number,
): Promise<{ rate: number; serverUs: number }> {
  const prefix = createInbox();
  let sent = 0;
  let acked = 0;
  let inFlight = 0;
  let resolve = (): void => {};
  const done = new Promise<void>((r) => {
    resolve = r;
  });
  const pump = (): void => {
    for (; inFlight < WINDOW && sent < N; sent++, inFlight++) {
      const id = `probe-${run}-${variant}-${sent}`;
      nc.publish('hc.x', payload, { reply: `${prefix}.${sent}`, headers: headersOf(variant, id) });
    }
  };
  const sub = nc.subscribe(`${prefix}.*`, {
    callback: () => {
      acked++;
      inFlight--;
      if (acked === N) resolve();
      else pump();
    },
  });
  const cpu0 = await serverCpuSeconds(server);
  const t0 = performance.now();
  pump();
  await done;
  const seconds = (performance.now() - t0) / 1000;
  const serverUs = ((await serverCpuSeconds(server)) - cpu0) * (1e6 / N);
  sub.unsubscribe();
  return { rate: N / seconds, serverUs };
}

async function main(): Promise<void> {
  const server = await OwnNatsServer.start();
  try {
    const nc = await connect({ servers: server.url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({
      name: STREAM,
      subjects: ['hc.>'],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      num_replicas: 1,
      max_bytes: 1024 * 1024 * 1024,
      duplicate_window: 2 * 60 * 1_000_000_000,
    });
    const results = new Map<Variant, { rate: number; serverUs: number }[]>();
    for (let run = 1; run <= RUNS; run++)
      for (const variant of Object.keys(VARIANTS) as Variant[]) {
        await jsm.streams.purge(STREAM);
        const r = await publishAll(nc, server, variant, run);
        console.log(
          `run ${run} ${variant}: ${r.rate.toFixed(0)} msgs/s, nats-server ${r.serverUs.toFixed(1)} CPU µs/msg`,
        );
        results.set(variant, [...(results.get(variant) ?? []), r]);
      }
    for (const [variant, rs] of results)
      console.log(
        `median ${variant}: ${median(rs.map((r) => r.rate)).toFixed(0)} msgs/s, ` +
          `nats-server ${median(rs.map((r) => r.serverUs)).toFixed(1)} CPU µs/msg`,
      );
    await nc.close();
  } finally {
    await server.dispose();
  }
}

main().catch((err: unknown) => {
  console.error(`natsHeaderCostProbe: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
