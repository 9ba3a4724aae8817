// The run over time, as the charts of report.html show it: offered, achieved and completed rate,
// latency percentiles with their SLO objectives, outbox, consumer, DLQ and database gauges (the
// pool limit drawn), the generator's health and the harness's memory, each downsampled into at
// most MAX_POINTS time buckets (latency buckets merge their intervals' histograms exactly), plus
// the fault windows. Read by the one run-folder reader (readRunFolder.ts), beside the report's own
// folds when rendering.
import { isCustomMetricName, METRIC } from '../record/metricCatalog.ts';
import { type LatencyBuckets, LatencyTimelineFold } from './latencyTimeline.ts';
import { type RunFolderFold, type RunFolderRead, readRunFolder } from './readRunFolder.ts';
import { roundReportNumber } from './reportNumbers.ts';
import {
  type FaultWindow,
  type GaugeLine,
  type GaugeLineSpec,
  type SeriesTimeline,
  SeriesTimelineFold,
} from './seriesTimeline.ts';
import { STAGE_METRICS, STAGES, stageBreakdown } from './stageBreakdown.ts';
import { type StageMeans, StageMeansFold } from './stageMeans.ts';

/** Points per line at most: enough for any screen, small enough for a light page. */
export const MAX_POINTS = 2000;

export interface ChartLine {
  label: string;
  /** One value per chart x; null where this line has no data. */
  values: (number | null)[];
}

export interface Chart {
  id: string;
  title: string;
  unit: string;
  /** Where the numbers come from, in a few words. */
  source: string;
  /** Seconds since the run start, ascending. */
  x: number[];
  lines: ChartLine[];
  /** Why the chart is empty; set exactly when there are no lines. */
  noData?: string;
  /** Lines are running totals, top layer first: the page fills each down to the axis. */
  stacked?: boolean;
  /** Objectives drawn as dashed horizontal lines (SLO bounds, the DB pool limit). */
  thresholds?: ChartThreshold[];
  /** The page offers a log-scale y axis (latencies spanning orders of magnitude). */
  logScale?: boolean;
}

export interface ChartThreshold {
  label: string;
  value: number;
}

export interface RunTimeline {
  bucketS: number;
  durationS: number;
  warmUpS: number;
  faults: FaultWindow[];
  charts: Chart[];
  notes: string[];
}

/**
 * Latency charts every report has, in this order; other catalogue latencies follow when recorded,
 * then the scenario's own trends (custom.*, ctx.metrics.trend) by name.
 */
const LATENCY_CHARTS = [
  ['gateway-latency', METRIC.gatewayLatency],
  ['e2e-latency', METRIC.e2eLatency],
  ['dispatch-latency', METRIC.dispatchLatency],
  ['consumer-ack-latency', METRIC.consumerAckLatency],
] as const;
/** Charted only when the run recorded them (an HTTP run has no publish latency, for one). */
const OPTIONAL_LATENCIES = [
  METRIC.gatewayServiceTime,
  METRIC.iterationDelay,
  METRIC.jetstreamPublishLatency,
  METRIC.natsRequestLatency,
  METRIC.brokerWait,
] as const;

const GAUGE_LINES: GaugeLineSpec[] = [
  { gauge: METRIC.loadIterations, mode: 'rate' },
  { gauge: METRIC.loadDroppedIterations, mode: 'rate' },
  { gauge: METRIC.httpRequests, mode: 'rate' },
  { gauge: METRIC.httpErrors, mode: 'rate' },
  { gauge: METRIC.outboxPending, mode: 'peak' },
  { gauge: METRIC.outboxOldestAge, mode: 'peak' },
  { gauge: METRIC.consumerPending, mode: 'peak' },
  { gauge: METRIC.consumerAckPending, mode: 'peak' },
  { gauge: METRIC.dlqDepth, mode: 'peak' },
  { gauge: METRIC.dbConnections, mode: 'peak', splitBy: 'application' },
  { gauge: METRIC.loadEventLoopDelay, mode: 'peak' },
  { gauge: METRIC.loadCpu, mode: 'peak' },
  { gauge: METRIC.harnessCpu, mode: 'peak', splitBy: 'process' },
  { gauge: METRIC.harnessRss, mode: 'peak', splitBy: 'process' },
];

