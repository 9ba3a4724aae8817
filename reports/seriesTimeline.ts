// Gauges over time and the fault windows, as a fold of the run-folder reader over series.ndjson.
// Points that share a timestamp fold across tag sets as the summaries do (reports/gaugeFold.ts),
// optionally split by one tag into a line each; then each time bucket keeps the peak of a depth
// gauge, or the increase per second of a counter (the sum of its counter lines). The bucket width
// depends on the run's length, known only at the end of the series, so the fold keeps each line's
// folded samples (two numbers a sample) and buckets them then. Set-up before the run start is not
// charted (steadyWindow.ts).
import { isCounterPoint, isGaugePoint, type SeriesRecord } from '../record/series.ts';
import { FaultLog } from './faultLog.ts';
import { gaugeFold, SampleFolder } from './gaugeFold.ts';
import type { RunFolderFold } from './readRunFolder.ts';
import { counterLineIn, pointIn } from './steadyWindow.ts';

export interface GaugeLineSpec {
  /** A gauge name for 'peak', a counter name for 'rate'. */
  gauge: string;
  /** 'peak': the bucket's highest gauge value; 'rate': a counter's increase per second. */
  mode: 'peak' | 'rate';
  /** One line per value of this tag (e.g. db.connections per application). */
  splitBy?: string;
}

export interface GaugeLine {
  gauge: string;
  /** The splitBy tag's value; '' when not split. */
  split: string;
  /** Bucket indexes, ascending, and the value of each. */
  buckets: number[];
  values: number[];
}

export interface FaultWindow {
  id: string;
  what: string;
  where: string;
  /** Seconds since the run start. */
  fromS: number;
  toS: number;
  /** true when no fault.end closed it: it runs to the end of the run. */
  open: boolean;
}

export interface SeriesTimeline {
  lines: GaugeLine[];
  faults: FaultWindow[];
  warmUpS: number;
  notes: string[];
}

interface LineState {
  spec: GaugeLineSpec;
  split: string;
  /** Folds the tag sets of one sample into one point (peak lines; counter lines add up, never fold). */
  folder: SampleFolder | undefined;
  /** The line's samples in arrival order: t, value, t, value, … */
  samples: Float64Array;
  length: number;
}

export class SeriesTimelineFold implements RunFolderFold {
  private readonly specOf: Map<string, GaugeLineSpec>;
  private readonly states = new Map<string, LineState>();
  private readonly faultLog = new FaultLog();

  constructor(specs: readonly GaugeLineSpec[]) {
    this.specOf = new Map(specs.map((s) => [s.gauge, s]));
  }

  record(record: SeriesRecord, line: number): void {
    if (isGaugePoint(record)) {
      const spec = this.specOf.get(record.gauge);
      if (spec === undefined || spec.mode !== 'peak') return;
      this.stateOf(record.gauge, spec, record.tags).folder?.add(record.t, record.value, record.tags);
      return;
    }
    if (isCounterPoint(record)) {
      const spec = this.specOf.get(record.counter);
      if (spec === undefined || spec.mode !== 'rate') return;
      push(this.stateOf(record.counter, spec, record.tags), record.t, record.value);
      return;
    }
    this.faultLog.record(record, line);
  }

  /** The lines in buckets of `bucketS` from `startMs`; open faults are shaded to `endMs`. */
  timeline(startMs: number, endMs: number, bucketS: number, warmUpS: number): SeriesTimeline {
    const bucketMs = bucketS * 1000;
    const toS = (t: number) => (t - startMs) / 1000;
    const notes = [...this.faultLog.notes];
    const faults: FaultWindow[] = [];
    for (const f of this.faultLog.faults) {
      // Key order as report.html has always embedded them.
      const fromS = toS(f.startMs);
      if (f.endMs !== null) {
        faults.push({ id: f.id, fromS, what: f.what, where: f.where, toS: toS(f.endMs), open: false });
        continue;
      }
      faults.push({
        id: f.id,
        fromS,
        what: f.what,
        where: f.where,
        toS: Math.max(fromS, toS(endMs)),
        open: true,
      });
      notes.push(`fault ${f.id} never ended (no fault.end): shaded to the end of the run`);
    }
    faults.sort((a, b) => a.fromS - b.fromS || a.id.localeCompare(b.id));

    const lines: GaugeLine[] = [];
    for (const state of this.states.values()) {
      state.folder?.flush();
      const peaks = new Map<number, number>();
      /** bucket → [the counter's increase, ms its lines cover]. */
      const growth = new Map<number, [number, number]>();
      // A counter line covers the time since the previous line of its series (or the run start).
      let prevT = startMs;
      for (let i = 0; i < state.length; i += 2) {
        const t = state.samples[i] as number;
        const v = state.samples[i + 1] as number;
        const bucket = Math.floor((t - startMs) / bucketMs);
        if (state.spec.mode === 'peak') {
          if (!pointIn(t, startMs)) continue;
          peaks.set(bucket, Math.max(peaks.get(bucket) ?? v, v));
          continue;
        }
        if (!counterLineIn(t, startMs)) continue;
        const sum = growth.get(bucket) ?? [0, 0];
        sum[0] += v;
        sum[1] += Math.max(0, t - prevT);
        growth.set(bucket, sum);
        prevT = Math.max(prevT, t);
      }
      const line: GaugeLine = { gauge: state.spec.gauge, split: state.split, buckets: [], values: [] };
      const entries =
        state.spec.mode === 'peak'
          ? [...peaks]
          : [...growth].filter(([, [, ms]]) => ms > 0).map(([b, [n, ms]]) => [b, (n * 1000) / ms] as const);
      for (const [bucket, value] of entries.sort(([a], [b]) => a - b)) {
        line.buckets.push(bucket);
        line.values.push(value);
      }
      if (line.buckets.length > 0) lines.push(line);
    }
    lines.sort((a, b) => a.gauge.localeCompare(b.gauge) || a.split.localeCompare(b.split));
    return { lines, faults, warmUpS, notes };
  }

  private stateOf(name: string, spec: GaugeLineSpec, tags: Record<string, string>): LineState {
    const split = spec.splitBy === undefined ? '' : (tags[spec.splitBy] ?? '');
    const key = `${name}\u0000${split}`;
    let state = this.states.get(key);
    if (state === undefined) {
      const created: LineState = {
        spec,
        split,
        folder: undefined,
        samples: new Float64Array(256),
        length: 0,
      };
      if (spec.mode === 'peak')
        created.folder = new SampleFolder(gaugeFold(name), (t, v) => push(created, t, v));
      state = created;
      this.states.set(key, state);
    }
    return state;
  }
}

function push(state: LineState, t: number, v: number): void {
  if (state.length + 2 > state.samples.length) {
    const bigger = new Float64Array(state.samples.length * 2);
    bigger.set(state.samples);
    state.samples = bigger;
  }
  state.samples[state.length++] = t;
  state.samples[state.length++] = v;
}
