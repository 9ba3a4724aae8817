import { describe, expect, it } from 'vitest';
import { HistogramSnapshot } from '../../record/histogramSnapshot.ts';
import { HistogramAccumulator } from '../../reports/histogramAccumulator.ts';

function snapshot(seed: number, n: number): HistogramSnapshot {
  const s = HistogramSnapshot.empty();
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    s.record(Math.exp((x / 2147483648) * 14) / 1000); // 1 µs .. 1.2 s, log-spread
  }
  return s;
}

describe('histogramAccumulator', () => {
  it('histogram accumulator - folding encoded intervals equals merging snapshots, bit for bit', () => {
    const merged = HistogramSnapshot.empty();
    const acc = new HistogramAccumulator();
    for (let i = 0; i < 50; i++) {
      const s = snapshot(i + 1, 1 + i * 7);
      if (i === 10) s.record(0); // a zero-value count at index 0
      if (i === 20) s.record(7_200_000); // beyond the range: clamped to one hour
      merged.merge(s);
      acc.add(Buffer.from(s.encode(), 'base64'));
    }
    expect(acc.count).toBe(merged.count);
    const folded = acc.toSnapshot();
    expect(folded.summary()).toEqual(merged.summary());
    expect(folded.encode()).toBe(merged.encode());
    expect(folded.summary().max).toBeGreaterThan(3_599_000);
  });

  it('histogram accumulator - an empty accumulator is an empty snapshot', () => {
    expect(new HistogramAccumulator().toSnapshot().summary().count).toBe(0);
  });

  it('histogram accumulator - garbage bytes are an error, not a silent zero', () => {
    const acc = new HistogramAccumulator();
    expect(() => acc.add(Buffer.from('AAAAAAAAAAAA', 'base64'))).toThrow(/compressed V2/);
  });

  it('histogram accumulator - percentiles match HdrHistogram for the same merged counts', () => {
    const acc = new HistogramAccumulator();
    const expected = HistogramSnapshot.empty();
    let x = 1;
    for (let k = 0; k < 5; k++) {
      const s = HistogramSnapshot.empty();
      for (let i = 0; i < 997; i++) {
        x = (x * 1103515245 + 12345) % 2147483648;
        s.record(Math.exp((x / 2147483648) * 9) - 1);
      }
      acc.add(Buffer.from(s.encode(), 'base64'));
      expected.merge(s);
    }
    const { p50, p90, p99, p999, count, mean } = expected.summary();
    expect(acc.count).toBe(count);
    expect(acc.percentiles([50, 90, 99, 99.9])).toEqual([p50, p90, p99, p999]);
    // The mean the stage breakdown adds up, as HdrHistogram's getMean.
    expect(acc.mean()).toBeCloseTo(mean, 6);
    acc.reset();
    expect(acc.count).toBe(0);
    expect(acc.percentiles([50])).toEqual([0]);
  });
});
