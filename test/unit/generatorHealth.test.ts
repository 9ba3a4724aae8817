// The saturation verdict tells a busy generator (its own work: more workers help) from one whose
// loop was only delayed while mostly idle (a shared host's other processes held the CPU).
import { describe, expect, it } from 'vitest';
import { SATURATED_FOR_S } from '../../engine/engineDefaults.ts';
import { GeneratorHealth } from '../../engine/generatorHealth.ts';

function observe(h: GeneratorHealth, seconds: number, delayMs: number, utilization: number, fromS: number) {
  for (let s = 1; s <= seconds; s++) h.observe(delayMs, utilization, fromS + s);
}

describe('GeneratorHealth', () => {
  it('flags a busy loop as saturated and busy', () => {
    const h = new GeneratorHealth();
    observe(h, SATURATED_FOR_S, 40, 0.99, 0);
    expect(h.saturated).toBe(true);
    expect(h.busy).toBe(true);
    expect(h.note).toContain('loop busy up to 99%');
  });

  it('flags a loop delayed by the host but mostly idle as saturated, not busy', () => {
    const h = new GeneratorHealth();
    observe(h, SATURATED_FOR_S - 1, 200, 0.3, 0);
    expect(h.saturated).toBe(false);
    observe(h, 1, 200, 0.3, SATURATED_FOR_S - 1);
    expect(h.saturated).toBe(true);
    expect(h.busy).toBe(false);
  });

  it('becomes busy when a later streak has the loop busy', () => {
    const h = new GeneratorHealth();
    observe(h, SATURATED_FOR_S, 200, 0.3, 0);
    observe(h, 1, 1, 0.1, SATURATED_FOR_S); // the streak ends
    observe(h, SATURATED_FOR_S, 30, 0.98, SATURATED_FOR_S + 1);
    expect(h.busy).toBe(true);
    expect(h.note).toMatch(/loop busy up to 30% .*; loop busy from \d+ s/);
  });
});
