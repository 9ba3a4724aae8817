// The worker: pulls events from the durable consumer, de-duplicates them through the inbox table,
// dispatches each to the sink webhook, retries failures with delayed naks, dead-letters an event on
// its last allowed delivery, and retries dead letters from the DLQ consumer until they are parked.
import {
  type Consumer,
  type ConsumerMessages,
  type JetStreamClient,
  type JsMsg,
  jetstream,
} from '@nats-io/jetstream';
import { headers, type MsgHdrs } from '@nats-io/transport-node';
import type pg from 'pg';
import { backoffMs } from './backoff.ts';
import type { RunningComponent } from './component.ts';
import { createPool, inTransaction } from './db.ts';
import { startForcedGc } from './forcedGc.ts';
import type { HttpService } from './http.ts';
import type { Logger } from './logger.ts';
import { connectNats, drainQuietly } from './natsConnection.ts';
import { HEADER_CORRELATION_ID, HEADER_MSG_ID, HEADER_TRACEPARENT } from './relay.ts';
import { Semaphore } from './semaphore.ts';
import type { ReferenceSettings } from './settings.ts';
import { ensureConsumers, ensureStreams, maxDeliver } from './streams.ts';
import { Throttle } from './throttle.ts';
import { type ConsumerRole, createWorkerMetrics, type WorkerMetrics } from './workerMetrics.ts';

// Headers a dead letter carries besides the original ones.
const HEADER_DLQ_REASON = 'Dlq-Reason';
const HEADER_DLQ_DELIVERIES = 'Dlq-Deliveries';
const HEADER_DLQ_ORIGINAL_SUBJECT = 'Dlq-Original-Subject';
const HEADER_DLQ_ORIGINAL_SEQUENCE = 'Dlq-Original-Sequence';
// Headers of the webhook call.
const SINK_HEADER_CORRELATION_ID = 'X-Correlation-Id';
/**
 * The event id, sent with INBOX_DEDUP on: the inbox row is written after the sink's answer, so a
 * kill -9 between the two leaves an event applied but neither recorded nor acked, and its
 * redelivery asks the sink again. Only the sink can tell that ask from a new one: given the key it
 * answers a repeat from its row instead of applying it twice (reference/sink.ts). The inbox still
 * skips redeliveries of finished events cheaply and keeps the delivery counts of the retry cap.
 */
export const SINK_HEADER_IDEMPOTENCY_KEY = 'Idempotency-Key';

type DispatchResult = { ok: true } | { ok: false; reason: string };

interface Handling {
  role: ConsumerRole;
  id: string;
  /** The subject the event was first published to (the DLQ subject minus its prefix for dead letters). */
  subject: string;
}

/** Deliveries handled at once: enough to keep the pool busy, never more than a batch. */
export function workerConcurrency(settings: ReferenceSettings): number {
  return Math.max(1, Math.min(settings.batchSize, settings.dbPoolMax * 2));
}

export async function startWorker(settings: ReferenceSettings, log: Logger): Promise<RunningComponent> {
  const nc = await connectNats(settings.natsUrl, settings.workerAppName, async (jsm) => {
    await ensureStreams(jsm, settings);
    await ensureConsumers(jsm, settings);
  });
  const js = jetstream(nc);
  const pool = createPool(settings.databaseUrl, settings.workerAppName, settings.dbPoolMax, log);
  const metrics = createWorkerMetrics();
  const worker = new Worker(settings, log, js, pool, metrics);
  let server: HttpService;
  try {
    server = await metrics.serve(
      settings.host,
      settings.metricsPort,
      () => !nc.isClosed() && !worker.closing,
      log,
    );
  } catch (err) {
    await nc.close();
    await pool.end();
    throw err;
  }
  const stopGc = startForcedGc(settings.workerGcIntervalMs);
  const pumps = [
    worker.pump('main', settings.stream, settings.consumer),
    worker.pump('dlq', settings.dlqStream, settings.dlqConsumer),
  ];
  return {
    name: 'worker',
    url: server.url,
    async close() {
      stopGc();
      await worker.stop();
      await Promise.all(pumps);
      await drainQuietly(nc, log);
      await pool.end();
      await server.close();
    },
  };
}

