// JetStream consumer state, stream size, DLQ depth, sampled ack latency and delivery advisories.
// Talks to the `$JS.API` subjects directly (plain request/reply) so the wire shapes are ours and
// nothing depends on client-side API version checks; works on nats-server 2.9.
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { METRIC } from '../../record/metricCatalog.ts';
import type { Recorder, Tags } from '../../record/recorder.ts';
import { writeAckSamplingOff } from '../../record/runEvents.ts';
import type { Collector } from '../collector.ts';
import {
  type ApiResponseWire,
  apiSubjects,
  type ConsumerAckMetricWire,
  type ConsumerDeliveryAdvisoryWire,
  type ConsumerInfoWire,
  ERR_STREAM_NOT_FOUND,
  type StreamInfoWire,
} from './jetstreamWire.ts';

export interface JetStreamCollectorConfig {
  natsUrl: string;
  stream: string;
  consumer: string;
  dlqStream: string;
  dlqConsumer: string;
  /** Per `$JS.API` request; a dead server fails the sample after this long at most. */
  requestTimeoutMs?: number;
  /** Between reconnect attempts; the connection retries forever. */
  reconnectWaitMs?: number;
}

export class JetStreamApiError extends Error {
  constructor(
    readonly subject: string,
    readonly code: number,
    readonly errCode: number | undefined,
    description: string,
  ) {
    super(`${subject}: ${description} (${code}${errCode === undefined ? '' : `/${errCode}`})`);
    this.name = 'JetStreamApiError';
  }
}

interface AdvisoryCounts {
  maxDeliveries: number;
  terminated: number;
}

export class JetStreamCollector implements Collector {
  readonly name = 'jetstream';
  private readonly config: Required<JetStreamCollectorConfig>;
  private recorder: Recorder | undefined;
  private nc: NatsConnection | undefined;
  private subs: Subscription[] = [];
  private readonly counts = new Map<string, AdvisoryCounts>();
  private ackCount = 0;
  private ackDeliveriesSum = 0;
  private samplingOffReported = false;
  /** Whether the consumer samples acks (`sample_freq` set); known after the first sample. */
  ackSampling = false;

  constructor(config: JetStreamCollectorConfig) {
    this.config = { requestTimeoutMs: 2000, reconnectWaitMs: 250, ...config };
  }

  async start(recorder: Recorder): Promise<void> {
    this.recorder = recorder;
    const { stream, consumer, dlqStream, dlqConsumer } = this.config;
    this.counts.set(countKey(stream, consumer), { maxDeliveries: 0, terminated: 0 });
    this.counts.set(countKey(dlqStream, dlqConsumer), { maxDeliveries: 0, terminated: 0 });
    await this.connect();
  }

  async sample(): Promise<void> {
    const recorder = this.recorder;
    if (!recorder) throw new Error('jetstream collector sampled before start');
    // Reconnect forever is configured, but a connection closed for any other reason is rebuilt.
    if (!this.nc || this.nc.isClosed()) await this.connect();
    const { stream, consumer, dlqStream } = this.config;
    const at = Date.now();
    const [consumerInfo, streamInfo, dlqInfo] = await Promise.allSettled([
      this.api<ConsumerInfoWire>(apiSubjects.consumerInfo(stream, consumer)),
      this.api<StreamInfoWire>(apiSubjects.streamInfo(stream)),
      this.api<StreamInfoWire>(apiSubjects.streamInfo(dlqStream)),
    ]);

    if (consumerInfo.status === 'fulfilled') this.recordConsumer(recorder, consumerInfo.value, at);
    if (streamInfo.status === 'fulfilled') this.recordStream(recorder, streamInfo.value, at);
    if (dlqInfo.status === 'fulfilled') {
      recorder.gauge(METRIC.dlqDepth, dlqInfo.value.state.messages, { stream: dlqStream }, at);
    } else if (isStreamNotFound(dlqInfo.reason)) {
      // No DLQ stream yet means nothing was dead-lettered.
      recorder.gauge(METRIC.dlqDepth, 0, { stream: dlqStream }, at);
    }

    for (const [key, c] of this.counts) {
      const tags = tagsFromKey(key);
      recorder.gauge(METRIC.consumerMaxDeliveries, c.maxDeliveries, tags, at);
      recorder.gauge(METRIC.consumerTerminated, c.terminated, tags, at);
    }
    if (this.ackCount > 0) {
      recorder.gauge(
        METRIC.consumerAckDeliveries,
        this.ackDeliveriesSum / this.ackCount,
        { stream, consumer },
        at,
      );
      this.ackCount = 0;
      this.ackDeliveriesSum = 0;
    }

    for (const result of [consumerInfo, streamInfo, dlqInfo]) {
      if (result.status === 'rejected' && !(result === dlqInfo && isStreamNotFound(result.reason))) {
        throw result.reason;
      }
    }
  }

