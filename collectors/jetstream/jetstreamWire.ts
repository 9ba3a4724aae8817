// JetStream JSON as nats-server (2.9+) sends it: `$JS.API.*` responses and `$JS.EVENT.*`
// metrics/advisories. Only the fields the collector reads; snake_case as on the wire.

export interface ApiErrorWire {
  code: number;
  err_code?: number;
  description?: string;
}

/** Any `$JS.API.*` response carries `error` instead of its payload when the request failed. */
export interface ApiResponseWire {
  type: string;
  error?: ApiErrorWire;
}

export interface SequenceInfoWire {
  consumer_seq: number;
  stream_seq: number;
  last_active?: string;
}

export interface ConsumerConfigWire {
  durable_name?: string;
  ack_policy: string;
  ack_wait?: number;
  max_deliver?: number;
  /** e.g. `100%` or `30`; absent when ack sampling is off. */
  sample_freq?: string;
}

export interface ConsumerInfoWire extends ApiResponseWire {
  stream_name: string;
  name: string;
  config: ConsumerConfigWire;
  delivered: SequenceInfoWire;
  ack_floor: SequenceInfoWire;
  num_ack_pending: number;
  num_redelivered: number;
  num_waiting: number;
  num_pending: number;
}

export interface StreamStateWire {
  messages: number;
  bytes: number;
  first_seq: number;
  last_seq: number;
  consumer_count: number;
}

export interface StreamInfoWire extends ApiResponseWire {
  /** max_bytes / max_msgs are -1 (or absent) when the stream has no such limit. */
  config: { name: string; subjects?: string[]; max_bytes?: number; max_msgs?: number };
  state: StreamStateWire;
}

/** `$JS.EVENT.METRIC.CONSUMER.ACK.<stream>.<consumer>`, type `io.nats.jetstream.metric.v1.consumer_ack`. */
export interface ConsumerAckMetricWire {
  type: string;
  timestamp: string;
  stream: string;
  consumer: string;
  consumer_seq: number;
  stream_seq: number;
  /** Delivery → ack, in nanoseconds. */
  ack_time: number;
  deliveries: number;
}

/** `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.*` and `…MSG_TERMINATED.*`. */
export interface ConsumerDeliveryAdvisoryWire {
  type: string;
  timestamp: string;
  stream: string;
  consumer: string;
  stream_seq: number;
  consumer_seq?: number;
  deliveries: number;
  reason?: string;
}

/** The server's error code for "stream not found" (JSStreamNotFoundErr). */
export const ERR_STREAM_NOT_FOUND = 10059;

export const apiSubjects = {
  consumerInfo: (stream: string, consumer: string) => `$JS.API.CONSUMER.INFO.${stream}.${consumer}`,
  streamInfo: (stream: string) => `$JS.API.STREAM.INFO.${stream}`,
  ackMetric: (stream: string, consumer: string) => `$JS.EVENT.METRIC.CONSUMER.ACK.${stream}.${consumer}`,
  maxDeliveries: (stream: string, consumer: string) =>
    `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${stream}.${consumer}`,
  terminated: (stream: string, consumer: string) =>
    `$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.${stream}.${consumer}`,
};