class Worker {
  closing = false;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly slots: Semaphore;
  private readonly throttle: Throttle | undefined;
  private readonly iterators = new Set<ConsumerMessages>();
  private readonly stopWaits = new Set<() => void>();
  private readonly dispatchTimeoutMs: number;
  /** WORKER_LEAK_BYTES_PER_EVENT: held for the life of the process on purpose. */
  private readonly leaked: Buffer[] = [];
  private readonly maxMessages: number;

  constructor(
    private readonly settings: ReferenceSettings,
    private readonly log: Logger,
    private readonly js: JetStreamClient,
    private readonly pool: pg.Pool,
    private readonly metrics: WorkerMetrics,
  ) {
    // Each dispatch uses a pool connection twice (inbox check, inbox write): more in flight than twice
    // the pool would only queue on it.
    this.slots = new Semaphore(workerConcurrency(settings));
    this.throttle = settings.workerThrottleEps > 0 ? new Throttle(settings.workerThrottleEps) : undefined;
    // A hung sink must fail a dispatch well before JetStream redelivers it (ack wait).
    this.dispatchTimeoutMs = Math.max(1_000, Math.floor(settings.ackWaitMs / 3));
    // Pull no more than can be started at once: a delivered message waiting in our buffer for a slot
    // runs down its ack wait and counts as ack latency (JetStream's delivery → ack), so with a batch
    // of 100 over 20 slots ack latency was five dispatches long whenever the worker was busy. Waiting
    // is the stream's (consumer.pending), where it shows as backlog. Throttled, a full batch could
    // wait out its ack wait too: pull only what we can dispatch within half of it.
    const startable = Math.min(settings.batchSize, workerConcurrency(settings));
    this.maxMessages = this.throttle
      ? Math.max(1, Math.min(startable, Math.floor((settings.workerThrottleEps * settings.ackWaitMs) / 2000)))
      : startable;
  }

  /** Pulls from one durable consumer until stopped, re-subscribing with backoff after failures. */
  async pump(role: ConsumerRole, stream: string, name: string): Promise<void> {
    let failures = 0;
    while (!this.closing) {
      let messages: ConsumerMessages | undefined;
      try {
        const consumer: Consumer = await this.js.consumers.get(stream, name);
        messages = await consumer.consume({ max_messages: this.maxMessages });
        this.iterators.add(messages);
        if (this.closing) await messages.close();
        failures = 0;
        for await (const msg of messages) {
          await this.throttle?.take();
          const release = await this.slots.acquire();
          if (this.closing) {
            // Not started: hand it straight back so another worker can take it.
            release();
            msg.nak();
            continue;
          }
          // handle() catches what it can act on; what escapes (an ack or nak on a closed connection)
          // must not become an unhandled rejection, which would end the process.
          const task = this.handle(role, msg)
            .catch((err) => this.log.error({ err, consumer: role }, 'delivery left unsettled'))
            .finally(() => {
              release();
              this.inFlight.delete(task);
            });
          this.inFlight.add(task);
        }
        if (!this.closing) throw new Error('consumer iterator ended');
      } catch (err) {
        if (this.closing) break;
        const delay = backoffMs(failures);
        failures++;
        this.log.error({ err, consumer: name, retryInMs: delay }, 'consumer pull failed; re-subscribing');
        await this.sleep(delay);
      } finally {
        if (messages) {
          this.iterators.delete(messages);
          await messages.close().catch(() => undefined);
        }
      }
    }
  }

  /** Stops pulling and waits for the deliveries already being handled. */
  async stop(): Promise<void> {
    this.closing = true;
    for (const wake of this.stopWaits) wake();
    await Promise.all([...this.iterators].map((it) => it.close().catch(() => undefined)));
    await Promise.allSettled([...this.inFlight]);
  }