/** What runTimeline reads of report.json's SLO results to draw objectives as lines. */
export interface SloLineSource {
  name: string;
  objective: string;
}

export async function runTimeline(dir: string, slos: readonly SloLineSource[] = []): Promise<RunTimeline> {
  const reading = timelineReading();
  return reading.timeline(await readRunFolder(dir, reading.folds), slos);
}

const LATENCY_METRICS = [
  ...new Set([
    ...LATENCY_CHARTS.map(([, metric]) => metric),
    ...OPTIONAL_LATENCIES,
    METRIC.outboxLag,
    ...STAGE_METRICS,
  ]),
];

/** The folds the timeline is drawn from, to read beside others' in the same pass (renderRunFolder). */
export function timelineReading(): {
  folds: RunFolderFold[];
  timeline(run: RunFolderRead, slos?: readonly SloLineSource[]): RunTimeline;
} {
  // The run's length as report.json states it, so the axis ends where the report says.
  const lengthOf = ({ window }: RunFolderRead) => {
    const durationS = roundReportNumber(window.durationS);
    return { durationS, bucketS: Math.max(1, Math.ceil(durationS / MAX_POINTS)) };
  };
  // The axis starts at the run start as report.json states it (run.startedAt, whole ms).
  const startOf = ({ window }: RunFolderRead) => Math.trunc(window.runStartMs);
  const seriesFold = new SeriesTimelineFold(GAUGE_LINES);
  const catalogued = new Set<string>(LATENCY_METRICS);
  // A scenario's trends are in load.hlog only as histograms (its counters are series lines).
  const charted = (metric: string) => catalogued.has(metric) || isCustomMetricName(metric);
  const latencyFold = new LatencyTimelineFold(charted, (run) => ({
    fromMs: startOf(run),
    bucketS: lengthOf(run).bucketS,
  }));
  const stageMeans = new StageMeansFold((w) => Math.trunc(w.runStartMs));
  return {
    folds: [seriesFold, latencyFold, stageMeans],
    timeline: (run, slos = []) => {
      const { durationS, bucketS } = lengthOf(run);
      const startMs = startOf(run);
      const series = seriesFold.timeline(
        startMs,
        startMs + durationS * 1000,
        bucketS,
        run.window.warmUpMs / 1000,
      );
      return timelineCharts(bucketS, durationS, latencyFold.buckets(), series, slos, stageMeans);
    },
  };
}

