// The contract between whatever measures (the engine, the collectors, the fault runner) and the
// store it writes into (IntervalStore). Writers never call reporters; they record into a Recorder.

export type Tags = Record<string, string>;

export interface Recorder {
  /** One observation of a latency-like metric (DESIGN section 4 names, e.g. `outbox.lag`), in ms. */
  recordLatency(metric: string, valueMs: number, tags?: Tags): void;
  /** The value of a gauge (e.g. `outbox.pending`) at time `atMs` (epoch ms; now when omitted). */
  gauge(name: string, value: number, tags?: Tags, atMs?: number): void;
  /** A discrete happening in the timeline: a collector gap starting or ending, an advisory, a note. */
  event(kind: string, data: Record<string, unknown>, atMs?: number): void;
}
