// k6 execution segments. `--segment "1/3:2/3"` names this machine's share of the run and
// `--segment-sequence "0,1/3,2/3,1"` all machines' shares. Indices (iterations and VUs) are striped
// over the sequence as k6's ExecutionSegmentSequence does: within each cycle of LCD indices (the
// least common denominator of the segment lengths), walk the indices in order and give each to the
// first segment, largest first, whose share so far is behind its length. Every segment then holds
// exactly its share of every prefix (to within one index), and the segments of one sequence
// partition the one-machine indices, so the union of all segments is the one-machine schedule.
// Worker threads inside a process stripe their segment's indices the same way, in equal shares.

import {
  compareRational as cmp,
  gcd,
  parseSegment,
  parseSegmentSequence,
  type Rational,
  rational,
  SegmentError,
} from '../record/segmentFraction.ts';

export {
  parseRational,
  parseSegment,
  parseSegmentSequence,
  type Rational,
  SegmentError,
} from '../record/segmentFraction.ts';

/** A set of indices: the i-th index of the stripe, and how many of its indices lie below n. */
export interface Stripe {
  at(i: number): number;
  countBelow(n: number): number;
}

export const WHOLE: Stripe = { at: (i) => i, countBelow: (n) => Math.max(0, n) };

/** The striped offsets, within one cycle of `lcd` indices, of each segment between the points. */
export function stripeOffsets(points: Rational[]): { lcd: number; offsets: number[][] } {
  const lengths = points.slice(1).map((p, i) => {
    const prev = points[i] as Rational;
    return rational(p.n * prev.d - prev.n * p.d, p.d * prev.d);
  });
  let lcd = 1;
  for (const l of lengths) lcd = (lcd / gcd(lcd, l.d)) * l.d;
  if (!Number.isSafeInteger(lcd) || lcd > 10_000_000) {
    throw new SegmentError(`segment sequence has a common denominator of ${lcd}, too large to stripe`);
  }
  const shares = lengths.map((l) => l.n * (lcd / l.d));
  // Largest share first; a stable sort keeps the sequence order among equals.
  const order = shares.map((_, i) => i).sort((a, b) => (shares[b] as number) - (shares[a] as number));
  const offsets: number[][] = shares.map(() => []);
  const taken = shares.map(() => 0);
  for (let i = 0; i < lcd; i++) {
    for (const s of order) {
      const share = shares[s] as number;
      if (share === 0 || (taken[s] as number) >= share) continue;
      // Segment s is due once i has reached taken·lcd/share: its evenly spaced next position.
      if (i * share >= (taken[s] as number) * lcd) {
        (offsets[s] as number[]).push(i);
        taken[s] = (taken[s] as number) + 1;
        break;
      }
    }
  }
  return { lcd, offsets };
}

class CycleStripe implements Stripe {
  constructor(
    private readonly lcd: number,
    private readonly offsets: number[],
  ) {}

  at(i: number): number {
    const per = this.offsets.length;
    return Math.floor(i / per) * this.lcd + (this.offsets[i % per] as number);
  }

  countBelow(n: number): number {
    if (n <= 0) return 0;
    const rest = n % this.lcd;
    let below = 0;
    while (below < this.offsets.length && (this.offsets[below] as number) < rest) below++;
    return Math.floor(n / this.lcd) * this.offsets.length + below;
  }
}

/** The stripe of this machine's segment; the whole run when neither flag is given. */
export function segmentStripe(segment?: string, sequence?: string): Stripe {
  if (segment === undefined) {
    if (sequence !== undefined) throw new SegmentError('--segment-sequence needs --segment');
    return WHOLE;
  }
  const [from, to] = parseSegment(segment);
  let points: Rational[];
  if (sequence !== undefined) {
    points = parseSegmentSequence(sequence);
  } else {
    points = [{ n: 0, d: 1 }, from, to, { n: 1, d: 1 }].filter(
      (p, i, all) => i === 0 || cmp(p, all[i - 1] as Rational) !== 0,
    );
  }
  // k6 fills the sequence out to 0 and 1.
  if (cmp(points[0] as Rational, { n: 0, d: 1 }) !== 0) points.unshift({ n: 0, d: 1 });
  if (cmp(points[points.length - 1] as Rational, { n: 1, d: 1 }) !== 0) points.push({ n: 1, d: 1 });
  const index = points.findIndex(
    (p, i) => i + 1 < points.length && cmp(p, from) === 0 && cmp(points[i + 1] as Rational, to) === 0,
  );
  if (index < 0)
    throw new SegmentError(
      `--segment: "${segment}" is not one of the segments of --segment-sequence "${sequence}"`,
    );
  const { lcd, offsets } = stripeOffsets(points);
  return new CycleStripe(lcd, offsets[index] as number[]);
}

/** Worker w of n within a stripe: its i-th index is the stripe's (i·n + w)-th. */
export function workerStripe(parent: Stripe, worker: number, workers: number): Stripe {
  if (workers === 1) return parent;
  return {
    at: (i) => parent.at(i * workers + worker),
    countBelow: (n) => Math.max(0, Math.ceil((parent.countBelow(n) - worker) / workers)),
  };
}

/** The stripe a worker thread receives as plain data and rebuilds. */
export interface StripeSpec {
  segment?: string;
  segmentSequence?: string;
  worker: number;
  workers: number;
}

export function stripeFromSpec(spec: StripeSpec): Stripe {
  return workerStripe(segmentStripe(spec.segment, spec.segmentSequence), spec.worker, spec.workers);
}
