// A stand-in for a capacity step's whole run: a pipeline with a known knee (events/s it
// sustains) that fails above it on e2e p99 and consumer.pending drift. Each call writes a real
// run folder holding its report.json, as the real runStep's run would.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { METRIC } from '../../record/metricCatalog.ts';
import { REPORT_SCHEMA, type ReportJson } from '../../reports/reportJson.ts';
import type { RunStep, StepSettings } from '../../runner/capacity/capacityRun.ts';
import type { StepOutcome } from '../../runner/capacity/stepVerdict.ts';

export interface StandInPipeline {
  /** The highest sustainable rate for the settings in force. */
  knee: (worker: StepSettings['worker']) => number;
  /** The generator saturates above this rate. */
  generatorLimit?: number;
  /** db.connections peak for the settings in force. */
  dbConnections?: (worker: StepSettings['worker']) => number;
  /** Called before each step; return true to make that step's run come back interrupted. */
  interruptAt?: (call: number, rate: number) => boolean;
}

export interface StandIn {
  runStep: RunStep;
  calls: { rate: number; settings: StepSettings }[];
}

export function standInRunStep(pipeline: StandInPipeline): StandIn {
  const calls: StandIn['calls'] = [];
  const runStep: RunStep = async (rate, settings) => {
    calls.push({ rate, settings });
    mkdirSync(settings.outDir, { recursive: true });
    const interrupted = pipeline.interruptAt?.(calls.length, rate) ?? false;
    const knee = pipeline.knee(settings.worker);
    const ok = rate <= knee;
    const saturated = pipeline.generatorLimit !== undefined && rate > pipeline.generatorLimit;
    const e2eP99 = ok ? 80 + rate / 10 : 4_000;
    const report: ReportJson = {
      schema: REPORT_SCHEMA,
      run: {
        id: settings.runId,
        scenario: 'standIn',
        seed: 1,
        startedAt: '2026-12-01T00:00:00.000Z',
        durationS: settings.durationMs / 1000,
        target: {},
      },
      load: { targetRate: rate, achievedRate: saturated ? (pipeline.generatorLimit ?? rate) : rate },
      metrics: {
        [METRIC.e2eLatency]: {
          unit: 'ms',
          count: rate * 10,
          min: 5,
          mean: e2eP99 / 2,
          p50: e2eP99 / 2,
          p90: e2eP99 * 0.9,
          p99: e2eP99,
          p999: e2eP99,
          max: e2eP99,
        },
      },
      counts: {},
      errorRate: 0,
      gauges:
        pipeline.dbConnections === undefined
          ? {}
          : {
              [METRIC.dbConnections]: {
                min: 1,
                mean: 1,
                max: pipeline.dbConnections(settings.worker),
                last: 1,
                slopePerMin: 0,
              },
            },
      slos: [
        { name: 'e2e.latency p99', objective: '< 1000 ms', observed: e2eP99, pass: e2eP99 < 1000 },
        {
          name: 'consumer.pending drift',
          objective: 'slope/min not above 0',
          observed: ok ? 0 : (rate - knee) * 60,
          pass: ok,
          ...(ok ? {} : { reason: `grows ${(rate - knee) * 60}/min` }),
        },
      ],
      integrity: { accepted: null, completed: null, deadLettered: null, lost: 0, duplicated: 0 },
      verdict: ok ? 'pass' : 'fail',
    };
    writeFileSync(join(settings.outDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    const outcome: StepOutcome = {
      runDir: settings.outDir,
      exitCode: interrupted ? 130 : ok ? 0 : 1,
      interrupted,
      report,
      engine: {
        targetRate: rate,
        achievedRate: saturated ? (pipeline.generatorLimit ?? rate) : Math.min(rate, knee * 1.02),
        dropped: saturated ? Math.round(rate - (pipeline.generatorLimit ?? 0)) : 0,
        generatorSaturated: saturated,
        ...(saturated
          ? { saturationNote: 'generator saturated from 3 s: worker event-loop delay p99 250 ms' }
          : {}),
      },
    };
    return outcome;
  };
  return { runStep, calls };
}
