// The 1-hour version of bench/reportScale.ts (which measures 24 h): every report renders from a
// 3,600-interval, 8-metric, 10-gauge run folder well within its share of the 30 s budget.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderRunFolder } from '../../reports/renderRunFolder.ts';
import { SYNTHETIC_METRICS, writeSyntheticRunFolder } from '../support/syntheticRunFolder.ts';

describe('report scale', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pipesoak-scale-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('report scale - a 1 h run folder renders json, md and junit in seconds with exact counts', async () => {
    writeSyntheticRunFolder(dir, { seconds: 3600, warmUpS: 60, variety: 8 });
    const heapBefore = process.memoryUsage().heapUsed;
    const started = performance.now();
    const report = await renderRunFolder(dir);
    const seconds = (performance.now() - started) / 1000;
    // 24 h must render in 30 s; an hour gets a generous 1/24 of that and then some for slow CI.
    expect(seconds).toBeLessThan(5);
    // Streaming: the heap does not hold the logs (16 MB on disk) after the render.
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
    expect(Object.keys(report.metrics)).toEqual([...SYNTHETIC_METRICS].sort());
    for (const metric of SYNTHETIC_METRICS) expect(report.metrics[metric]?.count).toBe((3600 - 60) * 10);
    expect(Object.keys(report.gauges)).toHaveLength(7);
    // Counters are counts, not gauges: 100 requests and 0.1 errors a second over the steady window.
    expect(report.counts).toEqual({
      'http.errors': 354,
      'http.requests': (3600 - 60) * 100,
      'load.dropped_iterations': 0,
    });
    expect(report.gauges['consumer.pending']).toMatchObject({ min: 20, max: 21 });
    expect(report.slos.find((s) => s.name === 'consumer.pending drift')).toMatchObject({ pass: true });
    expect(readFileSync(join(dir, 'junit.xml'), 'utf8')).toContain(`tests="${report.slos.length}"`);
  });
});
