// Segment bounds as exact fractions, in k6's spellings: `--segment "1/3:2/3"` and
// `--segment-sequence "0,1/3,2/3,1"`. The engine stripes indices by them; `pipesoak merge` checks
// from run.start that a run's segments tile [0,1], so the parsing lives with the run-folder format.

export interface Rational {
  n: number;
  d: number;
}

export class SegmentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SegmentError';
  }
}

export function gcd(a: number, b: number): number {
  let x = Math.abs(a);
  let y = Math.abs(b);
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

export function rational(n: number, d: number): Rational {
  const g = gcd(n, d) || 1;
  return { n: n / g, d: d / g };
}

/** Negative, zero or positive as a is below, equal to or above b. */
export const compareRational = (a: Rational, b: Rational): number => a.n * b.d - b.n * a.d;

/** '1/3', '0.25', '25%' (k6's forms) → a rational in [0, 1]; `what` names the flag for errors. */
export function parseRational(text: string, what: string): Rational {
  const s = text.trim();
  let r: Rational | undefined;
  let m = /^(\d+)\/(\d+)$/.exec(s);
  if (m !== null && Number(m[2]) > 0) r = rational(Number(m[1]), Number(m[2]));
  m = /^(\d+)(?:\.(\d+))?(%?)$/.exec(s);
  if (m !== null) {
    const frac = m[2] ?? '';
    const scale = 10 ** frac.length * (m[3] === '%' ? 100 : 1);
    r = rational(Number(m[1]) * 10 ** frac.length + Number(frac || 0), scale);
  }
  if (r === undefined || !Number.isSafeInteger(r.d))
    throw new SegmentError(`${what}: "${text}" is not a fraction like 1/3, 0.25 or 25%`);
  if (r.n > r.d) throw new SegmentError(`${what}: "${text}" is more than 1`);
  return r;
}

/** `from:to`, or a lone `to` meaning `0:to`, as k6 reads --segment. */
export function parseSegment(text: string): [Rational, Rational] {
  const parts = text.split(':');
  if (parts.length > 2 || text.trim() === '')
    throw new SegmentError(`--segment: "${text}" is not from:to, e.g. 1/3:2/3`);
  const from = parts.length === 2 ? parseRational(parts[0] as string, '--segment') : { n: 0, d: 1 };
  const to = parseRational(parts[parts.length - 1] as string, '--segment');
  if (compareRational(from, to) >= 0) throw new SegmentError(`--segment: "${text}" must end after it starts`);
  return [from, to];
}

/** Comma-separated increasing points, e.g. '0,1/3,2/3,1'. */
export function parseSegmentSequence(text: string): Rational[] {
  const points = text.split(',').map((p) => parseRational(p, '--segment-sequence'));
  if (points.length < 2) throw new SegmentError(`--segment-sequence: "${text}" needs at least two points`);
  for (let i = 1; i < points.length; i++) {
    if (compareRational(points[i - 1] as Rational, points[i] as Rational) >= 0) {
      throw new SegmentError(`--segment-sequence: "${text}" must increase strictly`);
    }
  }
  return points;
}
