// ctx.jetstream: the throughput path of issue 10's note. js.publish is a request with a timer of its
// own per message (about 16k msgs/s here whatever the window); instead each publish is a core
// publish with a reply subject under ONE inbox subscription, PubAcks are matched back by the reply
// token (as nats.go's PublishAsync does), in-flight publishes are bounded by a window, and ONE
// sweep interval times out late PubAcks and drops aborted ones. One-at-a-time publishes go the same way.
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { createInbox, type Msg, type MsgHdrs } from '@nats-io/transport-node';
import { METRIC } from '../../record/metricCatalog.ts';
import { CLIENT_DEFAULTS } from './clientDefaults.ts';
import { nowMs } from './clock.ts';
import type { EngineRecorder } from './engineRecorder.ts';
import { iterationHeaders } from './iterationHeaders.ts';
import type { IterationInfo } from './iterationInfo.ts';
import { type NatsData, natsPayload } from './natsPayload.ts';
import { PendingRing } from './pendingRing.ts';
import { type PubAckWire, parsePubAck } from './pubAckWire.ts';

export interface PubAck {
  stream: string;
  seq: number;
  /** The stream had this msgID already (within its duplicate window): nothing was stored. */
  duplicate: boolean;
}

export interface JetStreamPublishOptions {
  /** Sent as Nats-Msg-Id; the stream de-duplicates on it. */
  msgID?: string;
  headers?: Record<string, string>;
  /** ms to wait for the PubAck. */
  timeout?: number;
}

/** What a scenario calls; bound to one iteration. */
export interface IterationJetStream {
  /** Resolves with the PubAck; rejects on a PubAck error, a timeout, or the iteration's abort. */
  publish(subject: string, data: NatsData, options?: JetStreamPublishOptions): Promise<PubAck>;
  /** The subjects the stream listens on (asked once per worker), e.g. ["events.>"]. */
  streamSubjects(stream: string): Promise<string[]>;
}

export interface JetStreamClientOptions {
  connection: () => Promise<NatsConnection>;
  recorder: EngineRecorder;
  /** In-flight publishes at most; further publishes wait for a free slot. */
  window?: number;
  ackTimeoutMs?: number;
  sweepMs?: number;
}

/** A PubAck error, a PubAck timeout, or no stream on the subject. */
export class JetStreamPublishError extends Error {
  override name = 'JetStreamPublishError';
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/**
 * One publish from the call to its PubAck: waiting for a slot, then queued for the next write, then
 * in flight. One object per message (no promise or async frame for the wait, no second entry for
 * the outbox), which the worker's young generation feels at tens of thousands per second.
 */
interface Pending {
  info: IterationInfo;
  /** Its reply subject's last token, given by the pending ring. */
  seq: number;
  subject: string;
  /** Both dropped once written: a message waiting for its PubAck keeps nothing it no longer needs. */
  payload: Uint8Array;
  headers: MsgHdrs | undefined;
  fromMs: number;
  deadlineMs: number;
  timeoutMs: number;
  resolve(ack: PubAck): void;
  reject(err: unknown): void;
}

export class JetStreamClient {
  readonly window: number;
  private readonly ackTimeoutMs: number;
  private readonly pending: PendingRing<Pending>;
  // Publishes waiting for a slot, as an array and a head index: shift() moves every waiter, and a
  // full window can have thousands.
  private waiters: Pending[] = [];
  private head = 0;
  private readonly subjects = new Map<string, Promise<string[]>>();
  private inFlight = 0;
  private nc: NatsConnection | undefined;
  private ready: Promise<NatsConnection> | undefined;
  private prefix = '';
  private sub: Subscription | undefined;
  private sweep: NodeJS.Timeout | undefined;
  private closed = false;
  private outbox: Pending[] = [];
  private writeScheduled = false;

  constructor(private readonly o: JetStreamClientOptions) {
    this.window = o.window ?? CLIENT_DEFAULTS.jetstreamWindow;
    if (!Number.isInteger(this.window) || this.window < 1)
      throw new Error(`jetstreamWindow must be a whole number >= 1 (got ${this.window})`);
    this.ackTimeoutMs = o.ackTimeoutMs ?? CLIENT_DEFAULTS.pubAckTimeoutMs;
    // At most the window is pending (release() frees a slot for each entry taken).
    this.pending = new PendingRing(2 * this.window);
  }

  /** Publishes whose PubAck has not come yet. */
  get inFlightCount(): number {
    return this.inFlight;
  }

