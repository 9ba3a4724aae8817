import { describe, expect, it } from 'vitest';
import type { LatestGauge } from '../../collectors/liveRecorder.ts';
import { drainPipeline } from '../../runner/run/drainPipeline.ts';

/** Latest gauges as the live recorder keeps them, set by the test as samples arrive. */
function gauges() {
  const latest = new Map<string, LatestGauge>();
  return {
    latestGauges: () => [...latest.values()],
    sample(name: string, value: number, tags: Record<string, string> = {}) {
      latest.set(`${name}${JSON.stringify(tags)}`, { name, tags, value, atMs: Date.now() });
    },
  };
}

const at = (ms: number, f: () => void) => setTimeout(f, ms);

describe('drainPipeline', () => {
  it('drain - waits for a slow collector whose gauge is stale instead of judging on the others', async () => {
    const g = gauges();
    let outbox = 40;
    g.sample('outbox.pending', outbox);
    // The stream is sampled empty at once and often; the outbox only every 700 ms (a slow query).
    const stream = setInterval(() => {
      g.sample('consumer.pending', 0);
      g.sample('consumer.ack_pending', 0);
    }, 50);
    const slow = setInterval(() => g.sample('outbox.pending', outbox), 700);
    at(1000, () => (outbox = 0));
    try {
      const result = await drainPipeline(g, { timeoutMs: 5000, intervalMs: 100 });
      expect(result.drained).toBe(true);
      // Its first sample after the load was 40, the next 0, and one more confirms it.
      expect(result.waitedMs).toBeGreaterThanOrEqual(2000);
    } finally {
      clearInterval(stream);
      clearInterval(slow);
    }
  });

  it('drain - a backlog seen in the confirming round starts the wait over', async () => {
    const g = gauges();
    let pending = 0;
    const sampler = setInterval(() => {
      g.sample('outbox.pending', 0);
      g.sample('consumer.pending', pending);
    }, 50);
    // Empty at first glance, then the relay's late publish shows up in the stream.
    at(400, () => (pending = 5));
    at(1200, () => (pending = 0));
    try {
      const result = await drainPipeline(g, { timeoutMs: 5000, intervalMs: 100 });
      expect(result.drained).toBe(true);
      expect(result.waitedMs).toBeGreaterThanOrEqual(1200);
    } finally {
      clearInterval(sampler);
    }
  });

  it('drain - gauges no collector samples are left out, and a backlog that stays times out with its numbers', async () => {
    const g = gauges();
    const sampler = setInterval(() => g.sample('consumer.pending', 7, { consumer: 'w' }), 50);
    try {
      const result = await drainPipeline(g, { timeoutMs: 600, intervalMs: 100 });
      expect(result.drained).toBe(false);
      expect(result.backlog['consumer.pending']).toBe(7);
      expect(result.backlog['outbox.pending']).toBeUndefined();
    } finally {
      clearInterval(sampler);
    }
  });
});
