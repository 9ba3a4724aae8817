import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  isCustomMetricName,
  isGauge,
  isLatencyMetric,
  METRIC,
  METRICS,
  type MetricName,
  metricsOfKind,
} from '../../record/metricCatalog.ts';

const camel = (name: string) =>
  name
    .split(/[._]/)
    .map((part, i) => (i === 0 ? part : part.charAt(0).toUpperCase() + part.slice(1)))
    .join('');

describe('metric catalogue', () => {
  it('metric catalogue - METRIC has one constant per entry, keyed by the name camel-cased on . and _', () => {
    const names = Object.keys(METRICS).sort();
    expect(Object.values(METRIC).sort()).toEqual(names);
    for (const [key, name] of Object.entries(METRIC)) expect(key, name).toBe(camel(name));
  });

  it('metric catalogue - holds every name of DESIGN section 4 with its kind', () => {
    const design: Record<string, MetricName[]> = {
      latency: [
        'gateway.latency',
        'gateway.service_time',
        'jetstream.publish.latency',
        'nats.request.latency',
        'iteration.delay',
        'outbox.lag',
        'consumer.ack.latency',
        'dispatch.latency',
        'e2e.latency',
      ],
      counter: [
        'load.iterations',
        'load.dropped_iterations',
        'load.interrupted_iterations',
        'http.requests',
        'http.errors',
        'jetstream.publish.acks',
        'jetstream.publish.duplicates',
        'jetstream.publish.errors',
        'checks.passed',
        'checks.failed',
      ],
      gauge: [
        'load.vus',
        'load.event_loop.delay',
        'outbox.pending',
        'outbox.oldest.age',
        'consumer.pending',
        'consumer.ack_pending',
        'consumer.redelivered',
        'dlq.depth',
        'db.connections',
        'harness.rss',
        'harness.cpu',
        'target.rss',
        'outbox.table.bytes',
        'outbox.dead_tuples',
        'outbox.query.time',
        'stream.bytes',
      ],
    };
    for (const [kind, names] of Object.entries(design)) {
      for (const name of names) expect(METRICS[name].kind, name).toBe(kind);
    }
    expect(METRICS['dispatch.latency'].tags).toEqual(['consumer']);
    expect(METRICS['gateway.latency'].tags).toEqual(['name']);
    expect(METRICS['http.requests'].tags).toEqual(['status']);
    expect(METRICS['target.rss'].tags).toEqual(['component']);
  });

  it('metric catalogue - every producer is a file of the repository', () => {
    for (const [name, entry] of Object.entries(METRICS)) {
      expect(existsSync(new URL(`../../${entry.producer}`, import.meta.url)), name).toBe(true);
    }
  });

  it('metric catalogue - kinds answer by name; worker rates are gauges; custom names live apart', () => {
    expect(isLatencyMetric('outbox.lag')).toBe(true);
    expect(isLatencyMetric('outbox.pending')).toBe(false);
    expect(isGauge('worker.processed.rate')).toBe(true);
    expect(isGauge('http.requests')).toBe(false);
    expect(metricsOfKind('counter')).toContain('http.requests');
    expect(isCustomMetricName('custom.checkout')).toBe(true);
    expect(isCustomMetricName('custom.')).toBe(false);
    expect(isCustomMetricName('checkout')).toBe(false);
  });
});