function timelineCharts(
  bucketS: number,
  durationS: number,
  latency: Map<string, LatencyBuckets>,
  series: SeriesTimeline,
  slos: readonly SloLineSource[],
  stageMeans?: StageMeans,
): RunTimeline {
  const gauge = (name: string) => series.lines.filter((l) => l.gauge === name);
  const at = (buckets: number[], values: number[]): Sparse => ({ buckets, values });
  const percentiles = (b: LatencyBuckets, prefix = ''): [string, Sparse][] => [
    [`${prefix}p50`, at(b.buckets, b.p50)],
    [`${prefix}p90`, at(b.buckets, b.p90)],
    [`${prefix}p99`, at(b.buckets, b.p99)],
  ];
  const withSlos = (c: Chart, metric: string): Chart => {
    const thresholds = sloThresholds(slos, metric);
    return c.noData === undefined && thresholds.length > 0 ? { ...c, thresholds } : c;
  };
  const latencyChart = (id: string, metric: string): Chart => {
    const b = latency.get(metric);
    const c = chart(
      id,
      `Latency: ${metric}`,
      'ms',
      'percentiles of each bucket\u2019s merged histogram',
      bucketS,
      b ? percentiles(b) : [],
      `${metric} samples`,
    );
    return withSlos(c.noData === undefined ? { ...c, logScale: true } : c, metric);
  };

  const charts: Chart[] = [throughputChart(bucketS, gauge, latency)];
  for (const [id, metric] of LATENCY_CHARTS) charts.push(latencyChart(id, metric));
  for (const metric of OPTIONAL_LATENCIES) {
    if (latency.has(metric)) charts.push(latencyChart(`latency-${metric.replace(/[._]/g, '-')}`, metric));
  }
  const ids = new Set(charts.map((c) => c.id));
  for (const metric of [...latency.keys()].filter(isCustomMetricName).sort()) {
    // A custom name may hold any character; the id keeps to what a CSS selector takes, made unique.
    const base = `latency-${metric.replace(/[^A-Za-z0-9-]/g, '-')}`;
    let id = base;
    for (let n = 2; ids.has(id); n++) id = `${base}-${n}`;
    ids.add(id);
    charts.push(latencyChart(id, metric));
  }
  charts.push(
    withSlos(
      gaugeChart(
        'outbox-pending',
        'Outbox pending',
        'events',
        bucketS,
        [METRIC.outboxPending],
        gauge(METRIC.outboxPending),
      ),
      METRIC.outboxPending,
    ),
  );
  const outboxLag = latency.get(METRIC.outboxLag);
  const oldest = gauge(METRIC.outboxOldestAge)[0];
  const lag = chart(
    'outbox-lag',
    'Outbox lag',
    'ms',
    `${METRIC.outboxLag} percentiles (created \u2192 published); ${METRIC.outboxOldestAge} peak`,
    bucketS,
    [
      ...(outboxLag ? percentiles(outboxLag, 'lag ') : []),
      ...(oldest ? [['oldest unpublished age', at(oldest.buckets, oldest.values)] as [string, Sparse]] : []),
    ],
    `${METRIC.outboxLag} samples and no ${METRIC.outboxOldestAge} gauge`,
  );
  charts.push(withSlos(lag.noData === undefined ? { ...lag, logScale: true } : lag, METRIC.outboxLag));
  charts.push(
    withSlos(
      gaugeChart(
        'consumer-pending',
        'Consumer pending and ack pending',
        'messages',
        bucketS,
        [METRIC.consumerPending, METRIC.consumerAckPending],
        [...gauge(METRIC.consumerPending), ...gauge(METRIC.consumerAckPending)],
      ),
      METRIC.consumerPending,
    ),
  );
  charts.push(
    gaugeChart('dlq-depth', 'DLQ depth', 'messages', bucketS, [METRIC.dlqDepth], gauge(METRIC.dlqDepth)),
  );
  const db = gaugeChart(
    'db-connections',
    'DB connections against the pool limit',
    'connections',
    bucketS,
    [METRIC.dbConnections],
    gauge(METRIC.dbConnections),
  );
  // The pool limit is the dbConnections SLO (per application; the contract's DB_POOL_MAX by default).
  const pool = sloThresholds(slos, METRIC.dbConnections).map((t) => ({
    ...t,
    label: `pool limit ${t.value}`,
  }));
  charts.push(db.noData === undefined && pool.length > 0 ? { ...db, thresholds: pool } : db);
  charts.push(
    gaugeChart(
      'event-loop-delay',
      'Generator health: event-loop delay',
      'ms',
      bucketS,
      [METRIC.loadEventLoopDelay],
      gauge(METRIC.loadEventLoopDelay),
    ),
  );
  charts.push(
    scaled(
      gaugeChart(
        'cpu',
        'Generator and harness CPU (% of one core)',
        '%',
        bucketS,
        [METRIC.loadCpu, METRIC.harnessCpu],
        [...gauge(METRIC.loadCpu), ...gauge(METRIC.harnessCpu)],
      ),
      100,
    ),
  );
  charts.push(
    scaled(
      gaugeChart('harness-rss', 'Harness RSS', 'MB', bucketS, [METRIC.harnessRss], gauge(METRIC.harnessRss)),
      1e-6,
    ),
  );
  charts.push(stagesChart(bucketS, latency, stageMeans));

  return { bucketS, durationS, warmUpS: series.warmUpS, faults: series.faults, charts, notes: series.notes };
}

