// `pipesoak doctor`: what this machine has for a run. Exit 0 when every check passes, 3 (a run could not be made) otherwise.
import type { CommandModule } from 'yargs';
import { loadSettings, type ReferenceSettings } from '../../reference/settings.ts';
import { doctor, formatCheck } from '../doctor.ts';
import { EXIT } from '../exitCodes.ts';
import { UsageError } from '../usageError.ts';

interface DoctorArgs {
  json: boolean;
}

export const doctorCommand: CommandModule<object, DoctorArgs> = {
  command: 'doctor',
  describe:
    "Check Node, the engine's parts (undici, nats.js, hdr-histogram-js WASM, esbuild, worker threads), Postgres and NATS, with their versions",
  builder: (y) =>
    y
      .option('json', { type: 'boolean', default: false, describe: 'Print the results as JSON' })
      .epilog('Reads REFERENCE_DATABASE_URL, NATS_URL, STREAM and DLQ_STREAM from the environment.'),
  handler: async (args) => {
    let settings: ReferenceSettings;
    try {
      settings = loadSettings();
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const report = await doctor({ settings });
    const text = args.json
      ? `${JSON.stringify(report, null, 2)}\n`
      : `${report.checks.map(formatCheck).join('\n')}\n${report.ok ? 'ready to run' : 'not ready: fix the ✗ lines above'}\n`;
    await new Promise<void>((done) => process.stdout.write(text, () => done()));
    process.exitCode = report.ok ? EXIT.pass : EXIT.runFailed;
    // The output is flushed. A check that hit its deadline may leave a client library's socket
    // connecting (nats.js keeps one to an unroutable host): do not wait for it.
    setTimeout(() => process.exit(), 100).unref();
  },
};
