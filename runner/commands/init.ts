// `pipesoak init`: a commented pipesoak.config.ts and a starter scenario to point at your pipeline.
import type { Argv, CommandModule } from 'yargs';
import { initProject } from '../init/initProject.ts';
import { CONFIG_FILE, SCENARIO_FILE } from '../init/templates.ts';

interface InitArgs {
  dir: string;
  force: boolean;
}

export const initCommand: CommandModule<object, InitArgs> = {
  command: 'init',
  describe: `Write a commented ${CONFIG_FILE} and a starter scenario (${SCENARIO_FILE}) for your pipeline`,
  builder: (y: Argv) =>
    y
      .option('dir', { type: 'string', default: '.', describe: 'folder to write into' })
      .option('force', { type: 'boolean', default: false, describe: 'replace files that already exist' })
      .example('$0 init', `writes ./${CONFIG_FILE} and ./${SCENARIO_FILE}`)
      .example(
        '$0 init --dir soak --force',
        'into ./soak, replacing what is there',
      ) as unknown as Argv<InitArgs>,
  handler: async (args) => {
    const written = await initProject({ dir: args.dir, force: args.force });
    process.stdout.write(
      `wrote ${written.join(' and ')}\n` +
        `next: replace the example names in ${written[0]} (target, SLOs) and the request in ${written[1]}, ` +
        `then run: npx pipesoak run ${written[1]}\n`,
    );
  },
};