  private async handle(role: ConsumerRole, msg: JsMsg): Promise<void> {
    this.metrics.inFlight.inc();
    const id = msg.headers?.get(HEADER_MSG_ID) || `${msg.info.stream}:${msg.seq}`;
    const subject =
      role === 'dlq'
        ? msg.headers?.get(HEADER_DLQ_ORIGINAL_SUBJECT) ||
          stripPrefix(msg.subject, this.settings.dlqSubjectPrefix)
        : msg.subject;
    const h: Handling = { role, id, subject };
    try {
      if (role === 'main') {
        this.metrics.deliveries.inc();
        if (msg.info.deliveryCount === 1) this.metrics.brokerWait.observe(brokerWaitSeconds(msg));
        await this.handleMain(h, msg);
      } else {
        await this.handleDeadLetter(h, msg);
      }
    } catch (err) {
      // Only infrastructure failures land here (database, NATS); the sink's answers are handled above.
      const deliveries = msg.info.deliveryCount;
      // The reserved delivery past the cap (see maxDeliver) is the last JetStream makes.
      const last = deliveries >= maxDeliver(this.settings)[role];
      this.log.error(
        { err, id, consumer: role, deliveries },
        last ? 'handling failed on the last delivery; JetStream will not redeliver it' : 'handling failed',
      );
      msg.nak(this.backoff(deliveries));
    } finally {
      this.metrics.inFlight.dec();
    }
  }

  private async handleMain(h: Handling, msg: JsMsg): Promise<void> {
    if (await this.alreadyHandled(h, msg)) return;
    const deliveries = msg.info.deliveryCount;
    const maxDeliveries = this.settings.inboxMaxRetries + 1;
    // The last attempt was interrupted (a crash before ack or term): its retries are spent.
    const result =
      deliveries > maxDeliveries
        ? { ok: false as const, reason: 'last attempt interrupted before its outcome was recorded' }
        : await this.dispatch(h, msg);
    if (result.ok) {
      await this.markDone(h, msg, deliveries);
      msg.ack();
      this.metrics.processed.inc({ outcome: 'ok', consumer: h.role });
      this.leak();
      return;
    }
    if (deliveries < maxDeliveries) {
      msg.nak(this.backoff(deliveries));
      this.metrics.retries.inc();
      this.log.debug({ id: h.id, deliveries, reason: result.reason }, 'dispatch failed; retrying');
      return;
    }
    await this.deadLetter(h, msg, result.reason, Math.min(deliveries, maxDeliveries));
    msg.term();
    this.metrics.deadLettered.inc();
    this.metrics.processed.inc({ outcome: 'dead_lettered', consumer: h.role });
    this.log.warn({ id: h.id, deliveries, reason: result.reason }, 'dead-lettered');
  }

  private leak(): void {
    const bytes = this.settings.workerLeakBytesPerEvent;
    // Buffer.alloc fills the memory, so the pages are resident (RSS), not just reserved.
    if (bytes > 0) this.leaked.push(Buffer.alloc(bytes, 1));
  }

  private async handleDeadLetter(h: Handling, msg: JsMsg): Promise<void> {
    if (await this.alreadyHandled(h, msg)) return;
    const attempt = msg.info.deliveryCount;
    const mainDeliveries = Number(msg.headers?.get(HEADER_DLQ_DELIVERIES)) || 0;
    const interrupted = attempt > this.settings.dlqMaxAttempts;
    if (!interrupted) this.metrics.dlqAttempts.inc();
    const result = interrupted
      ? { ok: false as const, reason: 'last attempt interrupted before its outcome was recorded' }
      : await this.dispatch(h, msg);
    if (result.ok) {
      // The inbox counts main-consumer deliveries (the retry cap's); DLQ attempts are the DLQ's own.
      await this.markDone(h, msg, mainDeliveries);
      msg.ack();
      this.metrics.processed.inc({ outcome: 'ok', consumer: h.role });
      return;
    }
    if (attempt < this.settings.dlqMaxAttempts) {
      msg.nak(this.backoff(attempt));
      this.log.debug({ id: h.id, attempt, reason: result.reason }, 'dead letter dispatch failed; retrying');
      return;
    }
    await this.park(h, msg, result.reason, mainDeliveries, Math.min(attempt, this.settings.dlqMaxAttempts));
    msg.term();
    this.metrics.parked.inc();
    this.metrics.processed.inc({ outcome: 'parked', consumer: h.role });
    this.log.warn({ id: h.id, attempt, reason: result.reason }, 'parked');
  }

