import { describe, expect, test } from 'vitest';
import { constantArrival } from '../../engine/schedule/constantArrival.ts';
import { rampingArrival } from '../../engine/schedule/rampingArrival.ts';

describe('constant arrival schedule', () => {
  test('iteration k starts at k·timeUnit/rate and the count is rate·duration/timeUnit', () => {
    const s = constantArrival(200, 1000, 20_000);
    expect(s.total).toBe(4000);
    expect(s.intended(0)).toBe(0);
    expect(s.intended(1)).toBe(5);
    expect(s.intended(3999)).toBe(19_995);
    // 30 per minute: one every 2 s.
    const perMinute = constantArrival(30, 60_000, 10_000);
    expect(perMinute.total).toBe(5);
    expect(perMinute.intended(4)).toBe(8000);
  });

  test('a fractional last iteration is still offered while it starts inside the duration', () => {
    // 3/s for 1.5 s: starts at 0, 333.3, 666.7, 1000, 1333.3 → 5 iterations (4.5 rounded up).
    const s = constantArrival(3, 1000, 1500);
    expect(s.total).toBe(5);
    expect(s.intended(4)).toBeCloseTo(1333.333, 3);
  });
});

describe('ramping arrival schedule (k6 semantics: the n-th iteration, n = k + 1, where the integral reaches n)', () => {
  test('a ramp from 0 to 100/s over 10 s starts its 500th iteration at exactly 10 s', () => {
    const s = rampingArrival(0, 1000, [
      { target: 100, durationMs: 10_000 },
      { target: 100, durationMs: 10_000 },
    ]);
    expect(s.intended(499)).toBeCloseTo(10_000, 6);
    // Within the ramp the integral is 5·t² (t in s): the 5th iteration at 1 s, the 125th at 5 s.
    expect(s.intended(4)).toBeCloseTo(1000, 6);
    expect(s.intended(124)).toBeCloseTo(5000, 6);
    // Then 100/s flat: the 600th iteration one second after the ramp, the last at the very end.
    expect(s.intended(599)).toBeCloseTo(11_000, 6);
    expect(s.total).toBe(1500);
    expect(s.intended(1499)).toBeCloseTo(20_000, 6);
    expect(s.intended(1500)).toBe(Number.POSITIVE_INFINITY);
  });

  test('the fractional iteration carries over a stage boundary instead of being lost or doubled', () => {
    // 0→3/s over 1 s: the integral is 1.5·t², 1.5 iterations in the stage, the 1st at sqrt(2/3) s.
    // The second stage holds 3/s: the 2nd iteration comes where the integral reaches 2, that is the
    // carried half iteration plus 0.5 more, 1/6 s into it.
    const s = rampingArrival(0, 1000, [
      { target: 3, durationMs: 1000 },
      { target: 3, durationMs: 1000 },
    ]);
    expect(s.intended(0)).toBeCloseTo(Math.sqrt(2 / 3) * 1000, 6);
    expect(s.intended(1)).toBeCloseTo(1000 + 1000 / 6, 6);
    expect(s.intended(3)).toBeCloseTo(2000 - 1000 / 6, 6);
    expect(s.total).toBe(4); // floor(1.5 + 3)
  });

  test('zero-rate stages offer nothing and shift later iterations by their length', () => {
    const s = rampingArrival(10, 1000, [
      { target: 10, durationMs: 1000 }, // 10 iterations, at 100 … 1000 ms
      { target: 0, durationMs: 0 }, // instant drop to 0
      { target: 0, durationMs: 5000 }, // silence
      { target: 10, durationMs: 0 }, // instant jump back
      { target: 10, durationMs: 1000 },
    ]);
    expect(s.intended(0)).toBeCloseTo(100, 6);
    expect(s.intended(9)).toBeCloseTo(1000, 6);
    expect(s.intended(10)).toBeCloseTo(6100, 6);
    expect(s.intended(19)).toBeCloseTo(7000, 6);
    expect(s.total).toBe(20);
    expect(s.intended(20)).toBe(Number.POSITIVE_INFINITY);
    expect(s.ratePerSecondAt(3000)).toBe(0);
    expect(s.ratePerSecondAt(500)).toBeCloseTo(10, 9);
  });

  test('a ramp down to 0 inverts the falling integral', () => {
    // 10/s → 0 over 2 s offers 10 iterations; the integral is 10t − 2.5t²: the 5th where it reaches 5.
    const s = rampingArrival(10, 1000, [{ target: 0, durationMs: 2000 }]);
    expect(s.total).toBe(10);
    const t = (10 - Math.sqrt(100 - 50)) / 5; // root of 2.5t² − 10t + 5 = 0
    expect(s.intended(4)).toBeCloseTo(t * 1000, 6);
    expect(s.intended(9)).toBeCloseTo(2000, 3);
  });

  test('timeUnit scales the rate (per minute)', () => {
    const s = rampingArrival(60, 60_000, [{ target: 60, durationMs: 10_000 }]);
    expect(s.total).toBe(10);
    expect(s.intended(2)).toBeCloseTo(3000, 6);
  });

  test('intended is non-decreasing and inside the schedule over a ramp of many stages', () => {
    const s = rampingArrival(5, 1000, [
      { target: 50, durationMs: 3000 },
      { target: 0, durationMs: 2000 },
      { target: 200, durationMs: 1000 },
      { target: 200, durationMs: 0 },
      { target: 7, durationMs: 4000 },
    ]);
    let prev = -1;
    for (let k = 0; k < s.total; k++) {
      const t = s.intended(k);
      expect(t).toBeGreaterThanOrEqual(prev);
      expect(t).toBeLessThanOrEqual(s.durationMs);
      prev = t;
    }
  });
});