  forIteration(info: IterationInfo): IterationJetStream {
    return new BoundJetStream(this, info);
  }

  /**
   * Resolves with the PubAck. The message is not written at once: publishes made in one turn of the
   * event loop go out together from one setImmediate, so nats.js (which flushes its outbound buffer
   * on the microtask after the first publish into an empty buffer) writes them to the socket in one
   * write instead of one per message (a write per message was 17% of the worker's time).
   */
  publish(
    info: IterationInfo,
    subject: string,
    data: NatsData,
    options: JetStreamPublishOptions = {},
  ): Promise<PubAck> {
    if (info.signal.aborted) return Promise.reject(info.signal.reason);
    if (this.nc === undefined) return this.publishOnceReady(info, subject, data, options);
    let p: Pending;
    try {
      p = this.pendingOf(info, subject, data, options);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<PubAck>((resolve, reject) => {
      p.resolve = resolve;
      p.reject = reject;
      if (this.inFlight < this.window) {
        this.inFlight++;
        this.admit(p);
      } else this.waiters.push(p); // release() admits it when a slot frees
    });
  }

  /** The first publish: connects and subscribes, then publishes as usual. */
  private async publishOnceReady(
    info: IterationInfo,
    subject: string,
    data: NatsData,
    options: JetStreamPublishOptions,
  ): Promise<PubAck> {
    await this.start();
    return this.publish(info, subject, data, options);
  }

  /** The message with its headers, not yet holding a slot. */
  private pendingOf(
    info: IterationInfo,
    subject: string,
    data: NatsData,
    options: JetStreamPublishOptions,
  ): Pending {
    const payload = natsPayload(data);
    const h = iterationHeaders(info, options.msgID, options.headers);
    return {
      info,
      seq: -1,
      subject,
      payload,
      headers: h,
      fromMs: info.intendedStartMs,
      // The clock starts when the message is written (writeOutbox); until then it is not late.
      deadlineMs: Number.POSITIVE_INFINITY,
      timeoutMs: options.timeout ?? this.ackTimeoutMs,
      resolve: noop,
      reject: noop,
    };
  }

  /** Holds a slot now: queues the message for the next write and its PubAck in pending. */
  private admit(p: Pending): void {
    this.pending.add(p);
    this.outbox.push(p);
    if (!this.writeScheduled) {
      this.writeScheduled = true;
      setImmediate(this.writeOutbox);
    }
  }

  /** Hands every queued message to nats.js in one synchronous loop: one socket write for the lot. */
  private readonly writeOutbox = (): void => {
    this.writeScheduled = false;
    const batch = this.outbox;
    this.outbox = [];
    const nc = this.nc;
    const sentMs = nowMs();
    const replyPrefix = `${this.prefix}.`;
    for (const p of batch) {
      if (this.pending.get(p.seq) !== p) continue; // aborted or closed meanwhile
      if (!p.info.openModel) p.fromMs = sentMs;
      p.deadlineMs = sentMs + p.timeoutMs;
      try {
        if (nc === undefined) throw new Error('the JetStream client is closed');
        nc.publish(p.subject, p.payload, { reply: replyPrefix + p.seq, headers: p.headers });
        // Not needed until the PubAck: held, 500 in flight outlived scavenges (at 80k msgs/s ~4 MB
        // copied and promoted per scavenge, 7-12 ms each).
        p.payload = WRITTEN;
        p.headers = undefined;
      } catch (err) {
        this.pending.take(p.seq);
        this.release();
        p.reject(this.fail(err, errorCode(err)));
      }
    }
  };

  async streamSubjects(stream: string): Promise<string[]> {
    let subjects = this.subjects.get(stream);
    if (!subjects) {
      subjects = (async () => {
        const { jetstreamManager } = await import('@nats-io/jetstream');
        const jsm = await jetstreamManager(await this.o.connection());
        const info = await jsm.streams.info(stream);
        return info.config.subjects ?? [];
      })();
      // A failed look-up (stream not there yet) is asked again next time.
      subjects.catch(() => this.subjects.delete(stream));
      this.subjects.set(stream, subjects);
    }
    return subjects;
  }

  /** Rejects what is still pending and stops the sweep; the connection is the caller's. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.sweep) clearInterval(this.sweep);
    const err = new JetStreamPublishError('the JetStream client closed before the PubAck came', 'closed');
    this.pending.forEach((p) => {
      p.reject(err);
    });
    this.pending.clear();
    this.outbox = [];
    for (const w of this.waiters.slice(this.head)) w.reject(err);
    this.waiters = [];
    this.head = 0;
    this.sub?.unsubscribe();
  }

  private start(): Promise<NatsConnection> {
    this.ready ??= (async () => {
      const nc = await this.o.connection();
      if (this.closed) throw new Error('the JetStream client is closed');
      this.prefix = createInbox();
      this.sub = nc.subscribe(`${this.prefix}.*`, { callback: (_err, msg) => this.onReply(msg) });
      this.sweep = setInterval(() => this.sweepPending(), this.o.sweepMs ?? CLIENT_DEFAULTS.pubAckSweepMs);
      this.sweep.unref();
      this.nc = nc;
      return nc;
    })().catch((err) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }

  private onReply(msg: Msg): void {
    const p = this.pending.take(Number(msg.subject.slice(this.prefix.length + 1)));
    if (!p) return; // timed out or aborted already
    this.release();
    const r = this.o.recorder;
    if (msg.headers?.code === 503) {
      p.reject(this.fail(new Error('no stream listens on the subject (503 no responders)'), 'no_responders'));
      return;
    }
    let ack: PubAckWire;
    try {
      ack = parsePubAck(msg.data);
    } catch {
      p.reject(this.fail(new Error('the PubAck is not JSON'), 'bad_pub_ack'));
      return;
    }
    if (ack.error) {
      const code = String(ack.error.err_code ?? ack.error.code ?? 'error');
      p.reject(
        this.fail(new Error(`PubAck error ${code}: ${ack.error.description ?? 'no description'}`), code),
      );
      return;
    }
    r.latency(METRIC.jetstreamPublishLatency, nowMs() - p.fromMs);
    r.count(METRIC.jetstreamPublishAcks);
    const duplicate = ack.duplicate === true;
    if (duplicate) r.count(METRIC.jetstreamPublishDuplicates);
    p.info.markAccepted();
    p.resolve({ stream: ack.stream ?? '', seq: ack.seq ?? 0, duplicate });
  }

  /** Frees a slot: the next waiter not aborted meanwhile takes it over, else the window shrinks. */
  private release(): void {
    while (this.head < this.waiters.length) {
      const next = this.waiters[this.head] as Pending;
      this.waiters[this.head++] = undefined as never; // let it be collected
      if (this.head === this.waiters.length) {
        this.waiters = [];
        this.head = 0;
      }
      if (next.info.signal.aborted) {
        next.reject(next.info.signal.reason);
        continue;
      }
      this.admit(next);
      return;
    }
    this.inFlight--;
  }

  private sweepPending(): void {
    const now = nowMs();
    this.pending.forEach((p) => {
      const aborted = p.info.signal.aborted;
      if (!aborted && now < p.deadlineMs) return;
      if (this.pending.take(p.seq) !== p) return;
      this.release();
      p.reject(
        aborted
          ? p.info.signal.reason
          : this.fail(new Error(`no PubAck within ${p.timeoutMs} ms`), 'timeout'),
      );
    });
    if (this.waiters.slice(this.head).some((w) => w.info.signal.aborted)) {
      const waiting = this.waiters.slice(this.head);
      this.waiters = waiting.filter((w) => !w.info.signal.aborted);
      this.head = 0;
      for (const w of waiting) if (w.info.signal.aborted) w.reject(w.info.signal.reason);
    }
  }

  private fail(err: unknown, code: string): JetStreamPublishError {
    this.o.recorder.count(METRIC.jetstreamPublishErrors, 1, { code });
    const message = err instanceof Error ? err.message : String(err);
    return err instanceof JetStreamPublishError ? err : new JetStreamPublishError(message, code);
  }
}

/** ctx.jetstream of one iteration: methods on the prototype, not closures per iteration. */
class BoundJetStream implements IterationJetStream {
  constructor(
    private readonly client: JetStreamClient,
    private readonly info: IterationInfo,
  ) {}
  publish(subject: string, data: NatsData, options?: JetStreamPublishOptions): Promise<PubAck> {
    return this.client.publish(this.info, subject, data, options);
  }
  streamSubjects(stream: string): Promise<string[]> {
    return this.client.streamSubjects(stream);
  }
}

function noop(): void {}

const WRITTEN = new Uint8Array(0);

function errorCode(err: unknown): string {
  const e = err as { code?: unknown; name?: unknown };
  if (typeof e?.code === 'string') return e.code;
  return typeof e?.name === 'string' ? e.name : 'error';
}
