// The names reports know (DESIGN section 4), so an SLO naming a metric that no collector or
// scenario writes fails when it is compiled, not after a 24 h run with "no samples".

/** Latency-like metrics, recorded as HDR histograms (ms). */
export const LATENCY_METRICS = [
  'gateway.latency',
  'jetstream.publish.latency',
  'outbox.lag',
  'consumer.ack.latency',
  'dispatch.latency',
  'e2e.latency',
  'iteration.delay',
] as const;

/** Gauges sampled into series.ndjson: DESIGN's list, then the extra ones the collectors write. */
export const GAUGES = [
  'outbox.pending',
  'outbox.oldest.age',
  'consumer.pending',
  'consumer.ack_pending',
  'consumer.redelivered',
  'dlq.depth',
  'db.connections',
  'k6.dropped_iterations',
  'harness.rss',
  'harness.cpu',
  'consumer.waiting',
  'consumer.delivered',
  'consumer.ack_floor',
  'consumer.max_deliveries',
  'consumer.terminated',
  'consumer.ack.deliveries',
  'stream.messages',
  'stream.bytes',
  'stream.last_seq',
  'worker.in_flight',
  'k6.http_reqs',
  'k6.errors',
] as const;

export function isLatencyMetric(name: string): boolean {
  return (LATENCY_METRICS as readonly string[]).includes(name);
}

export function isGauge(name: string): boolean {
  return (GAUGES as readonly string[]).includes(name);
}
