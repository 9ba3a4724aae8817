// `pipesoak reference up|down|migrate` (placeholder until the supervisor lands).
import type { CommandModule } from 'yargs';
import { migrate } from '../../reference/migrate.ts';
import { loadSettings } from '../../reference/settings.ts';

export const referenceCommand: CommandModule = {
  command: 'reference <action>',
  describe: 'Run the reference pipeline: up, down or migrate',
  builder: (y) => y.positional('action', { choices: ['up', 'down', 'migrate'] as const, demandOption: true }),
  handler: async () => {
    const result = await migrate(loadSettings().databaseUrl);
    process.stdout.write(`${JSON.stringify(result)}\n`);
  },
};
