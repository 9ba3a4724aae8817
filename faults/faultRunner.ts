// Executes a validated fault schedule on a timeline relative to the run's start: each window
// opens (the fault applied) and closes (the fault undone), and both are recorded as `fault.start`
// and `fault.end` events. A failed action is recorded on the event, never thrown: a fault that
// cannot be applied must not end the run it is part of. Everything it touches comes through the
// context, which holds only what the harness started (its proxies, children, broker).

import type { ComponentName } from '../record/contract.ts';
import type { Recorder } from '../record/recorder.ts';
import { writeFaultEnd, writeFaultStart } from '../record/runEvents.ts';
import { type ExecResult, execOk, formatExecResult, runExecCommand } from './execCommand.ts';
import type { ExecFaultWindow, FaultSchedule, FaultWindow } from './faultSchedule.ts';
import type { Proxies, ToxicSpec } from './proxies.ts';

/** The parts of ReferenceSupervisor the runner uses. */
export interface FaultSupervisor {
  signal(name: ComponentName, signal: NodeJS.Signals): void;
  exited(name: ComponentName): Promise<void>;
  startOne(name: ComponentName): Promise<unknown>;
  restart(name: ComponentName): Promise<unknown>;
}

/** The harness's own nats-server (OwnNatsServer). */
export interface FaultBroker {
  signal(signal: NodeJS.Signals): void;
  kill(): Promise<void>;
  stop(): Promise<void>;
  restart(): Promise<void>;
}

/** A Postgres connection allowed to call pg_terminate_backend (a pg.Pool or Client). */
export interface PgAdmin {
  query<R extends Record<string, unknown>>(text: string, values: unknown[]): Promise<{ rows: R[] }>;
}

export interface FaultContext {
  recorder: Recorder;
  supervisor?: FaultSupervisor;
  proxies?: Pick<Proxies, 'addToxic' | 'removeToxic' | 'down' | 'up'>;
  ownBroker?: FaultBroker;
  pgAdmin?: PgAdmin;
  /** The reference sink's base URL (its admin endpoint is PUT /admin/fail-rate). */
  sinkAdminUrl?: string;
  /** Epoch ms; a test may pass a fake clock for the recorded times. */
  now?: () => number;
  /** Each exec fault command as it finishes, with its exit status (for the console). */
  log?: (line: string) => void;
  /** Environment and folder of exec fault commands (process.env and the cwd by default). */
  execEnv?: NodeJS.ProcessEnv;
  execCwd?: string;
}

/** An apply that failed after doing something: the fields say what, for the fault.end event. */
class ApplyError extends Error {
  constructor(
    message: string,
    readonly fields: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** Undoes an applied fault; may return extra fields for the fault.end event. */
type Undo = () => Promise<Record<string, unknown> | undefined>;

type Phase = 'pending' | 'open' | 'closing' | 'closed';

interface WindowState {
  window: FaultWindow;
  phase: Phase;
  /** The apply action, awaited before the undo so the two never race. */
  applying?: Promise<Undo | undefined>;
  closing?: Promise<void>;
  timer?: NodeJS.Timeout;
}

// Only backends of the one named application, never this admin connection; no table is read
// or written, so outbox rows are never touched.
const TERMINATE_SQL = `
  SELECT pg_terminate_backend(pid) AS terminated
  FROM pg_stat_activity
  WHERE application_name = $1 AND pid <> pg_backend_pid()`;

const TIMER_MAX_MS = 2_147_483_647;

export class FaultRunner {
  private readonly states: WindowState[];
  private readonly now: () => number;
  private startAtMs: number | undefined;
  private stopping = false;
  private allClosed: () => void = () => undefined;
  /** Resolves when every window has closed (or stop() ended them). */
  readonly done: Promise<void>;

  constructor(
    schedule: FaultSchedule,
    private readonly ctx: FaultContext,
  ) {
    this.states = schedule.faults.map((window) => ({ window, phase: 'pending' }));
    this.now = ctx.now ?? Date.now;
    this.done = new Promise((resolve) => {
      this.allClosed = resolve;
    });
    if (this.states.length === 0) this.allClosed();
  }

  /** Starts the timeline; window times count from `startAtMs` (epoch ms, now by default). */
  start(startAtMs: number = this.now()): void {
    if (this.startAtMs !== undefined) throw new Error('the fault runner has already started');
    this.startAtMs = startAtMs;
    for (const state of this.states)
      this.schedule(state, startAtMs + state.window.at, () => this.open(state));
  }

  /** Ids of the windows open now (applied, not yet undone), for live progress. */
  active(): string[] {
    return this.states.filter((s) => s.phase === 'open' || s.phase === 'closing').map((s) => s.window.id);
  }

  /** Ends every open fault now (proxies restored, paused processes continued, killed ones restarted). */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const state of this.states) {
      if (state.timer) clearTimeout(state.timer);
      if (state.phase === 'pending') state.phase = 'closed';
    }
    await Promise.all(
      this.states.map((state) => (state.phase === 'open' ? this.close(state) : state.closing)),
    );
    this.checkDone();
  }

