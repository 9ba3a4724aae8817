// Wakes the relay after outbox rows commit: one NOTIFY in flight at a time, and one more after it
// when rows committed meanwhile, so a burst of commits costs two notifications, not one each.
import type pg from 'pg';
import type { Logger } from './logger.ts';

/** The channel the relay LISTENs on. */
export const OUTBOX_CHANNEL = 'outbox_events';

export function relayWakeup(pool: pg.Pool, log: Logger): () => void {
  let inFlight = false;
  let again = false;
  const notify = async () => {
    inFlight = true;
    try {
      do {
        again = false;
        await pool.query(`NOTIFY ${OUTBOX_CHANNEL}`);
      } while (again);
    } catch (err) {
      // The rows are committed either way: the relay's poll finds them.
      log.warn({ err }, 'relay wake-up failed; the relay will find the rows by polling');
    } finally {
      inFlight = false;
    }
  };
  return () => {
    if (inFlight) again = true;
    else void notify();
  };
}
