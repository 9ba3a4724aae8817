import { expect, test } from 'vitest';
import { HistogramSnapshot } from '../../engine/loadLog.ts';
import { initRecorderWasm, WorkerRecorder } from '../../engine/workerRecorder.ts';

test('one WASM histogram per metric and tag set, drained as mergeable V2 intervals that reset', async () => {
  await initRecorderWasm();
  const r = new WorkerRecorder();
  for (let i = 1; i <= 100; i++) r.latency('gateway.latency', i, { name: 'post' });
  r.latency('gateway.latency', 5000, { name: 'chat' });
  r.latency('iteration.delay', 0.25);
  r.latency('iteration.delay', -3); // clock skew: counted as 0, not lost
  const first = r.drain();
  expect(first.histograms.map((h) => h.tag).sort()).toEqual([
    'gateway.latency;name=chat',
    'gateway.latency;name=post',
    'iteration.delay',
  ]);
  const post = first.histograms.find((h) => h.tag === 'gateway.latency;name=post');
  const s = HistogramSnapshot.decode(post?.encoded ?? '').summary();
  expect(s.count).toBe(100);
  expect(s.p50).toBeCloseTo(50, 1);
  expect(s.max).toBeCloseTo(100, 1);
  const delay = HistogramSnapshot.decode(
    first.histograms.find((h) => h.tag === 'iteration.delay')?.encoded ?? '',
  );
  expect(delay.summary().min).toBe(0);
  expect(delay.count).toBe(2);

  // The next interval holds only what came after the drain; idle histograms are not shipped.
  r.latency('gateway.latency', 7, { name: 'post' });
  const second = r.drain();
  expect(second.histograms).toHaveLength(1);
  expect(HistogramSnapshot.decode(second.histograms[0]?.encoded ?? '').count).toBe(1);
  r.destroy();
});

test('counter deltas are kept per metric and tag set and reset on drain', () => {
  const r = new WorkerRecorder();
  r.count('http.requests', 1, { status: '200' });
  r.count('http.requests', 2, { status: '200' });
  r.count('http.requests', 1, { status: '503' });
  r.count('load.iterations');
  expect(r.drain().counters).toEqual([
    { tag: 'http.requests;status=200', metric: 'http.requests', tags: { status: '200' }, delta: 3 },
    { tag: 'http.requests;status=503', metric: 'http.requests', tags: { status: '503' }, delta: 1 },
    { tag: 'load.iterations', metric: 'load.iterations', delta: 1 },
  ]);
  r.count('load.iterations', 4);
  expect(r.drain().counters).toEqual([{ tag: 'load.iterations', metric: 'load.iterations', delta: 4 }]);
});

test('a frozen tag object (found by identity) and a fresh one with the same values share one entry', async () => {
  await initRecorderWasm();
  const r = new WorkerRecorder();
  const frozen = Object.freeze({ status: '200' });
  r.count('http.requests', 1, frozen);
  r.count('http.requests', 2, { status: '200' });
  r.count('http.errors', 1, frozen); // same object, another metric: its own entry
  r.latency('gateway.latency', 3, Object.freeze({ name: 'GET /' }));
  r.latency('gateway.latency', 4, { name: 'GET /' });
  const out = r.drain();
  expect(out.counters).toEqual([
    { tag: 'http.requests;status=200', metric: 'http.requests', tags: { status: '200' }, delta: 3 },
    { tag: 'http.errors;status=200', metric: 'http.errors', tags: { status: '200' }, delta: 1 },
  ]);
  expect(out.histograms).toHaveLength(1);
  expect(HistogramSnapshot.decode(out.histograms[0]?.encoded ?? '').count).toBe(2);
  r.destroy();
});
