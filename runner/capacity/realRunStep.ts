// The adapter between `pipesoak capacity` and the run lifecycle: a RunStep made of runScenario
// (runner/run/runScenario.ts), imported lazily so capacity loads without it.
import type { Config } from '../config/configSchema.ts';
import type { RunStep } from './capacityRun.ts';
import { workerConnectionsMax } from './workerConnections.ts';

export interface RealRunStepContext {
  scenarioPath: string;
  configPath?: string;
  /** The validated config; each step overrides load.rate, load.duration and load.warmUp. */
  config: Config;
  workers?: number;
  seed?: number;
  allowRemote?: boolean;
}

export async function makeRealRunStep(context: RealRunStepContext): Promise<RunStep> {
  const { runScenario } = await import('../run/runScenario.ts');
  return async (rate, step) => {
    const outcome = await runScenario({
      scenarioPath: context.scenarioPath,
      config: { config: context.config, input: {} },
      flags: {
        rate,
        duration: `${step.durationMs}ms`,
        warmUp: `${step.warmUpMs}ms`,
        out: step.outDir,
        runId: step.runId,
        ...(context.workers === undefined ? {} : { workers: context.workers }),
        ...(context.seed === undefined ? {} : { seed: context.seed }),
        ...(context.allowRemote === true ? { allowRemote: true } : {}),
      },
      // The capacity search owns Ctrl-C across its steps.
      handleSignals: false,
    });
    if (outcome.engine === undefined)
      throw new Error(`capacity step at ${rate}/s: the engine did not run (${outcome.runDir})`);
    const workerConnections = await workerConnectionsMax(
      outcome.runDir,
      context.config.target.applications.worker,
    );
    return { ...outcome, engine: outcome.engine, workerConnectionsMax: workerConnections };
  };
}
