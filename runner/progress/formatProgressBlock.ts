// The status block redrawn on a terminal: one line per concern, labels in one column.
import type { ProgressTick } from './progressTick.ts';
import {
  formatCount,
  formatElapsed,
  formatMs,
  formatRate,
  formatShare,
  percentDone,
} from './progressUnits.ts';

const BAR_WIDTH = 30;
const LABEL_WIDTH = 11;

export function formatProgressBlock(tick: ProgressTick): string[] {
  const pct = percentDone(tick.elapsedMs, tick.totalMs);
  const filled = Math.round((pct / 100) * BAR_WIDTH);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
  const { generator } = tick;
  const lines: [string, string][] = [
    [
      'time',
      `${formatElapsed(tick.elapsedMs)} / ${formatElapsed(tick.totalMs)}  ${bar} ${pct}%  ${tick.phase}`,
    ],
    [
      'rate',
      `target ${formatRate(tick.targetRate)}   achieved ${formatRate(tick.achievedRate)}   ` +
        `dropped ${formatCount(tick.dropped)}   errors ${formatCount(tick.errors)}`,
    ],
    ['latency', `gateway p99 ${formatMs(tick.gatewayP99Ms)}   e2e p99 ${formatMs(tick.e2eP99Ms)}`],
    [
      'backlog',
      `outbox pending ${formatCount(tick.outboxPending)}   consumer pending ${formatCount(tick.consumerPending)}   ` +
        `DLQ depth ${formatCount(tick.dlqDepth)}`,
    ],
    ['SLOs', tick.failingSlos.length ? `failing now: ${tick.failingSlos.join(', ')}` : 'all passing so far'],
    [
      'generator',
      `${generator.saturated ? 'SATURATED (numbers describe the harness, not the target)' : 'ok'}   ` +
        `event loop p99 ${formatMs(generator.eventLoopDelayP99Ms)}   cpu ${formatShare(generator.cpu)}`,
    ],
  ];
  if (tick.faults !== undefined) {
    lines.push(['faults', tick.faults.length ? `active: ${tick.faults.join(', ')}` : 'none active']);
  }
  return lines.map(([label, text]) => `${label.padEnd(LABEL_WIDTH)}${text}`);
}
