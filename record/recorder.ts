// The contract between whatever measures (the engine, the collectors, the fault runner) and the
// store it writes into (IntervalStore). Writers never call reporters; they record into a Recorder.
// Names come from the catalogue (record/metricCatalog.ts): an unknown name is a type error.
import type { RecordedMetricName } from './metricCatalog.ts';

export type Tags = Record<string, string>;

export interface Recorder {
  /** One observation of a latency-like metric (e.g. `outbox.lag`), in ms. */
  recordLatency(metric: RecordedMetricName, valueMs: number, tags?: Tags): void;
  /** The value of a gauge (e.g. `outbox.pending`) at time `atMs` (epoch ms; now when omitted). */
  gauge(name: RecordedMetricName, value: number, tags?: Tags, atMs?: number): void;
  /** `delta` more of a counter (e.g. `http.requests`) since the last count of that series. */
  count(metric: RecordedMetricName, delta: number, tags?: Tags, atMs?: number): void;
  /** A discrete happening in the timeline: a collector gap starting or ending, an advisory, a note. */
  event(kind: string, data: Record<string, unknown>, atMs?: number): void;
}
