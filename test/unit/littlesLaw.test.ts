import { describe, expect, it } from 'vitest';
import type { LatencySummary } from '../../record/histogramSnapshot.ts';
import { littlesLaw } from '../../reports/littlesLaw.ts';
import type { GaugeSummary, RunSummary } from '../../reports/runSummary.ts';

function lat(mean: number): LatencySummary {
  return { count: 1000, min: 0, mean, p50: mean, p90: mean, p99: mean, p999: mean, max: mean };
}
function gauge(mean: number): GaugeSummary {
  return { samples: 300, min: 0, mean, max: mean * 2, last: mean, slopePerMin: 0, trend: null };
}

/** A steady 200 events/s run: 400 ms in the outbox, 100 ms broker wait, 50 ms dispatch. */
function steady(gauges: Record<string, GaugeSummary>): Pick<RunSummary, 'metrics' | 'byTag' | 'gauges'> {
  return {
    metrics: { 'outbox.lag': lat(400), 'broker.wait': lat(100), 'dispatch.latency': lat(60) },
    byTag: { 'dispatch.latency': { consumer: { main: lat(50), dlq: lat(3000) } } },
    gauges,
  };
}

describe("Little's law", () => {
  it("little's law - a steady run agrees: backlog ≈ λ·W for outbox and consumer", () => {
    const checks = littlesLaw({
      summary: steady({
        'outbox.pending': gauge(85),
        'consumer.pending': gauge(18),
        'consumer.ack_pending': gauge(9),
      }),
      arrivalRatePerS: 200,
    });
    expect(checks.map((c) => [c.name, c.expected, c.ok])).toEqual([
      ['outbox pending', 80, true],
      ['consumer pending', 30, true],
    ]);
    expect(checks[0]?.ratio).toBeCloseTo(85 / 80, 10);
    expect(checks[1]?.ratio).toBeCloseTo(27 / 30, 10);
    expect(checks.every((c) => c.note === undefined)).toBe(true);
  });

  it("little's law - a collector fed a wrong consumer name (backlog 0 while W > 0) is flagged", () => {
    const [outbox, consumer] = littlesLaw({
      summary: steady({
        'outbox.pending': gauge(80),
        'consumer.pending': gauge(0),
        'consumer.ack_pending': gauge(0),
      }),
      arrivalRatePerS: 200,
    });
    expect(outbox?.ok).toBe(true);
    expect(consumer).toMatchObject({ ok: false, backlog: 0, expected: 30, ratio: 0 });
    expect(consumer?.note).toContain('is the collector watching the right consumer?');
  });

  it("little's law - off by more than 2x either way is flagged with the ratio; 1.9x is not", () => {
    const high = littlesLaw({ summary: steady({ 'outbox.pending': gauge(170) }), arrivalRatePerS: 200 })[0];
    expect(high).toMatchObject({ ok: false, ratio: 170 / 80 });
    expect(high?.note).toContain('(2.13×)');
    const edge = littlesLaw({ summary: steady({ 'outbox.pending': gauge(152) }), arrivalRatePerS: 200 })[0];
    expect(edge?.ok).toBe(true);
    const low = littlesLaw({ summary: steady({ 'outbox.pending': gauge(39) }), arrivalRatePerS: 200 })[0];
    expect(low?.ok).toBe(false);
  });

  it("little's law - missing gauges are not checked, and sub-event backlogs are not judged", () => {
    const [outbox, consumer] = littlesLaw({
      summary: steady({ 'outbox.pending': gauge(0.2) }),
      arrivalRatePerS: 1,
    });
    expect(outbox).toMatchObject({
      ok: true,
      note: 'not judged: expected and observed backlog below one event',
    });
    expect(consumer).toMatchObject({
      ok: true,
      ratio: null,
      note: 'not checked: no consumer.pending and consumer.ack_pending',
    });
  });
});
