// What to scrape from the reference worker's :9090 (reference/workerMetrics.ts), in pipesoak names.

import { METRIC } from '../../record/metricCatalog.ts';
import type { PrometheusMapping } from './prometheusCollector.ts';

export const REFERENCE_WORKER_MAPPINGS: PrometheusMapping[] = [
  // Outcome ok|duplicate|dead_lettered|parked: the duplicate rate is the inbox de-duplication at work.
  {
    metric: 'worker_events_processed_total',
    kind: 'rate',
    as: METRIC.workerProcessedRate,
    groupBy: ['outcome'],
  },
  // Main and DLQ consumers dispatch through the same histogram; keep them apart.
  {
    metric: 'worker_dispatch_duration_seconds',
    kind: 'histogram',
    as: METRIC.dispatchLatency,
    unit: 's',
    groupBy: ['consumer'],
    sumAs: METRIC.dispatchLatencySum,
    countAs: METRIC.dispatchLatencyCount,
  },
  // Stream store time → first delivery: the broker wait of the stage breakdown (reports/stageBreakdown.ts).
  {
    metric: 'worker_broker_wait_seconds',
    kind: 'histogram',
    as: METRIC.brokerWait,
    unit: 's',
    sumAs: METRIC.brokerWaitSum,
    countAs: METRIC.brokerWaitCount,
  },
  { metric: 'worker_main_deliveries_total', kind: 'rate', as: METRIC.workerDeliveriesRate },
  { metric: 'worker_retries_total', kind: 'rate', as: METRIC.workerRetriesRate },
  { metric: 'worker_dead_lettered_total', kind: 'rate', as: METRIC.workerDeadLetteredRate },
  { metric: 'worker_in_flight', kind: 'gauge', as: METRIC.workerInFlight },
];
