// `pipesoak demo` (`npm start`): brings the reference pipeline up, runs a one-minute steady soak
// through the engine with live progress, writes the reports, prints their paths, stops the pipeline
// and ends with the verdict's exit code. A reference pipeline already running is used and left up.
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Argv, CommandModule } from 'yargs';
import { EXIT_CODES_HELP } from '../exitCodes.ts';

interface DemoArgs {
  duration: string;
  'warm-up': string;
  rate?: string;
  out?: string;
}

export const DEMO_DEFAULTS = { duration: '60s', warmUp: '10s' } as const;
const STEADY = fileURLToPath(new URL('../../scenarios/steady.ts', import.meta.url));

export const demoCommand: CommandModule<object, DemoArgs> = {
  command: 'demo',
  describe:
    'Start the reference pipeline, run a one-minute steady soak against it, write the reports, stop it',
  builder: (y) =>
    y
      .option('duration', { type: 'string', default: DEMO_DEFAULTS.duration, describe: 'length of the soak' })
      .option('warm-up', {
        type: 'string',
        default: DEMO_DEFAULTS.warmUp,
        describe: 'left out of the SLO window',
      })
      .option('rate', {
        type: 'string',
        describe: 'events per second (default: the config, pipesoak.config.ts)',
      })
      .option('out', { type: 'string', describe: 'run folder (default results/steady-<yyyymmdd-hhmmss>)' })
      .example('$0 demo', 'what `npm start` does')
      .example('$0 demo --duration 5m --rate 200', 'a longer, harder soak')
      .epilog(EXIT_CODES_HELP) as unknown as Argv<DemoArgs>,
  handler: async (args) => {
    const { COMPONENTS } = await import('../../reference/component.ts');
    const { migrate } = await import('../../reference/migrate.ts');
    const { loadSettings } = await import('../../reference/settings.ts');
    const { isAlive, logPath, readState, stateDir } = await import('../referenceState.ts');
    const { ReferenceSupervisor } = await import('../referenceSupervisor.ts');
    const { runScenario } = await import('../run/runScenario.ts');

    const dir = stateDir();
    const running = readState(dir);
    let supervisor: InstanceType<typeof ReferenceSupervisor> | undefined;
    if (running && isAlive(running.supervisorPid)) {
      process.stdout.write(`using the reference pipeline already running (pid ${running.supervisorPid})\n`);
    } else {
      const settings = loadSettings();
      await migrate(settings.databaseUrl);
      await mkdir(dir, { recursive: true });
      const log = createWriteStream(logPath(dir), { flags: 'a' });
      supervisor = new ReferenceSupervisor({ onLog: (_name, line) => log.write(`${line}\n`) });
      process.stdout.write(
        `starting the reference pipeline (${COMPONENTS.join(', ')}; logs ${logPath(dir)}) ...\n`,
      );
      await supervisor.start(COMPONENTS);
    }
    try {
      const outcome = await runScenario({
        scenarioPath: STEADY,
        flags: {
          duration: args.duration,
          warmUp: args['warm-up'],
          ...(args.rate === undefined ? {} : { rate: args.rate }),
          ...(args.out === undefined ? {} : { out: args.out }),
        },
      });
      process.exitCode = outcome.exitCode;
    } finally {
      if (supervisor !== undefined) {
        process.stdout.write('stopping the reference pipeline ...\n');
        await supervisor.stopAll();
      }
    }
  },
};
