// How fast `pipesoak generate` writes a dataset: events/s and file size for a 1,000,000-event
// dataset (the default), median of --runs runs, each writing a fresh file and deleting it.
// Usage: node --import tsx bench/generateRate.ts [--count 1000000] [--runs 3] [--kind chat] [--seed 1]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PAYLOAD_KINDS, type PayloadKind } from '../generators/datasetFormat.ts';
import { datasetOptions } from '../generators/datasetOptions.ts';
import { generateDataset } from '../generators/generateDataset.ts';
import { median } from './support/median.ts';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '3' },
    kind: { type: 'string', default: 'chat' },
    seed: { type: 'string', default: '1' },
  },
});
const count = Number(values.count);
const runs = Number(values.runs);
const kind = values.kind as PayloadKind;
if (!PAYLOAD_KINDS.includes(kind)) throw new Error(`--kind must be one of ${PAYLOAD_KINDS.join(', ')}`);
const options = datasetOptions({ kind, seed: Number(values.seed), count, poisonShare: 0.05 });

const dir = await mkdtemp(join(tmpdir(), 'pipesoak-bench-generate-'));
const rates: number[] = [];
let bytes = 0;
try {
  for (let run = 1; run <= runs; run++) {
    const path = join(dir, `run${run}.json`);
    const result = await generateDataset(options, { path });
    bytes = result.bytes;
    rates.push(count / result.seconds);
    process.stdout.write(
      `run ${run}: ${Math.round(count / result.seconds)} events/s (${result.seconds.toFixed(2)} s)\n`,
    );
    await rm(path);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
const rate = median(rates);
process.stdout.write(
  `generate ${kind}, ${count} events, median of ${runs}: ${Math.round(rate)} events/s, ` +
    `file ${(bytes / 1e6).toFixed(1)} MB (${Math.round(bytes / count)} bytes/event), ` +
    `${((rate * bytes) / count / 1e6).toFixed(1)} MB/s\n`,
);
