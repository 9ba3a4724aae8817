// The run function of an experiment (runExperiment.ts): one runScenario with
// the experiment's target (the components it started), load profile, SLOs, faults file, fault
// scope and context, and its integrity queries. report.json is what the expectation is checked on.

import type { ConfigInput } from '../config/configSchema.ts';
import { validateConfig } from '../config/validateConfig.ts';
import type { ExperimentRunFn, ExperimentRunRequest } from './runExperiment.ts';
import { type RunOptions, runScenario } from './runScenario.ts';

export const EXPERIMENT_RUN_DEFAULTS = {
  /** Enough VUs that a slow gateway on a loaded machine does not drop iterations. */
  vus: { preAllocated: 20, max: 2000 },
  /** Recovery is judged from these samples: twice a second shows a few-second drain. */
  collectorInterval: '500ms',
  /** A killed worker's deliveries wait out the ack wait (30 s in --long) before they come back. */
  drainTimeout: '90s',
} as const;

export interface ExperimentRunSetup {
  out?: RunOptions['out'];
  handleSignals?: boolean;
}

export function experimentRun(setup: ExperimentRunSetup = {}): ExperimentRunFn {
  return async (request: ExperimentRunRequest) => {
    const input: ConfigInput = {
      target: request.target,
      load: {
        rate: request.flags.rate,
        duration: request.flags.duration,
        warmUp: request.flags.warmUp,
        vus: { ...EXPERIMENT_RUN_DEFAULTS.vus },
        seed: request.flags.seed,
      },
      collectors: { interval: EXPERIMENT_RUN_DEFAULTS.collectorInterval },
      drainTimeout: EXPERIMENT_RUN_DEFAULTS.drainTimeout,
      slos: request.slos,
    };
    const outcome = await runScenario({
      scenarioPath: request.scenarioPath,
      flags: {
        faults: request.flags.faults,
        runId: request.flags.runId,
        ...(request.flags.out === undefined ? {} : { out: request.flags.out }),
      },
      config: { config: validateConfig(input), input },
      faultScope: { scope: request.faultScope, context: request.faultContext },
      ...(request.integrityQueries === undefined ? {} : { integrityQueries: request.integrityQueries }),
      ...(setup.out === undefined ? {} : { out: setup.out }),
      ...(setup.handleSignals === undefined ? {} : { handleSignals: setup.handleSignals }),
    });
    return { runDir: outcome.runDir, exitCode: outcome.exitCode, report: outcome.report };
  };
}
