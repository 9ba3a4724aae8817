// A dataset as a lazy sequence of lines: nothing is generated until the writer asks for it, so a
// million events never sit in memory at once.
import {
  correlationIdFor,
  DATASET_TAIL,
  type DatasetItem,
  type DatasetMeta,
  datasetHead,
  datasetItemLine,
} from './datasetFormat.ts';
import { type DatasetOptions, datasetOptionsProblem } from './datasetOptions.ts';
import { createPayloadFactory, FAKER_VERSION } from './payloadFactory.ts';
import { PoisonPicker, poisonCount } from './poisonPicker.ts';
import { SeededRandom } from './seededRandom.ts';
import { seededTraceparent } from './traceparent.ts';

/** Bump when the same options would produce different bytes (new fields, other draws). */
export const GENERATOR_VERSION = 'pipesoak-generators/1';

const TRACE_STREAM = 0x74726163; // 'trac'
const PROGRESS_EVERY = 1_000;

export function datasetMeta(o: DatasetOptions): DatasetMeta {
  return {
    generator: GENERATOR_VERSION,
    faker: FAKER_VERSION,
    kind: o.kind,
    seed: o.seed,
    count: o.count,
    runId: o.runId,
    poisonShare: o.poisonShare,
    poisonCount: poisonCount(o.count, o.poisonShare),
    text: { median: o.text.median, sigma: o.text.sigma, max: o.text.max },
  };
}

/**
 * The file's lines: head (with the metadata), one line per item, tail. `onProgress` hears the
 * number of items done every thousand items and at the end.
 */
export function* datasetLines(o: DatasetOptions, onProgress?: (done: number) => void): Generator<string> {
  const problem = datasetOptionsProblem(o);
  if (problem) throw new Error(problem);
  const payload = createPayloadFactory(o);
  const poison = new PoisonPicker(o.seed, o.count, o.poisonShare);
  const traces = new SeededRandom(o.seed, TRACE_STREAM);

  yield datasetHead(datasetMeta(o));
  for (let seq = 0; seq < o.count; seq++) {
    const correlationId = correlationIdFor(o.runId, seq);
    const item: DatasetItem = {
      seq,
      correlationId,
      traceparent: seededTraceparent(traces),
      body: payload(correlationId, poison.next()),
    };
    yield datasetItemLine(item, seq === o.count - 1);
    if ((seq + 1) % PROGRESS_EVERY === 0) onProgress?.(seq + 1);
  }
  if (o.count % PROGRESS_EVERY !== 0) onProgress?.(o.count);
  yield DATASET_TAIL;
}
