// The shapes capacity.md and capacity.html both show: the sweep as a grid (first axis down,
// second across; one row for one axis), and each combination's steps by offered rate.
import type { CapacityComboJson, CapacityJson, CapacityStepJson } from './capacityJson.ts';

export interface SweepGrid {
  rowAxis: string | null;
  colAxis: string | null;
  rows: number[];
  cols: number[];
  /** rate[row][col]: the sustainable rate; null unknown or none; undefined not run. */
  cell(row: number, col: number): CapacityComboJson | undefined;
}

/** Null without a sweep, or with more than two axes (then the combination list says it all). */
export function sweepGrid(state: CapacityJson): SweepGrid | null {
  const [first, second, ...more] = state.sweep;
  if (first === undefined || more.length > 0) return null;
  const rows = first.values;
  const cols = second?.values ?? [Number.NaN];
  return {
    rowAxis: first.name,
    colAxis: second?.name ?? null,
    rows,
    cols,
    cell: (row, col) =>
      state.combos.find(
        (c) => c.settings[first.name] === row && (second === undefined || c.settings[second.name] === col),
      ),
  };
}

/** The step that decides each offered rate (a confirming re-run replaces the failure it re-ran). */
export function stepsByRate(combo: CapacityComboJson): CapacityStepJson[] {
  const byRate = new Map<number, CapacityStepJson>();
  for (const s of combo.steps) byRate.set(s.rate, s);
  return [...byRate.values()].sort((a, b) => a.rate - b.rate);
}

/** A rate as people read it: whole numbers plain, others to two decimals. */
export function rateText(rate: number | null | undefined): string {
  if (rate === null || rate === undefined) return '—';
  return Number.isInteger(rate) ? String(rate) : rate.toFixed(2).replace(/0$/, '');
}

/** One line: the sustainable rate, the failing rate with its criterion and margin, the note. */
export function summaryLine(combo: CapacityComboJson): string {
  const r = combo.result;
  if (r === null) return 'not finished';
  const sustainable =
    r.sustainableRate === null ? 'no sustainable rate' : `sustainable ${r.sustainableRate}/s`;
  const failing =
    r.failingRate === null
      ? ''
      : `; ${r.failingRate}/s fails on ${r.criterion ?? 'unknown'}` +
        `${r.margin === null ? '' : ` (margin ${(r.margin * 100).toFixed(1)}%)`}`;
  return `${sustainable}${failing}; ${r.note}`;
}