  /** True (and acked) when the inbox says this id is finished: a duplicate delivery. */
  private async alreadyHandled(h: Handling, msg: JsMsg): Promise<boolean> {
    if (!this.settings.inboxDedup) return false;
    const { rows } = await this.withDb(msg, () =>
      this.pool.query<{ status: string }>('SELECT status FROM inbox WHERE message_id = $1', [h.id]),
    );
    const status = rows[0]?.status;
    if (status !== 'done' && status !== 'dead_lettered') return false;
    msg.ack();
    this.metrics.processed.inc({ outcome: 'duplicate', consumer: h.role });
    this.log.debug({ id: h.id, status, consumer: h.role }, 'duplicate delivery skipped');
    return true;
  }

  private async markDone(h: Handling, msg: JsMsg, deliveries: number): Promise<void> {
    if (!this.settings.inboxDedup) return;
    await this.withDb(msg, () =>
      this.pool.query(
        `INSERT INTO inbox (message_id, subject, status, deliveries)
         VALUES ($1, $2, 'done', $3)
         ON CONFLICT (message_id) DO NOTHING`,
        [h.id, h.subject, deliveries],
      ),
    );
  }

  private async dispatch(h: Handling, msg: JsMsg): Promise<DispatchResult> {
    const type = stripPrefix(h.subject, this.settings.subjectPrefix);
    const sinkHeaders: Record<string, string> = {
      'content-type': 'application/json',
      [HEADER_MSG_ID]: h.id,
    };
    const traceparent = msg.headers?.get(HEADER_TRACEPARENT);
    if (traceparent) sinkHeaders[HEADER_TRACEPARENT] = traceparent;
    const correlationId = msg.headers?.get(HEADER_CORRELATION_ID);
    if (correlationId) sinkHeaders[SINK_HEADER_CORRELATION_ID] = correlationId;
    // INBOX_DEDUP=false turns the whole de-duplication chain off, so the negative control shows what it prevents.
    if (this.settings.inboxDedup) sinkHeaders[SINK_HEADER_IDEMPOTENCY_KEY] = h.id;
    const stopTimer = this.metrics.dispatchDuration.startTimer({ consumer: h.role });
    try {
      const res = await fetch(`${this.settings.sinkUrl}/api/events/${encodeURIComponent(type)}`, {
        method: 'POST',
        headers: sinkHeaders,
        // NATS payloads are views on plain ArrayBuffers; the DOM typing only wants that spelled out.
        body: msg.data as Uint8Array<ArrayBuffer>,
        signal: AbortSignal.timeout(this.dispatchTimeoutMs),
      });
      // Read the body so the keep-alive connection goes back to the pool.
      await res.arrayBuffer().catch(() => undefined);
      return res.ok ? { ok: true } : { ok: false, reason: `sink answered ${res.status}` };
    } catch (err) {
      const e = err as Error;
      if (e.name === 'TimeoutError')
        return { ok: false, reason: `sink timed out after ${this.dispatchTimeoutMs} ms` };
      const cause = (e.cause as Error | undefined)?.message;
      return { ok: false, reason: `sink unreachable: ${cause ?? e.message}` };
    } finally {
      stopTimer();
    }
  }

  /** Publishes the event to the DLQ stream under its original id, retrying until the ack wait nears. */
  private async deadLetter(h: Handling, msg: JsMsg, reason: string, deliveries: number): Promise<void> {
    const dlqHeaders = copyHeaders(msg.headers);
    dlqHeaders.set(HEADER_DLQ_REASON, reason);
    dlqHeaders.set(HEADER_DLQ_DELIVERIES, String(deliveries));
    dlqHeaders.set(HEADER_DLQ_ORIGINAL_SUBJECT, msg.subject);
    dlqHeaders.set(HEADER_DLQ_ORIGINAL_SEQUENCE, String(msg.seq));
    const subject = `${this.settings.dlqSubjectPrefix}.${msg.subject}`;
    // This is the last delivery JetStream makes: losing the DLQ publish would lose the event.
    await this.retrying(msg, 'dlq publish', () =>
      this.js.publish(subject, msg.data, { msgID: h.id, headers: dlqHeaders }),
    );
  }

