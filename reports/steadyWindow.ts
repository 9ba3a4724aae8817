// The one rule for what of a run folder is set-up, warm-up, steady window and run, used by every
// reader of it: the summary and the SLOs, the stage buckets, the HTML timeline and fault recovery.
// - The run starts at run.start's t (without run.start: at the series' first record) and ends at
//   run.end's t (without run.end: at the latest t of the series).
// - The steady window starts warmUpMs after the run start. Without run.start there is no warm-up
//   (the report notes it): the window starts with the run.
// - The load window is the steady window cut at the load's end: load.end's t (the instant the
//   engine's schedule ended, written by the runner before the drain). Gauges are judged over it
//   (the drift SLOs, the gauge statistics): the drain after the load empties the backlogs, and a
//   fit that includes it hides a backlog that grew all through the load. Latencies, counters and
//   the integrity counts keep the whole steady window, so events completing in the drain count.
//   Without load.end (folders written before it existed, a process killed mid-load) the load
//   window is the whole steady window.
// - A gauge point is an instant: in a window when its t is at or after the window's start, and in
//   the load window when also before the load's end.
// - An hlog interval covers [start, start + length) and belongs where it starts: one that starts
//   before the steady window is warm-up, one that starts before the run is set-up. Both sides in
//   whole ms, as the log writes them: an interval the writer started at the window's very instant
//   belongs to it, and a log re-based by `pipesoak merge` decides the same.
// - A counter line is stamped at the end of the interval it counts: in a window when its t is
//   after the window's start, so a line stamped at the warm-up's end counted only warm-up.
// The series is read before the hlogs, so the hlog folds see the whole window; series folds see
// the steady start as soon as run.start has gone by (points before it are set-up).
import type { LoadEndWire, RunEndWire, RunStartWire } from '../record/runEvents.ts';

export class SteadyWindow {
  private start: RunStartWire | undefined;
  private end: RunEndWire | undefined;
  private loadEnd: LoadEndWire | undefined;
  private firstT: number | undefined;
  private lastT = 0;

  /** Every series record passes here, in file order. */
  observe(t: number): void {
    this.firstT ??= t;
    if (t > this.lastT) this.lastT = t;
  }

  runStarted(start: RunStartWire): void {
    this.start = start;
  }

  runEnded(end: RunEndWire): void {
    this.end = end;
  }

  /**
   * A merged folder holds one load.end per segment, ending within moments of each other (one
   * --start-at, one schedule): the first read ends the load, as the folds already cut there.
   */
  loadEnded(end: LoadEndWire): void {
    this.loadEnd ??= end;
  }

  get hasRunStart(): boolean {
    return this.start !== undefined;
  }

  get warmUpMs(): number {
    return this.start?.warmUpMs ?? 0;
  }

  /** Final once run.start is read; until then the series' first record (-Infinity before any). */
  get steadyStartMs(): number {
    if (this.start !== undefined) return this.start.t + this.start.warmUpMs;
    return this.firstT ?? Number.NEGATIVE_INFINITY;
  }

  /** Final once the series is read. May hold a fraction of a ms (the engine's start instant). */
  get runStartMs(): number {
    return this.start?.t ?? this.firstT ?? 0;
  }

  /** Final once the series is read. */
  get runEndMs(): number {
    return this.end?.t ?? this.lastT;
  }

  /**
   * The load's end: load.end's t; +Infinity without one (the gauges then keep every point from the
   * steady start, as before load.end existed). While the series is read, +Infinity until load.end
   * has gone by: the runner writes it after the engine's last series line and before the drain's.
   */
  get loadEndMs(): number {
    return this.loadEnd?.t ?? Number.POSITIVE_INFINITY;
  }

  get durationS(): number {
    return Math.max(0, (this.runEndMs - this.runStartMs) / 1000);
  }
}

/** An hlog interval's start in whole ms, as the log line writes it. */
export function intervalStartMs(startS: number): number {
  return Math.round(startS * 1000);
}

/** Whether a gauge point at `t` lies in the window that starts at `fromMs`. */
export function pointIn(t: number, fromMs: number): boolean {
  return t >= fromMs;
}

/** Whether a gauge point at `t` lies in the load window: from `fromMs` to before `loadEndMs`. */
export function pointInLoad(t: number, fromMs: number, loadEndMs: number): boolean {
  return t >= fromMs && t < loadEndMs;
}

/** Whether an hlog interval starting at `startS` (seconds) belongs to the window that starts at `fromMs`. */
export function intervalIn(startS: number, fromMs: number): boolean {
  return intervalStartMs(startS) >= Math.round(fromMs);
}

/** Whether a counter line stamped `t` counts time inside the window that starts at `fromMs`. */
export function counterLineIn(t: number, fromMs: number): boolean {
  return t > fromMs;
}
