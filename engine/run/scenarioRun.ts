// One executor's run inside one worker: starts iterations on VUs, counts them, and ends the run
// (graceful stop, then abort). Nothing is kept per iteration once it has ended.
import { randomFillSync } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { METRIC } from '../../record/metricCatalog.ts';
import type { ClientSeam, Clients, IterationInfo, Tags } from '../clientSeam.ts';
import { nowMs } from '../clock.ts';
import { errorMessageTag } from '../errorFrame.ts';
import type { ExecutorPlan } from '../executors/executorPlan.ts';
import type { Vu, VuPool } from '../vuPool.ts';
import type { WorkerRecorder } from '../workerRecorder.ts';

/** Distinct load.errors messages kept per worker; beyond this they are counted as one, to bound memory. */
const MAX_ERROR_MESSAGES = 200;

export interface RunDeps {
  runId: string;
  seam: ClientSeam;
  clients: Clients;
  recorder: WorkerRecorder;
  target: Record<string, unknown>;
  items: readonly unknown[];
  /** Called with k when the target accepts iteration k. */
  accepted(k: number): void;
  /** Counts started iterations for the achieved rate. */
  started(): void;
  errorMessages: Set<string>;
}

export type IterationFn = (ctx: unknown) => unknown;

// W3C traceparent: 16 random bytes of trace id and 8 of span id. One pooled buffer is filled and
// hex-encoded at once, and each id is a slice of that string (no encode call per id).
const RANDOM = Buffer.alloc(4096);
const HEX_CHARS = RANDOM.length * 2;
let randomHexPool = '';
let randomAt = HEX_CHARS;
function randomHex(bytes: number): string {
  const chars = bytes * 2;
  if (randomAt + chars > HEX_CHARS) {
    randomFillSync(RANDOM);
    randomHexPool = RANDOM.toString('hex');
    randomAt = 0;
  }
  const hex = randomHexPool.slice(randomAt, randomAt + chars);
  randomAt += chars;
  return hex;
}

export function newTraceparent(): string {
  return `00-${randomHex(16)}-${randomHex(8)}-01`;
}

/**
 * One iteration's IterationInfo, as a class so an iteration allocates one object and no closures;
 * the correlation id and traceparent are made on first use (a scenario that sends nothing pays for
 * neither).
 */
class Iteration implements IterationInfo {
  private correlation: string | undefined;
  private trace: string | undefined;

  constructor(
    readonly k: number,
    readonly intendedStartMs: number,
    readonly openModel: boolean,
    readonly signal: AbortSignal,
    private readonly deps: RunDeps,
  ) {}

  get correlationId(): string {
    this.correlation ??= `${this.deps.runId}-${this.k}`;
    return this.correlation;
  }

  get traceparent(): string {
    this.trace ??= newTraceparent();
    return this.trace;
  }

  markAccepted(): void {
    this.deps.accepted(this.k);
  }
}

export class ScenarioRun {
  /** No new iterations once set (duration over, or a stop was asked for). */
  stopping = false;
  private cutOff = false;
  private inFlight = 0;
  private readonly abort = new AbortController();
  private finishing: Promise<void> | undefined;
  private settle: (() => void) | undefined;
  private deadlineMs = Number.POSITIVE_INFINITY;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private stopWaiters: (() => void)[] = [];
  private readonly tags: Tags;
  private cutOnTheirOwn = 0;

  constructor(
    readonly plan: ExecutorPlan,
    private readonly fn: IterationFn,
    private readonly deps: RunDeps,
  ) {
    this.tags = { ...plan.tags, scenario: plan.name };
    // Every running iteration's requests listen on this one signal.
    setMaxListeners(0, this.abort.signal);
  }

  get running(): number {
    return this.inFlight;
  }

