// The pipesoak command line. Strict: unknown commands and flags are usage errors (exit 2). Every
// error ends as one line on stderr and an exit code of runner/exitCodes.ts; a crash is 3, never 1.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { OptionsError } from '../engine/scenarioOptions.ts';
import { SegmentError } from '../engine/segment.ts';
import { capacityCommand } from './commands/capacity.ts';
import { compareCommand } from './commands/compare.ts';
import { compileCommand } from './commands/compile.ts';
import { demoCommand } from './commands/demo.ts';
import { doctorCommand } from './commands/doctor.ts';
import { experimentCommand } from './commands/experiment.ts';
import { generateCommand } from './commands/generate.ts';
import { initCommand } from './commands/init.ts';
import { k8sCommand } from './commands/k8s.ts';
import { mergeCommand } from './commands/merge.ts';
import { proxiesCommand } from './commands/proxies.ts';
import { referenceCommand } from './commands/reference.ts';
import { reportCommand } from './commands/report.ts';
import { runCommand } from './commands/run.ts';
import { exitFor } from './errorExit.ts';
import { EXIT, EXIT_CODES_HELP } from './exitCodes.ts';
import { PreflightError } from './preflightError.ts';
import { UsageError } from './usageError.ts';

function fail(message: string, code: number = EXIT.usage): never {
  process.stderr.write(`pipesoak: ${message}\n`);
  process.exit(code);
}

const crash = (err: unknown) => {
  const { code, message } = exitFor(err);
  fail(message, code);
};
process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);

try {
  await yargs(hideBin(process.argv))
    .scriptName('pipesoak')
    .usage(
      '$0 <command> [options]\n\nLoad and soak testing for outbox -> JetStream -> worker -> webhook pipelines.',
    )
    .command(runCommand)
    .command(demoCommand)
    .command(referenceCommand)
    .command(doctorCommand)
    .command(reportCommand)
    .command(compareCommand)
    .command(generateCommand)
    .command(compileCommand)
    .command(initCommand)
    .command(k8sCommand)
    .command(proxiesCommand)
    .command(experimentCommand())
    .command(mergeCommand)
    .command(capacityCommand)
    .demandCommand(1, 'name a command; `pipesoak --help` lists them')
    .strict()
    .recommendCommands()
    .epilogue(EXIT_CODES_HELP)
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(110, process.stdout.columns ?? 110))
    .fail((msg, err) => {
      if (err && !(err instanceof UsageError)) throw err;
      // yargs spreads some messages over lines; users and CI get one.
      fail(
        (err?.message ?? msg ?? 'invalid usage')
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean)
          .join(' '),
      );
    })
    .parseAsync();
} catch (err) {
  if (err instanceof OptionsError) {
    // Every problem of every executor at once, one per line.
    for (const line of err.problems) process.stderr.write(`pipesoak: ${line}\n`);
    process.exit(EXIT.usage);
  }
  if (err instanceof SegmentError) fail(err.message);
  if (err instanceof PreflightError) {
    for (const line of err.lines) process.stderr.write(`pipesoak: ${line}\n`);
    process.exit(EXIT.runFailed);
  }
  crash(err);
}
