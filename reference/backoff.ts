// The reconnect/retry delay of the relay and the worker after an infrastructure failure
// (database, NATS): doubling from 100 ms, capped at 5 s so recovery is noticed quickly.
const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 5_000;

/** The delay before the next try after `failures` consecutive failures (0 for the first retry). */
export function backoffMs(failures: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** failures);
}
