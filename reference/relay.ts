// The outbox relay: claims unpublished outbox_events rows, publishes each to JetStream with the row
// id as Nats-Msg-Id, marks them published. At-least-once: a crash between publish and mark makes the
// next claim publish again, and the stream's duplicate window absorbs the second copy.
import { type JetStreamClient, jetstream, type PubAck } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import pg from 'pg';
import { backoffMs } from './backoff.ts';
import type { RunningComponent } from './component.ts';
import { createPool, inTransaction } from './db.ts';
import type { Logger } from './logger.ts';
import { connectNats, drainQuietly } from './natsConnection.ts';
import { OUTBOX_CHANNEL } from './relayWakeup.ts';
import type { ReferenceSettings } from './settings.ts';
import { ensureStreams } from './streams.ts';

/** An outbox_events row as Postgres returns it. */
export interface OutboxRow {
  id: string;
  aggregate_type: string;
  aggregate_id: string;
  event_type: string;
  subject: string;
  payload: unknown;
  correlation_id: string | null;
  causation_id: string | null;
  traceparent: string | null;
  created_at: Date;
}

export interface RelayStats {
  /** Rows marked published. */
  published: number;
  /** Publishes JetStream reported as duplicates (a row published before its mark was lost). */
  duplicates: number;
  /** Claim/publish rounds that failed and were retried. */
  errors: number;
}

export interface RunningRelay extends RunningComponent {
  stats(): RelayStats;
}

// Header names shared with the worker.
export const HEADER_MSG_ID = 'Nats-Msg-Id';
export const HEADER_CORRELATION_ID = 'Correlation-Id';
const HEADER_CAUSATION_ID = 'Causation-Id';
export const HEADER_TRACEPARENT = 'traceparent';

const CLAIM_SQL = `
  SELECT id, aggregate_type, aggregate_id, event_type, subject, payload,
         correlation_id, causation_id, traceparent, created_at
    FROM outbox_events
   WHERE published_at IS NULL
   ORDER BY created_at
   LIMIT $1
     FOR UPDATE SKIP LOCKED`;
const MARK_SQL = 'UPDATE outbox_events SET published_at = clock_timestamp() WHERE id = ANY($1::uuid[])';

/**
 * Publishes one outbox row without marking it. The relay's loop uses it; tests call it directly to
 * replay "published, then crashed before the mark".
 */
export function publishOutboxRow(js: JetStreamClient, row: OutboxRow): Promise<PubAck> {
  const h = headers();
  if (row.correlation_id) h.set(HEADER_CORRELATION_ID, row.correlation_id);
  if (row.causation_id) h.set(HEADER_CAUSATION_ID, row.causation_id);
  if (row.traceparent) h.set(HEADER_TRACEPARENT, row.traceparent);
  // msgID sets the Nats-Msg-Id header the stream de-duplicates on.
  return js.publish(row.subject, JSON.stringify(row.payload), { msgID: row.id, headers: h });
}

