// Assembles what live progress shows once a second from the engine's ticks (and the counters it
// writes just before each), and the collectors' latest samples, with the SLOs that fail on the data
// so far (a cheap subset: latency p99s, dropped iterations, queue depth; the report judges them all).
//
// Rates: the engine's tick rate is the iterations its workers reported since the last tick, over
// that tick's span. Worker reports are not aligned with ticks, so one tick may hold two reports
// (~90/s at 50/s) and the next none, and the final tick, ~0.1 s after the one before, holds up to a
// second's worth (386/s). So both rates here are averaged over the last RATE_WINDOW_MS of ticks
// while the schedule runs, and over the whole schedule once it has ended.
import { availableParallelism, loadavg } from 'node:os';
import type { CollectorSet } from '../../collectors/collectorSet.ts';
import {
  SATURATED_FOR_S,
  SATURATED_LOOP_DELAY_P99_MS,
  SATURATED_LOOP_UTILIZATION,
} from '../../engine/engineDefaults.ts';
import type { EngineTick } from '../../engine/runEngine.ts';
import { METRIC } from '../../record/metricCatalog.ts';
import type { SloConfig } from '../../record/sloConfig.ts';
import type { ProgressTick, RunPhase } from '../progress/progressTick.ts';

export const PROGRESS_TICK_DEFAULTS = { rateWindowMs: 10_000 } as const;

const SATURATION_RULE =
  `event-loop delay p99 > ${SATURATED_LOOP_DELAY_P99_MS} ms or loop busy >= ` +
  `${SATURATED_LOOP_UTILIZATION * 100}% for ${SATURATED_FOR_S} s`;

type Live = Pick<CollectorSet, 'latestGauges' | 'summaries'>;

export interface ProgressTicks {
  /** The engine's counter deltas (its series), written just before each tick. */
  count(name: string, delta: number): void;
  /** The progress tick for an engine tick; call once per tick, in order. `faults`: the open windows. */
  of(tick: EngineTick, live: Live, stopping: boolean, faults?: string[]): ProgressTick;
}

export interface ProgressTicksOptions {
  scenario: string;
  slos: SloConfig;
  warmUpMs: number;
  rateWindowMs?: number;
  /** The machine's load average and cores; os by default (a seam for tests). */
  machine?: () => { loadAverage: number; cores: number };
}

interface Sample {
  elapsedMs: number;
  /** Iterations started since the start. */
  started: number;
  /** Iterations the schedule asked for since the start (its rate integrated over scheduled time). */
  scheduled: number;
}

function gaugeSum(live: Live, name: string): number | undefined {
  const series = live.latestGauges().filter((g) => g.name === name);
  return series.length === 0 ? undefined : series.reduce((sum, g) => sum + g.value, 0);
}

