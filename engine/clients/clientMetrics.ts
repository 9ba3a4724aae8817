// The metric names the clients and the scenario API record (the catalogue's names; at merge this
// file gives way to record/metricCatalog.ts's METRIC).
export const M = {
  gatewayLatency: 'gateway.latency',
  gatewayServiceTime: 'gateway.service_time',
  jetstreamPublishLatency: 'jetstream.publish.latency',
  natsRequestLatency: 'nats.request.latency',
  httpRequests: 'http.requests',
  httpErrors: 'http.errors',
  jetstreamPublishAcks: 'jetstream.publish.acks',
  jetstreamPublishDuplicates: 'jetstream.publish.duplicates',
  jetstreamPublishErrors: 'jetstream.publish.errors',
  checksPassed: 'checks.passed',
  checksFailed: 'checks.failed',
} as const;

/** Scenario-defined metrics live under this prefix. */
export const CUSTOM_METRIC_PREFIX = 'custom.';
