// `pipesoak compare <baseline> <current>`: two report.json files or run folders compared on
// latency, throughput, integrity and SLO verdicts, ending with one line naming each regression.
// Exit 0 no regression, 1 regression, 2 a path that is not a readable report or run folder.
import type { Argv, CommandModule } from 'yargs';
import { COMPARE_DEFAULTS, compareReports, renderComparisonMarkdown } from '../../reports/compare.ts';
import { readComparedReport } from '../../reports/readComparedReport.ts';
import { ReportFileError } from '../../reports/readReportJson.ts';
import { EXIT } from '../exitCodes.ts';
import { UsageError } from '../usageError.ts';

interface CompareArgs {
  baseline: string;
  current: string;
  // yargs hands over both spellings of a dashed option.
  'p99-pct': number;
  'p99-ms': number;
  'throughput-pct': number;
  p99Pct: number;
  p99Ms: number;
  throughputPct: number;
  format: 'md' | 'json';
}

export const compareCommand: CommandModule<object, CompareArgs> = {
  command: 'compare <baseline> <current>',
  describe:
    'Compare two runs (report.json files or run folders): latency, throughput, integrity and SLO verdicts',
  builder: (y) =>
    y
      .positional('baseline', {
        type: 'string',
        demandOption: true,
        describe: 'the baseline: a report.json or a run folder',
      })
      .positional('current', {
        type: 'string',
        demandOption: true,
        describe: 'the run to judge: a report.json or a run folder',
      })
      .option('p99-pct', {
        type: 'number',
        default: COMPARE_DEFAULTS.p99Pct,
        describe: 'regression margin on p99, percent (both margins must be exceeded)',
      })
      .option('p99-ms', {
        type: 'number',
        default: COMPARE_DEFAULTS.p99Ms,
        describe: 'regression margin on p99, milliseconds (both margins must be exceeded)',
      })
      .option('throughput-pct', {
        type: 'number',
        default: COMPARE_DEFAULTS.throughputPct,
        describe: 'regression margin on throughput (achieved share of target), percent',
      })
      .option('format', {
        choices: ['md', 'json'] as const,
        default: 'md' as const,
        describe: 'output format',
      })
      .check((a) => {
        for (const key of ['p99-pct', 'p99-ms', 'throughput-pct'] as const) {
          const v = a[key];
          if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
            throw new UsageError(`--${key} must be a number >= 0`);
        }
        return true;
      })
      .example(
        '$0 compare baseline/report.json results/nightly/report.json',
        'exit 1 on a regression, naming each in the last line',
      )
      .example('$0 compare results/steady-20260101-020000 results/steady-20260102-020000', 'two run folders')
      .epilog(
        'A regression: a p99 worse by more than both margins; throughput (achieved share of the target rate) ' +
          'lower by more than its margin; more events lost or duplicated; an SLO that passed in the baseline and fails now.',
      ) as Argv<CompareArgs>,
  handler: async (args) => {
    let comparison: ReturnType<typeof compareReports>;
    try {
      const [baseline, current] = [
        await readComparedReport(args.baseline),
        await readComparedReport(args.current),
      ];
      comparison = compareReports(baseline, current, {
        p99Pct: args.p99Pct,
        p99Ms: args.p99Ms,
        throughputPct: args.throughputPct,
      });
    } catch (err) {
      if (err instanceof ReportFileError) throw new UsageError(err.message);
      throw err;
    }
    const text =
      args.format === 'json'
        ? `${JSON.stringify(comparison, null, 2)}\n`
        : renderComparisonMarkdown(comparison);
    await new Promise<void>((done) => process.stdout.write(text, () => done()));
    process.exitCode = comparison.regression ? EXIT.sloFailed : EXIT.pass;
  },
};
