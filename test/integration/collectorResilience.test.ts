import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Collector } from '../../collectors/collector.ts';
import { CollectorRunner } from '../../collectors/collectorRunner.ts';
import { JetStreamCollector } from '../../collectors/jetstream/jetstreamCollector.ts';
import { OwnNatsServer } from '../../faults/ownNatsServer.ts';
import type { Recorder } from '../../record/recorder.ts';
import { RecordingRecorder, waitFor } from '../support/recordingRecorder.ts';

const STREAM = 'RESILIENCE';
const CONSUMER = 'resilience-worker';
const PENDING = 12;

let server: OwnNatsServer;

beforeAll(async () => {
  server = await OwnNatsServer.start();
  const nc = await connect({ servers: server.url });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: STREAM, subjects: ['resilience.>'] });
  await jsm.consumers.add(STREAM, { durable_name: CONSUMER, ack_policy: AckPolicy.Explicit });
  const js = jetstream(nc);
  for (let i = 0; i < PENDING; i++) await js.publish('resilience.e', `m${i}`);
  await nc.close();
});

afterAll(async () => {
  await server?.dispose();
});

describe('collector runner', () => {
  it('records one gap while NATS is down and resumes sampling after it restarts', async () => {
    const recorder = new RecordingRecorder();
    const collector = new JetStreamCollector({
      natsUrl: server.url,
      stream: STREAM,
      consumer: CONSUMER,
      dlqStream: 'RESILIENCE_DLQ',
      dlqConsumer: 'resilience-dlq',
      requestTimeoutMs: 500,
      reconnectWaitMs: 100,
    });
    const runner = new CollectorRunner([collector], recorder, { intervalMs: 200 });
    await runner.start();
    try {
      const pendingSamples = () => recorder.gauges.filter((g) => g.name === 'consumer.pending');
      await waitFor(() => pendingSamples().length >= 3);

      await server.kill();
      const killedAt = Date.now();
      await new Promise((r) => setTimeout(r, 2000));
      await server.restart();
      const restartedAt = Date.now();

      await waitFor(() => recorder.eventsOf('collector.gap.end').length > 0, 20_000);
      await waitFor(() => pendingSamples().filter((g) => g.atMs > restartedAt).length >= 2, 5000);

      const after = pendingSamples().filter((g) => g.atMs > restartedAt);
      expect(after.every((g) => g.value === PENDING)).toBe(true);
      // Nothing was sampled while the server was down.
      expect(pendingSamples().filter((g) => g.atMs > killedAt + 100 && g.atMs < restartedAt)).toHaveLength(0);

      const starts = recorder.eventsOf('collector.gap.start');
      const ends = recorder.eventsOf('collector.gap.end');
      expect(starts).toHaveLength(1);
      expect(ends).toHaveLength(1);
      expect(starts[0]?.data.collector).toBe('jetstream');
      expect(typeof starts[0]?.data.error).toBe('string');
      expect(ends[0]?.data.collector).toBe('jetstream');
      expect(ends[0]?.data.gapMs).toBeGreaterThanOrEqual(1500);
      const stats = runner.stats()[0];
      expect(stats?.failures).toBeGreaterThanOrEqual(1);
      expect(stats?.inGap).toBe(false);
    } finally {
      await runner.stop();
    }
  });
});

// A controllable collector for the runner's own rules, no backend needed.
class FakeCollector implements Collector {
  readonly name = 'fake';
  startFailures = 0;
  sampleFailures = 0;
  sampleDelayMs = 0;
  /** Delay of the first sample only (a hung backend). */
  firstSampleDelayMs = 0;
  starts = 0;
  samples = 0;
  stops = 0;
  concurrent = 0;
  maxConcurrent = 0;

  async start(_recorder: Recorder): Promise<void> {
    this.starts++;
    if (this.startFailures > 0) {
      this.startFailures--;
      throw new Error('backend unreachable');
    }
  }

  async sample(): Promise<void> {
    this.concurrent++;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.concurrent);
    try {
      const delay = this.firstSampleDelayMs || this.sampleDelayMs;
      this.firstSampleDelayMs = 0;
      await new Promise((r) => setTimeout(r, delay));
      if (this.sampleFailures > 0) {
        this.sampleFailures--;
        throw new Error('sample failed');
      }
      this.samples++;
    } finally {
      this.concurrent--;
    }
  }

  async stop(): Promise<void> {
    this.stops++;
  }
}

describe('collector runner rules', () => {
  it('retries a failed start like a failed sample and closes the gap on first success', async () => {
    const recorder = new RecordingRecorder();
    const fake = new FakeCollector();
    fake.startFailures = 2;
    const runner = new CollectorRunner([fake], recorder, { intervalMs: 20, initialBackoffMs: 30 });
    await runner.start();
    try {
      await waitFor(() => fake.samples >= 2);
      expect(fake.starts).toBe(3);
      expect(recorder.eventsOf('collector.gap.start')).toHaveLength(1);
      expect(recorder.eventsOf('collector.gap.start')[0]?.data).toEqual({
        collector: 'fake',
        error: 'backend unreachable',
      });
      const end = recorder.eventsOf('collector.gap.end');
      expect(end).toHaveLength(1);
      // Two failures: 30 ms then 60 ms of backoff before the third start.
      expect(end[0]?.data.gapMs).toBeGreaterThanOrEqual(90);
    } finally {
      await runner.stop();
    }
    expect(fake.stops).toBeGreaterThanOrEqual(3);
  });

  it('never overlaps samples of one collector and counts the skipped ticks', async () => {
    const recorder = new RecordingRecorder();
    const fake = new FakeCollector();
    fake.sampleDelayMs = 120;
    const runner = new CollectorRunner([fake], recorder, { intervalMs: 20 });
    await runner.start();
    await new Promise((r) => setTimeout(r, 500));
    await runner.stop();
    expect(fake.maxConcurrent).toBe(1);
    expect(runner.stats()[0]?.skippedTicks).toBeGreaterThan(5);
    expect(fake.samples).toBeGreaterThanOrEqual(3);
  });

  it('counts a sample running past the attempt timeout as a gap, without overlapping it', async () => {
    const recorder = new RecordingRecorder();
    const fake = new FakeCollector();
    fake.firstSampleDelayMs = 400;
    const runner = new CollectorRunner([fake], recorder, {
      intervalMs: 20,
      initialBackoffMs: 20,
      attemptTimeoutMs: 100,
    });
    await runner.start();
    try {
      await waitFor(() => recorder.eventsOf('collector.gap.end').length > 0);
      expect(recorder.eventsOf('collector.gap.start')[0]?.data.error).toBe(
        'sample still running after 100 ms',
      );
      expect(recorder.eventsOf('collector.gap.end')[0]?.data.gapMs).toBeGreaterThanOrEqual(380);
      expect(fake.maxConcurrent).toBe(1);
    } finally {
      await runner.stop();
    }
  });
});
