// `pipesoak generate`: writes a seeded synthetic dataset that a scenario's iterations draw their payloads from.
import type { Argv, CommandModule } from 'yargs';
import { PAYLOAD_KINDS, type PayloadKind } from '../../generators/datasetFormat.ts';
import {
  DEFAULT_KIND,
  DEFAULT_POISON_SHARE,
  datasetOptions,
  datasetOptionsProblem,
} from '../../generators/datasetOptions.ts';
import { DEFAULT_TEXT_LENGTH } from '../../generators/textLength.ts';
import { countProgress } from '../countProgress.ts';
import { UsageError } from '../usageError.ts';

interface GenerateArgs {
  seed: number;
  count: number;
  out: string;
  runId?: string;
  poisonShare: number;
  kind: PayloadKind;
  textMedian: number;
  textSigma: number;
  textMax: number;
  force: boolean;
}

// 128 + the signal's number, as a shell reports a process the signal ended.
import { EXIT, EXIT_ON_SIGNAL } from '../exitCodes.ts';

function size(bytes: number): string {
  return bytes < 1e6 ? `${(bytes / 1e3).toFixed(1)} kB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

export const generateCommand: CommandModule<object, GenerateArgs> = {
  command: 'generate',
  describe: 'Write a seeded synthetic dataset (same seed and options: same bytes) for scenarios to load',
  builder: (y: Argv) =>
    y
      .option('seed', { type: 'number', demandOption: true, describe: 'RNG seed, a whole number >= 0' })
      .option('count', { type: 'number', demandOption: true, describe: 'number of payloads' })
      .option('out', { type: 'string', demandOption: true, describe: 'dataset file to write (JSON)' })
      .option('run-id', {
        type: 'string',
        describe: 'correlation id prefix: ids are <run-id>-<seq> [default: seed<seed>]',
      })
      .option('poison-share', {
        type: 'number',
        default: DEFAULT_POISON_SHARE,
        describe: 'share of payloads marked poison: true (exactly round(count * share), seeded picks)',
      })
      .option('kind', {
        choices: PAYLOAD_KINDS,
        default: DEFAULT_KIND,
        describe: 'chat: /api/messages bodies; event: domain events for JetStream; prompt: /api/chat bodies',
      })
      .option('text-median', {
        type: 'number',
        default: DEFAULT_TEXT_LENGTH.median,
        describe: 'median text length in characters (lognormal)',
      })
      .option('text-sigma', {
        type: 'number',
        default: DEFAULT_TEXT_LENGTH.sigma,
        describe: 'spread of text length: standard deviation of ln(length)',
      })
      .option('text-max', {
        type: 'number',
        default: DEFAULT_TEXT_LENGTH.max,
        describe: 'cap on text length in characters',
      })
      .option('force', { type: 'boolean', default: false, describe: 'replace an existing --out file' })
      .example('$0 generate --seed 42 --count 100000 --out data/chat.json', '100k chat messages')
      .example(
        '$0 generate --seed 7 --count 1e6 --kind event --poison-share 0.05 --run-id soak1 --out ev.json',
        'a million events, 5% poison',
      )
      .epilog(
        'The file is one JSON document: {"schema":"pipesoak.dataset/v1","meta":{...},"items":[...]}, one item a\n' +
          'line; a scenario reads it with parseDataset from generators/datasetFormat.ts.',
      ) as unknown as Argv<GenerateArgs>, // yargs types the kebab-case keys; the camelCase ones exist at run time
  handler: async (args) => {
    // Loaded here, not at the top: faker takes most of a second to load and only this command needs it.
    const { generateDataset } = await import('../../generators/generateDataset.ts');
    const { OutputError } = await import('../../record/writeAtomically.ts');
    // yargs turns a repeated flag into an array; which value was meant would be a guess.
    // (Keys without capitals are the flags as typed; the camelCase copies repeat them.)
    const repeated = Object.keys(args).find(
      (key) => key !== '_' && !/[A-Z]/.test(key) && Array.isArray(args[key]),
    );
    if (repeated) throw new UsageError(`--${repeated} is given more than once`);
    const options = datasetOptions({
      kind: args.kind,
      seed: args.seed,
      count: args.count,
      ...(args.runId !== undefined ? { runId: args.runId } : {}),
      poisonShare: args.poisonShare,
      text: { median: args.textMedian, sigma: args.textSigma, max: args.textMax },
    });
    const problem = datasetOptionsProblem(options);
    if (problem) throw new UsageError(problem);
    if (args.out.trim() === '') throw new UsageError('--out must name a file');

    const progress = countProgress('generate', options.count);
    const abort = new AbortController();
    let signalled = 'SIGINT';
    const interrupt = (signal: NodeJS.Signals) => {
      signalled = signal;
      abort.abort(new Error(`interrupted by ${signal}`));
    };
    process.once('SIGINT', interrupt);
    process.once('SIGTERM', interrupt);
    try {
      const result = await generateDataset(options, {
        path: args.out,
        force: args.force,
        signal: abort.signal,
        onProgress: (done) => progress.update(done),
      });
      progress.end();
      const { meta } = result;
      process.stdout.write(
        `wrote ${meta.count} ${meta.kind} payloads (seed ${meta.seed}, run id ${meta.runId}, ` +
          `${meta.poisonCount} poison) to ${result.path}: ${size(result.bytes)} in ` +
          `${result.seconds.toFixed(1)} s\n`,
      );
    } catch (err) {
      progress.end();
      if (err instanceof OutputError) throw new UsageError(`--out: ${err.message}`);
      if (abort.signal.aborted) {
        process.stderr.write(`pipesoak: interrupted by ${signalled}; ${args.out} is as it was before\n`);
        process.exit(EXIT_ON_SIGNAL[signalled] ?? EXIT.interrupted);
      }
      throw err;
    } finally {
      process.off('SIGINT', interrupt);
      process.off('SIGTERM', interrupt);
    }
  },
};
