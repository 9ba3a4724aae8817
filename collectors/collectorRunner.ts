// Runs collectors beside the load on one interval. A collector that fails (at start or while sampling)
// opens a gap: recorded once, retried with exponential backoff, closed on the first success.
// Nothing a collector does stops the run.

import type { Recorder } from '../record/recorder.ts';
import { writeCollectorGapEnd, writeCollectorGapStart } from '../record/runEvents.ts';
import type { Collector } from './collector.ts';

export interface CollectorRunnerOptions {
  intervalMs?: number;
  /** First retry delay after a failure; doubles per consecutive failure up to `maxBackoffMs`. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** A start or sample running longer than this counts as failed (a gap opens); default 30 s. */
  attemptTimeoutMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

export interface CollectorStats {
  name: string;
  started: boolean;
  samples: number;
  failures: number;
  /** Ticks skipped because this collector's previous start/sample was still running. */
  skippedTicks: number;
  inGap: boolean;
}

interface Slot {
  collector: Collector;
  started: boolean;
  busy: Promise<void> | undefined;
  /** Epoch ms the first failing attempt of the current gap began; undefined when healthy. */
  gapSince: number | undefined;
  backoffMs: number;
  nextAttemptAt: number;
  samples: number;
  failures: number;
  skippedTicks: number;
}

export const COLLECTOR_DEFAULTS = {
  intervalMs: 1000,
  initialBackoffMs: 250,
  maxBackoffMs: 5000,
  attemptTimeoutMs: 30_000,
};

export class CollectorRunner {
  private readonly slots: Slot[];
  private readonly intervalMs: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly attemptTimeoutMs: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(
    collectors: Collector[],
    private readonly recorder: Recorder,
    options: CollectorRunnerOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? COLLECTOR_DEFAULTS.intervalMs;
    this.initialBackoffMs = options.initialBackoffMs ?? COLLECTOR_DEFAULTS.initialBackoffMs;
    this.maxBackoffMs = options.maxBackoffMs ?? COLLECTOR_DEFAULTS.maxBackoffMs;
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? COLLECTOR_DEFAULTS.attemptTimeoutMs;
    this.now = options.now ?? Date.now;
    this.slots = collectors.map((collector) => ({
      collector,
      started: false,
      busy: undefined,
      gapSince: undefined,
      backoffMs: 0,
      nextAttemptAt: 0,
      samples: 0,
      failures: 0,
      skippedTicks: 0,
    }));
  }

  /** Starts every collector (failures become gaps, not errors) and begins sampling. */
  async start(): Promise<void> {
    if (this.timer) return;
    this.stopping = false;
    this.tick();
    // Give first samples a chance to land before the load starts, but never hang on a collector.
    let wait: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.slots.map((s) => s.busy)),
      new Promise((resolve) => {
        wait = setTimeout(resolve, this.intervalMs);
      }),
    ]);
    clearTimeout(wait);
    this.timer = setInterval(() => this.tick(), this.intervalMs);
  }

  /** Stops the interval, waits for in-flight work and stops every collector. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    // In-flight work gets its usual time; a hung one must not hold the end of the run.
    let wait: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.slots.map((s) => s.busy)),
      new Promise((resolve) => {
        wait = setTimeout(resolve, this.attemptTimeoutMs);
      }),
    ]);
    clearTimeout(wait);
    await Promise.all(
      this.slots.map(async (s) => {
        try {
          await s.collector.stop();
        } catch {
          // stop() is best effort: the run is ending anyway.
        }
      }),
    );
  }

  stats(): CollectorStats[] {
    return this.slots.map((s) => ({
      name: s.collector.name,
      started: s.started,
      samples: s.samples,
      failures: s.failures,
      skippedTicks: s.skippedTicks,
      inGap: s.gapSince !== undefined,
    }));
  }

  private tick(): void {
    if (this.stopping) return;
    const now = this.now();
    for (const slot of this.slots) {
      if (slot.busy) {
        slot.skippedTicks += 1;
        continue;
      }
      if (now < slot.nextAttemptAt) continue;
      slot.busy = this.attempt(slot, now).finally(() => {
        slot.busy = undefined;
      });
    }
  }

  private async attempt(slot: Slot, startedAt: number): Promise<void> {
    const { collector } = slot;
    const op = (async () => {
      if (!slot.started) {
        await collector.start(this.recorder);
        slot.started = true;
      }
      await collector.sample();
    })();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<Error>((resolve) => {
      timer = setTimeout(
        () =>
          resolve(
            new Error(`${slot.started ? 'sample' : 'start'} still running after ${this.attemptTimeoutMs} ms`),
          ),
        this.attemptTimeoutMs,
      );
    });
    const failure = await Promise.race([
      op.then(
        () => undefined,
        (err: unknown) => err ?? new Error('failed'),
      ),
      timedOut,
    ]);
    clearTimeout(timer);
    if (failure !== undefined) {
      this.onFailure(slot, startedAt, failure);
      // A hung attempt still blocks the next one (no overlap); its late result is ignored.
      await op.catch(() => undefined);
      if (!slot.started) {
        // A half-started collector releases what it holds before the next start.
        await Promise.resolve()
          .then(() => collector.stop())
          .catch(() => undefined);
      }
      return;
    }
    slot.samples += 1;
    if (slot.gapSince !== undefined) {
      const at = this.now();
      const gapMs = at - slot.gapSince;
      this.safely(() => writeCollectorGapEnd(this.recorder, { collector: collector.name, gapMs }, at));
      slot.gapSince = undefined;
    }
    slot.backoffMs = 0;
    slot.nextAttemptAt = 0;
  }

  private onFailure(slot: Slot, startedAt: number, err: unknown): void {
    slot.failures += 1;
    if (slot.gapSince === undefined) {
      slot.gapSince = startedAt;
      const error = err instanceof Error ? err.message : String(err);
      this.safely(() =>
        writeCollectorGapStart(this.recorder, { collector: slot.collector.name, error }, startedAt),
      );
    }
    slot.backoffMs =
      slot.backoffMs === 0 ? this.initialBackoffMs : Math.min(slot.backoffMs * 2, this.maxBackoffMs);
    slot.nextAttemptAt = this.now() + slot.backoffMs;
  }

  private safely(write: () => void): void {
    try {
      write();
    } catch {
      // A failing store must not stop sampling; the runner has nowhere better to report it.
    }
  }
}
