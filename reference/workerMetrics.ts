// The worker's Prometheus metrics (own registry, so several workers can share a test process) and
// the small HTTP server that exposes them on /metrics beside /healthz.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { createRouter, type HttpService, healthRoute, listen } from './http.ts';
import type { Logger } from './logger.ts';

export type Outcome = 'ok' | 'duplicate' | 'dead_lettered' | 'parked';
/** Which durable consumer a delivery came from. */
export type ConsumerRole = 'main' | 'dlq';

export interface WorkerMetrics {
  registry: Registry;
  /** Terminal outcomes per consumer: ok, duplicate (skipped by the inbox), dead_lettered, parked. */
  processed: Counter<'outcome' | 'consumer'>;
  /** Sink round trip of one dispatch, whatever its answer. */
  dispatchDuration: Histogram<'consumer'>;
  /** Stream store time to first delivery on the main consumer (the broker wait). */
  brokerWait: Histogram;
  /** Failed main-consumer dispatches handed back to JetStream with a delayed nak. */
  retries: Counter;
  deadLettered: Counter;
  /** Dispatch attempts made from the DLQ consumer. */
  dlqAttempts: Counter;
  parked: Counter;
  inFlight: Gauge;
  /** Every delivery the main consumer handed us, redeliveries included. */
  deliveries: Counter;
  serve(host: string, port: number, healthy: () => boolean, log: Logger): Promise<HttpService>;
}

export function createWorkerMetrics(): WorkerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const metrics: Omit<WorkerMetrics, 'serve'> = {
    registry,
    processed: new Counter({
      name: 'worker_events_processed_total',
      help: 'Events the worker finished with, by outcome (ok|duplicate|dead_lettered|parked) and consumer',
      labelNames: ['outcome', 'consumer'],
      registers,
    }),
    dispatchDuration: new Histogram({
      name: 'worker_dispatch_duration_seconds',
      help: 'Duration of one webhook dispatch to the sink',
      labelNames: ['consumer'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10],
      registers,
    }),
    brokerWait: new Histogram({
      name: 'worker_broker_wait_seconds',
      help: 'Stream store time of a message to its first delivery to the worker (main consumer)',
      // The collector records each observation at its bucket's upper bound, so a step is the error
      // of a percentile: fine steps up to 10 s, then at most ~1.5x up to 10 min, where an
      // overloaded run's backlog waits (60 -> 120 s steps put an overloaded p50 at 120 s).
      buckets: [
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 4, 5, 6, 8, 10, 15,
        20, 30, 45, 60, 90, 120, 180, 240, 300, 450, 600,
      ],
      registers,
    }),
    retries: new Counter({
      name: 'worker_retries_total',
      help: 'Failed main-consumer dispatches nak-ed for a delayed redelivery',
      registers,
    }),
    deadLettered: new Counter({
      name: 'worker_dead_lettered_total',
      help: 'Events published to the DLQ stream after their last allowed delivery',
      registers,
    }),
    dlqAttempts: new Counter({
      name: 'worker_dlq_attempts_total',
      help: 'Dispatch attempts made from the DLQ consumer',
      registers,
    }),
    parked: new Counter({
      name: 'worker_parked_total',
      help: 'Dead letters given up on after DLQ_MAX_ATTEMPTS and stored in parked_events',
      registers,
    }),
    inFlight: new Gauge({
      name: 'worker_in_flight',
      help: 'Deliveries being handled right now',
      registers,
    }),
    deliveries: new Counter({
      name: 'worker_main_deliveries_total',
      help: 'Deliveries received from the main consumer, redeliveries included',
      registers,
    }),
  };
  return { ...metrics, serve: (host, port, healthy, log) => serve(registry, host, port, healthy, log) };
}

function serve(
  registry: Registry,
  host: string,
  port: number,
  healthy: () => boolean,
  log: Logger,
): Promise<HttpService> {
  const router = createRouter(
    [
      {
        method: 'GET',
        path: '/metrics',
        handler: async (_req, res) => {
          const text = await registry.metrics();
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(text);
        },
      },
      healthRoute(async () => {
        if (!healthy()) throw new Error('the worker is stopping');
      }, log),
    ],
    log,
  );
  return listen(router, host, port);
}
