// Generates a dataset and writes it to a file: the one call the CLI, the runner and the bench use.

import { type WriteTarget, writeAtomically } from '../record/writeAtomically.ts';
import type { DatasetMeta } from './datasetFormat.ts';
import { datasetLines, datasetMeta } from './datasetLines.ts';
import { type DatasetOptions, datasetOptionsProblem } from './datasetOptions.ts';

export interface GenerateTarget extends WriteTarget {
  /** Items done so far; called every thousand items and at the end. */
  onProgress?: (done: number) => void;
}

export interface GenerateResult {
  meta: DatasetMeta;
  path: string;
  bytes: number;
  seconds: number;
}

export async function generateDataset(
  options: DatasetOptions,
  target: GenerateTarget,
): Promise<GenerateResult> {
  const problem = datasetOptionsProblem(options);
  if (problem) throw new Error(problem);
  const started = performance.now();
  const bytes = await writeAtomically(datasetLines(options, target.onProgress), target);
  return {
    meta: datasetMeta(options),
    path: target.path,
    bytes,
    seconds: (performance.now() - started) / 1000,
  };
}
