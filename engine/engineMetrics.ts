// The metric names the engine core records, in one place so the catalogue in record/ can replace
// this file with one import.
export const M = {
  gatewayLatency: 'gateway.latency',
  gatewayServiceTime: 'gateway.service_time',
  jetstreamPublishLatency: 'jetstream.publish.latency',
  natsRequestLatency: 'nats.request.latency',
  iterationDelay: 'iteration.delay',
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
} as const;

export type EngineMetricName = (typeof M)[keyof typeof M];
