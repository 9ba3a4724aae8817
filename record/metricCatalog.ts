// The metric catalogue (DESIGN section 4) as data: every name a run folder may hold, with its kind,
// unit, the module that produces it, the tags kept apart in reports, and what it means. Code names a
// metric through METRIC (an unknown name is a type error); reports, SLOs and charts read the entries.
// Scenario metrics live apart, as `custom.<name>`.

export type MetricKind = 'latency' | 'counter' | 'gauge';
export type MetricUnit = 'ms' | 'count' | 'bytes' | 'ratio' | 'per_s' | 'seq';

export interface MetricEntry {
  readonly kind: MetricKind;
  readonly unit: MetricUnit;
  /** The module that writes it: a grep for the name lands here, then there. */
  readonly producer: string;
  /** Tags whose values reports keep apart (`byTag`); other tags are merged. */
  readonly tags: readonly string[];
  readonly meaning: string;
}

export const METRICS = {
  'gateway.latency': {
    kind: 'latency',
    unit: 'ms',
    producer: 'engine/clients/httpClient.ts',
    tags: ['name'],
    meaning: 'intended start of an HTTP iteration to its response (no coordinated omission)',
  },
  'gateway.service_time': {
    kind: 'latency',
    unit: 'ms',
    producer: 'engine/clients/httpClient.ts',
    tags: ['name'],
    meaning: 'actual send of an HTTP request to its response',
  },
  'jetstream.publish.latency': {
    kind: 'latency',
    unit: 'ms',
    producer: 'engine/clients/jetstreamClient.ts',
    tags: [],
    meaning: 'intended start of a publish to its PubAck',
  },
  'nats.request.latency': {
    kind: 'latency',
    unit: 'ms',
    producer: 'engine/clients/natsClient.ts',
    tags: [],
    meaning: 'core NATS request to its reply',
  },
  'iteration.delay': {
    kind: 'latency',
    unit: 'ms',
    producer: 'engine/run/scenarioRun.ts',
    tags: [],
    meaning: 'actual start of an iteration minus its intended start',
  },
  'outbox.lag': {
    kind: 'latency',
    unit: 'ms',
    producer: 'collectors/outbox/outboxCollector.ts',
    tags: [],
    meaning: 'outbox row created to published by the relay',
  },
  'consumer.ack.latency': {
    kind: 'latency',
    unit: 'ms',
    producer: 'collectors/jetstream/jetstreamCollector.ts',
    tags: [],
    meaning: 'JetStream delivery to ack, from sampled ack advisories',
  },
  'dispatch.latency': {
    kind: 'latency',
    unit: 'ms',
    producer: 'collectors/prometheus/referenceWorkerMappings.ts',
    tags: ['consumer'],
    meaning: "the worker's webhook dispatch time, main and dlq consumers kept apart",
  },
  'broker.wait': {
    kind: 'latency',
    unit: 'ms',
    producer: 'collectors/prometheus/referenceWorkerMappings.ts',
    tags: [],
    meaning: "stream store time (the relay's publish) to first delivery, from the worker's histogram",
  },
  'broker.wait.sum': {
    kind: 'counter',
    unit: 'ms',
    producer: 'collectors/prometheus/referenceWorkerMappings.ts',
    tags: [],
    meaning:
      "increase of the worker's broker-wait histogram _sum: with broker.wait.count, the stage's true mean",
  },
  'broker.wait.count': {
    kind: 'counter',
    unit: 'count',
    producer: 'collectors/prometheus/referenceWorkerMappings.ts',
    tags: [],
    meaning: "increase of the worker's broker-wait histogram _count",
  },
  'dispatch.latency.sum': {
    kind: 'counter',
    unit: 'ms',
    producer: 'collectors/prometheus/referenceWorkerMappings.ts',
    tags: ['consumer'],
    meaning:
      "increase of the worker's dispatch histogram _sum, by consumer: with dispatch.latency.count, the true mean",
  },
  'dispatch.latency.count': {
    kind: 'counter',
    unit: 'count',
    producer: 'collectors/prometheus/referenceWorkerMappings.ts',
    tags: ['consumer'],
    meaning: "increase of the worker's dispatch histogram _count, by consumer",
  },
  'e2e.latency': {
    kind: 'latency',
    unit: 'ms',
    producer: 'collectors/completion/completionCollector.ts',
    tags: [],
    meaning: 'accepted by the gateway to side effect done in the sink',
  },
  'load.iterations': {
    kind: 'counter',
    unit: 'count',
    producer: 'engine/run/scenarioRun.ts',
    tags: [],
    meaning: 'iterations started by the engine',
  },
  'load.dropped_iterations': {
    kind: 'counter',
    unit: 'count',
    producer: 'engine/run/scenarioRun.ts',
    tags: [],
    meaning: 'iterations not started because no VU was free',
  },
  'load.interrupted_iterations': {
    kind: 'counter',
    unit: 'count',
    producer: 'engine/run/scenarioRun.ts',
    tags: [],
    meaning: 'iterations cut off by gracefulStop or an abort',
  },
  'load.errors': {
    kind: 'counter',
    unit: 'count',
    producer: 'engine/run/scenarioRun.ts',
    tags: ['message'],
    meaning: 'iterations that threw, by error message',
  },
  'http.requests': {
    kind: 'counter',
    unit: 'count',
    producer: 'engine/clients/httpClient.ts',
    tags: ['status'],
    meaning: 'HTTP responses received, by status code',
  },
  'http.errors': {
    kind: 'counter',
    unit: 'count',
    producer: 'engine/clients/httpClient.ts',
    tags: [],
    meaning: 'HTTP requests that failed (status >= 400, timeout, connection error)',
  },
  'jetstream.publish.acks': {
    kind: 'counter',
    unit: 'count',
    producer: 'engine/clients/jetstreamClient.ts',
    tags: [],
    meaning: 'publishes acknowledged with a PubAck',
  },
  'jetstream.publish.duplicates': {
    kind: 'counter',
    unit: 'count',
    producer: 'engine/clients/jetstreamClient.ts',
    tags: [],
    meaning: 'PubAcks flagged duplicate (Nats-Msg-Id seen before)',
  },
  'jetstream.publish.errors': {
    kind: 'counter',
    unit: 'count',
    producer: 'engine/clients/jetstreamClient.ts',
    tags: [],
    meaning: 'publishes that failed or timed out',
  },
  'checks.passed': {
    kind: 'counter',
    unit: 'count',
    producer: 'engine/api/context.ts',
    tags: [],
    meaning: 'scenario check() calls that passed',
  },
  'checks.failed': {
    kind: 'counter',
    unit: 'count',
    producer: 'engine/api/context.ts',
    tags: [],
    meaning: 'scenario check() calls that failed',
  },
  'load.vus': {
    kind: 'gauge',
    unit: 'count',
    producer: 'engine/runEngine.ts',
    tags: [],
    meaning: 'VUs busy in the engine',
  },
  'load.event_loop.delay': {
    kind: 'gauge',
    unit: 'ms',
    producer: 'engine/runEngine.ts',
    tags: [],
    meaning: "the engine's own event-loop delay (generator health)",
  },
  'load.cpu': {
    kind: 'gauge',
    unit: 'ratio',
    producer: 'engine/runEngine.ts',
    tags: [],
    meaning: "the engine's own CPU share of one core (generator health)",
  },
  'outbox.pending': {
    kind: 'gauge',
    unit: 'count',
    producer: 'collectors/outbox/outboxCollector.ts',
    tags: [],
    meaning: 'outbox rows not yet published',
  },
  'outbox.oldest.age': {
    kind: 'gauge',
    unit: 'ms',
    producer: 'collectors/outbox/outboxCollector.ts',
    tags: [],
    meaning: 'age of the oldest unpublished outbox row',
  },
  'outbox.table.bytes': {
    kind: 'gauge',
    unit: 'bytes',
    producer: 'collectors/outbox/outboxCollector.ts',
    tags: [],
    meaning: 'size of the outbox table with its indexes and TOAST',
  },
  'outbox.dead_tuples': {
    kind: 'gauge',
    unit: 'count',
    producer: 'collectors/outbox/outboxCollector.ts',
    tags: [],
    meaning: 'dead tuples in the outbox table (vacuum debt)',
  },
  'outbox.autovacuum.count': {
    kind: 'gauge',
    unit: 'count',
    producer: 'collectors/outbox/outboxCollector.ts',
    tags: [],
    meaning: 'autovacuum runs on the outbox table since statistics were reset (pg_stat_user_tables)',
  },
  'outbox.query.time': {
    kind: 'gauge',
    unit: 'ms',
    producer: 'collectors/outbox/outboxCollector.ts',
    tags: [],
    meaning: "time the outbox collector's pending query took (a bloating table slows it)",
  },
  'consumer.pending': {
    kind: 'gauge',
    unit: 'count',
    producer: 'collectors/jetstream/jetstreamCollector.ts',
    tags: ['stream', 'consumer'],
    meaning: 'messages not yet delivered to the consumer',
  },
  'consumer.ack_pending': {
    kind: 'gauge',
    unit: 'count',
    producer: 'collectors/jetstream/jetstreamCollector.ts',
    tags: ['stream', 'consumer'],
    meaning: 'delivered messages not yet acked',
  },
  'consumer.redelivered': {
    kind: 'gauge',
    unit: 'count',
    producer: 'collectors/jetstream/jetstreamCollector.ts',
    tags: ['stream', 'consumer'],
    meaning: 'messages delivered more than once',
  },
  'consumer.waiting': {
    kind: 'gauge',
    unit: 'count',
    producer: 'collectors/jetstream/jetstreamCollector.ts',
    tags: ['stream', 'consumer'],
    meaning: 'pull requests waiting on the consumer',
  },
  'consumer.delivered': {
    kind: 'gauge',
    unit: 'seq',
    producer: 'collectors/jetstream/jetstreamCollector.ts',
    tags: ['stream', 'consumer'],
    meaning: 'stream sequence last delivered',
  },
  'consumer.ack_floor': {
    kind: 'gauge',
    unit: 'seq',
    producer: 'collectors/jetstream/jetstreamCollector.ts',
    tags: ['stream', 'consumer'],
    meaning: 'stream sequence below which every message is acked',
  },
  'consumer.max_deliveries': {
    kind: 'gauge',
    unit: 'count',
    producer: 'collectors/jetstream/jetstreamCollector.ts',
    tags: ['stream', 'consumer'],
    meaning: 'max-deliveries advisories seen (cumulative)',
  },
  'consumer.terminated': {
    kind: 'gauge',
    unit: 'count',
    producer: 'collectors/jetstream/jetstreamCollector.ts',
    tags: ['stream', 'consumer'],
    meaning: 'terminated-message advisories seen (cumulative)',
  },
  'consumer.ack.deliveries': {
    kind: 'gauge',
    unit: 'count',
    producer: 'collectors/jetstream/jetstreamCollector.ts',
    tags: ['stream', 'consumer'],
    meaning: 'delivery count of the last sampled ack',
  },
  'dlq.depth': {
    kind: 'gauge',
    unit: 'count',
    producer: 'collectors/jetstream/jetstreamCollector.ts',
    tags: ['stream'],
    meaning: 'messages in the dead-letter stream',
  },
  'stream.messages': {
    kind: 'gauge',
    unit: 'count',
    producer: 'collectors/jetstream/jetstreamCollector.ts',
    tags: ['stream'],
    meaning: 'messages stored in the stream',
  },
  'stream.bytes': {
    kind: 'gauge',
    unit: 'bytes',
    producer: 'collectors/jetstream/jetstreamCollector.ts',
    tags: ['stream'],
    meaning: 'bytes stored in the stream',
  },
  'stream.bytes.limit': {
    kind: 'gauge',
    unit: 'bytes',
    producer: 'collectors/jetstream/jetstreamCollector.ts',
    tags: ['stream'],
    meaning: "the stream's max_bytes limit; recorded only when the stream has one",
  },
  'stream.limit.used': {
    kind: 'gauge',
    unit: 'ratio',
    producer: 'collectors/jetstream/jetstreamCollector.ts',
    tags: ['stream'],
    meaning: 'the larger of bytes / max_bytes and messages / max_msgs, for the limits the stream has',
  },
  'stream.last_seq': {
    kind: 'gauge',
    unit: 'seq',
    producer: 'collectors/jetstream/jetstreamCollector.ts',
    tags: ['stream'],
    meaning: 'last sequence of the stream',
  },
  'db.connections': {
    kind: 'gauge',
    unit: 'count',
    producer: 'collectors/pool/poolCollector.ts',
    tags: ['application', 'state'],
    meaning: 'Postgres connections by application_name and state',
  },
  'harness.rss': {
    kind: 'gauge',
    unit: 'bytes',
    producer: 'collectors/harness/harnessCollector.ts',
    tags: ['process'],
    meaning: 'resident memory of the harness and the processes it watches',
  },
  'harness.cpu': {
    kind: 'gauge',
    unit: 'ratio',
    producer: 'collectors/harness/harnessCollector.ts',
    tags: ['process'],
    meaning: 'CPU share of one core of the harness and the processes it watches',
  },
  'target.rss': {
    kind: 'gauge',
    unit: 'bytes',
    producer: 'collectors/harness/harnessCollector.ts',
    tags: ['component'],
    meaning:
      'resident memory of a target component (leak watch): /proc for processes the harness started, else process_resident_memory_bytes scraped by collectors/prometheus/prometheusCollector.ts',
  },
  'worker.in_flight': {
    kind: 'gauge',
    unit: 'count',
    producer: 'collectors/prometheus/referenceWorkerMappings.ts',
    tags: [],
    meaning: 'events the worker is dispatching now',
  },
  'worker.processed.rate': {
    kind: 'gauge',
    unit: 'per_s',
    producer: 'collectors/prometheus/referenceWorkerMappings.ts',
    tags: ['outcome'],
    meaning: 'events the worker finished per second, by outcome (ok, duplicate, dead_lettered, parked)',
  },
  'worker.deliveries.rate': {
    kind: 'gauge',
    unit: 'per_s',
    producer: 'collectors/prometheus/referenceWorkerMappings.ts',
    tags: [],
    meaning: 'main-consumer deliveries per second',
  },
  'worker.retries.rate': {
    kind: 'gauge',
    unit: 'per_s',
    producer: 'collectors/prometheus/referenceWorkerMappings.ts',
    tags: [],
    meaning: 'dispatch retries per second',
  },
  'worker.dead_lettered.rate': {
    kind: 'gauge',
    unit: 'per_s',
    producer: 'collectors/prometheus/referenceWorkerMappings.ts',
    tags: [],
    meaning: 'events sent to the DLQ per second',
  },
} as const satisfies Record<string, MetricEntry>;

