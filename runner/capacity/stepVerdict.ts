// One capacity step's verdict from its run: sustainable when the SLOs pass, no backlog gauge
// drifts, no iteration was dropped and the generator kept up (resource drift is a soak's question). Each failing criterion is named; a
// saturated generator comes first because then the other numbers describe the harness.
import { METRIC } from '../../record/metricCatalog.ts';
import type { ReportJson } from '../../reports/reportJson.ts';
import { BACKLOG_GAUGES } from './capacityDefaults.ts';

/** What a step's run hands back: the fields of `runScenario`'s RunOutcome the search reads. */
export interface StepOutcome {
  runDir: string;
  exitCode: number;
  interrupted: boolean;
  report: ReportJson;
  /**
   * The worker's own peak connections in the measured window (workerConnections.ts); without it
   * the report's db.connections, which folds every application together, stands in.
   */
  workerConnectionsMax?: number | null;
  engine: {
    targetRate: number;
    achievedRate: number;
    dropped: number;
    generatorSaturated: boolean;
    /** Saturated with its loop busy; false when its loop was only delayed by the host (see below). */
    generatorBusy?: boolean;
    saturationNote?: string;
  };
}

export type Criterion = 'generator-saturated' | 'dropped-iterations' | 'backlog-drift' | 'slo';

export interface StepVerdict {
  sustainable: boolean;
  /** Every criterion that failed, most telling first; empty when sustainable. */
  failed: Criterion[];
  /** One line per failure, naming the SLO, gauge or count. */
  reasons: string[];
}

/** The figures the capacity files and chart show for a step. */
export interface StepFigures {
  offeredRate: number;
  achievedRate: number;
  e2eP99Ms: number | null;
  droppedIterations: number;
  dbConnectionsMax: number | null;
}

const DRIFT_SUFFIX = ' drift';

export function stepVerdict(outcome: StepOutcome): StepVerdict {
  const { report, engine } = outcome;
  const failed: Criterion[] = [];
  const reasons: string[] = [];
  // The generator is the limit when its own loop is busy. A loop that was only delayed while
  // mostly idle (a shared host's other processes held the CPU) still offered the rate: that step
  // says what the pipeline carries on this host, so its SLOs, drift and drops judge it.
  const saturated = engine.generatorSaturated || report.load.generatorSaturated === true;
  if (saturated && engine.generatorBusy !== false) {
    failed.push('generator-saturated');
    reasons.push(engine.saturationNote ?? 'the generator saturated (see the run report)');
  }
  const dropped = droppedIterations(outcome);
  if (dropped > 0) {
    failed.push('dropped-iterations');
    reasons.push(`${dropped} iterations dropped (no VU free)`);
  }
  const failing = report.slos.filter((s) => !s.pass);
  const backlog = failing.filter((s) => s.name.endsWith(DRIFT_SUFFIX) && isBacklog(s.name));
  // Other drift SLOs (memory, connections, query time) look for leaks over hours; within a step
  // they see the warm-up's end, e.g. a pool opening connections as the load arrives. The pool
  // bound (slos.dbConnections) and the sweep's pool check still judge the connections.
  const others = failing.filter((s) => !s.name.endsWith(DRIFT_SUFFIX));
  if (backlog.length > 0) {
    failed.push('backlog-drift');
    for (const s of backlog) reasons.push(`${s.name}: ${s.reason ?? s.objective}`);
  }
  if (others.length > 0) {
    failed.push('slo');
    for (const s of others) reasons.push(`${s.name}: ${s.reason ?? `not ${s.objective}`}`);
  }
  return { sustainable: failed.length === 0, failed, reasons };
}

export function stepFigures(outcome: StepOutcome, offeredRate: number): StepFigures {
  const { report, engine } = outcome;
  return {
    offeredRate,
    achievedRate: engine.achievedRate,
    e2eP99Ms: report.metrics[METRIC.e2eLatency]?.p99 ?? null,
    droppedIterations: droppedIterations(outcome),
    dbConnectionsMax:
      outcome.workerConnectionsMax === undefined
        ? (report.gauges[METRIC.dbConnections]?.max ?? null)
        : outcome.workerConnectionsMax,
  };
}

/**
 * Drops in the measured window, as the report counts them (warm-up left out, like the SLO). The
 * engine's whole-run total counts the warm-up too, where start-up on a busy host may drop a few;
 * it stands in only when the report recorded no count.
 */
function droppedIterations({ report, engine }: StepOutcome): number {
  return report.counts[METRIC.loadDroppedIterations] ?? engine.dropped;
}

function isBacklog(sloName: string): boolean {
  return BACKLOG_GAUGES.includes(sloName.slice(0, -DRIFT_SUFFIX.length));
}
