// SLO checks as pure functions: compileSlos turns the config's objectives (and custom expressions)
// into checks once, at start-up, so a bad expression fails before the run; evaluateSlos judges a
// summary with them. A check without data fails with a reason, it never passes silently.

import { parseGaugeKey } from '../record/gaugeKey.ts';
import { isGauge, METRIC, metricEntry } from '../record/metricCatalog.ts';
import type { SloConfig } from '../record/sloConfig.ts';
import { DRIFT_MIN_WINDOWS, driftVerdict } from './drift.ts';
import { formatPerMinute, significant } from './reportNumbers.ts';
import type { RunSummary } from './runSummary.ts';
import {
  type Comparison,
  compare,
  countTarget,
  errorRateTarget,
  gaugeTarget,
  integrityTarget,
  latencyTarget,
  metricSource,
  NO_SAMPLES,
  parseSloExpression,
  SloExpressionError,
  type SloResult,
  type SloSource,
  type Target,
} from './sloExpression.ts';

export type { SloResult } from './sloExpression.ts';

export interface CompiledSlo {
  name: string;
  objective: string;
  /** Where it came from in the config, for errors: e.g. `slos.custom[0]`. */
  path: string;
  source: SloSource;
  evaluate(summary: RunSummary): SloResult;
}

/** A check that cannot be compiled: `path` names the config field, the message is one line. */
export class SloCompileError extends Error {
  override readonly name = 'SloCompileError';

  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

const LATENCY_KEYS = [
  METRIC.gatewayLatency,
  METRIC.e2eLatency,
  METRIC.dispatchLatency,
  METRIC.outboxLag,
  METRIC.consumerAckLatency,
] as const;
const PERCENTILES = ['p50', 'p90', 'p99', 'p999', 'max'] as const;

export function compileSlos(slos: SloConfig): CompiledSlo[] {
  const checks: CompiledSlo[] = [];
  // The defaults are typed selectors, never text parsed back; only `custom` is an expression.
  const add = (path: string, target: Target, op: Comparison, value: number, name?: string) => {
    checks.push(targetCheck(path, target, op, value, name));
  };
  for (const metric of LATENCY_KEYS) {
    const objectives = slos[metric];
    if (objectives === false) continue;
    for (const p of PERCENTILES) {
      const value = objectives[p];
      if (value !== undefined) add(`slos.${metric}.${p}`, latencyTarget(metric, p), '<', value);
    }
  }
  if (slos.errorRate !== false) add('slos.errorRate', errorRateTarget, '<=', slos.errorRate);
  if (slos.droppedIterations !== false)
    add(
      'slos.droppedIterations',
      countTarget('dropped_iterations'),
      '<=',
      slos.droppedIterations,
      METRIC.loadDroppedIterations,
    );
  if (slos.deliveriesPerEvent !== false)
    add(
      'slos.deliveriesPerEvent',
      countTarget('deliveries_per_event_max'),
      '<=',
      slos.deliveriesPerEvent,
      'deliveries per event',
    );
  if (slos.dlqAttempts !== false)
    add(
      'slos.dlqAttempts',
      countTarget('dlq_attempts_max'),
      '<=',
      slos.dlqAttempts,
      'dlq attempts per event',
    );
  if (slos.dbConnections !== false)
    add('slos.dbConnections', gaugeTarget(METRIC.dbConnections, 'max'), '<=', slos.dbConnections);
  if (slos.consumerPending !== false)
    add('slos.consumerPending', gaugeTarget(METRIC.consumerPending, 'max'), '<=', slos.consumerPending);
  for (const key of ['lost', 'duplicated'] as const) {
    const bound = slos.integrity[key];
    if (bound !== false) add(`slos.integrity.${key}`, integrityTarget(key), '<=', bound);
  }
  for (const gauge of Object.keys(slos.drift.gauges).sort()) {
    const options = slos.drift.gauges[gauge];
    if (options === undefined || options === false) continue;
    const path = `slos.drift.gauges.${gauge}`;
    const key = parseGaugeKey(gauge);
    if (key === undefined || !isGauge(key.gauge))
      throw new SloCompileError(path, `unknown gauge "${gauge}" (a gauge name, or name{tag=value})`);
    checks.push(driftCheck(gauge, { confidence: slos.drift.confidence, ...options }));
  }
  slos.custom.forEach((expression, i) => {
    checks.push(expressionCheck(`slos.custom[${i}]`, expression));
  });
  return checks;
}

export const LOAD_ONLY_NOT_JUDGED =
  'not judged: a load-only segment has no collector data; judged on the merged run folder (pipesoak merge)';

export interface EvaluateOptions {
  /** A load-only segment: checks on collector data pass as not judged, with LOAD_ONLY_NOT_JUDGED. */
  loadOnly?: boolean;
}

export function evaluateSlos(
  summary: RunSummary,
  compiled: readonly CompiledSlo[],
  options: EvaluateOptions = {},
): SloResult[] {
  return compiled.map((check) =>
    options.loadOnly && check.source === 'collectors'
      ? {
          name: check.name,
          objective: check.objective,
          observed: null,
          pass: true,
          reason: LOAD_ONLY_NOT_JUDGED,
        }
      : check.evaluate(summary),
  );
}

function expressionCheck(path: string, expression: string): CompiledSlo {
  let parsed: ReturnType<typeof parseSloExpression>;
  try {
    parsed = parseSloExpression(expression);
  } catch (err) {
    if (err instanceof SloExpressionError) throw new SloCompileError(path, err.message);
    throw err;
  }
  return targetCheck(path, parsed, parsed.op, parsed.value);
}

function targetCheck(
  path: string,
  target: Target,
  op: Comparison,
  value: number,
  name?: string,
): CompiledSlo {
  const checkName = name ?? target.subject;
  const objective = `${op} ${value}${target.timed ? ' ms' : ''}`;
  return {
    name: checkName,
    objective,
    path,
    source: target.source,
    evaluate: (summary) => {
      const observed = target.select(summary);
      if (typeof observed === 'string') {
        return { name: checkName, objective, observed: null, pass: false, reason: observed };
      }
      return { name: checkName, objective, observed, pass: compare(observed, op, value) };
    },
  };
}

function driftCheck(
  gauge: string,
  options: {
    confidence: number;
    minSlopePerMin: number;
    minRelativeSlopePerMin: number;
    minGrowth?: number;
    minWindowS?: number;
    required: boolean;
  },
): CompiledSlo {
  const name = `${gauge} drift`;
  const unit = metricEntry(parseGaugeKey(gauge)?.gauge ?? gauge)?.unit;
  const pct = Number((options.minRelativeSlopePerMin * 100).toPrecision(6));
  // "/min" off the per-minute text gives the amount in the same units.
  const total = options.minGrowth
    ? `, ${formatPerMinute(options.minGrowth, unit).replace(/\/min$/, '')} over the window`
    : '';
  const objective =
    `slope/min not above 0 at ${options.confidence * 100}% confidence, ` +
    `or below max(${formatPerMinute(options.minSlopePerMin, unit)}, ${pct}% of mean${total})` +
    (options.minWindowS ? `; judged on a steady window of ${options.minWindowS} s or more` : '');
  return {
    name,
    objective,
    path: `slos.drift.gauges.${gauge}`,
    source: metricSource(gauge),
    evaluate: (summary) => {
      const g = summary.gauges[gauge] ?? summary.gaugesByTag?.[gauge];
      if (g === undefined || g.samples === 0) {
        if (options.required) return { name, objective, observed: null, pass: false, reason: NO_SAMPLES };
        return { name, objective, observed: null, pass: true, reason: 'not judged: no samples in the run' };
      }
      // A run too short for the windows a trend needs is not a failure of the system: say so.
      if (g.trend === null) {
        return {
          name,
          objective,
          observed: null,
          pass: true,
          reason: `not judged: the steady window holds fewer than the ${DRIFT_MIN_WINDOWS} windows a trend needs`,
        };
      }
      const v = driftVerdict(g.trend, g.mean, options);
      if (!v.judged) {
        const spanS = g.trend.windows * g.trend.windowS;
        return {
          name,
          objective,
          observed: null,
          pass: true,
          reason: `not judged: the steady window (${Math.round(spanS)} s) is shorter than the ${options.minWindowS ?? 0} s this gauge needs for a trend`,
        };
      }
      const reason =
        `lower bound ${formatPerMinute(v.lowerBoundPerMin, unit)}, ` +
        `threshold ${formatPerMinute(v.thresholdPerMin, unit)} over ${g.trend.windows} windows of ${significant(g.trend.windowS)} s`;
      return { name, objective, observed: v.slopePerMin, pass: v.pass, reason };
    },
  };
}
