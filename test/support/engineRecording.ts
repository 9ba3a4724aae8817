// An EngineRecorder for client tests: keeps every latency and count it is given, and an
// IterationInfo builder whose acceptances are counted. Plain data, no network stand-ins.

import { nowMs } from '../../engine/clients/clock.ts';
import type { EngineRecorder, Tags } from '../../engine/clients/engineRecorder.ts';
import type { IterationInfo } from '../../engine/clients/iterationInfo.ts';

export class RecordingEngineRecorder implements EngineRecorder {
  readonly latencies: { metric: string; valueMs: number; tags?: Tags }[] = [];
  readonly counts: { metric: string; delta: number; tags?: Tags }[] = [];

  latency(metric: string, valueMs: number, tags?: Tags): void {
    this.latencies.push({ metric, valueMs, ...(tags ? { tags } : {}) });
  }

  count(metric: string, delta = 1, tags?: Tags): void {
    this.counts.push({ metric, delta, ...(tags ? { tags } : {}) });
  }

  values(metric: string, tags: Tags = {}): number[] {
    return this.latencies.filter((l) => l.metric === metric && matches(l.tags, tags)).map((l) => l.valueMs);
  }

  total(metric: string, tags: Tags = {}): number {
    return this.counts
      .filter((c) => c.metric === metric && matches(c.tags, tags))
      .reduce((a, c) => a + c.delta, 0);
  }
}

function matches(have: Tags | undefined, want: Tags): boolean {
  return Object.entries(want).every(([k, v]) => have?.[k] === v);
}

export interface TestIteration extends IterationInfo {
  accepted: number;
}

/** Iteration k of run "run", starting now unless told otherwise. */
export function testIteration(k: number, over: Partial<IterationInfo> = {}): TestIteration {
  const info: TestIteration = {
    k,
    correlationId: `run-${k}`,
    traceparent: `00-${k.toString(16).padStart(32, '0')}-${'1'.padStart(16, '0')}-01`,
    intendedStartMs: nowMs(),
    openModel: true,
    signal: new AbortController().signal,
    accepted: 0,
    markAccepted() {
      info.accepted++;
    },
    ...over,
  };
  return info;
}
