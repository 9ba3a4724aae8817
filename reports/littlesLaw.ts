// Little's law as a cross-check of the collectors: in a steady state the average number of events
// waiting in a stage is the arrival rate times the mean time spent there (L = λ·W). Two stages
// are checked, each with a backlog and a wait measured by different collectors:
//   outbox pending     outbox.pending (mean)                     vs λ · mean outbox.lag
//   consumer pending   consumer.pending + consumer.ack_pending   vs λ · (mean broker.wait + mean
//                      (not yet acked: still the stream's)           dispatch.latency main)
// Messages the worker has pulled but not acked count as ack_pending, not pending, so the
// unacked total is what store → ack time matches. A ratio far from 1 usually means a collector
// is looking at the wrong thing (another consumer, another table) or the target is set up wrong.
import { METRIC } from '../record/metricCatalog.ts';
import type { RunSummary } from './runSummary.ts';
import type { StageMeans } from './stageMeans.ts';

/** Off by more than this factor either way and the check says so. */
export const LITTLE_TOLERANCE = 2;
/** Below one event of backlog, expected and observed, 1 Hz samples cannot tell the two apart. */
export const LITTLE_MIN_BACKLOG = 1;

export interface LittleCheck {
  name: 'outbox pending' | 'consumer pending';
  /** Observed average backlog (events). */
  backlog: number | null;
  /** λ · W (events). */
  expected: number | null;
  /** backlog / expected; null when either is unknown. */
  ratio: number | null;
  ok: boolean;
  /** Why it is flagged or not judged. */
  note?: string;
}

export interface LittleInput {
  summary: Pick<RunSummary, 'metrics' | 'byTag' | 'gauges'>;
  /** Steady arrival rate λ, events per second (e.g. completions over the steady window). */
  arrivalRatePerS: number;
  /** True means of broker wait and dispatch (their histograms' _sum/_count); omitted: bucket-edge means. */
  means?: StageMeans;
}

export function littlesLaw(input: LittleInput): LittleCheck[] {
  const { summary, arrivalRatePerS: rate } = input;
  if (!(rate >= 0) || !Number.isFinite(rate))
    throw new Error(`littlesLaw: arrival rate ${rate} is not a rate`);
  const mean = (name: string) => summary.gauges[name]?.mean;
  const latencyMean = (name: string) => {
    const m = summary.metrics[name];
    return m && m.count > 0 ? m.mean : undefined;
  };
  const dispatchMain =
    summary.byTag[METRIC.dispatchLatency]?.consumer?.main ?? summary.metrics[METRIC.dispatchLatency];

  const outboxBacklog = mean(METRIC.outboxPending);
  const outboxWait = latencyMean(METRIC.outboxLag);
  const pending = mean(METRIC.consumerPending);
  const ackPending = mean(METRIC.consumerAckPending);
  // Where the run recorded a histogram's _sum/_count, its true mean; the edge values overstate it.
  const brokerWait =
    latencyMean(METRIC.brokerWait) === undefined
      ? undefined
      : (input.means?.mean(METRIC.brokerWait) ?? latencyMean(METRIC.brokerWait));
  const dispatch =
    dispatchMain && dispatchMain.count > 0
      ? (input.means?.mean(METRIC.dispatchLatency) ?? dispatchMain.mean)
      : undefined;
  return [
    check('outbox pending', outboxBacklog, rate, outboxWait, METRIC.outboxPending, METRIC.outboxLag),
    check(
      'consumer pending',
      pending === undefined || ackPending === undefined ? undefined : pending + ackPending,
      rate,
      brokerWait === undefined || dispatch === undefined ? undefined : brokerWait + dispatch,
      `${METRIC.consumerPending} and ${METRIC.consumerAckPending}`,
      `${METRIC.brokerWait} and ${METRIC.dispatchLatency}`,
    ),
  ];
}

function check(
  name: LittleCheck['name'],
  backlog: number | undefined,
  rate: number,
  waitMs: number | undefined,
  backlogSource: string,
  waitSource: string,
): LittleCheck {
  if (backlog === undefined || waitMs === undefined) {
    const missing = [
      backlog === undefined ? backlogSource : undefined,
      waitMs === undefined ? waitSource : undefined,
    ]
      .filter(Boolean)
      .join('; ');
    return {
      name,
      backlog: backlog ?? null,
      expected: null,
      ratio: null,
      ok: true,
      note: `not checked: no ${missing}`,
    };
  }
  const expected = (rate * waitMs) / 1000;
  if (expected < LITTLE_MIN_BACKLOG && backlog < LITTLE_MIN_BACKLOG) {
    return {
      name,
      backlog,
      expected,
      ratio: expected > 0 ? backlog / expected : null,
      ok: true,
      note: 'not judged: expected and observed backlog below one event',
    };
  }
  const ratio = expected > 0 ? backlog / expected : Number.POSITIVE_INFINITY;
  const ok = ratio <= LITTLE_TOLERANCE && ratio >= 1 / LITTLE_TOLERANCE;
  if (ok) return { name, backlog, expected, ratio, ok };
  const detail =
    backlog === 0
      ? `${backlogSource} is 0 while ${waitSource} says events wait: is the collector watching the right ${name === 'outbox pending' ? 'table' : 'consumer'}?`
      : `${backlogSource} averages ${fmt(backlog)} but λ·W is ${fmt(expected)} (${fmt(ratio)}×): a collector may be measuring the wrong thing, or the target is configured wrongly`;
  return {
    name,
    backlog,
    expected,
    ratio: Number.isFinite(ratio) ? ratio : null,
    ok,
    note: `${name}: ${detail}`,
  };
}

function fmt(n: number): string {
  return Number(n.toPrecision(3)).toString();
}
