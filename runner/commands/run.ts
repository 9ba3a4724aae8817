// `pipesoak run <scenario.ts>`: one soak from config to verdict (runner/run/runScenario.ts).
import type { Argv, CommandModule } from 'yargs';
import { EXIT_CODES_HELP } from '../exitCodes.ts';

interface RunArgs {
  scenario: string;
  config?: string;
  duration?: string;
  'warm-up'?: string;
  rate?: string;
  seed?: string;
  out?: string;
  faults?: string;
  baseline?: string;
  workers?: string;
  segment?: string;
  'segment-sequence'?: string;
  'start-at'?: string;
  'run-id'?: string;
  'allow-remote'?: boolean;
  'allow-exec-faults'?: boolean;
}

export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run <scenario>',
  describe:
    'Run a scenario against the configured pipeline: load, samples, drain, integrity, reports, verdict',
  builder: (y) =>
    y
      .positional('scenario', {
        type: 'string',
        demandOption: true,
        describe: 'scenario .ts (or a compiled .mjs)',
      })
      .option('config', { type: 'string', describe: 'config file (default pipesoak.config.ts)' })
      .option('duration', {
        type: 'string',
        describe: 'load duration, e.g. 30s, 5m (overrides load.duration)',
      })
      .option('warm-up', {
        type: 'string',
        describe: 'left out of the SLO window, e.g. 10s (overrides load.warmUp)',
      })
      .option('rate', { type: 'string', describe: 'events per second (overrides load.rate)' })
      .option('seed', { type: 'string', describe: 'dataset seed (overrides load.seed)' })
      .option('out', {
        type: 'string',
        describe: 'run folder (default results/<scenario>-<yyyymmdd-hhmmss>)',
      })
      .option('faults', {
        type: 'string',
        describe: 'fault schedule file (defineFaults) run beside the load',
      })
      .option('baseline', {
        type: 'string',
        describe: 'report.json or run folder to compare with at the end; a regression exits 1',
      })
      .option('workers', {
        type: 'string',
        describe: 'engine worker threads (default: one per core less one, at most 2)',
      })
      .option('segment', {
        type: 'string',
        describe: "this process's share of the run, k6 syntax, e.g. 1/3:2/3",
      })
      .option('segment-sequence', { type: 'string', describe: 'all segments of the run, e.g. 0,1/3,2/3,1' })
      .option('start-at', { type: 'string', describe: 'ISO instant every segment starts at' })
      .option('run-id', { type: 'string', describe: 'run id, shared by the segments of one run' })
      .option('allow-exec-faults', {
        type: 'boolean',
        describe: 'let exec faults in --faults run their commands',
      })
      .option('allow-remote', { type: 'boolean', describe: 'allow a target that is not on loopback' })
      .example(
        '$0 run scenarios/steady.ts --rate 100 --duration 60s',
        'a one-minute steady soak of the configured target',
      )
      .example('$0 run scenarios/steady.ts --baseline results/last/report.json', 'fail on a p99 regression')
      .epilog(
        `One line at the start says where each setting came from. Progress is redrawn each second on a terminal,\none line every 10 s otherwise. Ctrl-C stops gracefully with a partial report; twice stops at once.\n\n${EXIT_CODES_HELP}`,
      ) as unknown as Argv<RunArgs>,
  handler: async (args) => {
    // Loaded here, not at the top, so other commands start without the engine and the collectors.
    const { runScenario } = await import('../run/runScenario.ts');
    const outcome = await runScenario({
      scenarioPath: args.scenario,
      flags: {
        ...pick(args),
        ...(args['allow-remote'] === true ? { allowRemote: true } : {}),
        ...(args['allow-exec-faults'] === true ? { allowExecFaults: true } : {}),
      },
    });
    process.exitCode = outcome.exitCode;
  },
};

function pick(args: RunArgs) {
  const flags: Record<string, string> = {};
  const names: [keyof RunArgs, string][] = [
    ['config', 'config'],
    ['duration', 'duration'],
    ['warm-up', 'warmUp'],
    ['rate', 'rate'],
    ['seed', 'seed'],
    ['out', 'out'],
    ['faults', 'faults'],
    ['baseline', 'baseline'],
    ['workers', 'workers'],
    ['segment', 'segment'],
    ['segment-sequence', 'segmentSequence'],
    ['start-at', 'startAt'],
    ['run-id', 'runId'],
  ];
  for (const [from, to] of names) {
    const value = args[from];
    if (typeof value === 'string') flags[to] = value;
  }
  return flags;
}
