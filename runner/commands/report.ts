// `pipesoak report <run-dir>`: re-renders report.json, report.md, junit.xml and report.html from
// the run's stored logs. Exit 0 when the verdict is pass, 1 when an SLO fails, 2 for a bad run folder.
import type { Argv, CommandModule } from 'yargs';
import { EXIT } from '../exitCodes.ts';
import { UsageError } from '../usageError.ts';

// yargs hands over both spellings of a dashed positional.
interface ReportArgs {
  'run-dir': string;
  runDir: string;
}

export const reportCommand: CommandModule<object, ReportArgs> = {
  command: 'report <run-dir>',
  describe:
    'Re-render report.json, report.md, junit.xml and report.html of a run folder from its stored logs',
  builder: (y) =>
    y
      .positional('run-dir', { type: 'string', demandOption: true, describe: 'the run folder (results/...)' })
      .example('$0 report results/smoke-20250101-120000', 'render again, e.g. after changing SLO defaults')
      .epilog(
        'Reads series.ndjson, collectors.hlog and load.hlog (when present). A log cut off mid-line, as a crash leaves it, gives a partial report.',
      ) as Argv<ReportArgs>,
  handler: async (args) => {
    // Loaded here, not at the top, so other commands start without the reporting stack.
    const { renderRunFolder } = await import('../../reports/renderRunFolder.ts');
    const { RunFolderError } = await import('../../reports/summarizeRunFolder.ts');
    let report: Awaited<ReturnType<typeof renderRunFolder>>;
    try {
      report = await renderRunFolder(args.runDir);
    } catch (err) {
      if (err instanceof RunFolderError) throw new UsageError(err.message);
      throw err;
    }
    const failed = report.slos.filter((s) => !s.pass).map((s) => s.name);
    process.stdout.write(
      `${args.runDir}: report.json, report.md, junit.xml, report.html written; verdict ${report.verdict}` +
        `${failed.length ? ` (failed: ${failed.join(', ')})` : ''}${report.partial ? ' (partial run)' : ''}\n`,
    );
    process.exitCode = report.verdict === 'pass' ? EXIT.pass : EXIT.sloFailed;
  },
};
