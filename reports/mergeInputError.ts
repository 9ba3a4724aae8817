/** Segment folders that cannot be merged into one run; the message names the folder and the problem. */
export class MergeInputError extends Error {
  override readonly name = 'MergeInputError';
}
