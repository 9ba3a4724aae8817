// `pipesoak experiment --list | <name> [--long]`: the built-in fault experiments of
// faults/experiments/. --list says what each does and what verdict it expects. Running one needs
// `pipesoak run`: the lead wires it by passing the run function to experimentCommand().
import type { Argv, CommandModule } from 'yargs';
import { describeExperiments, EXPERIMENTS } from '../../faults/experiments/experiments.ts';
import { UsageError } from '../usageError.ts';

interface ExperimentArgs {
  name?: string;
  list: boolean;
  long: boolean;
}

/** What runs a named experiment once `run` exists (runExperiment with the real run function). */
export type RunNamedExperiment = (name: string, options: { long: boolean }) => Promise<number>;

export function experimentCommand(runNamed?: RunNamedExperiment): CommandModule<object, ExperimentArgs> {
  return {
    command: 'experiment [name]',
    describe: 'Run a built-in fault experiment (worker-crash, broker-pause, ...); --list says what each does',
    builder: (y: Argv) =>
      y
        .positional('name', {
          type: 'string',
          choices: EXPERIMENTS.map((e) => e.name),
          describe: 'the experiment to run',
        })
        .option('list', { type: 'boolean', default: false, describe: 'list the experiments and exit' })
        .option('long', {
          type: 'boolean',
          default: false,
          describe: 'the soak profile (minutes at a higher rate) instead of the short CI one',
        })
        .example('$0 experiment --list', 'what each experiment does and the verdict it expects')
        .example('$0 experiment worker-crash --long', 'kill -9 the worker mid-soak') as Argv<ExperimentArgs>,
    handler: async (args) => {
      if (args.list) {
        process.stdout.write(`${describeExperiments().join('\n')}\n`);
        return;
      }
      if (args.name === undefined) throw new UsageError('name an experiment, or give --list');
      if (!runNamed) throw new Error('running an experiment needs `pipesoak run`, which is not wired in yet');
      process.exitCode = await runNamed(args.name, { long: args.long });
    },
  };
}