  private async park(h: Handling, msg: JsMsg, reason: string, mainDeliveries: number, attempts: number) {
    await this.withDb(msg, () =>
      inTransaction(this.pool, async (client) => {
        await client.query(
          `INSERT INTO parked_events (message_id, subject, reason, main_deliveries, dlq_attempts, headers, payload)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (message_id) DO NOTHING`,
          [
            h.id,
            h.subject,
            reason,
            mainDeliveries,
            attempts,
            headersJson(msg.headers),
            payloadJson(msg.data),
          ],
        );
        await client.query(
          `INSERT INTO inbox (message_id, subject, status, deliveries)
           VALUES ($1, $2, 'dead_lettered', $3)
           ON CONFLICT (message_id) DO UPDATE
             SET status = 'dead_lettered', deliveries = EXCLUDED.deliveries, processed_at = clock_timestamp()`,
          [h.id, h.subject, mainDeliveries],
        );
      }),
    );
  }

  private withDb<T>(msg: JsMsg, fn: () => Promise<T>): Promise<T> {
    return this.retrying(msg, 'database', fn);
  }

  /**
   * Retries an infrastructure call (database, NATS) with backoff, keeping the delivery alive meanwhile,
   * so a short outage costs latency rather than a delivery attempt. Gives up at half the ack wait.
   */
  private async retrying<T>(msg: JsMsg, what: string, fn: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.settings.ackWaitMs / 2;
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const delay = backoffMs(attempt);
        if (this.closing || Date.now() + delay > deadline) throw err;
        this.log.warn({ err, retryInMs: delay }, `${what} call failed; retrying`);
        msg.working();
        await this.sleep(delay);
      }
    }
  }

  /** The nak delay after the given delivery (1-based): NAK_BACKOFF_MS[delivery - 1], last one repeats. */
  private backoff(delivery: number): number {
    const list = this.settings.nakBackoffMs;
    return list[Math.min(delivery, list.length) - 1] ?? 0;
  }

  /** A sleep that stop() cuts short. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.stopWaits.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.stopWaits.add(done);
    });
  }
}

function stripPrefix(subject: string, prefix: string): string {
  return subject.startsWith(`${prefix}.`) ? subject.slice(prefix.length + 1) : subject;
}

function copyHeaders(source: MsgHdrs | undefined): MsgHdrs {
  const h = headers();
  if (!source) return h;
  for (const [key, values] of source) {
    // Nats-* headers steer the stream (msg id, expectations); the DLQ publish sets its own.
    if (/^nats-/i.test(key)) continue;
    for (const value of values) h.append(key, value);
  }
  return h;
}

function headersJson(source: MsgHdrs | undefined): string {
  const out: Record<string, string> = {};
  if (source) for (const [key, values] of source) out[key] = values.join(', ');
  return JSON.stringify(out);
}

/** The payload as jsonb when it parses, else null (the column allows it; the headers still tell). */
function payloadJson(data: Uint8Array): string | null {
  const text = new TextDecoder().decode(data);
  try {
    JSON.parse(text);
    return text;
  } catch {
    return null;
  }
}

/**
 * Stream store time → this first delivery, in seconds: the broker wait of the stage breakdown. The
 * stream stamps a message when it stores it (the relay's publish), on the server's clock, which
 * on one host is ours; never negative, since clocks of two hosts may disagree a little.
 */
function brokerWaitSeconds(msg: JsMsg): number {
  const storedMs = Number(msg.timestampNanos / 1_000_000n);
  return Math.max(0, Date.now() - storedMs) / 1000;
}
