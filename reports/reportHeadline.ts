// What a report says first, in words: the verdict, each failing SLO in one sentence, the load
// achieved against its target and the integrity counts. report.md and report.html open with these
// lines, so a CI step summary and the page agree word for word.
import { parseGaugeKey } from '../record/gaugeKey.ts';
import { metricEntry } from '../record/metricCatalog.ts';
import type { ReportJson } from './reportJson.ts';
import { formatFigure, formatPerMinute, formatQuantity } from './reportNumbers.ts';

type Slo = ReportJson['slos'][number];

/** An SLO's observed value in its unit: latency ms, drift per minute, a gauge in the gauge's unit. */
export function formatSloObserved(slo: Slo): string {
  if (slo.observed === null) return '—';
  if (slo.objective.endsWith(' ms')) return formatQuantity(slo.observed, 'ms');
  const space = slo.name.lastIndexOf(' ');
  const subject = space < 0 ? slo.name : slo.name.slice(0, space);
  const unit = metricEntry(parseGaugeKey(subject)?.gauge ?? subject)?.unit;
  if (slo.name.endsWith(' drift')) return formatPerMinute(slo.observed, unit);
  return unit === undefined ? formatFigure(slo.observed) : formatQuantity(slo.observed, unit);
}

export function verdictSentence(report: ReportJson): string {
  const failed = report.slos.filter((s) => !s.pass);
  const partial = report.partial ? ' This is a partial run: it did not end normally.' : '';
  if (report.verdict === 'pass') {
    return `**Verdict: pass** — all ${report.slos.length} SLOs met.${partial}`;
  }
  return `**Verdict: fail** — ${failed.length} of ${report.slos.length} SLOs failed.${partial}`;
}

/** One sentence per failing SLO: what was observed against what was promised, and why. */
export function failingSloSentences(report: ReportJson): string[] {
  return report.slos
    .filter((s) => !s.pass)
    .map((s) =>
      s.observed === null
        ? `${s.name} was not measured: ${s.reason ?? 'no value'} (objective ${s.objective}).`
        : `${s.name} was ${formatSloObserved(s)}, objective ${s.objective}${s.reason ? ` (${s.reason})` : ''}.`,
    );
}

/** Load achieved against the target; null when the engine recorded no figures. */
export function loadSentence(report: ReportJson): string | null {
  const l = report.load;
  const n = (key: string): number | null => (typeof l[key] === 'number' ? (l[key] as number) : null);
  const target = n('targetRate');
  const achieved = n('achievedRate');
  if (achieved === null) return null;
  const share =
    target !== null && target > 0 ? ` (${formatFigure(Math.round((achieved / target) * 1000) / 10)}%)` : '';
  const counts = [
    n('iterations') === null ? null : `${formatFigure(n('iterations') ?? 0)} iterations`,
    n('dropped') === null ? null : `${formatFigure(n('dropped') ?? 0)} dropped`,
    n('interrupted') === null ? null : `${formatFigure(n('interrupted') ?? 0)} interrupted`,
  ].filter((c) => c !== null);
  const of = target === null ? '' : ` of the ${formatQuantity(target, 'events/s')} target${share}`;
  const saturated =
    l.generatorSaturated === true
      ? ' The generator saturated: some latencies may be the harness’s, not the target’s (see notes).'
      : '';
  return `Load: achieved ${formatQuantity(achieved, 'events/s')}${of}${counts.length ? `; ${counts.join(', ')}` : ''}.${saturated}`;
}

export function integritySentence(report: ReportJson): string {
  const i = report.integrity;
  if (i.accepted === null) return 'Integrity: not checked (no integrity record in the run).';
  const v = (x: number | null) => (x === null ? '—' : formatFigure(x));
  return (
    `Integrity: ${v(i.accepted)} accepted, ${v(i.completed)} completed, ${v(i.deadLettered)} dead-lettered, ` +
    `${v(i.lost)} lost, ${v(i.duplicated)} duplicated.`
  );
}
