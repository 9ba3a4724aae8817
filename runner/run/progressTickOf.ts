// Assembles what live progress shows once a second from the engine's tick and the collectors'
// latest samples, with the SLOs that fail on the data so far (a cheap subset: latency p99s,
// dropped iterations, queue depth; the report judges them all at the end).
import type { CollectorSet } from '../../collectors/collectorSet.ts';
import type { EngineTick } from '../../engine/runEngine.ts';
import { METRIC } from '../../record/metricCatalog.ts';
import type { SloConfig } from '../../record/sloConfig.ts';
import type { ProgressTick, RunPhase } from '../progress/progressTick.ts';

type Live = Pick<CollectorSet, 'latestGauges' | 'summaries'>;

function gaugeSum(live: Live, name: string): number | undefined {
  const series = live.latestGauges().filter((g) => g.name === name);
  return series.length === 0 ? undefined : series.reduce((sum, g) => sum + g.value, 0);
}

export function progressTickOf(
  tick: EngineTick,
  live: Live,
  o: { slos: SloConfig; warmUpMs: number; stopping: boolean; faults?: string[] },
): ProgressTick {
  const phase: RunPhase = o.stopping ? 'stopping' : tick.elapsedMs < o.warmUpMs ? 'warm-up' : 'steady';
  const gatewayP99Ms = tick.latency[METRIC.gatewayLatency]?.p99;
  const e2e = live.summaries()[METRIC.e2eLatency];
  const e2eP99Ms = e2e !== undefined && e2e.count > 0 ? e2e.p99 : undefined;
  const consumerPending = gaugeSum(live, METRIC.consumerPending);
  const failingSlos: string[] = [];
  const latencyObjective = (name: typeof METRIC.gatewayLatency | typeof METRIC.e2eLatency) => {
    const objective = o.slos[name];
    return objective === false ? undefined : objective.p99;
  };
  const gatewayObjective = latencyObjective(METRIC.gatewayLatency);
  if (gatewayObjective !== undefined && gatewayP99Ms !== undefined && gatewayP99Ms >= gatewayObjective)
    failingSlos.push(`${METRIC.gatewayLatency} p99 < ${gatewayObjective} ms`);
  const e2eObjective = latencyObjective(METRIC.e2eLatency);
  if (e2eObjective !== undefined && e2eP99Ms !== undefined && e2eP99Ms >= e2eObjective)
    failingSlos.push(`${METRIC.e2eLatency} p99 < ${e2eObjective} ms`);
  if (o.slos.droppedIterations !== false && tick.dropped > o.slos.droppedIterations)
    failingSlos.push(`dropped iterations <= ${o.slos.droppedIterations}`);
  if (
    o.slos.consumerPending !== false &&
    consumerPending !== undefined &&
    consumerPending > o.slos.consumerPending
  )
    failingSlos.push(`consumer pending <= ${o.slos.consumerPending}`);
  const t: ProgressTick = {
    elapsedMs: tick.elapsedMs,
    totalMs: tick.totalMs,
    phase,
    targetRate: tick.targetRate,
    achievedRate: tick.achievedRate,
    dropped: tick.dropped,
    errors: tick.errors,
    failingSlos,
    generator: { eventLoopDelayP99Ms: tick.eventLoopDelayP99Ms, cpu: tick.cpu, saturated: tick.saturated },
  };
  if (o.faults !== undefined) t.faults = o.faults;
  if (gatewayP99Ms !== undefined) t.gatewayP99Ms = gatewayP99Ms;
  if (e2eP99Ms !== undefined) t.e2eP99Ms = e2eP99Ms;
  const outboxPending = gaugeSum(live, METRIC.outboxPending);
  if (outboxPending !== undefined) t.outboxPending = outboxPending;
  if (consumerPending !== undefined) t.consumerPending = consumerPending;
  const dlqDepth = gaugeSum(live, METRIC.dlqDepth);
  if (dlqDepth !== undefined) t.dlqDepth = dlqDepth;
  return t;
}