  private schedule(state: WindowState, atMs: number, run: () => void): void {
    const delay = atMs - this.now();
    if (delay <= 0) {
      run();
      return;
    }
    // setTimeout holds at most ~24.8 days; a longer wait is done in steps.
    state.timer = setTimeout(
      () => (delay > TIMER_MAX_MS ? this.schedule(state, atMs, run) : run()),
      Math.min(delay, TIMER_MAX_MS),
    );
  }

  private open(state: WindowState): void {
    if (this.stopping || state.phase !== 'pending') return;
    const w = state.window;
    state.phase = 'open';
    writeFaultStart(
      this.ctx.recorder,
      { id: w.id, what: w.what, where: w.where, params: paramsOf(w) },
      this.now(),
    );
    state.applying = this.apply(w).catch((err: unknown) => {
      // Nothing was applied (or the apply undid itself), so the window ends here, with the reason.
      state.phase = 'closed';
      if (state.timer) clearTimeout(state.timer);
      const fields = err instanceof ApplyError ? err.fields : {};
      this.recordEnd(w, this.now(), { ...fields, error: `could not apply: ${messageOf(err)}` });
      this.checkDone();
      return undefined;
    });
    this.schedule(state, (this.startAtMs ?? this.now()) + w.at + w.for, () => void this.close(state));
  }

  private close(state: WindowState): Promise<void> {
    if (state.phase !== 'open') return state.closing ?? Promise.resolve();
    state.phase = 'closing';
    if (state.timer) clearTimeout(state.timer);
    const endedAt = this.now();
    state.closing = (async () => {
      const undo = await state.applying;
      if (state.phase === 'closed') return; // the apply failed and already recorded the end
      let extra: Record<string, unknown> | undefined;
      let error: string | undefined;
      try {
        extra = await undo?.();
      } catch (err) {
        error = `could not undo: ${messageOf(err)}`;
      }
      state.phase = 'closed';
      this.recordEnd(state.window, endedAt, { ...extra, ...(error === undefined ? {} : { error }) });
      this.checkDone();
    })();
    return state.closing;
  }

  private recordEnd(w: FaultWindow, atMs: number, extra: Record<string, unknown>): void {
    writeFaultEnd(this.ctx.recorder, { id: w.id, what: w.what, where: w.where, ...extra }, atMs);
  }

  private checkDone(): void {
    if (this.states.every((s) => s.phase === 'closed')) this.allClosed();
  }

  /** Applies one fault and returns how to undo it. */
  private async apply(w: FaultWindow): Promise<Undo | undefined> {
    switch (w.what) {
      case 'latency':
        return this.toxic(w.where, w.id, {
          type: 'latency',
          latencyMs: w.latencyMs,
          jitterMs: w.jitterMs,
          share: w.share,
        });
      case 'bandwidth':
        return this.toxic(w.where, w.id, { type: 'bandwidth', rateKbps: w.rateKbps, share: w.share });
      case 'timeout':
      case 'reset_peer':
        return this.toxic(w.where, w.id, { type: w.what, timeoutMs: w.timeoutMs, share: w.share });
      case 'down': {
        const proxies = need(this.ctx.proxies, 'proxies');
        await proxies.down(w.where);
        return async () => void (await proxies.up(w.where));
      }
      case 'kill':
        return this.kill(w.where, w.signal, w.restart);
      case 'pause': {
        this.signal(w.where, 'SIGSTOP');
        return async () => void this.signal(w.where, 'SIGCONT');
      }
      case 'restart':
        await this.restart(w.where);
        return undefined;
      case 'pg_terminate':
        return this.pgTerminate(w.applicationName, w.every);
      case 'sink_fail':
        return this.sinkFail(w.share);
      case 'exec':
        return this.exec(w);
    }
  }

