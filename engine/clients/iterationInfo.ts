// What the engine knows about one iteration, handed to the clients so they can measure from the
// intended start, correlate, and mark the iteration accepted.
export interface IterationInfo {
  /** Global iteration index, unique across workers and segments. */
  k: number;
  /** `${runId}-${k}`. */
  correlationId: string;
  /** W3C trace context, fresh per iteration. */
  traceparent: string;
  /** Epoch ms in the nowMs() domain. */
  intendedStartMs: number;
  /** Arrival-rate executor: latency from the intended start; otherwise service time only. */
  openModel: boolean;
  /** Aborted after gracefulStop. */
  signal: AbortSignal;
  /** Called on a 2xx from the gateway or on a PubAck. */
  markAccepted(): void;
}
