// `pipesoak capacity <scenario.ts>`: the highest rate the pipeline sustains (steps ramping up,
// then bisection), optionally for every combination of --sweep settings applied through the
// config's capacity.apply. Writes a capacity folder; --resume continues an interrupted one.
// Exit 0 every search has an answer, 1 one has none (generator limit, nothing sustainable, step
// limit), 2 bad input, 3 a step could not be run, 130 interrupted.
import { basename, extname, join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { commandApply } from '../capacity/applyCommand.ts';
import { CAPACITY_DEFAULTS } from '../capacity/capacityDefaults.ts';
import { CAPACITY_FILES } from '../capacity/capacityJson.ts';
import { CapacityInterrupted, runCapacity } from '../capacity/capacityRun.ts';
import { type CapacityFlags, capacitySettings } from '../capacity/capacitySettings.ts';
import { summaryLine } from '../capacity/capacityTables.ts';
import { describeSettings } from '../capacity/sweepAxes.ts';
import { loadConfig } from '../config/loadConfig.ts';
import { EXIT } from '../exitCodes.ts';
import { UsageError } from '../usageError.ts';

interface CapacityArgs extends CapacityFlags {
  scenario: string;
  config: string;
  out?: string;
  resume: boolean;
  workers?: number;
  seed?: number;
  'allow-remote': boolean;
}

const ANSWERED = new Set(['found', 'max-rate']);

function defaultOut(scenario: string, now: Date): string {
  const name = basename(scenario, extname(scenario));
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return join('results', `capacity-${name}-${stamp}`);
}

export const capacityCommand: CommandModule<object, CapacityArgs> = {
  command: 'capacity <scenario>',
  describe: 'Find the highest rate the pipeline sustains; --sweep worker settings to see which carries most',
  builder: (y) =>
    y
      .positional('scenario', { type: 'string', demandOption: true, describe: 'the scenario file (.ts)' })
      .option('config', { type: 'string', default: 'pipesoak.config.ts', describe: 'the config file' })
      .option('out', {
        type: 'string',
        describe: 'the capacity folder (default results/capacity-<scenario>-<time>)',
      })
      .option('resume', {
        type: 'boolean',
        default: false,
        describe: 'continue the search in --out from its capacity.json; finished steps are not run again',
      })
      .option('start-rate', {
        type: 'number',
        describe: `first step, events/s (${CAPACITY_DEFAULTS.startRate})`,
      })
      .option('factor', { type: 'number', describe: `ramp factor per step (${CAPACITY_DEFAULTS.factor})` })
      .option('precision', {
        type: 'number',
        describe: `bisect until the bounds are this close, 0.05 = 5% (${CAPACITY_DEFAULTS.precision})`,
      })
      .option('max-rate', {
        type: 'number',
        describe: `never offer more, events/s (${CAPACITY_DEFAULTS.maxRate})`,
      })
      .option('min-rate', {
        type: 'number',
        describe: `give up below, events/s (${CAPACITY_DEFAULTS.minRate})`,
      })
      .option('max-steps', { type: 'number', describe: `steps per search (${CAPACITY_DEFAULTS.maxSteps})` })
      .option('step-duration', {
        type: 'string',
        describe: `each step's run, e.g. 60s for a real plan (${CAPACITY_DEFAULTS.stepDurationMs / 1000}s)`,
      })
      .option('warm-up', {
        type: 'string',
        describe: `each step's warm-up (${CAPACITY_DEFAULTS.stepWarmUpMs / 1000}s)`,
      })
      .option('cool-down', {
        type: 'string',
        describe: `pause after each step (${CAPACITY_DEFAULTS.coolDownMs / 1000}s)`,
      })
      .option('confirm', {
        type: 'boolean',
        describe: 're-run a failing step once before it counts (--no-confirm: count it at once)',
      })
      .option('sweep', {
        type: 'string',
        array: true,
        describe: 'a worker setting and its values, name=v1,v2 (repeat for more); needs capacity.apply',
      })
      .option('workers', { type: 'number', describe: 'engine worker threads per step' })
      .option('seed', { type: 'number', describe: 'the payload seed' })
      .option('allow-remote', { type: 'boolean', default: false, describe: 'allow a non-loopback target' })
      .check((a) => {
        if (a.resume && a.out === undefined)
          throw new UsageError('--resume needs --out, the folder to continue');
        return true;
      })
      .example('$0 capacity scenarios/steady.ts --step-duration 60s', 'the highest sustainable rate')
      .example(
        '$0 capacity scenarios/steady.ts --sweep batch=50,100,200 --sweep pool=5,10,20 --out results/cap',
        'a sustainable rate for each batch × pool setting',
      )
      .example(
        '$0 capacity scenarios/steady.ts --out results/cap --resume',
        'continue an interrupted search',
      ) as Argv<CapacityArgs>,
  handler: async (args) => {
    const config = await loadConfig(args.config);
    const settings = capacitySettings(config.capacity, args);
    const dir = args.out ?? defaultOut(args.scenario, new Date());
    const log = (line: string) => process.stdout.write(`${line}\n`);
    // Lazy: the run lifecycle is loaded only when a capacity search runs.
    const { makeRealRunStep } = await import('../capacity/realRunStep.ts');
    const runStep = await makeRealRunStep({
      scenarioPath: args.scenario,
      configPath: args.config,
      config,
      ...(args.workers === undefined ? {} : { workers: args.workers }),
      ...(args.seed === undefined ? {} : { seed: args.seed }),
      allowRemote: args['allow-remote'],
    });
    let result: Awaited<ReturnType<typeof runCapacity>>;
    try {
      result = await runCapacity({
        dir,
        scenario: args.scenario,
        search: settings.search,
        step: settings.step,
        sweep: settings.sweep,
        runStep,
        ...(settings.apply === undefined
          ? {}
          : { apply: commandApply(settings.apply, { onLog: (l) => process.stderr.write(`apply: ${l}\n`) }) }),
        resume: args.resume,
        onProgress: log,
      });
    } catch (err) {
      if (!(err instanceof CapacityInterrupted)) throw err;
      process.stderr.write(`pipesoak: capacity ${err.message} (--out ${dir})\n`);
      process.exitCode = EXIT.interrupted;
      return;
    }
    for (const combo of result.combos) {
      log(
        `${result.sweep.length === 0 ? 'result' : describeSettings(combo.settings)}: ${summaryLine(combo)}`,
      );
    }
    log(`capacity folder: ${dir} (${CAPACITY_FILES.md}, ${CAPACITY_FILES.html})`);
    const answered = result.combos.every((c) => c.result !== null && ANSWERED.has(c.result.conclusion));
    process.exitCode = answered ? EXIT.pass : EXIT.sloFailed;
  },
};
