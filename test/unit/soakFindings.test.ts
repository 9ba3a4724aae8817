import { describe, expect, it } from 'vitest';
import type { LatencySummary } from '../../record/histogramSnapshot.ts';
import { slosSchema } from '../../record/sloConfig.ts';
import type { LittleCheck } from '../../reports/littlesLaw.ts';
import type { GaugeSummary } from '../../reports/runSummary.ts';
import { soakFindings } from '../../reports/soakFindings.ts';
import { stageBreakdown } from '../../reports/stageBreakdown.ts';

const MB = 1024 * 1024;

function trending(mean: number, slopePerMin: number, stdErrPerMin: number): GaugeSummary {
  const trend = { slopePerMin, stdErrPerMin, dof: 58, windows: 60, windowS: 60 };
  return { samples: 3600, min: mean, mean, max: mean, last: mean, slopePerMin, trend };
}

const noStages = stageBreakdown({ summary: { metrics: {}, byTag: {} } });
const slos = slosSchema.parse({});

describe('soak findings', () => {
  it('soak findings - worker RSS drift reads as growth per hour with confidence, from and to over the window', () => {
    // 38 MB/h around a mean of 159 MB over 1 h: the fitted line runs from 140 to 178 MB.
    const findings = soakFindings({
      summary: {
        gauges: {},
        gaugesByTag: { 'target.rss{component=worker}': trending(159 * MB, (38 * MB) / 60, 0.01 * MB) },
      },
      slos,
      steadyS: 3600,
      stages: noStages,
      littlesLaw: [],
    });
    expect(findings).toContain('worker RSS grew 38 MB/h (99% confidence), from 140 to 178 MB over 1 h');
  });

  it('soak findings - outbox bloat is reported with its slope, not as a failure; flat gauges say nothing', () => {
    const findings = soakFindings({
      summary: {
        gauges: {
          'outbox.table.bytes': trending(60 * MB, (12 * MB) / 60, 0.5 * MB),
          'db.connections': trending(5, 0, 0.01),
        },
      },
      slos,
      steadyS: 1800,
      stages: noStages,
      littlesLaw: [],
    });
    expect(
      findings.filter(
        (f) =>
          !f.includes('not measured') &&
          !f.startsWith('outbox wait') &&
          !f.startsWith('broker') &&
          !f.startsWith('dispatch') &&
          !f.startsWith('effect'),
      ),
    ).toEqual([
      'outbox table size grew 12 MB/h, from 57 to 63 MB over 30 min: bloat is reported, not failed',
    ]);
  });

  it("soak findings - unmeasured stages and Little's-law disagreements each get a line", () => {
    const little: LittleCheck[] = [
      {
        name: 'consumer pending',
        backlog: 0,
        expected: 30,
        ratio: 0,
        ok: false,
        note: 'consumer pending: wrong consumer?',
      },
    ];
    const findings = soakFindings({
      summary: { gauges: {} },
      slos,
      steadyS: 600,
      stages: noStages,
      littlesLaw: little,
    });
    expect(findings).toContain("Little's law: consumer pending: wrong consumer?");
    expect(findings).toContain('broker wait cannot be measured for this target: no broker.wait in the run');
  });
  it('soak findings - a bucketed stage that dominates gives its p99 as an upper bound; a measured one as is', () => {
    const lat = (mean: number, p99: number): LatencySummary => ({
      count: 100,
      min: 0,
      mean,
      p50: mean,
      p90: p99,
      p99,
      p999: p99,
      max: p99,
    });
    const findingsOf = (dispatchP99: number, outboxP99: number) =>
      soakFindings({
        summary: { gauges: {} },
        slos,
        steadyS: 60,
        stages: stageBreakdown({
          summary: {
            metrics: {
              'e2e.latency': lat(10, 18.4),
              'outbox.lag': lat(4, outboxP99),
              'broker.wait': lat(1, 5),
            },
            byTag: { 'dispatch.latency': { consumer: { main: lat(4, dispatchP99) } } },
          },
        }),
        littlesLaw: [],
      });
    expect(findingsOf(25, 11)).toContain(
      "dispatch dominates e2e p99: its p99 is at most 25 ms (a histogram bucket's upper edge), e2e p99 18.4 ms, 40% of the mean e2e time",
    );
    expect(findingsOf(5, 16)).toContain(
      'outbox wait dominates e2e p99: its p99 is 16 ms, e2e p99 18.4 ms, 40% of the mean e2e time',
    );
  });
});
