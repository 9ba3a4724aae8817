// The clients of one worker thread: one undici Pool per origin, one NATS connection (opened only
// when a scenario uses NATS, or up front when the engine says it will), one JetStream publisher.
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import type { EngineRecorder } from './engineRecorder.ts';
import { HttpClient, type IterationHttp } from './httpClient.ts';
import type { IterationInfo } from './iterationInfo.ts';
import { type IterationJetStream, JetStreamClient } from './jetstreamClient.ts';
import { type IterationNats, NatsClient } from './natsClient.ts';

export interface ClientsOptions {
  /** The config's target (plain data). */
  target: { gatewayUrl: string; natsUrl: string; [k: string]: unknown };
  recorder: EngineRecorder;
  /** This worker's share of maxVUs. */
  httpConnectionsPerOrigin: number;
  httpTimeoutMs?: number;
  /** Bounded in-flight publishes for the JetStream path. */
  jetstreamWindow?: number;
  /** true: connect to NATS now (fail early); false: connect on first use, if ever. */
  needsNats: boolean;
}

export interface IterationClients {
  http: IterationHttp;
  jetstream: IterationJetStream;
  nats: IterationNats;
}

export interface Clients {
  forIteration(info: IterationInfo): IterationClients;
  close(): Promise<void>;
}

/** One iteration's clients: each bound facade is made on first use, so an iteration pays for what it uses. */
class ClientsOfIteration implements IterationClients {
  private boundHttp: IterationHttp | undefined;
  private boundJetstream: IterationJetStream | undefined;
  private boundNats: IterationNats | undefined;

  constructor(
    private readonly httpClient: HttpClient,
    private readonly jetstreamClient: JetStreamClient,
    private readonly natsClient: NatsClient,
    private readonly info: IterationInfo,
  ) {}

  get http(): IterationHttp {
    this.boundHttp ??= this.httpClient.forIteration(this.info);
    return this.boundHttp;
  }
  get jetstream(): IterationJetStream {
    this.boundJetstream ??= this.jetstreamClient.forIteration(this.info);
    return this.boundJetstream;
  }
  get nats(): IterationNats {
    this.boundNats ??= this.natsClient.forIteration(this.info);
    return this.boundNats;
  }
}

/** Identifies the engine's connections in the server's connz. */
const NATS_CONNECTION_NAME = 'pipesoak-engine';

export async function createClients(o: ClientsOptions): Promise<Clients> {
  const http = new HttpClient({
    recorder: o.recorder,
    connectionsPerOrigin: o.httpConnectionsPerOrigin,
    ...(o.httpTimeoutMs !== undefined ? { timeoutMs: o.httpTimeoutMs } : {}),
  });
  let nc: Promise<NatsConnection> | undefined;
  const connection = (): Promise<NatsConnection> => {
    nc ??= connect({
      servers: o.target.natsUrl,
      name: NATS_CONNECTION_NAME,
      // A broker restart mid-run is a fault under test: keep reconnecting; PubAck timeouts count the loss.
      maxReconnectAttempts: -1,
    }).catch((err: Error) => {
      nc = undefined; // the next use tries again
      throw new Error(`cannot connect to NATS at ${o.target.natsUrl}: ${err.message}`);
    });
    return nc;
  };
  const jetstream = new JetStreamClient({
    connection,
    recorder: o.recorder,
    ...(o.jetstreamWindow !== undefined ? { window: o.jetstreamWindow } : {}),
  });
  const nats = new NatsClient({ connection, recorder: o.recorder });
  if (o.needsNats) await connection();
  return {
    forIteration: (info) => new ClientsOfIteration(http, jetstream, nats, info),
    async close() {
      await jetstream.close();
      await http.close();
      const conn = await nc?.catch(() => undefined);
      // drain() sends what is buffered (fire-and-forget publishes) before closing.
      await conn?.drain().catch(() => conn.close());
    },
  };
}
