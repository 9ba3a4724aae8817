// The contract between the samplers beside k6 and the store they write into.
// Collectors never call reporters; they record into a Recorder and the runner schedules them.

export type Tags = Record<string, string>;

export interface Recorder {
  /** One observation of a latency-like metric (DESIGN section 4 names, e.g. `outbox.lag`), in ms. */
  recordLatency(metric: string, valueMs: number, tags?: Tags): void;
  /** The value of a gauge (e.g. `outbox.pending`) at time `atMs` (epoch ms; now when omitted). */
  gauge(name: string, value: number, tags?: Tags, atMs?: number): void;
  /** A discrete happening in the timeline: a collector gap starting or ending, an advisory, a note. */
  event(kind: string, data: Record<string, unknown>, atMs?: number): void;
}

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
