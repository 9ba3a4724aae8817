// What to scrape from the reference worker's :9090 (reference/workerMetrics.ts), in pipesoak names.
import type { PrometheusMapping } from './prometheusCollector.ts';

export const REFERENCE_WORKER_MAPPINGS: PrometheusMapping[] = [
  // Outcome ok|duplicate|dead_lettered|parked: the duplicate rate is the inbox de-duplication at work.
  {
    metric: 'worker_events_processed_total',
    kind: 'rate',
    as: 'worker.processed.rate',
    groupBy: ['outcome'],
  },
  // Main and DLQ consumers dispatch through the same histogram; keep them apart.
  {
    metric: 'worker_dispatch_duration_seconds',
    kind: 'histogram',
    as: 'dispatch.latency',
    unit: 's',
    groupBy: ['consumer'],
  },
  { metric: 'worker_main_deliveries_total', kind: 'rate', as: 'worker.deliveries.rate' },
  { metric: 'worker_retries_total', kind: 'rate', as: 'worker.retries.rate' },
  { metric: 'worker_dead_lettered_total', kind: 'rate', as: 'worker.dead_lettered.rate' },
  { metric: 'worker_in_flight', kind: 'gauge', as: 'worker.in_flight' },
];