export async function startRelay(settings: ReferenceSettings, log: Logger): Promise<RunningRelay> {
  const nc = await connectNats(settings.natsUrl, settings.relayAppName, (jsm) =>
    ensureStreams(jsm, settings),
  );
  const js = jetstream(nc);
  // Claims hold one connection; the second lets a claim overlap a slow COMMIT on shutdown.
  const pool = createPool(settings.databaseUrl, settings.relayAppName, 2, log);
  const stats: RelayStats = { published: 0, duplicates: 0, errors: 0 };
  const wake = new Wake();
  let closing = false;

  const listener = new OutboxListener(settings, log, () => wake.fire());
  listener.start();

  /** One claim → publish → mark round; returns how many rows it claimed. */
  async function relayOnce(): Promise<number> {
    let publishError: unknown;
    const claimed = await inTransaction(pool, async (client) => {
      const { rows } = await client.query<OutboxRow>(CLAIM_SQL, [settings.relayBatch]);
      // Publish the whole batch concurrently; mark only what JetStream acknowledged.
      const results = await Promise.allSettled(rows.map((row) => publishOutboxRow(js, row)));
      const done: string[] = [];
      results.forEach((result, i) => {
        const row = rows[i];
        if (!row) return;
        if (result.status === 'rejected') {
          publishError ??= result.reason;
          return;
        }
        done.push(row.id);
        if (result.value.duplicate) {
          stats.duplicates++;
          log.info(
            { id: row.id, seq: result.value.seq },
            'row was already published; JetStream de-duplicated it',
          );
        }
      });
      if (done.length > 0) await client.query(MARK_SQL, [done]);
      return { rows: rows.length, published: done.length };
    });
    stats.published += claimed.published;
    if (publishError) throw publishError;
    return claimed.rows;
  }

  async function loop(): Promise<void> {
    let failures = 0;
    while (!closing) {
      try {
        const claimed = await relayOnce();
        failures = 0;
        // A full batch means more rows are probably waiting: claim again without sleeping.
        if (claimed >= settings.relayBatch) continue;
        await wake.wait(settings.relayPollMs);
      } catch (err) {
        stats.errors++;
        const delay = backoffMs(failures);
        failures++;
        log.error({ err, retryInMs: delay }, 'relay round failed');
        await wake.wait(delay);
      }
    }
  }

  // Every published row leaves a dead version whose entry stays in the unpublished partial index
  // until vacuum removes it, so the claim above and a pending count walk all of them: at 100/s with
  // autovacuum off (this CI host's Postgres) the count read 925 buffers for 0-2 pending rows after
  // 6,500 events, and its time grew all run. A queue table needs vacuum far more often than
  // autovacuum's defaults give (production sets per-table thresholds); the relay does it itself.
  const vacuumTimer = new Wake();
  async function vacuumLoop(): Promise<void> {
    let publishedAtVacuum = stats.published;
    while (!closing) {
      await vacuumTimer.wait(settings.relayVacuumMs);
      if (closing || stats.published === publishedAtVacuum) continue;
      publishedAtVacuum = stats.published;
      try {
        await pool.query('VACUUM outbox_events');
      } catch (err) {
        log.warn({ err }, 'outbox vacuum failed; retrying at the next interval');
      }
    }
  }

  const running = loop();
  const vacuuming = settings.relayVacuumMs > 0 ? vacuumLoop() : Promise.resolve();
  return {
    name: 'relay',
    stats: () => ({ ...stats }),
    async close() {
      closing = true;
      wake.fire();
      vacuumTimer.fire();
      await running;
      await vacuuming;
      await listener.stop();
      await drainQuietly(nc, log);
      await pool.end();
    },
  };
}

/** LISTEN outbox_events on its own connection, reconnecting with backoff; polling covers the gaps. */
class OutboxListener {
  private client: pg.Client | undefined;
  private stopped = false;
  private failures = 0;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly settings: ReferenceSettings,
    private readonly log: Logger,
    private readonly onNotify: () => void,
  ) {}

  start(): void {
    void this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({
      connectionString: this.settings.databaseUrl,
      application_name: this.settings.relayAppName,
      connectionTimeoutMillis: 5_000,
    });
    this.client = client;
    client.on('notification', () => this.onNotify());
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    try {
      await client.connect();
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
      this.failures = 0;
      // Rows may have been inserted while we were not listening.
      this.onNotify();
    } catch (err) {
      this.lost(client, err as Error);
    }
  }

  private lost(client: pg.Client, err: Error): void {
    if (this.stopped || this.client !== client) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    const delay = backoffMs(this.failures);
    this.failures++;
    this.log.warn({ err, retryInMs: delay }, 'outbox LISTEN connection lost; polling until it is back');
    this.retry = setTimeout(() => void this.connect(), delay);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}

/** A sleep that a notification (or shutdown) cuts short; a fire with nobody waiting is kept. */
class Wake {
  private pending = false;
  private resolve: (() => void) | undefined;

  fire(): void {
    if (this.resolve) this.resolve();
    else this.pending = true;
  }

  wait(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.resolve = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.resolve = done;
    });
  }
}
