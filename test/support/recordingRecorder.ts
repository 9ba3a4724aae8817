// A Recorder for collector tests: keeps everything it is given, in order, for assertions.
import type { Recorder, Tags } from '../../record/recorder.ts';
import { waitFor as waitForValue } from './load.ts';

export interface RecordedLatency {
  metric: string;
  valueMs: number;
  tags?: Tags;
}
export interface RecordedGauge {
  name: string;
  value: number;
  tags?: Tags;
  atMs: number;
}
export interface RecordedCount {
  metric: string;
  delta: number;
  tags?: Tags;
  atMs: number;
}
export interface RecordedEvent {
  kind: string;
  data: Record<string, unknown>;
  atMs: number;
}

export class RecordingRecorder implements Recorder {
  readonly latencies: RecordedLatency[] = [];
  readonly gauges: RecordedGauge[] = [];
  readonly events: RecordedEvent[] = [];
  readonly counts: RecordedCount[] = [];

  recordLatency(metric: string, valueMs: number, tags?: Tags): void {
    this.latencies.push({ metric, valueMs, tags });
  }

  gauge(name: string, value: number, tags?: Tags, atMs?: number): void {
    this.gauges.push({ name, value, tags, atMs: atMs ?? Date.now() });
  }

  count(metric: string, delta: number, tags?: Tags, atMs?: number): void {
    this.counts.push({ metric, delta, tags, atMs: atMs ?? Date.now() });
  }

  event(kind: string, data: Record<string, unknown>, atMs?: number): void {
    this.events.push({ kind, data, atMs: atMs ?? Date.now() });
  }

  latencyValues(metric: string): number[] {
    return this.latencies.filter((l) => l.metric === metric).map((l) => l.valueMs);
  }

  /** The most recent value of a gauge whose tags include `tags`. */
  lastGauge(name: string, tags: Tags = {}): number | undefined {
    const matching = this.gauges.filter(
      (g) => g.name === name && Object.entries(tags).every(([k, v]) => g.tags?.[k] === v),
    );
    return matching.at(-1)?.value;
  }

  eventsOf(kind: string): RecordedEvent[] {
    return this.events.filter((e) => e.kind === kind);
  }
}

/** Polls `check` until it returns true or `timeoutMs` passes (load.ts's waitFor, for a plain condition). */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
  stepMs = 25,
): Promise<void> {
  await waitForValue(
    'a condition',
    async () => check(),
    (ok) => ok,
    timeoutMs,
    stepMs,
  );
}