  async stop(): Promise<void> {
    const nc = this.nc;
    this.nc = undefined;
    this.subs = [];
    if (nc && !nc.isClosed()) await nc.close().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    await this.stop();
    const nc = await connect({
      servers: this.config.natsUrl,
      name: 'pipesoak-jetstream-collector',
      maxReconnectAttempts: -1,
      reconnectTimeWait: this.config.reconnectWaitMs,
      timeout: this.config.requestTimeoutMs,
    });
    this.nc = nc;
    const { stream, consumer, dlqStream, dlqConsumer } = this.config;
    this.subs = [
      nc.subscribe(apiSubjects.ackMetric(stream, consumer), {
        callback: (err, msg) => {
          if (!err) this.onAck(msg.json<ConsumerAckMetricWire>());
        },
      }),
    ];
    for (const [s, c] of [
      [stream, consumer],
      [dlqStream, dlqConsumer],
    ] as const) {
      this.subs.push(
        nc.subscribe(apiSubjects.maxDeliveries(s, c), {
          callback: (err, msg) => {
            if (!err) this.onAdvisory('maxDeliveries', msg.json<ConsumerDeliveryAdvisoryWire>());
          },
        }),
        nc.subscribe(apiSubjects.terminated(s, c), {
          callback: (err, msg) => {
            if (!err) this.onAdvisory('terminated', msg.json<ConsumerDeliveryAdvisoryWire>());
          },
        }),
      );
    }
    // Subscriptions reach the server before the first sample, so no advisory is missed.
    await nc.flush();
  }

  private onAck(metric: ConsumerAckMetricWire): void {
    // ack_time is nanoseconds on the wire.
    this.recorder?.recordLatency(METRIC.consumerAckLatency, metric.ack_time / 1e6, {
      stream: metric.stream,
      consumer: metric.consumer,
    });
    this.ackCount += 1;
    this.ackDeliveriesSum += metric.deliveries;
  }

  private onAdvisory(kind: keyof AdvisoryCounts, advisory: ConsumerDeliveryAdvisoryWire): void {
    const counts = this.counts.get(countKey(advisory.stream, advisory.consumer));
    if (counts) counts[kind] += 1;
  }

  private recordConsumer(recorder: Recorder, info: ConsumerInfoWire, at: number): void {
    const tags = { stream: info.stream_name, consumer: info.name };
    recorder.gauge(METRIC.consumerPending, info.num_pending, tags, at);
    recorder.gauge(METRIC.consumerAckPending, info.num_ack_pending, tags, at);
    recorder.gauge(METRIC.consumerRedelivered, info.num_redelivered, tags, at);
    recorder.gauge(METRIC.consumerWaiting, info.num_waiting, tags, at);
    recorder.gauge(METRIC.consumerDelivered, info.delivered.stream_seq, tags, at);
    recorder.gauge(METRIC.consumerAckFloor, info.ack_floor.stream_seq, tags, at);
    this.ackSampling = Boolean(info.config.sample_freq);
    if (!this.ackSampling && !this.samplingOffReported) {
      // Without sample_freq the server publishes no ack metrics: say so instead of showing nothing.
      this.samplingOffReported = true;
      writeAckSamplingOff(recorder, tags, at);
    }
  }

  private recordStream(recorder: Recorder, info: StreamInfoWire, at: number): void {
    const tags = { stream: info.config.name };
    recorder.gauge(METRIC.streamMessages, info.state.messages, tags, at);
    recorder.gauge(METRIC.streamBytes, info.state.bytes, tags, at);
    recorder.gauge(METRIC.streamLastSeq, info.state.last_seq, tags, at);
    // Against its limits: a stream that fills up discards or refuses, so how close it is matters.
    const maxBytes = info.config.max_bytes ?? -1;
    const maxMsgs = info.config.max_msgs ?? -1;
    if (maxBytes > 0) recorder.gauge(METRIC.streamBytesLimit, maxBytes, tags, at);
    const used = [
      maxBytes > 0 ? info.state.bytes / maxBytes : -1,
      maxMsgs > 0 ? info.state.messages / maxMsgs : -1,
    ];
    const worst = Math.max(...used);
    if (worst >= 0) recorder.gauge(METRIC.streamLimitUsed, worst, tags, at);
  }

  private async api<T extends ApiResponseWire>(subject: string): Promise<T> {
    const nc = this.nc;
    if (!nc) throw new Error('not connected to NATS');
    const msg = await nc
      .request(subject, '', { timeout: this.config.requestTimeoutMs })
      .catch((err: unknown) => {
        // nats.js errors say only `timeout` or `503`; name the request for the gap event.
        throw new Error(`${subject}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      });
    const body = msg.json<T>();
    if (body.error) {
      throw new JetStreamApiError(
        subject,
        body.error.code,
        body.error.err_code,
        body.error.description ?? 'error',
      );
    }
    return body;
  }
}

function countKey(stream: string, consumer: string): string {
  return `${stream}\u0000${consumer}`;
}

function tagsFromKey(key: string): Tags {
  const [stream = '', consumer = ''] = key.split('\u0000');
  return { stream, consumer };
}

function isStreamNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.errCode === ERR_STREAM_NOT_FOUND;
}
