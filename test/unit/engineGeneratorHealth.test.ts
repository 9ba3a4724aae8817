// The saturation verdict: a streak of bad seconds flags at once; scattered bad seconds flag at the end
// when they were a fifth of the run; a bad start-up alone does not.
import { describe, expect, it } from 'vitest';
import { GeneratorHealth } from '../../engine/generatorHealth.ts';

const GOOD = [2, 0.3] as const; // loop delay p99 ms, utilisation
const SLOW = [80, 0.5] as const; // delay over the 25 ms limit
const BUSY = [5, 0.97] as const; // loop busy over 95%

function run(seconds: (readonly [number, number])[]): GeneratorHealth {
  const h = new GeneratorHealth();
  seconds.forEach(([delay, busy], i) => {
    h.observe(delay, busy, i + 1);
  });
  h.conclude();
  return h;
}

describe('GeneratorHealth', () => {
  it('flags five bad seconds in a row at once, with the worst figures in the note', () => {
    const h = new GeneratorHealth();
    for (let s = 1; s <= 4; s++) h.observe(...SLOW, s);
    expect(h.saturated).toBe(false);
    h.observe(...BUSY, 5);
    expect(h.saturated).toBe(true);
    expect(h.note).toBe(
      'generator saturated from 0 s, 5 bad seconds in a row: worker event-loop delay p99 up to 80.0 ms ' +
        '(limit 25 ms), loop busy up to 97% (limit 95%)',
    );
  });

  it('flags bad seconds scattered over a fifth of the run, which a streak never sees', () => {
    // One bad second in two for 20 s: never two in a row.
    const h = run(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? SLOW : GOOD)));
    expect(h.saturated).toBe(true);
    expect(h.note).toMatch(/^generator saturated in 10 of 20 seconds \(limit 20% of them\)/);
    // A 5 s run with 4 bad seconds, broken by one good one.
    expect(run([SLOW, SLOW, GOOD, SLOW, BUSY]).saturated).toBe(true);
  });

  it('does not flag a bad start-up alone, nor bad seconds under a fifth of the run', () => {
    expect(run([SLOW, SLOW, ...Array.from({ length: 3 }, () => GOOD)]).saturated).toBe(false); // 2 bad: under the minimum of 3
    expect(run([SLOW, SLOW, SLOW, ...Array.from({ length: 57 }, () => GOOD)]).saturated).toBe(false); // 3 of 60
    expect(run([SLOW, SLOW, SLOW, ...Array.from({ length: 12 }, () => GOOD)]).saturated).toBe(true); // 3 of 15
  });
});
