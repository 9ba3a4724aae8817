// A Recorder that keeps everything in memory, for asserting what a collector recorded.
import type { Recorder, Tags } from '../../collectors/collector.ts';

export interface RecordedGauge {
  name: string;
  value: number;
  tags: Tags;
  atMs: number;
}

export class MemoryRecorder implements Recorder {
  readonly latencies = new Map<string, number[]>();
  readonly gauges: RecordedGauge[] = [];
  readonly events: Array<{ kind: string; data: Record<string, unknown> }> = [];

  recordLatency(metric: string, valueMs: number): void {
    const values = this.latencies.get(metric) ?? [];
    values.push(valueMs);
    this.latencies.set(metric, values);
  }

  gauge(name: string, value: number, tags: Tags = {}, atMs: number = Date.now()): void {
    this.gauges.push({ name, value, tags, atMs });
  }

  event(kind: string, data: Record<string, unknown>): void {
    this.events.push({ kind, data });
  }

  values(metric: string): number[] {
    return this.latencies.get(metric) ?? [];
  }

  /** The latest value of a gauge whose tags include `tags`. */
  lastGauge(name: string, tags: Tags = {}): number | undefined {
    for (let i = this.gauges.length - 1; i >= 0; i--) {
      const g = this.gauges[i];
      if (g?.name === name && Object.entries(tags).every(([k, v]) => g.tags[k] === v)) return g.value;
    }
    return undefined;
  }
}
