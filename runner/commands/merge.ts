// `pipesoak merge <run-dir…> --out DIR [--config FILE]`: merges the run folders of one run's segments
// into one run folder and renders its reports, those of a single run. Segment 0's integrity check saw
// only its own share of the accepted ids, so with --config the merged folder's ids (all segments')
// are checked again against the target's database and that check is the report's. Exit 0 when the
// merged verdict is pass, 1 when an SLO fails, 2 when the folders are not one run (named) or a file
// in them is garbled, 3 when the database cannot be read.
import type { Argv, CommandModule } from 'yargs';
import { EXIT } from '../exitCodes.ts';
import { UsageError } from '../usageError.ts';

// yargs hands over both spellings of a dashed positional.
interface MergeArgs {
  'run-dirs': string[];
  runDirs: string[];
  out: string;
  config?: string;
}

export const mergeCommand: CommandModule<object, MergeArgs> = {
  command: 'merge <run-dirs..>',
  describe: "Merge the run folders of a run's segments into one run folder, with exact percentiles",
  builder: (y) =>
    y
      .positional('run-dirs', {
        type: 'string',
        array: true,
        demandOption: true,
        describe: 'the segment run folders, in any order',
      })
      .option('out', { type: 'string', demandOption: true, describe: 'the merged run folder (new or empty)' })
      .option('config', {
        type: 'string',
        describe:
          "the run's config: check integrity again over every segment's accepted ids against its target database",
      })
      .example(
        '$0 merge results/soak/segment-0 results/soak/segment-1 results/soak/segment-2 --out results/soak/merged',
        'merge three segments of one run',
      )
      .epilog(
        'The folders must be one run: the same run id and scenario, segments that tile 0..1 with no gap or overlap, and exactly one segment (segment 0 or the coordinator) that ran the collectors. HDR intervals are added exactly and counters summed; collector data and the integrity check come from the segment that ran them.',
      ) as Argv<MergeArgs>,
  handler: async (args) => {
    // Loaded here, not at the top, so other commands start without the reporting stack.
    const { mergeRunFolders, MergeInputError } = await import('../../reports/mergeRunFolders.ts');
    const { RunFolderError } = await import('../../reports/summarizeRunFolder.ts');
    let result: Awaited<ReturnType<typeof mergeRunFolders>>;
    try {
      result = await mergeRunFolders({ dirs: args.runDirs, out: args.out });
    } catch (err) {
      if (err instanceof MergeInputError || err instanceof RunFolderError) throw new UsageError(err.message);
      throw err;
    }
    let { report } = result;
    if (args.config !== undefined) {
      const { loadConfigFile } = await import('../config/loadConfig.ts');
      const { checkIntegrity } = await import('../../faults/integrityChecker.ts');
      const { SeriesWriter } = await import('../../record/series.ts');
      const { RUN_FILES } = await import('../../record/runFiles.ts');
      const { renderRunFolder } = await import('../../reports/renderRunFolder.ts');
      const { join } = await import('node:path');
      const { config } = await loadConfigFile(args.config);
      // Appended after segment 0's integrity event: a run folder's last integrity event is its own.
      const series = SeriesWriter.open(join(args.out, RUN_FILES.series));
      try {
        await checkIntegrity({
          runDir: args.out,
          runId: report.run.id,
          databaseUrl: config.target.databaseUrl,
          series,
        });
      } finally {
        series.close();
      }
      report = await renderRunFolder(args.out);
    } else if (result.segments.length > 1) {
      process.stderr.write(
        "warning: the integrity counts are segment 0's share only; pass --config to check every segment's ids\n",
      );
    }
    for (const cut of result.cuts) {
      process.stderr.write(
        `warning: ${cut.source} line ${cut.line} was cut off mid-write (${cut.reason}): left out\n`,
      );
    }
    const failed = report.slos.filter((s) => !s.pass).map((s) => s.name);
    process.stdout.write(
      `${args.out}: merged ${result.segments.length} segments of run ${report.run.id}; verdict ${report.verdict}` +
        `${failed.length ? ` (failed: ${failed.join(', ')})` : ''}${report.partial ? ' (partial run)' : ''}\n`,
    );
    process.exitCode = report.verdict === 'pass' ? EXIT.pass : EXIT.sloFailed;
  },
};
