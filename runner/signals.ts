// Ctrl-C during a run: the first SIGINT asks for a graceful stop (stop the engine, drain briefly,
// write a partial report), the second for an immediate one (stop now, still write what there is).
// Later ones are ignored so a held-down Ctrl-C cannot cut the report off half written. The exit
// code (130) is the caller's to decide.

export interface InterruptHandlers {
  /** First signal: stop the engine, drain for a short time, write a report marked partial. */
  graceful(signal: NodeJS.Signals): void;
  /** Second signal: stop at once, still writing what has been recorded. */
  immediate(signal: NodeJS.Signals): void;
}

export interface InterruptOptions {
  /** Signals that count as Ctrl-C; all share one count. */
  signals?: readonly NodeJS.Signals[];
}

const DEFAULT_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT'];

/**
 * Listens for Ctrl-C until the returned disposer is called. While it listens, Node's default
 * (exit at once) is off; the disposer restores it.
 */
export function onInterrupt(handlers: InterruptHandlers, options: InterruptOptions = {}): () => void {
  const signals = options.signals ?? DEFAULT_SIGNALS;
  let count = 0;
  const listener = (signal: NodeJS.Signals) => {
    count += 1;
    if (count === 1) handlers.graceful(signal);
    else if (count === 2) handlers.immediate(signal);
  };
  for (const signal of signals) process.on(signal, listener);
  let disposed = false;
  return () => {
    if (disposed) return;
    disposed = true;
    for (const signal of signals) process.off(signal, listener);
  };
}
