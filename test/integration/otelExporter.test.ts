import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricsUrl, withOtel } from '../../collectors/otel/otelExporter.ts';
import { RecordingRecorder } from '../support/recordingRecorder.ts';

// OTLP/JSON, only the parts asserted on (int64 fields may arrive as strings).
interface OtlpNumberPoint {
  asDouble?: number;
  asInt?: number | string;
  attributes?: { key: string; value: { stringValue?: string } }[];
}
interface OtlpHistogramPoint {
  count: number | string;
  sum?: number;
}
interface OtlpMetric {
  name: string;
  unit?: string;
  gauge?: { dataPoints: OtlpNumberPoint[] };
  histogram?: { dataPoints: OtlpHistogramPoint[] };
  sum?: { dataPoints: OtlpNumberPoint[] };
}
interface OtlpRequest {
  resourceMetrics: {
    resource: { attributes: { key: string; value: { stringValue?: string } }[] };
    scopeMetrics: { metrics: OtlpMetric[] }[];
  }[];
}

const received: { path: string; contentType: string; body: OtlpRequest }[] = [];
let receiver: http.Server;
let endpoint: string;

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        path: req.url ?? '',
        contentType: req.headers['content-type'] ?? '',
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpRequest,
      });
      res.setHeader('content-type', 'application/json');
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => receiver.close(resolve));
});

describe('otel exporter', () => {
  it('exports gauges and latency histograms over OTLP/HTTP JSON and still records into the store', async () => {
    const store = new RecordingRecorder();
    const recorder = withOtel(store, { endpoint, intervalMs: 60_000 });
    recorder.gauge('consumer.pending', 42, { stream: 'EVENTS', consumer: 'sea-mq-worker' });
    for (const v of [5, 10, 15]) recorder.recordLatency('e2e.latency', v);
    recorder.event('collector.gap.start', { collector: 'jetstream', error: 'x' });
    await recorder.flush();
    await recorder.shutdown();

    expect(store.lastGauge('consumer.pending')).toBe(42);
    expect(store.latencyValues('e2e.latency')).toEqual([5, 10, 15]);
    expect(store.eventsOf('collector.gap.start')).toHaveLength(1);

    expect(received.length).toBeGreaterThanOrEqual(1);
    const first = received[0];
    expect(first?.path).toBe('/v1/metrics');
    expect(first?.contentType).toContain('application/json');
    const resource = first?.body.resourceMetrics[0]?.resource.attributes ?? [];
    expect(resource.find((a) => a.key === 'service.name')?.value.stringValue).toBe('pipesoak');

    const metrics = (first?.body.resourceMetrics ?? []).flatMap((r) =>
      r.scopeMetrics.flatMap((s) => s.metrics),
    );
    expect(metrics.map((m) => m.name).sort()).toEqual(['consumer.pending', 'e2e.latency', 'pipesoak.events']);

    const pending = metrics.find((m) => m.name === 'consumer.pending')?.gauge?.dataPoints[0];
    expect(Number(pending?.asDouble ?? pending?.asInt)).toBe(42);
    const attrs = Object.fromEntries((pending?.attributes ?? []).map((a) => [a.key, a.value.stringValue]));
    expect(attrs).toEqual({ stream: 'EVENTS', consumer: 'sea-mq-worker' });

    const latency = metrics.find((m) => m.name === 'e2e.latency');
    expect(latency?.unit).toBe('ms');
    const point = latency?.histogram?.dataPoints[0];
    expect(Number(point?.count)).toBe(3);
    expect(point?.sum).toBe(30);
  });

  it('is a plain pass-through when no endpoint is configured', async () => {
    const store = new RecordingRecorder();
    const recorder = withOtel(store, {});
    recorder.gauge('dlq.depth', 3, { stream: 'DLQ' }, 1_700_000_000_000);
    recorder.recordLatency('outbox.lag', 12.5, { table: 'outbox_events' });
    recorder.count('http.requests', 7, { status: '202' }, 1_700_000_001_000);
    recorder.event('collector.gap.start', { collector: 'outbox', error: 'down' }, 1_700_000_002_000);
    await recorder.flush();
    await recorder.shutdown();
    // Everything arrives once, unchanged: values, tags and timestamps.
    expect(store.gauges).toEqual([
      { name: 'dlq.depth', value: 3, tags: { stream: 'DLQ' }, atMs: 1_700_000_000_000 },
    ]);
    expect(store.latencies).toEqual([
      { metric: 'outbox.lag', valueMs: 12.5, tags: { table: 'outbox_events' } },
    ]);
    expect(store.counts).toEqual([
      { metric: 'http.requests', delta: 7, tags: { status: '202' }, atMs: 1_700_000_001_000 },
    ]);
    expect(store.events).toEqual([
      { kind: 'collector.gap.start', data: { collector: 'outbox', error: 'down' }, atMs: 1_700_000_002_000 },
    ]);
  });

  it('accepts a base endpoint or the full metrics URL', () => {
    expect(metricsUrl('http://127.0.0.1:4318')).toBe('http://127.0.0.1:4318/v1/metrics');
    expect(metricsUrl('http://collector:4318/v1/metrics')).toBe('http://collector:4318/v1/metrics');
  });
});
