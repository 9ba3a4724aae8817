// Live progress of a run, fed by ticks only. On a terminal a status block is redrawn in place
// (log-update) every second; elsewhere (CI logs, pipes) one plain line every 10 s, so logs stay
// short. Both are paced by the ticks' elapsed time, not a timer, so they never outrun the run.
import { createLogUpdate } from 'log-update';
import { formatProgressBlock } from './formatProgressBlock.ts';
import { formatProgressLine } from './formatProgressLine.ts';
import type { ProgressTick } from './progressTick.ts';

export const PROGRESS_DEFAULTS = { ttyIntervalMs: 1000, plainIntervalMs: 10_000 } as const;

export interface ProgressOptions {
  stream: NodeJS.WritableStream;
  /** Redraw in place (a terminal) or print plain lines. */
  isTTY: boolean;
  /** Elapsed time between outputs; defaults to 1 s on a terminal and 10 s otherwise. */
  intervalMs?: number;
}

export interface Progress {
  tick(tick: ProgressTick): void;
  /** Shows the latest tick if it was not shown, leaves it on screen, then prints `finalLine`. */
  done(finalLine?: string): void;
}

export function createProgress({ stream, isTTY, intervalMs }: ProgressOptions): Progress {
  const interval =
    intervalMs ?? (isTTY ? PROGRESS_DEFAULTS.ttyIntervalMs : PROGRESS_DEFAULTS.plainIntervalMs);
  if (!(interval > 0)) throw new Error(`progress intervalMs must be greater than 0 (got ${intervalMs})`);
  const redraw = isTTY ? createLogUpdate(sizedOrUnknown(stream)) : undefined;
  const show = (tick: ProgressTick) => {
    if (redraw) redraw(formatProgressBlock(tick).join('\n'));
    else stream.write(`${formatProgressLine(tick)}\n`);
  };

  // A terminal shows the first tick at once; CI's first line comes at the first 10 s mark.
  let shownPeriod = isTTY ? -1 : 0;
  let shownPhase: ProgressTick['phase'] | undefined;
  let latest: ProgressTick | undefined;
  let latestShown = true;
  let finished = false;
  return {
    tick(tick) {
      if (finished) return;
      latest = tick;
      const period = Math.floor(tick.elapsedMs / interval);
      // A phase change (drain, stopping) is news at once, whatever the interval.
      const phaseChanged = shownPhase !== undefined && tick.phase !== shownPhase;
      if (period > shownPeriod || phaseChanged) {
        shownPeriod = Math.max(shownPeriod, period);
        shownPhase = tick.phase;
        show(tick);
        latestShown = true;
      } else {
        shownPhase ??= tick.phase;
        latestShown = false;
      }
    },
    done(finalLine) {
      if (finished) return;
      finished = true;
      if (latest && !latestShown && (redraw || finalLine === undefined)) show(latest);
      redraw?.done();
      if (finalLine !== undefined) stream.write(`${finalLine}\n`);
    },
  };
}

/**
 * A pty whose size was never set (`script` under a pipe, some CI runners) reports 0 rows and 0
 * columns, and log-update then draws nothing at all. Zero means unknown: let log-update use its
 * defaults (80 x 24) instead.
 */
function sizedOrUnknown(stream: NodeJS.WritableStream): NodeJS.WriteStream {
  const tty = stream as NodeJS.WritableStream & { rows?: number; columns?: number };
  return {
    isTTY: true,
    get rows() {
      return tty.rows || undefined;
    },
    get columns() {
      return tty.columns || undefined;
    },
    write: (chunk: string) => stream.write(chunk),
  } as unknown as NodeJS.WriteStream;
}
