// The main thread's WASM histograms give the same summaries, hlog max and encodings as the JS
// HistogramSnapshot the rest of the run record uses, for the same worker intervals.
import * as hdr from 'hdr-histogram-js';
import { beforeAll, expect, test } from 'vitest';
import { HistogramSnapshot } from '../../engine/loadLog.ts';
import { initMergedHistogramWasm, MergedHistogram } from '../../engine/mergedHistogram.ts';
import { initRecorderWasm, WorkerRecorder } from '../../engine/workerRecorder.ts';

beforeAll(async () => {
  await initRecorderWasm();
  await initMergedHistogramWasm();
});

/** Seeded values in ms: zeros, sub-ms, tens of ms and a tail up to minutes. */
function values(seed: number, n: number): number[] {
  let x = seed;
  const next = () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
  return Array.from({ length: n }, (_, i) => {
    const u = next();
    if (i % 97 === 0) return 0;
    if (u < 0.5) return u * 2;
    if (u < 0.99) return 5 + u * 40;
    return 1_000 + next() * 120_000;
  });
}

test('merging worker intervals in WASM summarises exactly as HistogramSnapshot does', () => {
  for (const seed of [1, 7, 42]) {
    const merged = new MergedHistogram();
    const js = HistogramSnapshot.empty();
    for (let interval = 0; interval < 3; interval++) {
      const r = new WorkerRecorder();
      for (const v of values(seed * 10 + interval, 2_000)) r.latency('gateway.latency', v);
      const encoded = r.drain().histograms[0]?.encoded ?? '';
      merged.addEncoded(encoded);
      js.merge(HistogramSnapshot.decode(encoded));
      r.destroy();
    }
    const a = merged.summary();
    const b = js.summary();
    expect({ ...a, mean: 0 }).toEqual({ ...b, mean: 0 });
    expect(a.mean).toBeCloseTo(b.mean, 6);
    expect(merged.maxMs).toBe(js.maxMs);
    expect(HistogramSnapshot.decode(merged.encode()).summary()).toEqual(b);
    merged.destroy();
  }
});

test('an empty histogram summarises as zeros; add, reset and a histogram without zeros', () => {
  const a = new MergedHistogram();
  const b = new MergedHistogram();
  expect(a.summary()).toEqual(HistogramSnapshot.empty().summary());
  expect(a.maxMs).toBe(0);
  const h = hdr.build({ bitBucketSize: 64, useWebAssembly: true, highestTrackableValue: 3_600_000_000 });
  h.recordValue(1234);
  h.recordValue(98_765);
  b.addEncoded(hdr.encodeIntoCompressedBase64(h));
  h.destroy();
  a.add(b);
  a.add(b);
  const js = HistogramSnapshot.decode(b.encode()).merge(HistogramSnapshot.decode(b.encode()));
  expect(a.summary()).toEqual(js.summary());
  expect(a.summary().min).toBeGreaterThan(0);
  a.reset();
  expect(a.count).toBe(0);
  a.destroy();
  b.destroy();
});
