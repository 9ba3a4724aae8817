import http from 'node:http';
import type { AddressInfo } from 'node:net';
import client from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusCollector } from '../../collectors/prometheus/prometheusCollector.ts';
import { REFERENCE_WORKER_MAPPINGS } from '../../collectors/prometheus/referenceWorkerMappings.ts';
import { createLogger } from '../../reference/logger.ts';
import { createWorkerMetrics } from '../../reference/workerMetrics.ts';
import { RecordingRecorder } from '../support/recordingRecorder.ts';

const registry = new client.Registry();
const processed = new client.Counter({
  name: 'worker_events_processed_total',
  help: 'events processed',
  labelNames: ['type'],
  registers: [registry],
});
const dispatch = new client.Histogram({
  name: 'worker_dispatch_duration_seconds',
  help: 'dispatch duration',
  buckets: [0.005, 0.01, 0.25, 1],
  registers: [registry],
});
const byType = new client.Histogram({
  name: 'worker_typed_duration_seconds',
  help: 'dispatch duration by type',
  labelNames: ['type'],
  buckets: [0.005, 0.01, 0.25, 1],
  registers: [registry],
});
const inFlight = new client.Gauge({
  name: 'worker_in_flight',
  help: 'in flight',
  labelNames: ['type'],
  registers: [registry],
});

let server: http.Server;
let url: string;

