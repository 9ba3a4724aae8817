// The SLO expression language, one comparison per check:
//   p99(e2e.latency) < 1000ms     a latency metric: p50 p90 p99 p999 min mean max (ms) or count
//   max(db.connections) <= 10     a gauge: min mean max last slopePerMin
//   p99(custom.checkout) < 200ms  a scenario's own metric (custom.<name>), histogram or gauge by stat
//   counts.dropped_iterations == 0, integrity.lost <= 0, errorRate <= 0.001
// Parsing resolves every name against the catalogue, so a typo fails before the run starts.
import {
  isCustomMetricName,
  isGauge,
  isLatencyMetric,
  METRIC,
  metricEntry,
  metricsOfKind,
} from '../record/metricCatalog.ts';
import { COUNT_KEYS, INTEGRITY_KEYS, type RunSummary } from './runSummary.ts';

export type Comparison = '<' | '<=' | '>' | '>=' | '==';

export interface SloResult {
  name: string;
  objective: string;
  observed: number | null;
  pass: boolean;
  /** Why observed is null, or what decided a drift check. */
  reason?: string;
}

/** Reads the observed value from a summary; a string is the reason there is none. */
export type Selector = (summary: RunSummary) => number | string;

/**
 * Where a check's data comes from: the load (engine, scenario metrics) every segment records, or
 * the collectors and integrity check only segment 0 runs, so a load-only segment cannot judge it.
 */
export type SloSource = 'load' | 'collectors';

export interface ParsedExpression {
  /** e.g. `e2e.latency p99`. */
  subject: string;
  select: Selector;
  source: SloSource;
  op: Comparison;
  value: number;
  unit: '' | 'ms';
  /** Whether the value is a time in ms (as Target). */
  timed: boolean;
}

/** An expression that cannot be compiled; the message is one line. */
export class SloExpressionError extends Error {
  override readonly name = 'SloExpressionError';
}

const LATENCY_STATS = ['p50', 'p90', 'p99', 'p999', 'min', 'mean', 'max', 'count'] as const;
const GAUGE_STATS = ['min', 'mean', 'max', 'last', 'slopePerMin'] as const;
const EXPRESSION =
  /^\s*([A-Za-z_][\w.]*(?:\([^()]*\))?)\s*(<=|>=|==|<|>)\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)\s*(ms|s)?\s*$/;

export const NO_SAMPLES = 'no samples';

export function parseSloExpression(text: string): ParsedExpression {
  const match = EXPRESSION.exec(text);
  if (!match) {
    throw new SloExpressionError(
      `"${text}" is not an SLO expression (e.g. "p99(${METRIC.e2eLatency}) < 1000ms", "integrity.lost == 0")`,
    );
  }
  const [, ref = '', op = '<', number = '0', unit] = match;
  const raw = Number(number);
  const value = unit === 's' ? raw * 1000 : raw;
  const target = resolve(ref, text);
  if (unit !== undefined && !target.timed) {
    throw new SloExpressionError(`"${text}": ${target.subject} is not a time, drop the unit "${unit}"`);
  }
  return {
    subject: target.subject,
    select: target.select,
    source: target.source,
    op: op as Comparison,
    value,
    unit: target.timed ? 'ms' : '',
    timed: target.timed,
  };
}

export function compare(observed: number, op: Comparison, value: number): boolean {
  switch (op) {
    case '<':
      return observed < value;
    case '<=':
      return observed <= value;
    case '>':
      return observed > value;
    case '>=':
      return observed >= value;
    case '==':
      return observed === value;
  }
}

export interface Target {
  subject: string;
  select: Selector;
  timed: boolean;
  source: SloSource;
}

/** Scenario metrics and the engine's own are load; every other catalogued metric is a collector's. */
export function metricSource(name: string): SloSource {
  if (isCustomMetricName(name)) return 'load';
  return metricEntry(name)?.producer.startsWith('engine/') ? 'load' : 'collectors';
}

