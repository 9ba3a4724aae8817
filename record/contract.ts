// The system contract of DESIGN section 1: the numbers the pipeline under test promises and the
// harness judges it by. One module, imported by the reference pipeline's settings (its defaults)
// and by the SLO defaults, so the two cannot drift; the harness never imports the reference.
export const CONTRACT = {
  /** Worker pull consumer fetch size (`BATCH_SIZE`). */
  batchSize: 100,
  /** JetStream consumer `ack_wait`. */
  ackWaitMs: 30_000,
  /** Retries before an event goes to the DLQ (`INBOX_MAX_RETRIES`): at most retries + 1 deliveries. */
  inboxMaxRetries: 3,
  /** Deliveries of a dead letter on the DLQ consumer (`DLQ_MAX_ATTEMPTS`). */
  dlqMaxAttempts: 6,
  /** Postgres connections per worker at most (`DB_POOL_MAX`), seen in pg_stat_activity. */
  dbPoolMax: 10,
  /** The dispatch loop is sub-second: dispatch latency p99 below this. */
  dispatchP99Ms: 1000,
  /** Queue depth stays low: consumer pending at most this many full batches. */
  pendingBatches: 100,
  /** Webhooks answer 200. */
  webhookStatus: 200,
  /** The worker's Prometheus endpoint port. */
  metricsPort: 9090,
} as const;

/**
 * The pipeline's components by role, in start order (the gateway needs the LLM stub's address, the
 * worker the sink's): the names process faults and the reference pipeline both use.
 */
export const PIPELINE_COMPONENTS = ['sink', 'llm', 'gateway', 'relay', 'worker'] as const;
export type ComponentName = (typeof PIPELINE_COMPONENTS)[number];