/**
 * Offered (the schedule: iterations started plus dropped), achieved (started) and completed (e2e
 * samples, one a completion) per second. Without the engine's counters, achieved falls back to
 * HTTP responses, then to gateway.latency samples.
 */
function throughputChart(
  bucketS: number,
  gauge: (name: string) => GaugeLine[],
  latency: Map<string, LatencyBuckets>,
): Chart {
  const delay = latency.get(METRIC.iterationDelay);
  const started = gauge(METRIC.loadIterations)[0];
  const dropped = gauge(METRIC.loadDroppedIterations)[0];
  const requests = gauge(METRIC.httpRequests)[0];
  const errors = gauge(METRIC.httpErrors)[0];
  const gateway = latency.get(METRIC.gatewayLatency);
  // iteration.delay has one sample per started iteration in hlog intervals that carry their own
  // start and length; counter lines carry the time they were shipped, which jitters by a second.
  const achieved: [Sparse, string] | undefined =
    delay !== undefined
      ? [{ buckets: delay.buckets, values: perSecond(delay, bucketS) }, `${METRIC.iterationDelay} samples`]
      : started !== undefined
        ? [started, METRIC.loadIterations]
        : requests !== undefined
          ? [requests, `${METRIC.httpRequests} (no ${METRIC.loadIterations})`]
          : gateway !== undefined
            ? [
                { buckets: gateway.buckets, values: perSecond(gateway, bucketS) },
                `${METRIC.gatewayLatency} samples (no ${METRIC.loadIterations})`,
              ]
            : undefined;
  const lines: [string, Sparse][] = [];
  const sources: string[] = [];
  if (achieved !== undefined) {
    // Offered is the schedule: every iteration it asked for was started or dropped.
    lines.push(['offered', sum(achieved[0], dropped)], ['achieved', achieved[0]]);
    sources.push(`offered = achieved + ${METRIC.loadDroppedIterations}`, `achieved = ${achieved[1]}`);
  }
  const e2e = latency.get(METRIC.e2eLatency);
  if (e2e !== undefined) {
    lines.push(['completed', { buckets: e2e.buckets, values: perSecond(e2e, bucketS) }]);
    sources.push(`completed = ${METRIC.e2eLatency} samples`);
  }
  if (errors?.values.some((v) => v > 0)) {
    lines.push(['errors', errors]);
    sources.push(`errors = ${METRIC.httpErrors}`);
  }
  return chart(
    'throughput',
    'Offered, achieved and completed rate',
    'events/s',
    `per second: ${sources.join('; ')}`,
    bucketS,
    lines,
    `${METRIC.iterationDelay}, ${METRIC.loadIterations}, ${METRIC.httpRequests} or ${METRIC.e2eLatency}`,
  );
}

/**
 * Samples per second of each bucket. A bucket's intervals may reach past it (then over what they
 * cover) but never count as covering less than the bucket: the engine's last interval is cut short
 * while holding a second's samples, and would read as a spike of several times the rate.
 */
function perSecond(b: LatencyBuckets, bucketS: number): number[] {
  return b.count.map((n, i) => n / Math.max(b.coveredS[i] ?? 0, bucketS));
}

/** Two rate lines added bucket by bucket; a bucket one of them lacks counts 0 for it. */
function sum(a: Sparse, b: Sparse | undefined): Sparse {
  if (b === undefined) return a;
  const total = new Map<number, number>();
  for (const s of [a, b]) {
    s.buckets.forEach((k, i) => {
      total.set(k, (total.get(k) ?? 0) + (s.values[i] ?? 0));
    });
  }
  const buckets = [...total.keys()].sort((x, y) => x - y);
  return { buckets, values: buckets.map((k) => total.get(k) ?? 0) };
}

/** A chart whose values change unit (ratio → %, bytes → MB). */
function scaled(c: Chart, factor: number): Chart {
  return {
    ...c,
    lines: c.lines.map((l) => ({ ...l, values: l.values.map((v) => (v === null ? null : v * factor)) })),
  };
}

