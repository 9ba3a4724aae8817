import { describe, expect, it } from 'vitest';
import { parseLatency, type RandomSource } from '../../reference/latency.ts';

/** mulberry32: a tiny seeded PRNG, so the statistics below are the same on every run. */
function seeded(seed: number): RandomSource {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function draw(spec: string, n = 10_000, seed = 42): number[] {
  const sample = parseLatency(spec, seeded(seed));
  return Array.from({ length: n }, () => sample());
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return (
    ((sorted[Math.floor((sorted.length - 1) / 2)] ?? 0) + (sorted[Math.ceil((sorted.length - 1) / 2)] ?? 0)) /
    2
  );
}

const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / values.length;
const sd = (values: number[]) => {
  const m = mean(values);
  return Math.sqrt(values.reduce((s, v) => s + (v - m) ** 2, 0) / (values.length - 1));
};

describe('latency spec', () => {
  it('latency spec - fixed returns exactly its value', () => {
    expect(new Set(draw('fixed:50', 100))).toEqual(new Set([50]));
    expect(draw('fixed:0.5', 3)).toEqual([0.5, 0.5, 0.5]);
  });

  it('latency spec - uniform stays within its bounds and centres on their midpoint', () => {
    const values = draw('uniform:20-80');
    expect(Math.min(...values)).toBeGreaterThanOrEqual(20);
    expect(Math.max(...values)).toBeLessThan(80);
    expect(mean(values)).toBeGreaterThan(49);
    expect(mean(values)).toBeLessThan(51);
    expect(Math.min(...values)).toBeLessThan(21);
    expect(Math.max(...values)).toBeGreaterThan(79);
  });

  it('latency spec - normal has its mean and standard deviation', () => {
    const values = draw('normal:100,20');
    expect(mean(values)).toBeGreaterThan(99);
    expect(mean(values)).toBeLessThan(101);
    expect(sd(values)).toBeGreaterThan(19);
    expect(sd(values)).toBeLessThan(21);
  });

  it('latency spec - normal never goes below 0', () => {
    const values = draw('normal:10,50');
    expect(Math.min(...values)).toBe(0);
    expect(values.filter((v) => v === 0).length).toBeGreaterThan(3000);
  });

  it('latency spec - lognormal has its median within 10% and a right skew', () => {
    const values = draw('lognormal:200,0.4');
    expect(median(values)).toBeGreaterThan(180);
    expect(median(values)).toBeLessThan(220);
    // Mean of a lognormal is median * exp(sigma^2 / 2) = 200 * 1.083.
    expect(mean(values)).toBeGreaterThan(210);
    expect(mean(values)).toBeLessThan(223);
    expect(Math.min(...values)).toBeGreaterThan(0);
  });

  it('latency spec - the same seed gives the same samples', () => {
    expect(draw('lognormal:100,0.5', 50, 7)).toEqual(draw('lognormal:100,0.5', 50, 7));
    expect(draw('lognormal:100,0.5', 50, 7)).not.toEqual(draw('lognormal:100,0.5', 50, 8));
  });

  it('latency spec - accepts spaces and upper case', () => {
    expect(draw(' FIXED: 7 ', 1)).toEqual([7]);
    expect(draw('uniform:5 - 5', 1)).toEqual([5]);
  });

  it.each([
    '',
    '50',
    'fixed',
    'fixed:',
    'fixed:-5',
    'fixed:abc',
    'uniform:80-20',
    'uniform:20',
    'normal:100',
    'normal:100,20,3',
    'lognormal:0,0.4',
    'lognormal:200',
    'pareto:1,2',
    'toString:1',
  ])('latency spec - bad spec %j throws an error naming it', (spec) => {
    expect(() => parseLatency(spec)).toThrow(`latency spec "${spec}" is not valid`);
  });
});