  /**
   * Runs the start command; a failing one ends the window at once, after the end command has run
   * to put back whatever the start did halfway. Exit statuses go on fault.end as `start` / `end`.
   */
  private async exec(w: ExecFaultWindow): Promise<Undo> {
    const run = async (phase: 'start' | 'end', command: string): Promise<ExecResult> => {
      const result = await runExecCommand(command, {
        timeoutMs: w.timeout,
        env: this.ctx.execEnv,
        cwd: this.ctx.execCwd,
      });
      this.ctx.log?.(`fault ${w.id}: ${phase}: ${command} -> ${formatExecResult(result, `${w.timeout} ms`)}`);
      return result;
    };
    const status = (r: ExecResult) => ({
      exit: r.exit,
      ...(r.signal === null ? {} : { signal: r.signal }),
      ms: r.ms,
      ...(r.timedOut ? { timedOut: true } : {}),
      ...(execOk(r) ? {} : { output: r.output.trim() }),
    });
    const started = await run('start', w.start);
    if (!execOk(started)) {
      const ended = w.end === undefined ? undefined : await run('end', w.end);
      throw new ApplyError(`start command ${formatExecResult(started, `${w.timeout} ms`)}`, {
        start: status(started),
        ...(ended ? { end: status(ended) } : {}),
      });
    }
    return async () => {
      if (w.end === undefined) return { start: status(started) };
      const ended = await run('end', w.end);
      return {
        start: status(started),
        end: status(ended),
        ...(execOk(ended) ? {} : { error: `end command ${formatExecResult(ended, `${w.timeout} ms`)}` }),
      };
    };
  }

  private async toxic(proxy: string, name: string, spec: ToxicSpec): Promise<Undo> {
    const proxies = need(this.ctx.proxies, 'proxies');
    await proxies.addToxic(proxy, name, spec);
    return async () => void (await proxies.removeToxic(proxy, name));
  }

  private signal(where: string, signal: NodeJS.Signals): void {
    if (where === 'broker') need(this.ctx.ownBroker, 'own nats-server').signal(signal);
    else need(this.ctx.supervisor, 'supervisor').signal(where as ComponentName, signal);
  }

  private async kill(where: string, signal: NodeJS.Signals, restartAfter: boolean): Promise<Undo> {
    if (where === 'broker') {
      const broker = need(this.ctx.ownBroker, 'own nats-server');
      await (signal === 'SIGKILL' ? broker.kill() : broker.stop());
      return async () => void (restartAfter ? await broker.restart() : undefined);
    }
    const supervisor = need(this.ctx.supervisor, 'supervisor');
    const name = where as ComponentName;
    supervisor.signal(name, signal);
    await supervisor.exited(name);
    return async () => void (restartAfter ? await supervisor.startOne(name) : undefined);
  }

  private async restart(where: string): Promise<void> {
    if (where === 'broker') {
      const broker = need(this.ctx.ownBroker, 'own nats-server');
      await broker.stop();
      await broker.restart();
      return;
    }
    await need(this.ctx.supervisor, 'supervisor').restart(where as ComponentName);
  }

  private async pgTerminate(applicationName: string, everyMs: number | undefined): Promise<Undo> {
    const pg = need(this.ctx.pgAdmin, 'Postgres admin connection');
    let terminated = 0;
    let lastError: string | undefined;
    const terminate = async () => {
      const { rows } = await pg.query<{ terminated: boolean }>(TERMINATE_SQL, [applicationName]);
      terminated += rows.filter((r) => r.terminated).length;
    };
    await terminate();
    let running: Promise<void> = Promise.resolve();
    const interval =
      everyMs === undefined
        ? undefined
        : setInterval(() => {
            running = terminate().catch((err: unknown) => {
              lastError = messageOf(err);
            });
          }, everyMs);
    return async () => {
      if (interval) clearInterval(interval);
      await running;
      return { terminated, ...(lastError === undefined ? {} : { error: `a repeat failed: ${lastError}` }) };
    };
  }

  private async sinkFail(share: number): Promise<Undo> {
    const base = need(this.ctx.sinkAdminUrl, 'sink admin URL');
    const url = `${base.replace(/\/$/, '')}/admin/fail-rate`;
    const current = await fetch(url, { signal: AbortSignal.timeout(5000) });
    if (!current.ok) throw new Error(`GET ${url} answered ${current.status}`);
    const previous = ((await current.json()) as { share: number }).share;
    const put = async (value: number) => {
      const res = await fetch(url, {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ share: value }),
        signal: AbortSignal.timeout(5000),
      });
      if (!res.ok) throw new Error(`PUT ${url} answered ${res.status}: ${await res.text()}`);
    };
    await put(share);
    return async () => void (await put(previous));
  }
}

/** The kind-specific settings of a window, for the fault.start event. */
function paramsOf(w: FaultWindow): Record<string, unknown> {
  const { id: _id, what: _what, where: _where, at: _at, for: _for, ...params } = w;
  return params;
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the fault runner was given no ${what}`);
  return value;
}

function messageOf(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? 'unknown error';
}
