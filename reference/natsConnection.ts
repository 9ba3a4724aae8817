// Opening and closing the NATS connection of the relay and the worker.
import { type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from './logger.ts';

/**
 * Connects (reconnecting for ever once connected) and runs `setUp`, e.g. creating streams; a
 * failed setup closes the connection before it rethrows.
 */
export async function connectNats(
  natsUrl: string,
  name: string,
  setUp: (jsm: JetStreamManager) => Promise<void>,
): Promise<NatsConnection> {
  const nc = await connect({ servers: natsUrl, name, maxReconnectAttempts: -1 });
  try {
    await setUp(await jetstreamManager(nc));
  } catch (err) {
    await nc.close();
    throw err;
  }
  return nc;
}

/** Drains (in-flight work settles first), falling back to a plain close when draining fails. */
export async function drainQuietly(nc: NatsConnection, log: Logger): Promise<void> {
  try {
    await nc.drain();
  } catch (err) {
    log.warn({ err }, 'nats drain failed; closing');
    await nc.close().catch(() => undefined);
  }
}
