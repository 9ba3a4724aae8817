import { describe, expect, it } from 'vitest';
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
});