// The integrity checker's maxima come with the integrity event, which segment 0 writes.
const COUNT_SOURCE: Record<CountKey, SloSource> = {
  http_reqs: 'load',
  errors: 'load',
  dropped_iterations: 'load',
  deliveries_per_event_max: 'collectors',
  dlq_attempts_max: 'collectors',
};

export type LatencyStat = (typeof LATENCY_STATS)[number];
export type GaugeStat = (typeof GAUGE_STATS)[number];
export type CountKey = (typeof COUNT_KEYS)[number];
export type IntegrityKey = (typeof INTEGRITY_KEYS)[number];

// Typed selectors: the SLO defaults are built from these directly; expressions resolve to them.

export function latencyTarget(name: string, stat: LatencyStat): Target {
  return {
    subject: `${name} ${stat}`,
    timed: stat !== 'count',
    source: metricSource(name),
    select: (s) => {
      const m = s.metrics[name];
      return m === undefined || m.count === 0 ? NO_SAMPLES : m[stat];
    },
  };
}

export function gaugeTarget(name: string, stat: GaugeStat): Target {
  return {
    subject: `${name} ${stat}`,
    timed: false,
    source: metricSource(name),
    select: (s) => {
      const g = s.gauges[name];
      if (g === undefined || g.samples === 0) return NO_SAMPLES;
      return g[stat] ?? 'too few samples for a trend';
    },
  };
}

export const errorRateTarget: Target = {
  subject: 'error rate',
  timed: false,
  source: 'load',
  select: (s) => {
    const { http_reqs: requests, errors } = s.counts;
    if (requests === null || errors === null || requests === 0) return NO_SAMPLES;
    return errors / requests;
  },
};

export function countTarget(key: CountKey): Target {
  return {
    subject: key,
    timed: false,
    source: COUNT_SOURCE[key],
    select: (s) => s.counts[key] ?? 'not recorded in this run',
  };
}

export function integrityTarget(key: IntegrityKey): Target {
  return {
    subject: `integrity.${key}`,
    timed: false,
    source: 'collectors',
    select: (s) => (s.integrity === null ? 'no integrity check (run interrupted?)' : s.integrity[key]),
  };
}

const isOneOf = <T extends string>(list: readonly T[], value: string): value is T =>
  (list as readonly string[]).includes(value);

function resolve(ref: string, text: string): Target {
  const call = /^(\w+)\(\s*([\w.]+)\s*\)$/.exec(ref);
  if (call) {
    const [, stat = '', name = ''] = call;
    const custom = isCustomMetricName(name);
    // A custom metric is a histogram or a gauge, as the scenario recorded it: the stat says which.
    if (isLatencyMetric(name) || (custom && isOneOf(LATENCY_STATS, stat))) {
      if (!isOneOf(LATENCY_STATS, stat)) {
        throw new SloExpressionError(
          `"${text}": ${stat}() does not apply to latency metric ${name} (use ${LATENCY_STATS.join(', ')})`,
        );
      }
      return latencyTarget(name, stat);
    }
    if (isGauge(name) || (custom && isOneOf(GAUGE_STATS, stat))) {
      if (!isOneOf(GAUGE_STATS, stat)) {
        throw new SloExpressionError(
          `"${text}": ${stat}() does not apply to gauge ${name} (use ${GAUGE_STATS.join(', ')})`,
        );
      }
      return gaugeTarget(name, stat);
    }
    throw new SloExpressionError(
      `"${text}": unknown metric or gauge "${name}" (metrics: ${metricsOfKind('latency').join(', ')}; gauges: ${metricsOfKind('gauge').join(', ')})`,
    );
  }
  if (ref === 'errorRate') return errorRateTarget;
  const [group, key = '', ...rest] = ref.split('.');
  if (group === 'counts' && rest.length === 0 && isOneOf(COUNT_KEYS, key)) return countTarget(key);
  if (group === 'integrity' && rest.length === 0 && isOneOf(INTEGRITY_KEYS, key)) return integrityTarget(key);
  throw new SloExpressionError(
    `"${text}": unknown value "${ref}" (use stat(metric), errorRate, counts.{${COUNT_KEYS.join(',')}} or integrity.{${INTEGRITY_KEYS.join(',')}})`,
  );
}
