import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareReports, comparisonSummary } from '../../reports/compare.ts';
import { renderRunFolder } from '../../reports/renderRunFolder.ts';
import type { ReportJson } from '../../reports/reportJson.ts';
import { cli } from '../support/cli.ts';
import { writeSyntheticRunFolder } from '../support/syntheticRunFolder.ts';

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

  const withLoad = (r: ReportJson, load: ReportJson['load']): ReportJson => ({ ...r, load });
  const withSlos = (r: ReportJson, slos: [string, boolean][]): ReportJson => ({
    ...r,
    slos: slos.map(([name, pass]) => ({ name, objective: '< 1', observed: 0, pass })),
  });

  it('compare - throughput: the achieved share of target lower by more than 5 % is a regression', () => {
    const b = withLoad(base, { targetRate: 100, achievedRate: 100 });
    // 96 % of target: within 5 %.
    const within = compareReports(b, withLoad(base, { targetRate: 100, achievedRate: 96 }));
    expect(within.throughput).toMatchObject({ basis: 'share of target', deltaPct: -4, regression: false });
    expect(within.regression).toBe(false);
    const worse = compareReports(b, withLoad(base, { targetRate: 100, achievedRate: 90 }));
    expect(worse.throughput?.regression).toBe(true);
    expect(worse.regressions).toEqual(['throughput 100% of 100 events/s → 90% of 100 events/s']);
    // A run at twice the target that achieved all of it is not a regression, nor one at half that
    // achieved all of its half: shares of target are compared, not rates.
    expect(compareReports(b, withLoad(base, { targetRate: 50, achievedRate: 50 })).regression).toBe(false);
    expect(compareReports(b, withLoad(base, { targetRate: 200, achievedRate: 150 })).regressions).toEqual([
      'throughput 100% of 100 events/s → 75% of 200 events/s',
    ]);
    // Without load figures there is nothing to compare, and nothing regresses.
    expect(compareReports(base, b).throughput).toBeNull();
    // The margin is an option.
    expect(
      compareReports(b, withLoad(base, { targetRate: 100, achievedRate: 90 }), { throughputPct: 15 })
        .regression,
    ).toBe(false);
  });

  it('compare - integrity: more lost or more duplicated than the baseline is a regression', () => {
    const lost = compareReports(base, { ...base, integrity: { ...base.integrity, lost: 3 } });
    expect(lost.integrity).toEqual([
      { field: 'lost', baseline: 0, current: 3, regression: true },
      { field: 'duplicated', baseline: 0, current: 0, regression: false },
    ]);
    expect(lost.regressions).toEqual(['integrity.lost 0 → 3']);
    const dup = compareReports(base, { ...base, integrity: { ...base.integrity, duplicated: 1 } });
    expect(dup.regressions).toEqual(['integrity.duplicated 0 → 1']);
    // Fewer lost than a lossy baseline is fine; a current run that did not check is not compared.
    const lossy = { ...base, integrity: { ...base.integrity, lost: 5 } };
    expect(compareReports(lossy, { ...base, integrity: { ...base.integrity, lost: 2 } }).regression).toBe(
      false,
    );
    expect(
      compareReports(base, { ...base, integrity: { ...base.integrity, lost: null, duplicated: null } })
        .regression,
    ).toBe(false);
  });

  it('compare - SLOs: one that passed in the baseline and fails now is a regression; new failures are listed', () => {
    const b = withSlos(base, [
      ['e2e.latency p99', true],
      ['consumer.pending drift', false],
      ['integrity.lost', true],
    ]);
    const c = compareReports(
      b,
      withSlos(base, [
        ['e2e.latency p99', false],
        ['consumer.pending drift', false],
        ['integrity.lost', true],
        ['custom slo', false],
      ]),
    );
    expect(c.slos).toEqual([
      { name: 'e2e.latency p99', baseline: 'pass', current: 'fail', regression: true },
      { name: 'consumer.pending drift', baseline: 'fail', current: 'fail', regression: false },
      { name: 'integrity.lost', baseline: 'pass', current: 'pass', regression: false },
      { name: 'custom slo', baseline: null, current: 'fail', regression: false },
    ]);
    expect(c.regressions).toEqual(['SLO e2e.latency p99 passed → failed']);
  });

  it('compare - the summary line names every regression, latency first, or says what was compared', () => {
    const b = withSlos(withLoad(base, { targetRate: 100, achievedRate: 100 }), [['e2e.latency p99', true]]);
    const cur = withSlos(
      withLoad(
        {
          ...report('cur', {
            'e2e.latency': { p50: 200, p90: 400, p99: 1000, max: 1200 },
            'gateway.latency': { p50: 5, p90: 10, p99: 20, max: 40 },
          }),
          integrity: { accepted: 1, completed: 1, deadLettered: 0, lost: 2, duplicated: 0 },
        },
        { targetRate: 100, achievedRate: 80 },
      ),
      [['e2e.latency p99', false]],
    );
    expect(comparisonSummary(compareReports(b, cur))).toBe(
      'regressions (4): e2e.latency p99 800 ms → 1,000 ms (+25%); throughput 100% of 100 events/s → 80% of 100 events/s; ' +
        'integrity.lost 0 → 2; SLO e2e.latency p99 passed → failed',
    );
    expect(comparisonSummary(compareReports(b, b))).toBe(
      'no regression: 2 latency metrics, throughput, integrity, 1 SLO compared',
    );
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

    it('compare - takes run folders, with or without report.json, and ends with the summary line', async () => {
      // Two renders of one synthetic run: the same figures, so no regression.
      const a = join(dir, 'run-a');
      const b = join(dir, 'run-b');
      for (const d of [a, b]) {
        mkdirSync(d);
        writeSyntheticRunFolder(d, { seconds: 40, slos: { 'e2e.latency': { p99: 1000 } } });
        await renderRunFolder(d);
      }
      // A folder whose run crashed before its reports: compared from its logs.
      unlinkSync(join(b, 'report.json'));
      const same = await cli('compare', a, b);
      expect(same.code).toBe(0);
      expect(same.stdout.trimEnd().split('\n').at(-1)).toMatch(
        /^no regression: 8 latency metrics, integrity, \d+ SLOs compared$/,
      );
      // A run folder against a report whose e2e p99 passed a 1 s objective it now fails.
      const tight = join(dir, 'run-c');
      mkdirSync(tight);
      writeSyntheticRunFolder(tight, { seconds: 40, slos: { 'e2e.latency': { p99: 200 } } });
      await renderRunFolder(tight);
      const worse = await cli('compare', join(a, 'report.json'), tight);
      expect(worse.code).toBe(1);
      expect(worse.stdout.trimEnd().split('\n').at(-1)).toBe(
        'regressions (1): SLO e2e.latency p99 passed → failed',
      );
      const notRun = join(dir, 'empty-folder');
      mkdirSync(notRun);
      const bad = await cli('compare', a, notRun);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toBe(
        `pipesoak: ${notRun}: not a run folder (no report.json and no series.ndjson)\n`,
      );
    });

    it('run --baseline - an unreadable baseline is bad input before the run starts', async () => {
      const r = await cli('run', 'scenarios/steady.ts', '--baseline', join(dir, 'none.json'));
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`pipesoak: --baseline ${join(dir, 'none.json')}: file not found\n`);
      expect(r.stdout).not.toContain('preflight');
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
