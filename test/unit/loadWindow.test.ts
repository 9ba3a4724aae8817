import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildRunReport } from '../../reports/runReport.ts';
import { writeSyntheticRunFolder } from '../support/syntheticRunFolder.ts';

// An overloaded run: consumer.pending grows 2 a second through 50 s of steady load (20 -> 120),
// then the drain brings it back to 0 over 60 s. Fitted over load and drain the slope is about
// flat and the drift passes; over the load alone it is +120/min and fails.
const OVERLOADED = { seconds: 60, warmUpS: 10, drainS: 60, pendingGrowthPerS: 2 } as const;

describe('load window', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pipesoak-loadwindow-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('load window - a backlog that grows through the load fails its drift SLO although the drain empties it', async () => {
    writeSyntheticRunFolder(dir, OVERLOADED);
    const report = await buildRunReport(dir);
    const drift = report.slos.find((s) => s.name === 'consumer.pending drift');
    expect(drift?.pass).toBe(false);
    // 2 a second: 120/min, fitted over the 50 steady s of load only.
    expect(drift?.observed).toBeCloseTo(120, 0);
    const pending = report.gauges['consumer.pending'];
    expect(pending?.max).toBe(119); // 20 + 1 + 2 × 49, the last second of load
    expect(pending?.last).toBe(119); // the load's last sample, not the drain's 0
    // Latencies keep the drain: events completing after the load still count (10 per interval).
    expect(report.metrics['e2e.latency']?.count).toBe((60 + 60 - 10) * 10);
    expect(report.run.durationS).toBe(121);
  });

  it('load window - without load.end (an older folder) the gauges are judged to the run end, as before', async () => {
    writeSyntheticRunFolder(dir, { ...OVERLOADED, noLoadEnd: true });
    const report = await buildRunReport(dir);
    const drift = report.slos.find((s) => s.name === 'consumer.pending drift');
    expect(drift?.pass).toBe(true);
    expect(report.gauges['consumer.pending']?.last).toBe(0);
  });
});
