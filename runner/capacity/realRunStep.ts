// The adapter between `pipesoak capacity` and the run lifecycle: a RunStep made of runScenario
// (runner/run/runScenario.ts), imported lazily so capacity loads without it. Not wired yet: until
// the lead fills in the body below, making a step function throws "not wired".
import type { Config } from '../config/configSchema.ts';
import type { RunStep } from './capacityRun.ts';

export interface RealRunStepContext {
  scenarioPath: string;
  configPath?: string;
  /** The validated config; each step overrides load.rate, load.duration and load.warmUp. */
  config: Config;
  workers?: number;
  seed?: number;
  allowRemote?: boolean;
}

/** Thrown until runScenario is wired in; the CLI reports it as one line, exit 3. */
export class NotWiredError extends Error {
  override readonly name = 'NotWiredError';
}

export async function makeRealRunStep(context: RealRunStepContext): Promise<RunStep> {
  void context;
  // The intended body, once runner/run/runScenario.ts exists (RunOutcome fits StepOutcome):
  //
  //   const { runScenario } = await import('../run/runScenario.ts');
  //   return async (rate, step) =>
  //     runScenario({
  //       scenarioPath: context.scenarioPath,
  //       configPath: context.configPath,
  //       config: {
  //         ...context.config,
  //         load: { ...context.config.load, rate, duration: step.durationMs, warmUp: step.warmUpMs },
  //       },
  //       flags: {
  //         rate,
  //         duration: `${step.durationMs}ms`,
  //         out: step.outDir,
  //         runId: step.runId,
  //         workers: context.workers,
  //         seed: context.seed,
  //         allowRemote: context.allowRemote,
  //       },
  //       quiet: true,
  //     });
  throw new NotWiredError(
    'capacity: not wired: the run lifecycle (runner/run/runScenario.ts) is not connected to runner/capacity/realRunStep.ts yet',
  );
}
