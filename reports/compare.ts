// Baseline vs current report, for CI: latency, throughput, integrity and SLO verdicts, each with
// its regression rule, and one line at the end naming every regression.
// - latency: a p99 worse by more than BOTH a relative and an absolute margin (10 % and 5 ms by
//   default), so noise on a 2 ms metric or a small shift on a 5 s one does not fail a nightly run;
// - throughput: the achieved share of the target rate (the achieved rate when a run has no target)
//   lower by more than a relative margin (5 %);
// - integrity: more events lost, or more duplicated, than the baseline;
// - SLOs: one that passed in the baseline and fails now.
import type { ReportJson } from './reportJson.ts';
import { formatFigure, formatQuantity, roundReportNumber as round } from './reportNumbers.ts';

export const COMPARED_STATS = ['p50', 'p90', 'p99', 'max'] as const;
export type ComparedStat = (typeof COMPARED_STATS)[number];

export interface CompareOptions {
  /** Relative margin on p99, percent. */
  p99Pct: number;
  /** Absolute margin on p99, ms. */
  p99Ms: number;
  /** Relative margin on throughput (achieved share of target), percent. */
  throughputPct: number;
}

export const COMPARE_DEFAULTS: CompareOptions = { p99Pct: 10, p99Ms: 5, throughputPct: 5 };

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

export interface ThroughputSide {
  targetRate: number | null;
  achievedRate: number;
  /** achievedRate / targetRate; null without a target. */
  share: number | null;
}

export interface ThroughputComparison {
  /** What was compared: the share of target when both runs have one, else the achieved rate. */
  basis: 'share of target' | 'achieved rate';
  baseline: ThroughputSide;
  current: ThroughputSide;
  /** Change of the compared value, percent; null when the baseline's is 0. */
  deltaPct: number | null;
  regression: boolean;
}

export interface IntegrityComparison {
  field: 'lost' | 'duplicated';
  baseline: number | null;
  current: number | null;
  regression: boolean;
}

export interface SloComparison {
  name: string;
  /** null: the SLO is not in that report. */
  baseline: 'pass' | 'fail' | null;
  current: 'pass' | 'fail' | null;
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
  /** null when a report has no achieved rate (no load figures). */
  throughput: ThroughputComparison | null;
  integrity: IntegrityComparison[];
  slos: SloComparison[];
  /** One phrase per regression, in the order above: what the summary line names. */
  regressions: string[];
  regression: boolean;
}

export function compareReports(
  baseline: ReportJson,
  current: ReportJson,
  options: Partial<CompareOptions> = {},
): ReportComparison {
  const o: CompareOptions = { ...COMPARE_DEFAULTS, ...options };
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
    const pctWorse = p99.deltaPct === null ? p99.deltaMs > 0 : p99.deltaPct > o.p99Pct;
    return { metric, stats, regression: p99.deltaMs > o.p99Ms && pctWorse };
  });
  const throughput = compareThroughput(baseline, current, o.throughputPct);
  const integrity = (['lost', 'duplicated'] as const).map((field) => {
    const b = baseline.integrity[field];
    const c = current.integrity[field];
    // A baseline that did not check integrity counts as none lost: any loss now is worse.
    return { field, baseline: b, current: c, regression: c !== null && c > (b ?? 0) };
  });
  const slos = compareSlos(baseline, current);

  const regressions: string[] = [];
  for (const m of metrics) {
    if (!m.regression) continue;
    const d = m.stats.p99;
    regressions.push(
      `${m.metric} p99 ${formatQuantity(d.baseline, 'ms')} → ${formatQuantity(d.current, 'ms')} (${signed(d.deltaPct ?? d.deltaMs)}${d.deltaPct === null ? ' ms' : '%'})`,
    );
  }
  if (throughput?.regression) regressions.push(`throughput ${describeThroughput(throughput)}`);
  for (const i of integrity) {
    if (i.regression) regressions.push(`integrity.${i.field} ${i.baseline ?? '—'} → ${i.current}`);
  }
  for (const s of slos) if (s.regression) regressions.push(`SLO ${s.name} passed → failed`);

  return {
    baseline: { id: baseline.run.id, scenario: baseline.run.scenario },
    current: { id: current.run.id, scenario: current.run.scenario },
    options: o,
    metrics,
    onlyInBaseline: Object.keys(baseline.metrics)
      .filter((n) => !(n in current.metrics))
      .sort(),
    onlyInCurrent: Object.keys(current.metrics)
      .filter((n) => !(n in baseline.metrics))
      .sort(),
    throughput,
    integrity,
    slos,
    regressions,
    regression: regressions.length > 0,
  };
}

function throughputSide(report: ReportJson): ThroughputSide | null {
  const achieved = report.load.achievedRate;
  const target = report.load.targetRate;
  if (typeof achieved !== 'number') return null;
  const targetRate = typeof target === 'number' && target > 0 ? target : null;
  return { targetRate, achievedRate: achieved, share: targetRate === null ? null : achieved / targetRate };
}

