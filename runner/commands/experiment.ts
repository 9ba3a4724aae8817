// `pipesoak experiment --list | <name> [--long]`: the built-in fault experiments of
// faults/experiments/. --list says what each does and what verdict it expects; a name runs it
// through `pipesoak run` (runner/run/runNamedExperiment.ts). Exit 0 when the run came out as the
// experiment expects (a failing verdict, for the brownout and the negative controls), 1 when not.
import type { Argv, CommandModule } from 'yargs';
import { describeExperiments, EXPERIMENTS } from '../../faults/experiments/experiments.ts';
import { UsageError } from '../usageError.ts';

interface ExperimentArgs {
  name?: string;
  list: boolean;
  long: boolean;
}

/** What runs a named experiment (runExperiment with the real run function); a stand-in in tests. */
export type RunNamedExperiment = (name: string, options: { long: boolean }) => Promise<number>;

const runNamedExperiment: RunNamedExperiment = async (name, options) =>
  (await import('../run/runNamedExperiment.ts')).runNamedExperiment(name, options);

export function experimentCommand(
  runNamed: RunNamedExperiment = runNamedExperiment,
): CommandModule<object, ExperimentArgs> {
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
        .example(
          '$0 experiment worker-crash',
          'kill -9 the worker in a 20 s run; exit 0 when nothing is lost',
        )
        .example('$0 experiment worker-crash --long', 'kill -9 the worker mid-soak')
        .epilog(
          'Exit 0 when the run came out as the experiment expects (for webhook-brownout and the\nnegative controls that is a failing verdict), 1 when it did not, 2 bad input, 3 the run\ncould not be made, 130 interrupted.',
        ) as Argv<ExperimentArgs>,
    handler: async (args) => {
      if (args.list) {
        process.stdout.write(`${describeExperiments().join('\n')}\n`);
        return;
      }
      if (args.name === undefined) throw new UsageError('name an experiment, or give --list');
      process.exitCode = await runNamed(args.name, { long: args.long });
    },
  };
}
