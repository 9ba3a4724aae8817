import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareReports } from '../../reports/compare.ts';
import type { ReportJson } from '../../reports/reportJson.ts';
import { cli } from '../support/cli.ts';

function report(
  id: string,
  metrics: Record<string, { p50: number; p90: number; p99: number; max: number }>,
): ReportJson {
  const out: ReportJson = {
    schema: 'pipesoak.report/v1',
    run: { id, scenario: 'smoke', seed: 1, startedAt: '2025-01-01T00:00:00.000Z', durationS: 60, target: {} },
    load: {},
    metrics: {},
    counts: {},
    errorRate: null,
    gauges: {},
    slos: [],
    integrity: { accepted: 1, completed: 1, deadLettered: 0, lost: 0, duplicated: 0 },
    verdict: 'pass',
  };
  for (const [name, m] of Object.entries(metrics)) {
    out.metrics[name] = { unit: 'ms', count: 1000, min: 1, mean: m.p50, p999: m.max, ...m };
  }
  return out;
}

const base = report('base', {
  'e2e.latency': { p50: 200, p90: 400, p99: 800, max: 1200 },
  'gateway.latency': { p50: 5, p90: 10, p99: 20, max: 40 },
});

describe('compare', () => {
  it('compare - p99 must be worse by more than both 10 % and 5 ms to be a regression', () => {
    // e2e +10 % exactly (80 ms): not more than 10 %. gateway +50 % but only +4 ms.
    const same = compareReports(
      base,
      report('cur', {
        'e2e.latency': { p50: 210, p90: 420, p99: 880, max: 1300 },
        'gateway.latency': { p50: 5, p90: 10, p99: 24, max: 40 },
      }),
    );
    expect(same.regression).toBe(false);
    expect(same.metrics.map((m) => [m.metric, m.stats.p99.deltaMs, m.stats.p99.deltaPct])).toEqual([
      ['e2e.latency', 80, 10],
      ['gateway.latency', 4, 20],
    ]);
    const worse = compareReports(
      base,
      report('cur', {
        'e2e.latency': { p50: 200, p90: 400, p99: 881, max: 1200 },
        'gateway.latency': { p50: 5, p90: 10, p99: 26, max: 40 },
      }),
    );
    expect(worse.metrics.map((m) => m.regression)).toEqual([true, true]);
    // Margins are configurable.
    expect(
      compareReports(base, report('cur', { 'e2e.latency': { p50: 200, p90: 400, p99: 881, max: 1200 } }), {
        p99Pct: 20,
        p99Ms: 5,
      }).regression,
    ).toBe(false);
  });

  it('compare - metrics in one report only are listed, not compared', () => {
    const c = compareReports(
      base,
      report('cur', {
        'e2e.latency': { p50: 200, p90: 400, p99: 800, max: 1200 },
        'outbox.lag': { p50: 1, p90: 2, p99: 3, max: 4 },
      }),
    );
    expect(c.onlyInBaseline).toEqual(['gateway.latency']);
    expect(c.onlyInCurrent).toEqual(['outbox.lag']);
    expect(c.metrics.map((m) => m.metric)).toEqual(['e2e.latency']);
  });

  describe('the CLI', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pipesoak-compare-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const file = (name: string, content: unknown) => {
      const path = join(dir, name);
      writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
      return path;
    };
    const baseline = file('base.json', base);
    const fine = file(
      'fine.json',
      report('fine', {
        'e2e.latency': { p50: 200, p90: 400, p99: 850, max: 1200 },
        'gateway.latency': { p50: 5, p90: 10, p99: 20, max: 40 },
      }),
    );
    const slow = file(
      'slow.json',
      report('slow', {
        'e2e.latency': { p50: 300, p90: 600, p99: 1000, max: 1500 },
        'gateway.latency': { p50: 5, p90: 10, p99: 20, max: 40 },
      }),
    );

    it('compare - exit 0 without regression, with a Markdown table of deltas', async () => {
      const r = await cli('compare', baseline, fine);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('## pipesoak compare · ✅ no regression');
      expect(r.stdout).toContain('| ✅ | e2e.latency | p99 | 800 | 850 | +50 | +6.25 |');
      expect(r.stdout).toContain('|  | e2e.latency | max | 1200 | 1200 | 0 | 0 |');
    });

    it('compare - exit 1 on a regression; --format json; the margins as flags', async () => {
      const r = await cli('compare', baseline, slow, '--format', 'json');
      expect(r.code).toBe(1);
      const json = JSON.parse(r.stdout);
      expect(json.regression).toBe(true);
      expect(json.metrics[0].stats.p99).toEqual({ baseline: 800, current: 1000, deltaMs: 200, deltaPct: 25 });
      expect((await cli('compare', baseline, slow, '--p99-pct', '30')).code).toBe(0);
      expect((await cli('compare', baseline, slow, '--p99-ms', '250')).code).toBe(0);
    });

    it('compare - exit 2 with one line for missing, non-JSON and schema-invalid files', async () => {
      const missing = await cli('compare', join(dir, 'none.json'), fine);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toBe(`pipesoak: ${join(dir, 'none.json')}: file not found\n`);
      const garbage = await cli('compare', baseline, file('garbage.json', '{"schema": "pipesoak.rep'));
      expect(garbage.code).toBe(2);
      expect(garbage.stderr).toMatch(/garbage\.json: not JSON/);
      const wrong = await cli(
        'compare',
        baseline,
        file('wrong.json', { ...base, schema: 'pipesoak.report/v0' }),
      );
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toMatch(/wrong\.json: not a pipesoak\.report\/v1 report: schema: /);
      const noP99 = await cli(
        'compare',
        baseline,
        file('nop99.json', { ...base, metrics: { x: { unit: 'ms', count: 1 } } }),
      );
      expect(noP99.code).toBe(2);
      expect(noP99.stderr).toMatch(/nop99\.json: not a pipesoak\.report\/v1 report: metrics\.x\.min: /);
      for (const r of [missing, garbage, wrong, noP99]) expect(r.stderr.trim().split('\n')).toHaveLength(1);
    });
  });
});
