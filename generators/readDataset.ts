// Streams a dataset file through the line reader every line file uses (record/lineReader.ts), so
// a fault is reported as "file: line N: reason" (DatasetFormatError, a RecordFormatError).
import { readLines } from '../record/lineReader.ts';
import { type Dataset, DatasetLineParser, type PayloadBody } from './datasetFormat.ts';

export async function readDataset<B extends PayloadBody = PayloadBody>(path: string): Promise<Dataset<B>> {
  const parser = new DatasetLineParser<B>(path);
  // A cut last line needs no special case: the tail is missing, so finish() says truncated.
  for await (const { text, lineNo } of readLines(path)) parser.line(text, lineNo);
  return parser.finish();
}
