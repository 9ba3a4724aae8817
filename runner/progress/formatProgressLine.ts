// The one line CI logs get every 10 s: the status block's facts, comma-separated.
import { busyMachine } from './formatProgressBlock.ts';
import type { ProgressTick } from './progressTick.ts';
import {
  formatCount,
  formatElapsed,
  formatErrors,
  formatMachine,
  formatMs,
  formatRate,
  formatShare,
  percentDone,
} from './progressUnits.ts';

export function formatProgressLine(tick: ProgressTick): string {
  const { generator } = tick;
  const machine = formatMachine(generator);
  const why = [
    `event loop p99 ${formatMs(generator.eventLoopDelayP99Ms)}`,
    `cpu ${formatShare(generator.cpu)}`,
    ...(machine ? [machine] : []),
    ...(generator.saturated && generator.saturationRule ? [`flagged on ${generator.saturationRule}`] : []),
    ...(generator.saturated && busyMachine(tick) ? ['cause: other processes, not harness work'] : []),
  ];
  const parts = [
    `achieved ${formatRate(tick.achievedRate)} of ${formatRate(tick.targetRate)} (${tick.rateWindow})`,
    `dropped ${formatCount(tick.dropped)}`,
    `errors: ${formatErrors(tick.errors, ', ')}`,
    `gateway p99 ${formatMs(tick.gatewayP99Ms)}`,
    `e2e p99 ${formatMs(tick.e2eP99Ms)}`,
    `outbox pending ${formatCount(tick.outboxPending)}`,
    `consumer pending ${formatCount(tick.consumerPending)}`,
    `DLQ depth ${formatCount(tick.dlqDepth)}`,
    `failing SLOs ${tick.failingSlos.length ? tick.failingSlos.join(' ') : 'none'}`,
    `generator ${generator.saturated ? 'SATURATED' : 'ok'} (${why.join(', ')})`,
  ];
  if (tick.faults !== undefined) parts.push(`faults ${tick.faults.length ? tick.faults.join(' ') : 'none'}`);
  const time = `${formatElapsed(tick.elapsedMs)}/${formatElapsed(tick.totalMs)} ${percentDone(tick.elapsedMs, tick.totalMs)}%`;
  return `[${time}] ${tick.scenario}, ${tick.phase}: ${parts.join(', ')}`;
}
