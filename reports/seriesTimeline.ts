// Gauges over time and the fault windows, in one streaming pass over series.ndjson. Points that
// share a timestamp fold across tag sets as the summaries do (reports/gaugeFold.ts), optionally
// split by one tag into a line each; then each time bucket keeps the peak of a depth gauge, or the
// increase per second of a counter (the sum of its counter lines). Memory: one number per bucket per line.

import { SKIP_CUT_TAIL } from '../record/lineReader.ts';
import { EVENT, faultEndWire, faultStartWire, runStartWire } from '../record/runEvents.ts';
import { isCounterPoint, isGaugePoint, readSeriesRecords } from '../record/series.ts';
import { gaugeFold, SampleFolder } from './gaugeFold.ts';

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
  /** Folds the tag sets of one sample into one point before it is bucketed. */
  folder: SampleFolder;
  /** bucket → peak, or bucket → [the counter's increase, ms its lines cover]. */
  peaks: Map<number, number>;
  growth: Map<number, [number, number]>;
  /** A counter line covers the time since the previous line of its series (or the run start). */
  prevT: number;
}

export async function seriesTimeline(
  path: string,
  specs: readonly GaugeLineSpec[],
  startMs: number,
  endMs: number,
  bucketS: number,
): Promise<SeriesTimeline> {
  const specOf = new Map(specs.map((s) => [s.gauge, s]));
  const states = new Map<string, LineState>();
  const faultStarts = new Map<string, { fromS: number; what: string; where: string }>();
  const faults: FaultWindow[] = [];
  const notes: string[] = [];
  let warmUpS = 0;
  const bucketMs = bucketS * 1000;
  const toS = (t: number) => (t - startMs) / 1000;

  // Set-up before the run start is not charted.
  const addPoint = (state: LineState, t: number, v: number) => {
    const bucket = Math.floor((t - startMs) / bucketMs);
    if (bucket < 0) return;
    if (state.spec.mode === 'peak') {
      state.peaks.set(bucket, Math.max(state.peaks.get(bucket) ?? v, v));
      return;
    }
    const sum = state.growth.get(bucket) ?? [0, 0];
    sum[0] += v;
    sum[1] += Math.max(0, t - state.prevT);
    state.growth.set(bucket, sum);
    state.prevT = Math.max(state.prevT, t);
  };
  const stateOf = (name: string, spec: GaugeLineSpec, tags: Record<string, string>): LineState => {
    const split = spec.splitBy === undefined ? '' : (tags[spec.splitBy] ?? '');
    const key = `${name}\u0000${split}`;
    let state = states.get(key);
    if (state === undefined) {
      const created: LineState = {
        spec,
        split,
        folder: new SampleFolder(gaugeFold(name), (t, v) => addPoint(created, t, v)),
        peaks: new Map(),
        growth: new Map(),
        prevT: startMs,
      };
      state = created;
      states.set(key, state);
    }
    return state;
  };

  let lineNo = 0;
  for await (const record of readSeriesRecords(path, SKIP_CUT_TAIL)) {
    lineNo++;
    if (isGaugePoint(record)) {
      const spec = specOf.get(record.gauge);
      if (spec === undefined || spec.mode !== 'peak') continue;
      stateOf(record.gauge, spec, record.tags).folder.add(record.t, record.value, record.tags);
      continue;
    }
    if (isCounterPoint(record)) {
      const spec = specOf.get(record.counter);
      if (spec === undefined || spec.mode !== 'rate') continue;
      // Counter lines are deltas: they add up, never fold.
      addPoint(stateOf(record.counter, spec, record.tags), record.t, record.value);
      continue;
    }
    if (record.event === EVENT.runStart) {
      const start = runStartWire.safeParse(record);
      if (start.success) warmUpS = start.data.warmUpMs / 1000;
    } else if (record.event === EVENT.faultStart) {
      const start = faultStartWire.safeParse(record);
      if (!start.success) notes.push(`series.ndjson line ${lineNo}: a fault.start without an id, not shaded`);
      else {
        const { id, what, where, t } = start.data;
        faultStarts.set(id, { fromS: toS(t), what, where });
      }
    } else if (record.event === EVENT.faultEnd) {
      const end = faultEndWire.safeParse(record);
      const started = end.success ? faultStarts.get(end.data.id) : undefined;
      if (end.success && started !== undefined) {
        faults.push({ id: end.data.id, ...started, toS: toS(end.data.t), open: false });
        faultStarts.delete(end.data.id);
      }
    }
  }
  for (const [id, started] of faultStarts) {
    faults.push({ id, ...started, toS: Math.max(started.fromS, toS(endMs)), open: true });
    notes.push(`fault ${id} never ended (no fault.end): shaded to the end of the run`);
  }
  faults.sort((a, b) => a.fromS - b.fromS || a.id.localeCompare(b.id));

  const lines: GaugeLine[] = [];
  for (const state of states.values()) {
    state.folder.flush();
    const line: GaugeLine = { gauge: state.spec.gauge, split: state.split, buckets: [], values: [] };
    const entries =
      state.spec.mode === 'peak'
        ? [...state.peaks]
        : [...state.growth]
            .filter(([, [, ms]]) => ms > 0)
            .map(([b, [n, ms]]) => [b, (n * 1000) / ms] as const);
    for (const [bucket, value] of entries.sort(([a], [b]) => a - b)) {
      line.buckets.push(bucket);
      line.values.push(value);
    }
    if (line.buckets.length > 0) lines.push(line);
  }
  lines.sort((a, b) => a.gauge.localeCompare(b.gauge) || a.split.localeCompare(b.split));
  return { lines, faults, warmUpS, notes };
}
