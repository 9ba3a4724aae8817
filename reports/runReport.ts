// Builds report.json from a run folder: the steady-window summary, the SLO results against the
// run's own SLOs, and the verdict. Deterministic: keys sorted, numbers rounded, nothing about the
// render itself (no "generated at"), so rendering twice gives the same bytes.
import type { LatencySummary } from '../record/histogramSnapshot.ts';
import { METRIC } from '../record/metricCatalog.ts';
import { redact } from '../record/redact.ts';
import { type FaultReport, faultReport, outboxGuardSlo } from './faultReport.ts';
import { type LatencyBuckets, LatencyTimelineFold } from './latencyTimeline.ts';
import { littlesLaw } from './littlesLaw.ts';
import { type RunFolderFold, type RunFolderRead, readRunFolder } from './readRunFolder.ts';
import { recoveryReading } from './recovery.ts';
import type { ReportJson } from './reportJson.ts';
import { REPORT_SCHEMA } from './reportJson.ts';
import { roundReportNumber as round } from './reportNumbers.ts';
import type { RunSummary } from './runSummary.ts';
import { compileSlos, evaluateSlos } from './sloEngine.ts';
import { soakFindings } from './soakFindings.ts';
import { STAGE_METRICS, stageBreakdown } from './stageBreakdown.ts';
import { type StageMeans, StageMeansFold } from './stageMeans.ts';
import { type RunMeta, SummaryFold } from './summarizeRunFolder.ts';

/** Time buckets the stage shares are given in over the steady window, at most. */
export const STAGE_BUCKETS = 20;

export async function buildRunReport(dir: string): Promise<ReportJson> {
  const reading = reportReading();
  return reading.report(await readRunFolder(dir, reading.folds));
}

/** The folds report.json is built from, to read beside others' in the same pass (renderRunFolder). */
export function reportReading(): {
  folds: RunFolderFold[];
  report(run: RunFolderRead): ReportJson;
} {
  const summary = new SummaryFold();
  let bucketS = 1;
  const stages = new LatencyTimelineFold(STAGE_METRICS, ({ window }) => {
    const steadyS = Math.max(0, window.durationS - window.warmUpMs / 1000);
    bucketS = Math.max(1, Math.ceil(steadyS / STAGE_BUCKETS));
    return { fromMs: window.steadyStartMs, bucketS };
  });
  const means = new StageMeansFold();
  // A fault run's windows and outbox guard, from the same pass (empty for a run without faults).
  const recovery = recoveryReading();
  return {
    folds: [summary, stages, means, ...recovery.folds],
    report: (run) => {
      const { meta, summary: s } = summary.result(run);
      const faults = faultReport(recovery.faultRun(run), meta.startedAtMs);
      return reportFromSummary(meta, s, { bucketS, byMetric: stages.buckets(), means }, faults);
    },
  };
}

export function reportFromSummary(
  meta: RunMeta,
  summary: RunSummary,
  stageBuckets?: { bucketS: number; byMetric: ReadonlyMap<string, LatencyBuckets>; means?: StageMeans },
  faults: FaultReport = {},
): ReportJson {
  const slos = evaluateSlos(summary, compileSlos(meta.slos), { loadOnly: meta.loadOnly }).map((r) => ({
    ...r,
    observed: r.observed === null ? null : round(r.observed),
  }));
  // A fault run's outbox guard is judged like an SLO: a changed row fails the run.
  if (faults.outboxGuard !== undefined) slos.push(outboxGuardSlo(faults.outboxGuard));
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
    ...faults,
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
  const steadyS = Math.max(0, meta.durationS - meta.warmUpMs / 1000);
  const stages = stageBreakdown({
    summary,
    ...(stageBuckets ? { buckets: stageBuckets } : {}),
    ...(stageBuckets?.means ? { means: stageBuckets.means } : {}),
  });
  // λ: events completed per second of the steady window (e2e samples are completions).
  const completed = summary.metrics[METRIC.e2eLatency]?.count ?? 0;
  const little = littlesLaw({
    summary,
    arrivalRatePerS: steadyS > 0 ? completed / steadyS : 0,
    ...(stageBuckets?.means ? { means: stageBuckets.means } : {}),
  });
  report.stages = {
    e2e: stages.e2e && {
      p50: round(stages.e2e.p50),
      p99: round(stages.e2e.p99),
      mean: round(stages.e2e.mean),
    },
    stages: stages.stages.map((st) => ({
      ...st,
      p50: roundOrNull(st.p50),
      p99: roundOrNull(st.p99),
      mean: roundOrNull(st.mean),
      share: roundOrNull(st.share),
    })),
    dominantP99: stages.dominantP99,
    grewMost: stages.grewMost && {
      stage: stages.grewMost.stage,
      fromShare: round(stages.grewMost.fromShare),
      toShare: round(stages.grewMost.toShare),
    },
    notes: stages.notes,
  };
  report.littlesLaw = little.map((c) => ({
    ...c,
    backlog: roundOrNull(c.backlog),
    expected: roundOrNull(c.expected),
    ratio: roundOrNull(c.ratio),
  }));
  report.findings = soakFindings({ summary, slos: meta.slos, steadyS, stages, littlesLaw: little });
  if (meta.partial) report.partial = true;
  if (meta.notes.length > 0) report.notes = [...meta.notes];
  return report;
}

function roundOrNull(n: number | null): number | null {
  return n === null ? null : round(n);
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
