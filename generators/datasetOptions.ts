// What a dataset is made from, its defaults, and the one check every caller runs before generating.
import type { PayloadKind } from './datasetFormat.ts';
import { PAYLOAD_KINDS } from './datasetFormat.ts';
import { DEFAULT_TEXT_LENGTH, type TextLengthDistribution } from './textLength.ts';

export interface DatasetOptions {
  kind: PayloadKind;
  seed: number;
  count: number;
  /** Prefix of every correlation id (`<runId>-<seq>`). */
  runId: string;
  /** Share of events with `poison: true`, 0..1. */
  poisonShare: number;
  text: TextLengthDistribution;
}

export const MAX_COUNT = 100_000_000;
// Letters, digits and . _ : - so the id travels unescaped in headers, subjects and file names;
// 100 characters leave room for the sequence under the gateway's 200-character id limit.
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;
// A text-max past 1 MiB would make single events larger than JetStream's default max_payload.
const MAX_TEXT = 1_048_576;

export const DEFAULT_POISON_SHARE = 0;
export const DEFAULT_KIND: PayloadKind = 'chat';

/** The run id when none is given: derived from the seed, so the default output stays reproducible. */
export function defaultRunId(seed: number): string {
  return `seed${seed}`;
}

export function datasetOptions(
  partial: Pick<DatasetOptions, 'seed' | 'count'> & Partial<DatasetOptions>,
): DatasetOptions {
  return {
    kind: partial.kind ?? DEFAULT_KIND,
    seed: partial.seed,
    count: partial.count,
    runId: partial.runId ?? defaultRunId(partial.seed),
    poisonShare: partial.poisonShare ?? DEFAULT_POISON_SHARE,
    text: partial.text ?? DEFAULT_TEXT_LENGTH,
  };
}

const wholeIn = (n: number, min: number, max: number) => Number.isInteger(n) && n >= min && n <= max;

/** The first thing wrong with the options, worded with the CLI flag it comes from; undefined when fine. */
export function datasetOptionsProblem(o: DatasetOptions): string | undefined {
  if (!wholeIn(o.seed, 0, Number.MAX_SAFE_INTEGER))
    return `--seed must be a whole number from 0 to ${Number.MAX_SAFE_INTEGER} (got ${o.seed})`;
  if (!wholeIn(o.count, 1, MAX_COUNT))
    return `--count must be a whole number from 1 to ${MAX_COUNT} (got ${o.count})`;
  if (!(PAYLOAD_KINDS as readonly string[]).includes(o.kind))
    return `--kind must be one of ${PAYLOAD_KINDS.join(', ')} (got ${o.kind})`;
  if (!RUN_ID.test(o.runId))
    return `--run-id must be 1-100 letters, digits, '.', '_', ':' or '-', starting with a letter or digit (got ${JSON.stringify(o.runId)})`;
  if (!(o.poisonShare >= 0 && o.poisonShare <= 1))
    return `--poison-share must be a number from 0 to 1 (got ${o.poisonShare})`;
  if (o.kind === 'prompt' && o.poisonShare > 0)
    return '--poison-share must be 0 with --kind prompt: /api/chat has no poison field';
  if (!wholeIn(o.text.median, 1, MAX_TEXT))
    return `--text-median must be a whole number from 1 to ${MAX_TEXT} (got ${o.text.median})`;
  if (!(o.text.sigma >= 0 && o.text.sigma <= 4))
    return `--text-sigma must be a number from 0 to 4 (got ${o.text.sigma})`;
  if (!wholeIn(o.text.max, o.text.median, MAX_TEXT))
    return `--text-max must be a whole number from --text-median (${o.text.median}) to ${MAX_TEXT} (got ${o.text.max})`;
  return undefined;
}
