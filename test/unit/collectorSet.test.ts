import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startCollectors } from '../../collectors/collectorSet.ts';
import { LiveRecorder } from '../../collectors/liveRecorder.ts';
import { readHlog } from '../../record/hlog.ts';
import { isGaugePoint, readSeries } from '../../record/series.ts';
import { referenceTarget } from '../../reference/referenceTarget.ts';
import { loadSettings } from '../../reference/settings.ts';
import { RecordingRecorder } from '../support/recordingRecorder.ts';

const dirs: string[] = [];
const runDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'pipesoak-collector-set-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('collector set', () => {
  it('collector set - runs only the collectors switched on and leaves closed, readable files', async () => {
    const dir = runDir();
    const set = await startCollectors({
      runDir: dir,
      target: referenceTarget(loadSettings({})),
      intervalMs: 100,
      collectors: { outbox: false, pool: false, jetstream: false, prometheus: false, completion: false },
    });
    expect(set.kinds).toEqual(['harness']);
    await new Promise((r) => setTimeout(r, 450));
    expect(set.latestGauge('harness.rss', { process: 'harness' })).toBeGreaterThan(0);
    await set.stop();
    await set.stop(); // idempotent
    expect(set.stats().map((s) => s.name)).toEqual(['harness']);
    const records = await readSeries(set.seriesPath);
    const rss = records.filter(isGaugePoint).filter((g) => g.gauge === 'harness.rss');
    // Sampled on every 100 ms tick: several points, none from a collector that was off.
    expect(rss.length).toBeGreaterThanOrEqual(3);
    expect(records.filter(isGaugePoint).every((g) => g.gauge.startsWith('harness.'))).toBe(true);
    expect((await readHlog(set.hlogPath)).intervals).toEqual([]);
    expect(set.summaries()).toEqual({});
  });

  it('live recorder - keeps the newest value per series and counts latencies while forwarding everything', () => {
    const inner = new RecordingRecorder();
    const live = new LiveRecorder(inner);
    live.gauge('consumer.pending', 5, { consumer: 'a' }, 1000);
    live.gauge('consumer.pending', 7, { consumer: 'b' }, 1001);
    live.gauge('consumer.pending', 0, { consumer: 'a' }, 2000);
    live.recordLatency('e2e.latency', 12);
    live.recordLatency('e2e.latency', 13, { route: 'x' });
    expect(live.latestGauge('consumer.pending', { consumer: 'a' })).toBe(0);
    expect(live.latestGauge('consumer.pending', { consumer: 'b' })).toBe(7);
    expect(live.latestGauge('consumer.pending')).toBe(0);
    expect(live.latestGauge('outbox.pending')).toBeUndefined();
    expect(live.latestGauges()).toHaveLength(2);
    expect(live.latencyCount('e2e.latency')).toBe(2);
    expect(inner.gauges).toHaveLength(3);
    expect(inner.latencyValues('e2e.latency')).toEqual([12, 13]);
  });
});
