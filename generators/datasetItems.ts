// A seeded dataset held in memory for one run: the same lines `pipesoak generate` writes, parsed
// back, so a run and a generated file agree byte for byte on a seed. Bounded by its count, which
// the runner caps; iteration k takes item k mod count, so a soak of any length cycles it.
import { type DatasetItem, parseDataset } from './datasetFormat.ts';
import { datasetLines } from './datasetLines.ts';
import type { DatasetOptions } from './datasetOptions.ts';

export function datasetItems(options: DatasetOptions): DatasetItem[] {
  return parseDataset([...datasetLines(options)].join('')).items;
}
