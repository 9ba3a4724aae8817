// Test-only (WORKER_GC_INTERVAL_MS): a full garbage collection at a fixed interval, so the
// process's memory is what it keeps alive, not where V8's heap happens to be in its grow-and-collect
// cycle. A short drift test needs that: a healthy Node process's RSS climbs for tens of seconds
// between major collections (the old space fills with garbage until the next mark-compact), which
// over a 20 s window is indistinguishable from a leak. What a real leak holds survives every one.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Starts the collections; the returned function stops them. 0 starts nothing. */
export function startForcedGc(intervalMs: number): () => void {
  if (intervalMs <= 0) return () => {};
  // --expose-gc set at run time exposes gc() in contexts created after it.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const timer = setInterval(gc, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
