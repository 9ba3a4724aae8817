// The true means of the stages a Prometheus histogram measures (broker wait, dispatch), as a fold
// of the run-folder reader: the collector turns bucket counts into values at bucket upper edges,
// which overstate the mean (a 6 ms dispatch in the 5-10 ms bucket counts as 10), so the shares of
// e2e would add to over 100 %. It also records the increase of the histogram's `_sum` and
// `_count` as counters (collectors/prometheus/prometheusCollector.ts `sumAs`/`countAs`); their
// ratio is the mean. From an origin on (the steady start for report.json, the run start for the
// chart; steadyWindow.ts's counter rule), and per second after it so the stage buckets get the
// same correction. Memory: a few numbers per second.
import { METRIC } from '../record/metricCatalog.ts';
import { EVENT } from '../record/runEvents.ts';
import { isCounterPoint, type SeriesRecord } from '../record/series.ts';
import type { RunFolderFold, RunFolderRead } from './readRunFolder.ts';
import { counterLineIn, type SteadyWindow } from './steadyWindow.ts';

interface SumCount {
  sum: number;
  count: number;
}

/** Which counters give which latency metric's mean, and the tag value that is the stage. */
const SOURCES: readonly {
  metric: string;
  sum: string;
  count: string;
  tag?: { key: string; value: string };
}[] = [
  { metric: METRIC.brokerWait, sum: METRIC.brokerWaitSum, count: METRIC.brokerWaitCount },
  {
    metric: METRIC.dispatchLatency,
    sum: METRIC.dispatchLatencySum,
    count: METRIC.dispatchLatencyCount,
    tag: { key: 'consumer', value: 'main' },
  },
];

export interface StageMeans {
  /** The metric's mean over the steady window, from `_sum`/`_count`; undefined without them. */
  mean(metric: string): number | undefined;
  /** The metric's mean in each bucket of `bucketS` seconds after the origin (bucket index → ms). */
  bucketMeans(metric: string, bucketS: number): Map<number, number>;
}

export class StageMeansFold implements RunFolderFold, StageMeans {
  private readonly bySecond = new Map<string, Map<number, SumCount>>();

  /** `originOf` must be final once run.start is read: the steady start or the run start. */
  constructor(private readonly originOf: (window: SteadyWindow) => number = (w) => w.steadyStartMs) {}

  record(record: SeriesRecord, _line: number, run: RunFolderRead): void {
    // Lines before run.start are set-up, not run (as the summary treats them).
    if ('event' in record && record.event === EVENT.runStart) this.bySecond.clear();
    if (!isCounterPoint(record)) return;
    const steadyStartMs = this.originOf(run.window);
    if (!counterLineIn(record.t, steadyStartMs)) return;
    for (const s of SOURCES) {
      const field = record.counter === s.sum ? 'sum' : record.counter === s.count ? 'count' : undefined;
      if (field === undefined) continue;
      if (s.tag && record.tags[s.tag.key] !== s.tag.value) continue;
      let seconds = this.bySecond.get(s.metric);
      if (seconds === undefined) {
        seconds = new Map();
        this.bySecond.set(s.metric, seconds);
      }
      // A line is stamped at the end of the scrape interval it counts: it belongs to the second before.
      const second = Math.max(0, Math.ceil((record.t - steadyStartMs) / 1000) - 1);
      let cell = seconds.get(second);
      if (cell === undefined) {
        cell = { sum: 0, count: 0 };
        seconds.set(second, cell);
      }
      cell[field] += record.value;
    }
  }

  mean(metric: string): number | undefined {
    let sum = 0;
    let count = 0;
    for (const cell of this.bySecond.get(metric)?.values() ?? []) {
      sum += cell.sum;
      count += cell.count;
    }
    return count > 0 ? sum / count : undefined;
  }

  bucketMeans(metric: string, bucketS: number): Map<number, number> {
    const buckets = new Map<number, SumCount>();
    for (const [second, cell] of this.bySecond.get(metric) ?? []) {
      const b = Math.floor(second / bucketS);
      const acc = buckets.get(b) ?? { sum: 0, count: 0 };
      acc.sum += cell.sum;
      acc.count += cell.count;
      buckets.set(b, acc);
    }
    const out = new Map<number, number>();
    for (const [b, { sum, count }] of buckets) if (count > 0) out.set(b, sum / count);
    return out;
  }
}