export function progressTicks(o: ProgressTicksOptions): ProgressTicks {
  const windowMs = o.rateWindowMs ?? PROGRESS_TICK_DEFAULTS.rateWindowMs;
  const machine = o.machine ?? (() => ({ loadAverage: loadavg()[0] ?? 0, cores: availableParallelism() }));
  const counts = new Map<string, number>();
  const samples: Sample[] = [{ elapsedMs: 0, started: 0, scheduled: 0 }];
  let lastTarget = 0;
  let anyTarget = false;

  const record = (tick: EngineTick): Sample => {
    const last = samples[samples.length - 1] as Sample;
    // The engine's achievedRate is started / max(1 ms, span since its last tick): undo it exactly.
    const spanS = Math.max(0.001, (tick.elapsedMs - last.elapsedMs) / 1000);
    const started = last.started + Math.round(tick.achievedRate * spanS);
    // Scheduled time only: the tick after the schedule's end reports rate 0 for a schedule that ran
    // until totalMs, so that tail is counted at the rate before it.
    const from = Math.min(last.elapsedMs, tick.totalMs);
    const to = Math.min(tick.elapsedMs, tick.totalMs);
    const rate = tick.elapsedMs <= tick.totalMs ? tick.targetRate : lastTarget;
    const scheduled = last.scheduled + (rate * Math.max(0, to - from)) / 1000;
    if (tick.elapsedMs <= tick.totalMs) lastTarget = tick.targetRate;
    if (tick.targetRate > 0) anyTarget = true;
    const s = { elapsedMs: tick.elapsedMs, started, scheduled };
    samples.push(s);
    // Keep only what the window can reach back to, plus the origin for the whole-run figures.
    while (samples.length > 2 && (samples[2] as Sample).elapsedMs <= tick.elapsedMs - windowMs)
      samples.splice(1, 1);
    return s;
  };

  const rates = (now: Sample, totalMs: number, final: boolean) => {
    // The final tick holds the workers' last reports, up to a second late: a window would count
    // ~11 s of iterations over 10 s, so it shows the whole run, as once the schedule has ended.
    if ((now.elapsedMs >= totalMs || final) && totalMs > 0) {
      const s = totalMs / 1000;
      return { achieved: now.started / s, target: now.scheduled / s, window: 'whole run' };
    }
    // The newest sample at least a window old, or the origin while the run is younger than that.
    let from = samples[0] as Sample;
    for (const s of samples) if (s.elapsedMs <= now.elapsedMs - windowMs) from = s;
    const s = Math.max(0.001, (now.elapsedMs - from.elapsedMs) / 1000);
    return {
      achieved: (now.started - from.started) / s,
      target: (now.scheduled - from.scheduled) / s,
      window: `last ${Math.round(s)} s`,
    };
  };

  return {
    count(name, delta) {
      counts.set(name, (counts.get(name) ?? 0) + delta);
    },
    of(tick, live, stopping, faults) {
      const now = record(tick);
      const rate = rates(now, tick.totalMs, tick.final);
      const phase: RunPhase = stopping
        ? 'stopping'
        : tick.elapsedMs >= tick.totalMs
          ? 'graceful stop'
          : tick.elapsedMs < o.warmUpMs
            ? 'warm-up'
            : 'measuring';
      const gatewayP99Ms = tick.latency[METRIC.gatewayLatency]?.p99;
      const e2e = live.summaries()[METRIC.e2eLatency];
      const e2eP99Ms = e2e !== undefined && e2e.count > 0 ? e2e.p99 : undefined;
      const consumerPending = gaugeSum(live, METRIC.consumerPending);
      const { loadAverage, cores } = machine();
      const t: ProgressTick = {
        scenario: o.scenario,
        elapsedMs: tick.elapsedMs,
        totalMs: tick.totalMs,
        phase,
        achievedRate: rate.achieved,
        rateWindow: rate.window,
        dropped: tick.dropped,
        errors: {
          failedRequests: counts.get(METRIC.httpErrors) ?? 0,
          requests: counts.get(METRIC.httpRequests) ?? 0,
          failedPublishes: counts.get(METRIC.jetstreamPublishErrors) ?? 0,
          thrown: tick.errors,
        },
        failingSlos: failingSlos(o.slos, { gatewayP99Ms, e2eP99Ms, dropped: tick.dropped, consumerPending }),
        generator: {
          eventLoopDelayP99Ms: tick.eventLoopDelayP99Ms,
          cpu: tick.cpu,
          saturated: tick.saturated,
          loadAverage,
          cores,
          ...(tick.saturated ? { saturationRule: SATURATION_RULE } : {}),
        },
      };
      if (anyTarget) t.targetRate = rate.target;
      if (faults !== undefined) t.faults = faults;
      if (gatewayP99Ms !== undefined) t.gatewayP99Ms = gatewayP99Ms;
      if (e2eP99Ms !== undefined) t.e2eP99Ms = e2eP99Ms;
      const outboxPending = gaugeSum(live, METRIC.outboxPending);
      if (outboxPending !== undefined) t.outboxPending = outboxPending;
      if (consumerPending !== undefined) t.consumerPending = consumerPending;
      const dlqDepth = gaugeSum(live, METRIC.dlqDepth);
      if (dlqDepth !== undefined) t.dlqDepth = dlqDepth;
      return t;
    },
  };
}

function failingSlos(
  slos: SloConfig,
  now: {
    gatewayP99Ms?: number | undefined;
    e2eP99Ms?: number | undefined;
    dropped: number;
    consumerPending?: number | undefined;
  },
): string[] {
  const failing: string[] = [];
  const latencyObjective = (name: typeof METRIC.gatewayLatency | typeof METRIC.e2eLatency) => {
    const objective = slos[name];
    return objective === false ? undefined : objective.p99;
  };
  const gatewayObjective = latencyObjective(METRIC.gatewayLatency);
  if (
    gatewayObjective !== undefined &&
    now.gatewayP99Ms !== undefined &&
    now.gatewayP99Ms >= gatewayObjective
  )
    failing.push(`${METRIC.gatewayLatency} p99 < ${gatewayObjective} ms`);
  const e2eObjective = latencyObjective(METRIC.e2eLatency);
  if (e2eObjective !== undefined && now.e2eP99Ms !== undefined && now.e2eP99Ms >= e2eObjective)
    failing.push(`${METRIC.e2eLatency} p99 < ${e2eObjective} ms`);
  if (slos.droppedIterations !== false && now.dropped > slos.droppedIterations)
    failing.push(`dropped iterations <= ${slos.droppedIterations}`);
  if (
    slos.consumerPending !== false &&
    now.consumerPending !== undefined &&
    now.consumerPending > slos.consumerPending
  )
    failing.push(`consumer pending <= ${slos.consumerPending}`);
  return failing;
}
