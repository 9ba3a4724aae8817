// `pipesoak doctor`: what this machine has for a run (placeholder until the doctor lands).
import type { CommandModule } from 'yargs';

export const doctorCommand: CommandModule = {
  command: 'doctor',
  describe: 'Check the k6 binary, Postgres, NATS and their versions',
  handler: async () => {},
};