export type MetricName = keyof typeof METRICS;
/** A scenario's own metric; its kind is whatever the scenario records. */
export type CustomMetricName = `custom.${string}`;
/** Any name a Recorder accepts. */
export type RecordedMetricName = MetricName | CustomMetricName;

type NamesOfKind<K extends MetricKind> = {
  [N in MetricName]: (typeof METRICS)[N]['kind'] extends K ? N : never;
}[MetricName];
export type LatencyMetricName = NamesOfKind<'latency'>;
export type CounterName = NamesOfKind<'counter'>;
export type GaugeName = NamesOfKind<'gauge'>;

/** Typed constants for code: the key is the name camel-cased on `.` and `_`. */
export const METRIC = {
  gatewayLatency: 'gateway.latency',
  gatewayServiceTime: 'gateway.service_time',
  jetstreamPublishLatency: 'jetstream.publish.latency',
  natsRequestLatency: 'nats.request.latency',
  iterationDelay: 'iteration.delay',
  outboxLag: 'outbox.lag',
  consumerAckLatency: 'consumer.ack.latency',
  dispatchLatency: 'dispatch.latency',
  brokerWait: 'broker.wait',
  brokerWaitSum: 'broker.wait.sum',
  brokerWaitCount: 'broker.wait.count',
  dispatchLatencySum: 'dispatch.latency.sum',
  dispatchLatencyCount: 'dispatch.latency.count',
  e2eLatency: 'e2e.latency',
  loadIterations: 'load.iterations',
  loadDroppedIterations: 'load.dropped_iterations',
  loadInterruptedIterations: 'load.interrupted_iterations',
  loadErrors: 'load.errors',
  httpRequests: 'http.requests',
  httpErrors: 'http.errors',
  jetstreamPublishAcks: 'jetstream.publish.acks',
  jetstreamPublishDuplicates: 'jetstream.publish.duplicates',
  jetstreamPublishErrors: 'jetstream.publish.errors',
  checksPassed: 'checks.passed',
  checksFailed: 'checks.failed',
  loadVus: 'load.vus',
  loadEventLoopDelay: 'load.event_loop.delay',
  loadCpu: 'load.cpu',
  outboxPending: 'outbox.pending',
  outboxOldestAge: 'outbox.oldest.age',
  outboxTableBytes: 'outbox.table.bytes',
  outboxDeadTuples: 'outbox.dead_tuples',
  outboxAutovacuumCount: 'outbox.autovacuum.count',
  outboxQueryTime: 'outbox.query.time',
  consumerPending: 'consumer.pending',
  consumerAckPending: 'consumer.ack_pending',
  consumerRedelivered: 'consumer.redelivered',
  consumerWaiting: 'consumer.waiting',
  consumerDelivered: 'consumer.delivered',
  consumerAckFloor: 'consumer.ack_floor',
  consumerMaxDeliveries: 'consumer.max_deliveries',
  consumerTerminated: 'consumer.terminated',
  consumerAckDeliveries: 'consumer.ack.deliveries',
  dlqDepth: 'dlq.depth',
  streamMessages: 'stream.messages',
  streamBytes: 'stream.bytes',
  streamBytesLimit: 'stream.bytes.limit',
  streamLimitUsed: 'stream.limit.used',
  streamLastSeq: 'stream.last_seq',
  dbConnections: 'db.connections',
  harnessRss: 'harness.rss',
  harnessCpu: 'harness.cpu',
  targetRss: 'target.rss',
  workerInFlight: 'worker.in_flight',
  workerProcessedRate: 'worker.processed.rate',
  workerDeliveriesRate: 'worker.deliveries.rate',
  workerRetriesRate: 'worker.retries.rate',
  workerDeadLetteredRate: 'worker.dead_lettered.rate',
} as const satisfies Record<string, MetricName>;

export const CUSTOM_PREFIX = 'custom.';

export function isMetricName(name: string): name is MetricName {
  return Object.hasOwn(METRICS, name);
}

export function isCustomMetricName(name: string): name is CustomMetricName {
  return name.startsWith(CUSTOM_PREFIX) && name.length > CUSTOM_PREFIX.length;
}

/** The catalogue entry of a name; undefined for custom and unknown names. */
export function metricEntry(name: string): MetricEntry | undefined {
  return isMetricName(name) ? METRICS[name] : undefined;
}

export function metricsOfKind<K extends MetricKind>(kind: K): NamesOfKind<K>[] {
  return (Object.keys(METRICS) as MetricName[]).filter((n) => METRICS[n].kind === kind) as NamesOfKind<K>[];
}

export function isLatencyMetric(name: string): boolean {
  return metricEntry(name)?.kind === 'latency';
}

export function isGauge(name: string): boolean {
  return metricEntry(name)?.kind === 'gauge';
}

export function isCounter(name: string): boolean {
  return metricEntry(name)?.kind === 'counter';
}
