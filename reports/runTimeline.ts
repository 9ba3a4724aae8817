// The run over time, as the charts of report.html show it: request rate, latency percentiles,
// outbox, consumer, DLQ and database gauges, each downsampled into at most MAX_POINTS time buckets
// (latency buckets merge their intervals' histograms exactly), plus the fault windows. Read by the
// one run-folder reader (readRunFolder.ts), beside the report's own folds when rendering.
import { METRIC } from '../record/metricCatalog.ts';
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
}

export interface RunTimeline {
  bucketS: number;
  durationS: number;
  warmUpS: number;
  faults: FaultWindow[];
  charts: Chart[];
  notes: string[];
}

const LATENCY_CHARTS = [
  ['gateway-latency', METRIC.gatewayLatency],
  ['e2e-latency', METRIC.e2eLatency],
  ['dispatch-latency', METRIC.dispatchLatency],
] as const;

const GAUGE_LINES: GaugeLineSpec[] = [
  { gauge: METRIC.httpRequests, mode: 'rate' },
  { gauge: METRIC.httpErrors, mode: 'rate' },
  { gauge: METRIC.outboxPending, mode: 'peak' },
  { gauge: METRIC.outboxOldestAge, mode: 'peak' },
  { gauge: METRIC.consumerPending, mode: 'peak' },
  { gauge: METRIC.consumerAckPending, mode: 'peak' },
  { gauge: METRIC.dlqDepth, mode: 'peak' },
  { gauge: METRIC.dbConnections, mode: 'peak', splitBy: 'application' },
];

export async function runTimeline(dir: string): Promise<RunTimeline> {
  const reading = timelineReading();
  return reading.timeline(await readRunFolder(dir, reading.folds));
}

const LATENCY_METRICS = [
  ...new Set([...LATENCY_CHARTS.map(([, metric]) => metric), METRIC.outboxLag, ...STAGE_METRICS]),
];

/** The folds the timeline is drawn from, to read beside others' in the same pass (renderRunFolder). */
export function timelineReading(): { folds: RunFolderFold[]; timeline(run: RunFolderRead): RunTimeline } {
  // The run's length as report.json states it, so the axis ends where the report says.
  const lengthOf = ({ window }: RunFolderRead) => {
    const durationS = roundReportNumber(window.durationS);
    return { durationS, bucketS: Math.max(1, Math.ceil(durationS / MAX_POINTS)) };
  };
  // The axis starts at the run start as report.json states it (run.startedAt, whole ms).
  const startOf = ({ window }: RunFolderRead) => Math.trunc(window.runStartMs);
  const seriesFold = new SeriesTimelineFold(GAUGE_LINES);
  const latencyFold = new LatencyTimelineFold(LATENCY_METRICS, (run) => ({
    fromMs: startOf(run),
    bucketS: lengthOf(run).bucketS,
  }));
  return {
    folds: [seriesFold, latencyFold],
    timeline: (run) => {
      const { durationS, bucketS } = lengthOf(run);
      const startMs = startOf(run);
      const series = seriesFold.timeline(
        startMs,
        startMs + durationS * 1000,
        bucketS,
        run.window.warmUpMs / 1000,
      );
      return timelineCharts(bucketS, durationS, latencyFold.buckets(), series);
    },
  };
}

