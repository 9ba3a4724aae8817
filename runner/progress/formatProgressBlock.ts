// The status block redrawn on a terminal: one line per concern, labels in one column.
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

const BAR_WIDTH = 30;
const LABEL_WIDTH = 11;

export function formatProgressBlock(tick: ProgressTick): string[] {
  const pct = percentDone(tick.elapsedMs, tick.totalMs);
  const filled = Math.round((pct / 100) * BAR_WIDTH);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
  const { generator } = tick;
  const health = `event loop p99 ${formatMs(generator.eventLoopDelayP99Ms)}   cpu ${formatShare(generator.cpu)}`;
  const machine = formatMachine(generator);
  const lines: [string, string][] = [
    [
      'time',
      `${formatElapsed(tick.elapsedMs)} / ${formatElapsed(tick.totalMs)}  ${bar} ${pct}%  ${tick.scenario}: ${tick.phase}`,
    ],
    [
      'rate',
      `target ${formatRate(tick.targetRate)}   achieved ${formatRate(tick.achievedRate)} (${tick.rateWindow})   ` +
        `dropped ${formatCount(tick.dropped)}`,
    ],
    ['errors', formatErrors(tick.errors, '   ')],
    ['latency', `gateway p99 ${formatMs(tick.gatewayP99Ms)}   e2e p99 ${formatMs(tick.e2eP99Ms)}`],
    [
      'backlog',
      `outbox pending ${formatCount(tick.outboxPending)}   consumer pending ${formatCount(tick.consumerPending)}   ` +
        `DLQ depth ${formatCount(tick.dlqDepth)}`,
    ],
    ['SLOs', tick.failingSlos.length ? `failing now: ${tick.failingSlos.join(', ')}` : 'all passing so far'],
    ['generator', `${generator.saturated ? 'SATURATED' : 'ok'}   ${health}${machine ? `   ${machine}` : ''}`],
  ];
  if (generator.saturated) {
    // Why, in the engine's words, and whether the harness's own work or the machine is to blame.
    lines.push(['', `flagged on ${generator.saturationRule ?? 'the engine’s saturation rule'}`]);
    lines.push([
      '',
      busyMachine(tick)
        ? 'cause: other processes, not harness work; latencies include the delay'
        : "latencies include the harness's own delay",
    ]);
  }
  if (tick.faults !== undefined) {
    lines.push(['faults', tick.faults.length ? `active: ${tick.faults.join(', ')}` : 'none active']);
  }
  return lines.map(([label, text]) => `${label.padEnd(LABEL_WIDTH)}${text}`);
}

/** Low harness CPU with the machine's run queue over its cores: the delay is not the harness's work. */
export function busyMachine({ generator: g }: ProgressTick): boolean {
  return g.loadAverage !== undefined && g.cores !== undefined && g.loadAverage > g.cores && g.cpu < 0.5;
}
