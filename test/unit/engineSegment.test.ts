import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  parseRational,
  parseSegment,
  SegmentError,
  segmentStripe,
  stripeOffsets,
  workerStripe,
} from '../../engine/segment.ts';

function indices(stripe: { at(i: number): number; countBelow(n: number): number }, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < stripe.countBelow(n); i++) out.push(stripe.at(i));
  return out;
}

describe('segment syntax (k6 rationals)', () => {
  test('fractions, decimals and percentages', () => {
    expect(parseRational('2/4', 'x')).toEqual({ n: 1, d: 2 });
    expect(parseRational('0.25', 'x')).toEqual({ n: 1, d: 4 });
    expect(parseRational('75%', 'x')).toEqual({ n: 3, d: 4 });
    expect(parseSegment('1/3:2/3')).toEqual([
      { n: 1, d: 3 },
      { n: 2, d: 3 },
    ]);
    expect(parseSegment('1/2')).toEqual([
      { n: 0, d: 1 },
      { n: 1, d: 2 },
    ]);
  });

  test('bad syntax names the flag and the text', () => {
    expect(() => parseSegment('1/3-2/3')).toThrow(
      '--segment: "1/3-2/3" is not a fraction like 1/3, 0.25 or 25%',
    );
    expect(() => parseSegment('2/3:1/3')).toThrow('--segment: "2/3:1/3" must end after it starts');
    expect(() => segmentStripe('1/3:2/3', '0,1/2,1')).toThrow(SegmentError);
    expect(() => segmentStripe('0:1/2', '0,1/2,1/3,1')).toThrow(
      '--segment-sequence: "0,1/2,1/3,1" must increase strictly',
    );
    expect(() => segmentStripe(undefined, '0,1')).toThrow('--segment-sequence needs --segment');
  });
});

describe('striping', () => {
  test("k6's example: 0:1/2, 1/2:3/4, 3/4:1 take 0 2 4…, 1 5 9…, 3 7 11…", () => {
    const seq = '0,1/2,3/4,1';
    expect(indices(segmentStripe('0:1/2', seq), 12)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(indices(segmentStripe('1/2:3/4', seq), 12)).toEqual([1, 5, 9]);
    expect(indices(segmentStripe('3/4:1', seq), 12)).toEqual([3, 7, 11]);
  });

  test('thirds of 3/5 and 1/3 follow the LCD of 15', () => {
    const { lcd, offsets } = stripeOffsets([
      { n: 0, d: 1 },
      { n: 3, d: 5 },
      { n: 14, d: 15 },
      { n: 1, d: 1 },
    ]);
    expect(lcd).toBe(15);
    expect(offsets.map((o) => o.length)).toEqual([9, 5, 1]);
  });

  test('VU counts scale so the segments always add up to the whole', () => {
    const seq = '0,1/2,3/4,1';
    const parts = ['0:1/2', '1/2:3/4', '3/4:1'].map((s) => segmentStripe(s, seq));
    for (let v = 0; v <= 50; v++) expect(parts.reduce((sum, p) => sum + p.countBelow(v), 0)).toBe(v);
    expect(parts.map((p) => p.countBelow(4))).toEqual([2, 1, 1]);
  });

  const sequences = fc
    .uniqueArray(fc.tuple(fc.integer({ min: 1, max: 11 }), fc.integer({ min: 2, max: 12 })), {
      minLength: 0,
      maxLength: 5,
    })
    .map((pairs) => {
      const inner = pairs.filter(([n, d]) => n < d).map(([n, d]) => ({ n, d, v: n / d }));
      const unique = [...new Map(inner.map((p) => [p.v, p])).values()].sort((a, b) => a.v - b.v);
      return ['0', ...unique.map((p) => `${p.n}/${p.d}`), '1'];
    });

  test('property: the union of every segment (and every worker within it) is the one-machine index set, no index twice', () => {
    fc.assert(
      fc.property(
        sequences,
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 400 }),
        (points, workers, n) => {
          const seq = points.join(',');
          const seen = new Set<number>();
          let total = 0;
          for (let i = 0; i + 1 < points.length; i++) {
            const segment = segmentStripe(`${points[i]}:${points[i + 1]}`, seq);
            for (let w = 0; w < workers; w++) {
              for (const k of indices(workerStripe(segment, w, workers), n)) {
                expect(k).toBeGreaterThanOrEqual(0);
                expect(k).toBeLessThan(n);
                expect(seen.has(k)).toBe(false);
                seen.add(k);
                total++;
              }
            }
          }
          expect(total).toBe(n);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('property: each segment holds its exact share of every whole cycle', () => {
    fc.assert(
      fc.property(sequences, fc.integer({ min: 1, max: 4 }), (points, cycles) => {
        const seq = points.join(',');
        const rationals = points.map((p) => parseRational(p, 'x'));
        const { lcd } = stripeOffsets(rationals);
        for (let i = 0; i + 1 < points.length; i++) {
          const a = rationals[i] as { n: number; d: number };
          const b = rationals[i + 1] as { n: number; d: number };
          const share = b.n / b.d - a.n / a.d;
          const stripe = segmentStripe(`${points[i]}:${points[i + 1]}`, seq);
          expect(stripe.countBelow(lcd * cycles)).toBe(Math.round(share * lcd * cycles));
        }
      }),
    );
  });
});
