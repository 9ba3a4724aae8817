// What a soak found, one plain-words line each, for report.json `findings` and the md/html
// reports: drift a drift SLO caught ("worker RSS grew 38 MB/h (99% confidence), from 140 to 178
// MB over 1 h"), outbox bloat with its slope (reported, never failed), the stage dominating e2e
// p99 and the one whose share grew most, stages that cannot be measured, and Little's-law
// disagreements between collectors.
import { parseGaugeKey } from '../record/gaugeKey.ts';
import { METRIC, metricEntry } from '../record/metricCatalog.ts';
import type { SloConfig } from '../record/sloConfig.ts';
import { driftVerdict } from './drift.ts';
import type { LittleCheck } from './littlesLaw.ts';
import { significant } from './reportNumbers.ts';
import type { GaugeSummary, RunSummary } from './runSummary.ts';
import { MEASURED_STAGES, type StageBreakdown } from './stageBreakdown.ts';

export interface FindingsInput {
  summary: Pick<RunSummary, 'gauges' | 'gaugesByTag'>;
  slos: SloConfig;
  /** Length of the steady window the trends were fitted over. */
  steadyS: number;
  stages: StageBreakdown;
  littlesLaw: LittleCheck[];
}

/** Gauges reported with their slope when they grow, never judged: a table bloats until vacuum catches up. */
export const BLOAT_GAUGES = [METRIC.outboxTableBytes, METRIC.outboxDeadTuples] as const;

const FRIENDLY: Record<string, string> = {
  [METRIC.dbConnections]: 'DB connections (busiest application)',
  [METRIC.outboxQueryTime]: 'outbox query time',
  [METRIC.outboxTableBytes]: 'outbox table size',
  [METRIC.outboxDeadTuples]: 'outbox dead tuples',
  [METRIC.harnessRss]: 'harness RSS',
  [METRIC.targetRss]: 'target RSS (all components)',
  [METRIC.consumerPending]: 'consumer pending',
  [METRIC.outboxPending]: 'outbox pending',
};

export function gaugeLabel(key: string): string {
  const parsed = parseGaugeKey(key);
  if (parsed?.gauge === METRIC.targetRss && parsed.tag?.key === 'component') return `${parsed.tag.value} RSS`;
  return FRIENDLY[key] ?? key;
}

export function soakFindings(input: FindingsInput): string[] {
  const { summary, slos, steadyS } = input;
  const out: string[] = [];
  const gaugeOf = (key: string) => summary.gauges[key] ?? summary.gaugesByTag?.[key];
  for (const key of Object.keys(slos.drift.gauges).sort()) {
    const options = slos.drift.gauges[key];
    const g = gaugeOf(key);
    if (options === undefined || options === false || g === undefined || g.trend === null) continue;
    const v = driftVerdict(g.trend, g.mean, { confidence: slos.drift.confidence, ...options });
    if (v.pass) continue;
    const { rate, range } = growth(key, g, steadyS);
    out.push(`${gaugeLabel(key)} grew ${rate} (${pct(slos.drift.confidence)} confidence), ${range}`);
  }
  for (const key of BLOAT_GAUGES) {
    const g = summary.gauges[key];
    if (g === undefined || g.trend === null || !(g.trend.slopePerMin > 0)) continue;
    const { rate, range } = growth(key, g, steadyS);
    out.push(`${gaugeLabel(key)} grew ${rate}, ${range}: bloat is reported, not failed`);
  }
  const { stages } = input;
  if (stages.dominantP99 !== null && stages.e2e !== null) {
    const s = stages.stages.find((x) => x.stage === stages.dominantP99);
    // A bucketed stage's p99 is its bucket's upper edge, which can exceed e2e p99 itself.
    const bucketed = MEASURED_STAGES.some((m) => m.stage === stages.dominantP99 && m.bucketed);
    const p99 = bucketed ? `at most ${ms(s?.p99 ?? 0)} (a histogram bucket's upper edge)` : ms(s?.p99 ?? 0);
    out.push(
      `${stages.dominantP99} dominates e2e p99: its p99 is ${p99}, e2e p99 ${ms(stages.e2e.p99)}` +
        (s?.share === null || s?.share === undefined ? '' : `, ${pct(s.share)} of the mean e2e time`),
    );
  }
  if (stages.grewMost !== null && stages.grewMost.toShare > stages.grewMost.fromShare) {
    const g = stages.grewMost;
    out.push(
      `${g.stage}'s share of e2e grew most over the run, from ${pct(g.fromShare)} to ${pct(g.toShare)}`,
    );
  }
  for (const s of stages.stages) if (!s.measured && s.reason) out.push(`${s.stage} ${s.reason}`);
  for (const c of input.littlesLaw) if (!c.ok && c.note) out.push(`Little's law: ${c.note}`);
  return out;
}

/** "38 MB/h" and "from 140 to 178 MB over 1 h", from the fitted line's ends over the steady window. */
function growth(key: string, g: GaugeSummary, steadyS: number): { rate: string; range: string } {
  const slopePerMin = g.trend?.slopePerMin ?? 0;
  const minutes = steadyS / 60;
  const from = g.mean - (slopePerMin * minutes) / 2;
  const to = g.mean + (slopePerMin * minutes) / 2;
  const unit = metricEntry(parseGaugeKey(key)?.gauge ?? key)?.unit;
  return {
    rate: `${amount(slopePerMin * 60, unit)}/h`,
    range: `from ${amount(from, unit, false)} to ${amount(to, unit)} over ${span(steadyS)}`,
  };
}

function amount(n: number, unit: string | undefined, withUnit = true): string {
  const value = unit === 'bytes' ? n / (1024 * 1024) : n;
  const suffix = unit === 'bytes' ? 'MB' : unit === 'ms' ? 'ms' : '';
  const text = String(significant(Math.round(value * 10) / 10));
  return withUnit && suffix ? `${text} ${suffix}` : text;
}

function span(seconds: number): string {
  if (seconds >= 3600) return `${significant(Math.round((seconds / 3600) * 10) / 10)} h`;
  if (seconds >= 60) return `${significant(Math.round((seconds / 60) * 10) / 10)} min`;
  return `${Math.round(seconds)} s`;
}

function ms(n: number): string {
  return `${significant(Math.round(n * 10) / 10)} ms`;
}

function pct(share: number): string {
  return `${significant(Math.round(share * 1000) / 10)}%`;
}
