// The contract between a sampler beside the load and the runner that schedules it.
// Collectors never call reporters; they record into a Recorder (record/recorder.ts).
import type { Recorder } from '../record/recorder.ts';

export interface Collector {
  /** Stable name used in series, gap events and errors (e.g. `outbox`, `jetstream`). */
  readonly name: string;
  /** Connects and primes cursors so the first sample only sees what happens from now on. */
  start(recorder: Recorder): Promise<void>;
  /** One sampling pass; throws when its backend is unreachable (the runner records the gap and retries). */
  sample(): Promise<void>;
  /** Releases connections and subscriptions. Safe to call when start failed. */
  stop(): Promise<void>;
}