function timelineCharts(
  bucketS: number,
  durationS: number,
  latency: Map<string, LatencyBuckets>,
  series: SeriesTimeline,
): RunTimeline {
  const gauge = (name: string) => series.lines.filter((l) => l.gauge === name);
  const at = (buckets: number[], values: number[]): Sparse => ({ buckets, values });
  const percentiles = (b: LatencyBuckets, prefix = ''): [string, Sparse][] => [
    [`${prefix}p50`, at(b.buckets, b.p50)],
    [`${prefix}p90`, at(b.buckets, b.p90)],
    [`${prefix}p99`, at(b.buckets, b.p99)],
  ];

  const charts: Chart[] = [];
  const requests = gauge(METRIC.httpRequests)[0];
  const gatewayLatency = latency.get(METRIC.gatewayLatency);
  if (requests !== undefined) {
    const errors = gauge(METRIC.httpErrors)[0];
    charts.push(
      chart(
        'request-rate',
        'Request rate',
        'req/s',
        `${METRIC.httpRequests} per second`,
        bucketS,
        [
          ['requests/s', at(requests.buckets, requests.values)],
          ...(errors === undefined
            ? []
            : [['errors/s', at(errors.buckets, errors.values)] as [string, Sparse]]),
        ],
        METRIC.httpRequests,
      ),
    );
  } else {
    const rate = gatewayLatency?.count.map((n, i) => {
      const coveredS = gatewayLatency.coveredS[i] ?? 0;
      return n / (coveredS > 0 ? coveredS : bucketS);
    });
    charts.push(
      chart(
        'request-rate',
        'Request rate',
        'req/s',
        `${METRIC.gatewayLatency} samples per second (no ${METRIC.httpRequests})`,
        bucketS,
        gatewayLatency === undefined || rate === undefined
          ? []
          : [['requests/s', at(gatewayLatency.buckets, rate)]],
        `${METRIC.httpRequests} and no ${METRIC.gatewayLatency} samples`,
      ),
    );
  }
  for (const [id, metric] of LATENCY_CHARTS) {
    const b = latency.get(metric);
    charts.push(
      chart(
        id,
        `Latency: ${metric}`,
        'ms',
        'percentiles of each bucket\u2019s merged histogram',
        bucketS,
        b ? percentiles(b) : [],
        `${metric} samples`,
      ),
    );
  }
  charts.push(
    gaugeChart(
      'outbox-pending',
      'Outbox pending',
      'events',
      bucketS,
      [METRIC.outboxPending],
      gauge(METRIC.outboxPending),
    ),
  );
  const outboxLag = latency.get(METRIC.outboxLag);
  const oldest = gauge(METRIC.outboxOldestAge)[0];
  charts.push(
    chart(
      'outbox-lag',
      'Outbox lag',
      'ms',
      `${METRIC.outboxLag} percentiles (created \u2192 published); ${METRIC.outboxOldestAge} peak`,
      bucketS,
      [
        ...(outboxLag ? percentiles(outboxLag, 'lag ') : []),
        ...(oldest
          ? [['oldest unpublished age', at(oldest.buckets, oldest.values)] as [string, Sparse]]
          : []),
      ],
      `${METRIC.outboxLag} samples and no ${METRIC.outboxOldestAge} gauge`,
    ),
  );
  charts.push(
    gaugeChart(
      'consumer-pending',
      'Consumer pending and ack pending',
      'messages',
      bucketS,
      [METRIC.consumerPending, METRIC.consumerAckPending],
      [...gauge(METRIC.consumerPending), ...gauge(METRIC.consumerAckPending)],
    ),
  );
  charts.push(
    gaugeChart('dlq-depth', 'DLQ depth', 'messages', bucketS, [METRIC.dlqDepth], gauge(METRIC.dlqDepth)),
  );
  charts.push(
    gaugeChart(
      'db-connections',
      'DB connections',
      'connections',
      bucketS,
      [METRIC.dbConnections],
      gauge(METRIC.dbConnections),
    ),
  );
  charts.push(stagesChart(bucketS, latency));

  return { bucketS, durationS, warmUpS: series.warmUpS, faults: series.faults, charts, notes: series.notes };
}

/** Where e2e time goes, bucket by bucket: each stage's mean stacked on the ones before it. */
function stagesChart(bucketS: number, latency: Map<string, LatencyBuckets>): Chart {
  const b = stageBreakdown({
    summary: { metrics: {}, byTag: {} },
    buckets: { bucketS, byMetric: latency },
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
    'mean of each stage per bucket, stacked (dispatch: every consumer; effect: e2e mean minus the rest)',
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
