// Baseline vs current report: deltas per metric and percentile, and the regression rule: a p99
// worse by more than BOTH a relative and an absolute margin (10 % and 5 ms by default), so noise
// on a 2 ms metric or a small shift on a 5 s one does not fail a nightly run.
import type { ReportJson } from './reportJson.ts';
import { roundReportNumber as round } from './reportNumbers.ts';

export const COMPARED_STATS = ['p50', 'p90', 'p99', 'max'] as const;
export type ComparedStat = (typeof COMPARED_STATS)[number];

export interface CompareOptions {
  /** Relative margin on p99, percent. */
  p99Pct: number;
  /** Absolute margin on p99, ms. */
  p99Ms: number;
}

export const COMPARE_DEFAULTS: CompareOptions = { p99Pct: 10, p99Ms: 5 };

export interface StatDelta {
  baseline: number;
  current: number;
  deltaMs: number;
  /** null when the baseline is 0. */
  deltaPct: number | null;
}

export interface MetricComparison {
  metric: string;
  stats: Record<ComparedStat, StatDelta>;
  regression: boolean;
}

export interface ReportComparison {
  baseline: { id: string; scenario: string };
  current: { id: string; scenario: string };
  options: CompareOptions;
  metrics: MetricComparison[];
  /** In one report only: listed, never a regression by themselves. */
  onlyInBaseline: string[];
  onlyInCurrent: string[];
  regression: boolean;
}

export function compareReports(
  baseline: ReportJson,
  current: ReportJson,
  options: CompareOptions = COMPARE_DEFAULTS,
): ReportComparison {
  const names = Object.keys(baseline.metrics)
    .filter((n) => n in current.metrics)
    .sort();
  const metrics = names.map((metric) => {
    const b = baseline.metrics[metric];
    const c = current.metrics[metric];
    if (b === undefined || c === undefined) throw new Error(`metric ${metric} vanished`);
    const stats = {} as Record<ComparedStat, StatDelta>;
    for (const stat of COMPARED_STATS) {
      const deltaMs = round(c[stat] - b[stat]);
      stats[stat] = {
        baseline: b[stat],
        current: c[stat],
        deltaMs,
        deltaPct: b[stat] === 0 ? null : round(((c[stat] - b[stat]) / b[stat]) * 100),
      };
    }
    const p99 = stats.p99;
    const pctWorse = p99.deltaPct === null ? p99.deltaMs > 0 : p99.deltaPct > options.p99Pct;
    return { metric, stats, regression: p99.deltaMs > options.p99Ms && pctWorse };
  });
  return {
    baseline: { id: baseline.run.id, scenario: baseline.run.scenario },
    current: { id: current.run.id, scenario: current.run.scenario },
    options,
    metrics,
    onlyInBaseline: Object.keys(baseline.metrics)
      .filter((n) => !(n in current.metrics))
      .sort(),
    onlyInCurrent: Object.keys(current.metrics)
      .filter((n) => !(n in baseline.metrics))
      .sort(),
    regression: metrics.some((m) => m.regression),
  };
}

export function renderComparisonMarkdown(comparison: ReportComparison): string {
  const { options } = comparison;
  const lines = [
    `## pipesoak compare · ${comparison.regression ? '❌ regression' : '✅ no regression'}`,
    '',
    `Baseline \`${comparison.baseline.id}\` → current \`${comparison.current.id}\`; ` +
      `a regression is p99 worse by more than ${options.p99Pct} % and ${options.p99Ms} ms.`,
    '',
    '| | metric | stat | baseline ms | current ms | Δ ms | Δ % |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: |',
  ];
  for (const m of comparison.metrics) {
    for (const stat of COMPARED_STATS) {
      const d = m.stats[stat];
      const flag = stat === 'p99' ? (m.regression ? '❌' : '✅') : '';
      const pct = d.deltaPct === null ? '—' : signed(d.deltaPct);
      lines.push(
        `| ${flag} | ${m.metric} | ${stat} | ${d.baseline} | ${d.current} | ${signed(d.deltaMs)} | ${pct} |`,
      );
    }
  }
  if (comparison.onlyInBaseline.length)
    lines.push('', `Only in the baseline: ${comparison.onlyInBaseline.join(', ')}.`);
  if (comparison.onlyInCurrent.length)
    lines.push('', `Only in the current run: ${comparison.onlyInCurrent.join(', ')}.`);
  return `${lines.join('\n')}\n`;
}

function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}
