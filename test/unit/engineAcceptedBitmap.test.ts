import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { AcceptedBitmapWriter, readAcceptedBitmap } from '../../record/acceptedBitmap.ts';

const dir = mkdtempSync(join(tmpdir(), 'pipesoak-bits-'));

test('accepted indices round-trip with the run id, and marking twice counts once', () => {
  const path = join(dir, 'accepted.bits');
  const w = new AcceptedBitmapWriter(path, 'run-42');
  for (const k of [0, 7, 8, 9, 1_000_003, 7]) w.mark(k);
  expect(w.count).toBe(5);
  w.close();
  const r = readAcceptedBitmap(path);
  expect(r.runId).toBe('run-42');
  expect(r.version).toBe(1);
  expect(r.count).toBe(5);
  expect([...r.indices()]).toEqual([0, 7, 8, 9, 1_000_003]);
  expect(r.has(1_000_003)).toBe(true);
  expect(r.has(10)).toBe(false);
});

test('each flush writes what was marked so far, so a crash before close keeps it', () => {
  const path = join(dir, 'flushed.bits');
  const w = new AcceptedBitmapWriter(path, 'r');
  w.mark(3);
  w.flush();
  w.mark(20);
  w.flush();
  // Not closed: the file already holds both.
  expect([...readAcceptedBitmap(path).indices()]).toEqual([3, 20]);
  w.mark(5);
  expect([...readAcceptedBitmap(path).indices()]).toEqual([3, 20]);
  w.close();
  expect([...readAcceptedBitmap(path).indices()]).toEqual([3, 5, 20]);
});

test('a day at 1,000/s fits in about 11 MB', () => {
  const path = join(dir, 'day.bits');
  const w = new AcceptedBitmapWriter(path, 'day');
  w.mark(0);
  w.mark(86_400_000 - 1);
  w.close();
  expect(statSync(path).size).toBeLessThan(11_000_000);
  expect(statSync(path).size).toBeGreaterThanOrEqual(10_800_000);
});

test('a file that is not a bitmap is refused with its path', () => {
  const path = join(dir, 'not.bits');
  const w = new AcceptedBitmapWriter(path, 'x');
  w.close();
  const bytes = readFileSync(path);
  bytes.write('GARBAGE!', 0, 'ascii');
  writeFileSync(path, bytes);
  expect(() => readAcceptedBitmap(path)).toThrow(`${path}: not an accepted-iterations bitmap`);
});
