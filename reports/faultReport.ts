// report.json's `faults` and `outboxGuard` (DESIGN section 4), from what reports/recovery.ts reads
// out of a fault run's series.ndjson, plus the outbox guard's SLO line: a changed outbox row fails
// the run, as a lost event does.
import type { OutboxGuardWire } from '../record/runEvents.ts';
import type { FaultRecovery, FaultRun } from './recovery.ts';
import type { ReportFault, ReportJson, ReportOutboxGuard } from './reportJson.ts';
import { roundReportNumber as round } from './reportNumbers.ts';

export interface FaultReport {
  /** Absent when the run recorded no fault window. */
  faults?: ReportFault[];
  outboxGuard?: ReportOutboxGuard;
}

/** The SLO line of the outbox guard in report.json `slos`. */
export const OUTBOX_GUARD_SLO = 'outbox.rows.unchanged';

export function faultReport(run: FaultRun, runStartMs: number): FaultReport {
  return {
    ...(run.windows.length > 0 ? { faults: run.windows.map((w) => reportFault(w, runStartMs)) } : {}),
    ...(run.outboxGuard !== undefined ? { outboxGuard: reportOutboxGuard(run.outboxGuard) } : {}),
  };
}

export function reportFault(w: FaultRecovery, runStartMs: number): ReportFault {
  const seconds = (ms: number) => round(ms / 1000);
  const p99 = (windows: FaultRecovery['inside']) =>
    Object.fromEntries(
      Object.entries(windows).map(([metric, l]) => [metric, l.p99 === null ? null : round(l.p99)]),
    );
  return {
    name: w.id,
    what: w.what,
    where: w.where,
    at: seconds(w.startMs - runStartMs),
    for: w.endMs === null ? null : seconds(w.endMs - w.startMs),
    peakBacklog: Object.fromEntries(
      Object.entries(w.peak).map(([gauge, v]) => [gauge, v === null ? null : round(v)]),
    ),
    bounds: Object.fromEntries(Object.entries(w.bounds).map(([gauge, v]) => [gauge, round(v)])),
    drainS: w.drainMs === null ? null : seconds(w.drainMs),
    ...(w.reason === undefined ? {} : { reason: w.reason }),
    p99Inside: p99(w.inside),
    p99Outside: p99(w.outside),
  };
}

function reportOutboxGuard(g: OutboxGuardWire): ReportOutboxGuard {
  const { t: _t, event: _event, ...rest } = g;
  return rest;
}

/** Passes when neither the rows from before the run nor the run's own rows changed. */
export function outboxGuardSlo(g: ReportOutboxGuard): ReportJson['slos'][number] {
  const changed = (['preRun', 'window'] as const).filter((set) => !g[set].unchanged);
  const describe = (set: 'preRun' | 'window') => {
    const c = g[set];
    const label = set === 'preRun' ? 'rows created before the run' : 'rows created during the load';
    return `${label}: ${c.before.count} rows before, ${c.after.count} after${c.before.count === c.after.count ? ', checksum changed' : ''}`;
  };
  return {
    name: OUTBOX_GUARD_SLO,
    objective: '= 0 outbox row sets changed (checksum of the immutable columns)',
    observed: changed.length,
    pass: changed.length === 0,
    ...(changed.length === 0 ? {} : { reason: `outbox rows changed: ${changed.map(describe).join('; ')}` }),
  };
}
