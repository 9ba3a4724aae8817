// The engine may hand one AbortSignal to many concurrent iterations (one per scenario's stop);
// undici and ctx.nats.request each add a listener per request, so Node's default limit of 10
// would print a leak warning at any real concurrency. The listeners are removed when requests end.
import { setMaxListeners } from 'node:events';

const raised = new WeakSet<AbortSignal>();

export function allowManyListeners(signal: AbortSignal): void {
  if (raised.has(signal)) return;
  raised.add(signal);
  setMaxListeners(0, signal);
}