/**
 * The SLO objectives on one metric, as horizontal lines: results named `<metric> <stat>` with an
 * upper bound (sloEngine writes objectives as `< 500 ms` or `<= 10`). Drift and custom objectives
 * of other shapes are not lines.
 */
export function sloThresholds(slos: readonly SloLineSource[], metric: string): ChartThreshold[] {
  const out: ChartThreshold[] = [];
  for (const s of slos) {
    if (!s.name.startsWith(`${metric} `)) continue;
    const stat = s.name.slice(metric.length + 1);
    const m = /^(<=?) (\d+(?:\.\d+)?(?:e[+-]?\d+)?)(?: ms)?$/.exec(s.objective);
    if (m === null || stat.includes(' ')) continue;
    out.push({ label: `SLO ${stat} ${m[1]} ${m[2]}`, value: Number(m[2]) });
  }
  return out;
}

/** Where e2e time goes, bucket by bucket: each stage's mean stacked on the ones before it. */
function stagesChart(bucketS: number, latency: Map<string, LatencyBuckets>, means?: StageMeans): Chart {
  const b = stageBreakdown({
    summary: { metrics: {}, byTag: {} },
    buckets: { bucketS, byMetric: latency },
    ...(means === undefined ? {} : { means }),
  }).buckets;
  const layers: [string, Sparse][] = [];
  if (b !== null) {
    const buckets = b.startS.map((x) => Math.round(x / bucketS));
    const running = new Array<number>(buckets.length).fill(0);
    for (const stage of STAGES) {
      const values = b.mean[stage];
      if (values.every((v) => v === null)) continue;
      const kept: number[] = [];
      const keptValues: number[] = [];
      values.forEach((v, i) => {
        running[i] = (running[i] ?? 0) + (v ?? 0);
        if (v !== null) {
          kept.push(buckets[i] ?? 0);
          keptValues.push(running[i] ?? 0);
        }
      });
      layers.push([stage, { buckets: kept, values: keptValues }]);
    }
  }
  const c = chart(
    'stages',
    'Where e2e time goes',
    'ms',
    'mean of each stage per bucket, stacked (broker wait and dispatch: the worker histograms\u2019 _sum/_count, main consumer, where recorded; else their bucket edges, dispatch of every consumer; effect: e2e mean minus the rest)',
    bucketS,
    layers.reverse(),
    `${METRIC.e2eLatency} samples`,
  );
  return c.noData === undefined ? { ...c, stacked: true } : c;
}

interface Sparse {
  buckets: number[];
  values: number[];
}

function gaugeChart(
  id: string,
  title: string,
  unit: string,
  bucketS: number,
  gauges: readonly string[],
  lines: GaugeLine[],
): Chart {
  return chart(
    id,
    title,
    unit,
    `${gauges.join(', ')}, peak per bucket`,
    bucketS,
    lines.map((l) => [
      l.split === '' ? l.gauge : `${l.gauge} ${l.split}`,
      { buckets: l.buckets, values: l.values },
    ]),
    `${gauges.join(' or ')} gauge`,
  );
}

/** Aligns sparse lines on the union of their buckets (uPlot wants one x array per chart). */
function chart(
  id: string,
  title: string,
  unit: string,
  source: string,
  bucketS: number,
  lines: [string, Sparse][],
  missing: string,
): Chart {
  const present = lines.filter(([, s]) => s.buckets.length > 0);
  if (present.length === 0) {
    return { id, title, unit, source, x: [], lines: [], noData: `no data: the run recorded no ${missing}` };
  }
  const buckets = [...new Set(present.flatMap(([, s]) => s.buckets))].sort((a, b) => a - b);
  const index = new Map(buckets.map((b, i) => [b, i]));
  return {
    id,
    title,
    unit,
    source,
    x: buckets.map((b) => b * bucketS),
    lines: present.map(([label, s]) => {
      const values: (number | null)[] = new Array(buckets.length).fill(null);
      s.buckets.forEach((b, i) => {
        const at = index.get(b);
        if (at !== undefined) values[at] = s.values[i] ?? null;
      });
      return { label, values };
    }),
  };
}
