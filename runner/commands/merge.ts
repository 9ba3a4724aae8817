// `pipesoak merge <run-dir…> --out DIR`: merges the run folders of one run's segments into one run
// folder and renders its reports, those of a single run. Exit 0 when the merged verdict is pass, 1
// when an SLO fails, 2 when the folders are not one run (named) or a file in them is garbled.
import type { Argv, CommandModule } from 'yargs';
import { EXIT } from '../exitCodes.ts';
import { UsageError } from '../usageError.ts';

// yargs hands over both spellings of a dashed positional.
interface MergeArgs {
  'run-dirs': string[];
  runDirs: string[];
  out: string;
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
    const { report } = result;
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
