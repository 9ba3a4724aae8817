// The end of a run: wait until the pipeline has emptied (outbox and consumer backlog at 0 in a
// sample taken after the load stopped), bounded by the config's drainTimeout, so the integrity
// check counts what the pipeline did rather than what it had not reached yet.

import type { CollectorSet } from '../../collectors/collectorSet.ts';
import { METRIC } from '../../record/metricCatalog.ts';

export interface DrainResult {
  drained: boolean;
  waitedMs: number;
  /** The backlog gauges at the end, for a note when the drain timed out. */
  backlog: Record<string, number | undefined>;
}

const BACKLOG = [METRIC.outboxPending, METRIC.consumerPending, METRIC.consumerAckPending] as const;
const POLL_MS = 250;

export async function drainPipeline(
  collectors: Pick<CollectorSet, 'latestGauges'>,
  o: { timeoutMs: number; intervalMs: number; signal?: AbortSignal },
): Promise<DrainResult> {
  const startMs = Date.now();
  // A sample counts only once it was taken after the load ended plus one sampling interval.
  const freshAfter = startMs + o.intervalMs;
  const backlog = (): Record<string, number | undefined> => {
    const out: Record<string, number | undefined> = {};
    for (const name of BACKLOG) {
      const series = collectors.latestGauges().filter((g) => g.name === name);
      const fresh = series.length > 0 && series.every((g) => g.atMs >= freshAfter);
      out[name] = fresh ? series.reduce((sum, g) => sum + g.value, 0) : undefined;
    }
    return out;
  };
  for (;;) {
    const now = backlog();
    const known = BACKLOG.filter((n) => now[n] !== undefined);
    // Collectors that are off report nothing: judge on what is sampled, but wait for at least one.
    if (known.length > 0 && known.every((n) => now[n] === 0))
      return { drained: true, waitedMs: Date.now() - startMs, backlog: now };
    if (Date.now() - startMs >= o.timeoutMs || o.signal?.aborted)
      return { drained: false, waitedMs: Date.now() - startMs, backlog: now };
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