  /** Runs iteration k on a VU; resolves when it ends (never rejects), after handing the VU back to `pool`. */
  async iterate(
    vu: Vu,
    k: number,
    intendedStartMs: number,
    openModel: boolean,
    pool?: VuPool,
  ): Promise<void> {
    const d = this.deps;
    if (openModel) d.recorder.latency(METRIC.iterationDelay, nowMs() - intendedStartMs);
    this.inFlight++;
    d.started();
    const info = new Iteration(k, intendedStartMs, openModel, vu.signal ?? this.abort.signal, d);
    const items = d.items;
    const ctx = d.seam.createIterationContext({
      info,
      clients: d.clients.forIteration(info),
      recorder: d.recorder,
      vu: vu.id,
      iteration: vu.iterations++,
      data: items.length === 0 ? undefined : items[k % items.length],
      target: d.target,
      scenarioTags: this.tags,
    });
    try {
      await this.fn(ctx);
      if (!this.cutOff && vu.cut !== true) d.recorder.count(METRIC.loadIterations);
    } catch (err) {
      if (!this.cutOff && vu.cut !== true) {
        d.recorder.count(METRIC.loadIterations);
        this.countError(err);
      }
    } finally {
      if (vu.cut === true) {
        vu.cut = false;
        this.cutOnTheirOwn--;
      }
      pool?.release(vu);
      this.inFlight--;
      if (this.inFlight === 0 && this.finishing !== undefined) this.cutNow();
    }
  }

  countError(err: unknown): void {
    const d = this.deps;
    let message = errorMessageTag(err);
    if (!d.errorMessages.has(message)) {
      if (d.errorMessages.size >= MAX_ERROR_MESSAGES) message = 'other errors (too many distinct messages)';
      else d.errorMessages.add(message);
    }
    d.recorder.count(METRIC.loadErrors, 1, { message });
  }

  dropped(): void {
    this.deps.recorder.count(METRIC.loadDroppedIterations);
  }

  /** Stop starting iterations; resolves the loop's wait at once. */
  stop(): void {
    this.stopping = true;
    for (const wake of this.stopWaiters) wake();
    this.stopWaiters = [];
  }

  /** Sleeps until `atMs` or until stop(), whichever comes first. */
  sleepUntil(atMs: number): Promise<void> {
    const wait = atMs - nowMs();
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, wait));
      const waiters = this.stopWaiters;
      function done(): void {
        clearTimeout(timer);
        const i = waiters.indexOf(done);
        if (i >= 0) waiters.splice(i, 1);
        resolve();
      }
      waiters.push(done);
    });
  }

  /**
   * Waits for running iterations until `deadlineMs` (the earliest asked for wins), then aborts the
   * rest (AbortSignal) and counts them interrupted; they are not waited for, so a scenario that
   * ignores the signal cannot hang the run.
   */
  finish(deadlineMs: number): Promise<void> {
    this.stop();
    if (this.cutOff) return Promise.resolve();
    if (this.finishing === undefined) {
      this.finishing = new Promise((resolve) => {
        this.settle = resolve;
      });
    }
    if (deadlineMs < this.deadlineMs) {
      this.deadlineMs = deadlineMs;
      clearTimeout(this.deadlineTimer);
      this.deadlineTimer = setTimeout(() => this.cutNow(), Math.max(0, deadlineMs - nowMs()));
    }
    if (this.inFlight === 0) this.cutNow();
    return this.finishing;
  }

  /** Gives a closed-model VU its own abort signal, joined with the scenario's. */
  armVu(vu: Vu): void {
    vu.abort = new AbortController();
    vu.signal = AbortSignal.any([this.abort.signal, vu.abort.signal]);
    setMaxListeners(0, vu.signal);
  }

  /** Cuts off one VU's running iteration (ramped down past gracefulRampDown) and counts it interrupted. */
  cutVu(vu: Vu): void {
    if (this.cutOff || vu.cut === true || vu.abort === undefined) return;
    vu.cut = true;
    this.cutOnTheirOwn++;
    this.deps.recorder.count(METRIC.loadInterruptedIterations);
    vu.abort.abort(
      new Error(`scenario ${this.plan.name}: VU ramped down, gracefulRampDown over, iteration interrupted`),
    );
    this.armVu(vu);
  }

  /** Aborts every running iteration now and counts them interrupted. */
  cutNow(): void {
    if (this.cutOff) return;
    this.stop();
    this.cutOff = true;
    const running = this.inFlight - this.cutOnTheirOwn;
    if (running > 0) this.deps.recorder.count(METRIC.loadInterruptedIterations, running);
    clearTimeout(this.deadlineTimer);
    this.abort.abort(new Error(`scenario ${this.plan.name}: gracefulStop over, iteration interrupted`));
    this.settle?.();
  }
}
