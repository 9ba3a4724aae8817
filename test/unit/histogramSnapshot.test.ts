import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { HistogramSnapshot } from '../../record/histogramSnapshot.ts';

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL('./fixtures/recordSnapshot.ts', import.meta.url));

/** HdrHistogram at 3 significant digits resolves values to within 1/1024 of themselves. */
function expectWithinPrecision(actual: number, expected: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(expected / 1024 + 0.001);
}

function recorded(values: number[]): HistogramSnapshot {
  const snapshot = HistogramSnapshot.empty();
  for (const v of values) snapshot.record(v);
  return snapshot;
}

const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('histogram snapshot', () => {
  it('histogram snapshot - reports exact count, min and max of sub-2 ms values at µs resolution', () => {
    const s = recorded([0.25, 0.5, 1, 1.5, 2]).summary();
    expect(s.count).toBe(5);
    expect(s.min).toBe(0.25);
    expect(s.max).toBe(2);
    expect(s.mean).toBeCloseTo(1.05, 6);
    expect(s.p50).toBe(1);
  });

  it('histogram snapshot - reports percentiles of 1..10000 ms within HDR precision', () => {
    const s = recorded(range(1, 10_000)).summary();
    expect(s.count).toBe(10_000);
    expect(s.min).toBe(1);
    expectWithinPrecision(s.max, 10_000);
    expectWithinPrecision(s.p50, 5_000);
    expectWithinPrecision(s.p90, 9_000);
    expectWithinPrecision(s.p99, 9_900);
    expectWithinPrecision(s.p999, 9_990);
    expectWithinPrecision(s.mean, 5_000.5);
  });

  it('histogram snapshot - counts zero and clamps negative values to 0', () => {
    const s = recorded([0, -3, 4]).summary();
    expect(s.count).toBe(3);
    expect(s.min).toBe(0);
    expect(s.p50).toBe(0);
    expectWithinPrecision(s.max, 4);
  });

  it('histogram snapshot - summarises an empty snapshot as zeros', () => {
    expect(HistogramSnapshot.empty().summary()).toEqual({
      count: 0,
      min: 0,
      mean: 0,
      p50: 0,
      p90: 0,
      p99: 0,
      p999: 0,
      max: 0,
    });
  });

  it('histogram snapshot - rejects non-finite values', () => {
    expect(() => HistogramSnapshot.empty().record(Number.NaN)).toThrow(/not a finite number/);
  });

  it('histogram snapshot - corrects for coordinated omission with the expected interval', () => {
    const s = HistogramSnapshot.empty();
    // One 1000 ms stall at a 100 ms open-model interval hides 9 requests: 900, 800, ... 100 ms.
    s.recordCorrected(1000, 100);
    const summary = s.summary();
    expect(summary.count).toBe(10);
    expectWithinPrecision(summary.min, 100);
    expectWithinPrecision(summary.max, 1000);
    expectWithinPrecision(summary.mean, 550);
  });

  it('histogram snapshot - merging two snapshots equals one snapshot of all values', () => {
    const a = recorded(range(1, 3_000));
    const b = recorded(range(2_000, 9_000));
    const all = recorded([...range(1, 3_000), ...range(2_000, 9_000)]);
    expect(a.merge(b).summary()).toEqual(all.summary());
    expect(a.encode()).toBe(all.encode());
  });

  it('histogram snapshot - round-trips through its encoding', () => {
    const original = recorded([...range(1, 5_000), 0.5, 123.456, 3_599_000]);
    const encoded = original.encode();
    expect(encoded).toMatch(/^HIST[A-Za-z0-9+/=]+$/);
    const decoded = HistogramSnapshot.decode(encoded);
    expect(decoded.summary()).toEqual(original.summary());
    expect(decoded.encode()).toBe(encoded);
  });

  it('histogram snapshot - rejects a garbled encoding', () => {
    expect(() => HistogramSnapshot.decode('HISTFAAAACd4nJNpmSzMwMDAwsDAwMjA')).toThrow();
    expect(() => HistogramSnapshot.decode('not base64 at all!')).toThrow();
  });

  it('histogram snapshot - merges snapshots encoded in different processes', async () => {
    const child = async (...args: string[]): Promise<string> => {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', CHILD, ...args], {
        cwd: fileURLToPath(new URL('../..', import.meta.url)),
      });
      return stdout.trim();
    };
    const [first, second] = await Promise.all([child('1..1000'), child('1001..2000', '5000')]);
    const merged = HistogramSnapshot.decode(first).merge(HistogramSnapshot.decode(second));
    const s = merged.summary();
    expect(s.count).toBe(2001);
    expect(s.min).toBe(1);
    expectWithinPrecision(s.max, 5000);
    expectWithinPrecision(s.p50, 1001);
    expectWithinPrecision(s.p90, 1801);
    expectWithinPrecision(s.p99, 1981);
    expect(s).toEqual(recorded([...range(1, 2000), 5000]).summary());
  });
});
