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
  // A sample counts only once it was taken after this instant: first the load's end plus one
  // sampling interval, then (to confirm) the moment every gauge was first seen at zero.
  let freshAfter = startMs + o.intervalMs;
  let confirming = false;
  /** Per gauge: the sum over its series when all are fresh, undefined while any is stale. */
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
    // Collectors that are off never sample their gauge: judge on the gauges sampled at all. A slow
    // collector's stale gauge is waited for, not left out (a lagging relay is a backlog too).
    const sampled = new Set(collectors.latestGauges().map((g) => g.name));
    const judged = BACKLOG.filter((n) => sampled.has(n));
    const empty = judged.length > 0 && judged.every((n) => now[n] === 0);
    if (empty && confirming) return { drained: true, waitedMs: Date.now() - startMs, backlog: now };
    if (empty) {
      // Collectors sample at different instants: an event the relay published between the stream's
      // sample and the outbox's shows in neither. A second round, all taken after this one, does.
      confirming = true;
      freshAfter = Date.now();
    } else if (confirming && judged.some((n) => (now[n] ?? 0) > 0)) {
      confirming = false;
    }
    if (Date.now() - startMs >= o.timeoutMs || o.signal?.aborted)
      return { drained: false, waitedMs: Date.now() - startMs, backlog: now };
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