function compareThroughput(
  baseline: ReportJson,
  current: ReportJson,
  marginPct: number,
): ThroughputComparison | null {
  const b = throughputSide(baseline);
  const c = throughputSide(current);
  if (b === null || c === null) return null;
  // Runs at different target rates compare by how much of their target they achieved.
  const basis = b.share !== null && c.share !== null ? 'share of target' : 'achieved rate';
  const bv = basis === 'share of target' ? (b.share ?? 0) : b.achievedRate;
  const cv = basis === 'share of target' ? (c.share ?? 0) : c.achievedRate;
  return {
    basis,
    baseline: { ...b, share: b.share === null ? null : round(b.share) },
    current: { ...c, share: c.share === null ? null : round(c.share) },
    deltaPct: bv === 0 ? null : round(((cv - bv) / bv) * 100),
    regression: cv < bv * (1 - marginPct / 100),
  };
}

function compareSlos(baseline: ReportJson, current: ReportJson): SloComparison[] {
  const verdicts = (r: ReportJson) =>
    new Map(r.slos.map((s) => [s.name, s.pass ? ('pass' as const) : ('fail' as const)]));
  const b = verdicts(baseline);
  const c = verdicts(current);
  const names = [...new Set([...b.keys(), ...c.keys()])];
  return names.map((name) => {
    const was = b.get(name) ?? null;
    const now = c.get(name) ?? null;
    return { name, baseline: was, current: now, regression: was === 'pass' && now === 'fail' };
  });
}

function describeThroughput(t: ThroughputComparison): string {
  const side = (s: ThroughputSide) =>
    t.basis === 'share of target'
      ? `${formatFigure(round((s.share ?? 0) * 100))}% of ${formatQuantity(s.targetRate ?? 0, 'events/s')}`
      : formatQuantity(s.achievedRate, 'events/s');
  return `${side(t.baseline)} → ${side(t.current)}`;
}

/** The last line of a comparison: every regression by name, or what was compared without one. */
export function comparisonSummary(c: ReportComparison): string {
  if (c.regression) return `regressions (${c.regressions.length}): ${c.regressions.join('; ')}`;
  const parts = [
    `${c.metrics.length} latency metric${c.metrics.length === 1 ? '' : 's'}`,
    c.throughput === null ? null : 'throughput',
    'integrity',
    `${c.slos.length} SLO${c.slos.length === 1 ? '' : 's'}`,
  ].filter((p) => p !== null);
  return `no regression: ${parts.join(', ')} compared`;
}

export function renderComparisonMarkdown(comparison: ReportComparison): string {
  const { options } = comparison;
  const lines = [
    `## pipesoak compare · ${comparison.regression ? '❌ regression' : '✅ no regression'}`,
    '',
    `Baseline \`${comparison.baseline.id}\` → current \`${comparison.current.id}\`; ` +
      `a regression is p99 worse by more than ${options.p99Pct} % and ${options.p99Ms} ms, ` +
      `throughput lower by more than ${options.throughputPct} %, more events lost or duplicated, ` +
      'or an SLO that passed and now fails.',
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

  const t = comparison.throughput;
  lines.push('', '### Throughput', '');
  if (t === null) lines.push('Not compared: a report has no achieved rate (no load figures).');
  else {
    const target = (s: ThroughputSide) =>
      s.targetRate === null ? '—' : formatQuantity(s.targetRate, 'events/s');
    const share = (s: ThroughputSide) => (s.share === null ? '—' : `${formatFigure(round(s.share * 100))}%`);
    lines.push(
      `| | | target | achieved | share of target |`,
      '| --- | --- | ---: | ---: | ---: |',
      `| | baseline | ${target(t.baseline)} | ${formatQuantity(t.baseline.achievedRate, 'events/s')} | ${share(t.baseline)} |`,
      `| ${t.regression ? '❌' : '✅'} | current | ${target(t.current)} | ${formatQuantity(t.current.achievedRate, 'events/s')} | ${share(t.current)} |`,
      '',
      `Compared by ${t.basis}: ${t.deltaPct === null ? '—' : `${signed(t.deltaPct)} %`}.`,
    );
  }

  lines.push('', '### Integrity', '', '| | count | baseline | current |', '| --- | --- | ---: | ---: |');
  for (const i of comparison.integrity) {
    lines.push(`| ${i.regression ? '❌' : '✅'} | ${i.field} | ${i.baseline ?? '—'} | ${i.current ?? '—'} |`);
  }

  const changed = comparison.slos.filter((s) => s.baseline !== s.current);
  lines.push('', `### SLOs (${comparison.slos.length} compared)`, '');
  if (changed.length === 0) lines.push('Every SLO has the verdict it had in the baseline.');
  else {
    lines.push('| | SLO | baseline | current |', '| --- | --- | --- | --- |');
    for (const s of changed) {
      lines.push(`| ${s.regression ? '❌' : ''} | ${s.name} | ${s.baseline ?? '—'} | ${s.current ?? '—'} |`);
    }
  }
  lines.push('', comparisonSummary(comparison));
  return `${lines.join('\n')}\n`;
}

function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}
