// What the clients record into; engine-core implements it in each worker thread with one HDR
// recorder per metric and tag set.
export type Tags = Record<string, string>;

export interface EngineRecorder {
  /** A latency in ms for a catalogue or custom.* metric. */
  latency(metric: string, valueMs: number, tags?: Tags): void;
  count(metric: string, delta?: number, tags?: Tags): void;
}
