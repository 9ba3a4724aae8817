// `pipesoak compare <baseline.json> <current.json>`: latency deltas between two reports.
// Exit 0 no regression, 1 regression, 2 unreadable or invalid report files.
import type { Argv, CommandModule } from 'yargs';
import { COMPARE_DEFAULTS, compareReports, renderComparisonMarkdown } from '../../reports/compare.ts';
import { ReportFileError, readReportJson } from '../../reports/readReportJson.ts';
import { EXIT } from '../exitCodes.ts';
import { UsageError } from '../usageError.ts';

interface CompareArgs {
  baseline: string;
  current: string;
  // yargs hands over both spellings of a dashed option.
  'p99-pct': number;
  'p99-ms': number;
  p99Pct: number;
  p99Ms: number;
  format: 'md' | 'json';
}

export const compareCommand: CommandModule<object, CompareArgs> = {
  command: 'compare <baseline> <current>',
  describe: 'Compare two report.json files: deltas per metric and percentile, p99 regressions',
  builder: (y) =>
    y
      .positional('baseline', { type: 'string', demandOption: true, describe: 'the baseline report.json' })
      .positional('current', { type: 'string', demandOption: true, describe: 'the report.json to judge' })
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
      .option('format', {
        choices: ['md', 'json'] as const,
        default: 'md' as const,
        describe: 'output format',
      })
      .check((a) => {
        for (const key of ['p99-pct', 'p99-ms'] as const) {
          const v = a[key];
          if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
            throw new UsageError(`--${key} must be a number >= 0`);
        }
        return true;
      })
      .example(
        '$0 compare baseline/report.json results/nightly/report.json',
        'exit 1 on a p99 regression',
      ) as Argv<CompareArgs>,
  handler: async (args) => {
    let comparison: ReturnType<typeof compareReports>;
    try {
      comparison = compareReports(readReportJson(args.baseline), readReportJson(args.current), {
        p99Pct: args.p99Pct,
        p99Ms: args.p99Ms,
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
