// Checks that the segments of a run's folders tile [0,1]: sorted by start, the first starts at 0,
// each starts where the one before ends, the last ends at 1. Exact fractions, so 1/3 + 2/3 is 1.
import { compareRational, parseSegment, type Rational, SegmentError } from '../record/segmentFraction.ts';
import { MergeInputError } from './mergeInputError.ts';

export interface SegmentPart {
  folder: string;
  /** As run.start spells it (`1/3:2/3`); undefined is the whole run, 0:1. */
  segment?: string;
  sequence?: string;
}

const ZERO: Rational = { n: 0, d: 1 };
const ONE: Rational = { n: 1, d: 1 };
const text = (r: Rational) => (r.n === 0 ? '0' : r.n === r.d ? '1' : `${r.n}/${r.d}`);

/** The parts in segment order; throws MergeInputError naming a gap, an overlap or a bad segment. */
export function orderSegments<P extends SegmentPart>(parts: readonly P[]): P[] {
  if (parts.length === 0) throw new MergeInputError('no run folders to merge');
  const sequences = new Set(parts.flatMap((p) => (p.sequence === undefined ? [] : [p.sequence])));
  if (sequences.size > 1) {
    throw new MergeInputError(
      `the folders have different segment sequences (${[...sequences].map((s) => `"${s}"`).join(', ')}): they are not one run`,
    );
  }
  const spans = parts.map((part) => {
    if (part.segment === undefined) return { part, from: ZERO, to: ONE };
    try {
      const [from, to] = parseSegment(part.segment);
      return { part, from, to };
    } catch (err) {
      if (err instanceof SegmentError)
        throw new MergeInputError(`${part.folder}: run.start segment: ${err.message}`);
      throw err;
    }
  });
  spans.sort((a, b) => compareRational(a.from, b.from) || compareRational(a.to, b.to));
  let reached = ZERO;
  let previous: SegmentPart | undefined;
  for (const { part, from, to } of spans) {
    const c = compareRational(from, reached);
    const where = `${part.folder} (segment ${text(from)}:${text(to)})`;
    if (c > 0) {
      const after = previous === undefined ? 'before it' : `between ${previous.folder} and it`;
      throw new MergeInputError(`segments leave a gap ${text(reached)}:${text(from)} ${after}: ${where}`);
    }
    if (c < 0) {
      throw new MergeInputError(
        `segments overlap: ${where} starts before ${previous?.folder ?? 'the run'} ends at ${text(reached)}`,
      );
    }
    reached = to;
    previous = part;
  }
  if (compareRational(reached, ONE) !== 0) {
    throw new MergeInputError(
      `segments leave a gap ${text(reached)}:1 after ${previous?.folder ?? 'the last folder'}: the run is not complete`,
    );
  }
  return spans.map((s) => s.part);
}
