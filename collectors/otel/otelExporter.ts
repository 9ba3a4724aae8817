// Tees everything recorded into OpenTelemetry metrics exported over OTLP/HTTP (JSON), so a run can
// be watched live in the team's own backend. Collectors keep writing to a plain Recorder.
// Uses @opentelemetry/sdk-metrics directly, not sdk-node: we need one MeterProvider with one reader
// and no global registration or auto-instrumentation of the harness process.
import type { Attributes, Counter, Gauge, Histogram, Meter } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import type { HistogramSnapshot } from '../../record/histogramSnapshot.ts';
import type { RecordedMetricName } from '../../record/metricCatalog.ts';
import type { Recorder, Tags } from '../../record/recorder.ts';

export interface OtelOptions {
  /** OTLP/HTTP base URL (e.g. `http://127.0.0.1:4318`) or the full `/v1/metrics` URL. */
  endpoint?: string;
  intervalMs?: number;
  serviceName?: string;
  headers?: Record<string, string>;
  /** Extra resource attributes, e.g. `{ 'pipesoak.run.id': id }`. */
  resource?: Record<string, string>;
}

export interface OtelRecorder extends Recorder {
  /**
   * Exports a histogram recorded elsewhere (the engine's intervals, already in load.hlog) to OTLP
   * only: every value in it, so the OTLP count and sum are the interval's.
   */
  exportHistogram(metric: RecordedMetricName, interval: HistogramSnapshot, tags?: Tags): void;
  /** Exports what has been recorded now (end of run, tests). */
  flush(): Promise<void>;
  /** Final export, then releases the exporter. */
  shutdown(): Promise<void>;
}

/** Latency buckets in ms: sub-ms dispatch up to a minute of outbox lag. */
export const LATENCY_BOUNDARIES_MS = [
  1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000,
];

export function metricsUrl(endpoint: string): string {
  const url = new URL(endpoint);
  if (url.pathname === '' || url.pathname === '/') url.pathname = '/v1/metrics';
  return url.toString();
}

/** A Recorder that forwards to `recorder` and to OTLP; without an endpoint, just `recorder`. */
export function withOtel(recorder: Recorder, options: OtelOptions = {}): OtelRecorder {
  if (!options.endpoint) {
    return {
      recordLatency: (m, v, t) => recorder.recordLatency(m, v, t),
      gauge: (n, v, t, a) => recorder.gauge(n, v, t, a),
      count: (m, d, t, a) => recorder.count(m, d, t, a),
      event: (k, d, a) => recorder.event(k, d, a),
      exportHistogram: () => undefined,
      flush: async () => undefined,
      shutdown: async () => undefined,
    };
  }
  const exporter = new OTLPMetricExporter({ url: metricsUrl(options.endpoint), headers: options.headers });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({
      ...options.resource,
      'service.name': options.serviceName ?? 'pipesoak',
    }),
    readers: [
      new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: options.intervalMs ?? 10_000 }),
    ],
  });
  return new OtelTee(recorder, provider, provider.getMeter('pipesoak'));
}

class OtelTee implements OtelRecorder {
  private readonly gauges = new Map<string, Gauge>();
  private readonly histograms = new Map<string, Histogram>();
  private readonly counters = new Map<string, Counter>();
  private readonly events: Counter;

  constructor(
    private readonly inner: Recorder,
    private readonly provider: MeterProvider,
    private readonly meter: Meter,
  ) {
    this.events = meter.createCounter('pipesoak.events', { description: 'timeline events by kind' });
  }

  recordLatency(metric: RecordedMetricName, valueMs: number, tags?: Tags): void {
    this.inner.recordLatency(metric, valueMs, tags);
    guard(() => this.histogram(metric).record(valueMs, attributes(tags)));
  }

  exportHistogram(metric: RecordedMetricName, interval: HistogramSnapshot, tags?: Tags): void {
    guard(() => {
      const histogram = this.histogram(metric);
      const attrs = attributes(tags);
      // The OTel API records one value at a time; an interval holds at most its rate's worth.
      interval.forEachValue((valueMs, count) => {
        for (let i = 0; i < count; i++) histogram.record(valueMs, attrs);
      });
    });
  }

  private histogram(metric: RecordedMetricName): Histogram {
    let histogram = this.histograms.get(metric);
    if (!histogram) {
      histogram = this.meter.createHistogram(metric, {
        unit: 'ms',
        advice: { explicitBucketBoundaries: LATENCY_BOUNDARIES_MS },
      });
      this.histograms.set(metric, histogram);
    }
    return histogram;
  }

  gauge(name: RecordedMetricName, value: number, tags?: Tags, atMs?: number): void {
    this.inner.gauge(name, value, tags, atMs);
    guard(() => {
      let gauge = this.gauges.get(name);
      if (!gauge) {
        gauge = this.meter.createGauge(name);
        this.gauges.set(name, gauge);
      }
      // OTel stamps the export time; `atMs` is at most one interval older.
      gauge.record(value, attributes(tags));
    });
  }

  count(metric: RecordedMetricName, delta: number, tags?: Tags, atMs?: number): void {
    this.inner.count(metric, delta, tags, atMs);
    guard(() => {
      let counter = this.counters.get(metric);
      if (!counter) {
        counter = this.meter.createCounter(metric);
        this.counters.set(metric, counter);
      }
      counter.add(delta, attributes(tags));
    });
  }

  event(kind: string, data: Record<string, unknown>, atMs?: number): void {
    this.inner.event(kind, data, atMs);
    guard(() => this.events.add(1, { kind }));
  }

  flush(): Promise<void> {
    return this.provider.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.provider.shutdown();
  }
}

function attributes(tags: Tags | undefined): Attributes | undefined {
  return tags ? { ...tags } : undefined;
}

/** Telemetry export must never break recording into the run's own store. */
function guard(fn: () => void): void {
  try {
    fn();
  } catch {
    // ignored on purpose: the inner recorder already has the sample.
  }
}