beforeAll(async () => {
  server = http.createServer(async (_req, res) => {
    res.setHeader('content-type', registry.contentType);
    res.end(await registry.metrics());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function p(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

describe('prometheus collector', () => {
  it('turns a counter into a per-second rate between scrapes', async () => {
    const recorder = new RecordingRecorder();
    const collector = new PrometheusCollector({
      url,
      mappings: [{ metric: 'worker_events_processed_total', kind: 'rate', as: 'worker.processed.rate' }],
    });
    processed.inc({ type: 'a' }, 10);
    await collector.start(recorder);
    processed.inc({ type: 'a' }, 30);
    processed.inc({ type: 'b' }, 20);
    await sleep(1000);
    await collector.sample();
    const rate = recorder.lastGauge('worker.processed.rate');
    expect(rate).toBeGreaterThan(45);
    expect(rate).toBeLessThan(55);
    await collector.stop();
  });

  it('reports the rate per label set as tags when grouped by a label', async () => {
    const recorder = new RecordingRecorder();
    const collector = new PrometheusCollector({
      url,
      mappings: [
        {
          metric: 'worker_events_processed_total',
          kind: 'rate',
          as: 'worker.processed.rate',
          groupBy: ['type'],
        },
      ],
    });
    await collector.start(recorder);
    processed.inc({ type: 'a' }, 40);
    processed.inc({ type: 'b' }, 10);
    await sleep(500);
    await collector.sample();
    const a = recorder.lastGauge('worker.processed.rate', { type: 'a' }) ?? 0;
    const b = recorder.lastGauge('worker.processed.rate', { type: 'b' }) ?? 0;
    expect(a / b).toBeGreaterThan(3.9);
    expect(a / b).toBeLessThan(4.1);
    expect(a).toBeGreaterThan(70);
    expect(a).toBeLessThan(82);
  });

  it('treats a counter going down as a restart, never a negative rate', async () => {
    const recorder = new RecordingRecorder();
    const collector = new PrometheusCollector({
      url,
      mappings: [{ metric: 'worker_events_processed_total', kind: 'rate', as: 'worker.processed.rate' }],
    });
    processed.inc({ type: 'a' }, 100);
    await collector.start(recorder);
    processed.reset();
    processed.inc({ type: 'a' }, 7);
    await sleep(500);
    await collector.sample();
    const rate = recorder.lastGauge('worker.processed.rate') ?? Number.NaN;
    expect(rate).toBeGreaterThan(0);
    // The 7 counted since the restart, over ~0.5 s.
    expect(rate).toBeGreaterThan(12);
    expect(rate).toBeLessThan(15);
  });

  it('records histogram bucket increases as latencies in ms at the bucket upper bound', async () => {
    const recorder = new RecordingRecorder();
    const collector = new PrometheusCollector({
      url,
      mappings: [
        { metric: 'worker_dispatch_duration_seconds', kind: 'histogram', as: 'dispatch.latency', unit: 's' },
      ],
    });
    dispatch.observe(0.5); // before the baseline: not counted
    await collector.start(recorder);
    for (let i = 0; i < 10; i++) dispatch.observe(0.004);
    for (let i = 0; i < 5; i++) dispatch.observe(0.2);
    await collector.sample();
    const values = recorder.latencyValues('dispatch.latency');
    expect(values).toHaveLength(15);
    expect(p(values, 0.5)).toBeLessThanOrEqual(5);
    expect(values.filter((v) => v === 5)).toHaveLength(10);
    expect(Math.max(...values)).toBeLessThanOrEqual(250);
    expect(Math.max(...values)).toBeGreaterThanOrEqual(200);

    // A second interval only sees its own observations; +Inf ones land at the largest bound.
    dispatch.observe(3);
    await collector.sample();
    expect(recorder.latencyValues('dispatch.latency').slice(15)).toEqual([1000]);
  });

  it('keeps labelled histogram series apart (the parser alone would merge them)', async () => {
    const recorder = new RecordingRecorder();
    const collector = new PrometheusCollector({
      url,
      mappings: [
        {
          metric: 'worker_typed_duration_seconds',
          kind: 'histogram',
          as: 'dispatch.latency',
          groupBy: ['type'],
        },
      ],
    });
    await collector.start(recorder);
    for (let i = 0; i < 4; i++) byType.observe({ type: 'fast' }, 0.003);
    for (let i = 0; i < 2; i++) byType.observe({ type: 'slow' }, 0.7);
    await collector.sample();
    const fast = recorder.latencies.filter((l) => l.tags?.type === 'fast').map((l) => l.valueMs);
    const slow = recorder.latencies.filter((l) => l.tags?.type === 'slow').map((l) => l.valueMs);
    expect(fast).toEqual([5, 5, 5, 5]);
    expect(slow).toEqual([1000, 1000]);
  });

  it("records the _sum and _count increases as counters, so a mean is not the bucket edges' mean", async () => {
    const recorder = new RecordingRecorder();
    const collector = new PrometheusCollector({
      url,
      mappings: [
        {
          metric: 'worker_typed_duration_seconds',
          kind: 'histogram',
          as: 'dispatch.latency',
          groupBy: ['type'],
          sumAs: 'dispatch.latency.sum',
          countAs: 'dispatch.latency.count',
        },
      ],
    });
    byType.observe({ type: 'fast' }, 0.5); // before the baseline: not counted
    await collector.start(recorder);
    for (let i = 0; i < 4; i++) byType.observe({ type: 'fast' }, 0.006);
    byType.observe({ type: 'slow' }, 0.3);
    await collector.sample();
    const of = (metric: string, type: string) =>
      recorder.counts.filter((c) => c.metric === metric && c.tags?.type === type).map((c) => c.delta);
    // 6 ms each, where the edge values say 10 ms; the slow one 300 ms where the edge says 1000.
    expect(of('dispatch.latency.count', 'fast')).toEqual([4]);
    expect(of('dispatch.latency.sum', 'fast')[0]).toBeCloseTo(24, 6);
    expect(of('dispatch.latency.sum', 'slow')[0]).toBeCloseTo(300, 6);
    expect(recorder.latencies.filter((l) => l.tags?.type === 'fast').map((l) => l.valueMs)).toEqual([
      10, 10, 10, 10,
    ]);
    // A scrape with nothing new writes no counter line.
    const lines = recorder.counts.length;
    await collector.sample();
    expect(recorder.counts).toHaveLength(lines);
  });

  it('records gauges summed over label sets, and a missing metric once as an event', async () => {
    const recorder = new RecordingRecorder();
    const collector = new PrometheusCollector({
      url,
      mappings: [
        { metric: 'worker_in_flight', kind: 'gauge', as: 'worker.in_flight' },
        { metric: 'worker_not_there', kind: 'gauge', as: 'custom.nothing' },
      ],
    });
    inFlight.set({ type: 'a' }, 3);
    inFlight.set({ type: 'b' }, 4);
    await collector.start(recorder);
    await collector.sample();
    await collector.sample();
    expect(recorder.lastGauge('worker.in_flight')).toBe(7);
    expect(recorder.eventsOf('prometheus.metric_missing')).toHaveLength(1);
    expect(recorder.eventsOf('prometheus.metric_missing')[0]?.data.metric).toBe('worker_not_there');
  });

  it('fails the sample when the endpoint is unreachable', async () => {
    const collector = new PrometheusCollector({ url: 'http://127.0.0.1:1/metrics', mappings: [] });
    await expect(collector.start(new RecordingRecorder())).rejects.toThrow();
  });

  it('finds every reference worker metric it maps, with main and DLQ dispatch kept apart', async () => {
    const worker = createWorkerMetrics();
    const server = await worker.serve('127.0.0.1', 0, () => true, createLogger('prometheus-test', 'silent'));
    try {
      const recorder = new RecordingRecorder();
      const collector = new PrometheusCollector({
        url: `${server.url}/metrics`,
        mappings: REFERENCE_WORKER_MAPPINGS,
      });
      await collector.start(recorder);
      worker.processed.inc({ outcome: 'ok', consumer: 'main' }, 3);
      worker.dispatchDuration.observe({ consumer: 'main' }, 0.02);
      worker.dispatchDuration.observe({ consumer: 'dlq' }, 0.4);
      await collector.sample();
      expect(recorder.eventsOf('prometheus.metric_missing')).toEqual([]);
      const dispatched = recorder.latencies.filter((l) => l.metric === 'dispatch.latency');
      expect(dispatched.map((l) => [l.tags?.consumer, l.valueMs])).toEqual([
        ['main', 25],
        ['dlq', 500],
      ]);
      expect(recorder.lastGauge('worker.processed.rate', { outcome: 'ok' })).toBeGreaterThan(0);
    } finally {
      await server.close();
    }
  });
});
