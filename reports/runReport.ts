// Builds report.json from a run folder: the steady-window summary, the SLO results against the
// run's own SLOs, and the verdict. Deterministic: keys sorted, numbers rounded, nothing about the
// render itself (no "generated at"), so rendering twice gives the same bytes.
import type { LatencySummary } from '../record/histogramSnapshot.ts';
import { METRIC } from '../record/metricCatalog.ts';
import { redact } from '../record/redact.ts';
import type { ReportJson } from './reportJson.ts';
import { REPORT_SCHEMA } from './reportJson.ts';
import { roundReportNumber as round } from './reportNumbers.ts';
import type { RunSummary } from './runSummary.ts';
import { compileSlos, evaluateSlos } from './sloEngine.ts';
import { type RunMeta, summarizeRunFolder } from './summarizeRunFolder.ts';

export async function buildRunReport(dir: string): Promise<ReportJson> {
  const { meta, summary } = await summarizeRunFolder(dir);
  return reportFromSummary(meta, summary);
}

export function reportFromSummary(meta: RunMeta, summary: RunSummary): ReportJson {
  const slos = evaluateSlos(summary, compileSlos(meta.slos), { loadOnly: meta.loadOnly }).map((r) => ({
    ...r,
    observed: r.observed === null ? null : round(r.observed),
  }));
  const report: ReportJson = {
    schema: REPORT_SCHEMA,
    run: {
      id: meta.id,
      scenario: meta.scenario,
      seed: meta.seed,
      startedAt: new Date(meta.startedAtMs).toISOString(),
      durationS: round(meta.durationS),
      // The runner redacts before writing; redacting again costs nothing and guards old folders.
      target: redact(meta.target),
      ...(meta.segments !== undefined ? { segments: meta.segments.map((s) => ({ ...s })) } : {}),
    },
    load: { ...meta.load },
    metrics: {},
    counts: { ...summary.counters },
    errorRate: errorRate(summary),
    gauges: {},
    slos,
    integrity: summary.integrity ?? {
      accepted: null,
      completed: null,
      deadLettered: null,
      lost: null,
      duplicated: null,
    },
    verdict: slos.every((s) => s.pass) ? 'pass' : 'fail',
  };
  for (const name of Object.keys(summary.metrics).sort()) {
    const m = summary.metrics[name];
    if (m === undefined) continue;
    const byTag = summary.byTag[name];
    report.metrics[name] = { unit: 'ms', ...latencyStats(m) };
    if (byTag !== undefined) {
      const out: NonNullable<ReportJson['metrics'][string]['byTag']> = {};
      for (const key of Object.keys(byTag).sort()) {
        const values = byTag[key] ?? {};
        out[key] = Object.fromEntries(
          Object.keys(values)
            .sort()
            .map((v) => [v, latencyStats(values[v] as LatencySummary)]),
        );
      }
      report.metrics[name].byTag = out;
    }
  }
  for (const name of Object.keys(summary.gauges).sort()) {
    const g = summary.gauges[name];
    if (g === undefined) continue;
    report.gauges[name] = {
      min: round(g.min),
      mean: round(g.mean),
      max: round(g.max),
      last: round(g.last),
      slopePerMin: g.slopePerMin === null ? null : round(g.slopePerMin),
    };
  }
  if (meta.partial) report.partial = true;
  if (meta.notes.length > 0) report.notes = [...meta.notes];
  return report;
}

function latencyStats(m: LatencySummary) {
  return {
    count: m.count,
    min: round(m.min),
    mean: round(m.mean),
    p50: round(m.p50),
    p90: round(m.p90),
    p99: round(m.p99),
    p999: round(m.p999),
    max: round(m.max),
  };
}

function errorRate(summary: RunSummary): number | null {
  const requests = summary.counters[METRIC.httpRequests];
  const errors = summary.counters[METRIC.httpErrors] ?? 0;
  return requests === undefined || requests === 0 ? null : round(errors / requests);
}
