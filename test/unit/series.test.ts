import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CutTail, readLines } from '../../record/lineReader.ts';
import { readSeries, SeriesFormatError, SeriesWriter } from '../../record/series.ts';

const START_MS = 1_700_000_000_000;

describe('series', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pipesoak-series-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('series reader - names the line of a truncated series file', async () => {
    const path = join(dir, 'series.ndjson');
    const series = SeriesWriter.open(path);
    series.gauge('outbox.pending', 1, undefined, START_MS);
    series.gauge('outbox.pending', 2, undefined, START_MS + 1000);
    series.close();
    appendFileSync(path, '{"t":1700000002000,"gauge":"outbox.pen');
    const error = await readSeries(path).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(SeriesFormatError);
    expect((error as SeriesFormatError).line).toBe(3);
    expect((error as Error).message).toMatch(/series\.ndjson: line 3: not a complete JSON object/);
  });

  it('series writer - rejects a non-finite gauge value', () => {
    const series = SeriesWriter.open(join(dir, 'series.ndjson'));
    try {
      expect(() => series.gauge('outbox.pending', Number.NaN)).toThrow(/not a finite number/);
    } finally {
      series.close();
    }
  });

  it('series - counter lines carry their delta and tags and read back as counters', async () => {
    const path = join(dir, 'series.ndjson');
    const series = SeriesWriter.open(path);
    series.counter('http.requests', 250, { status: '202' }, START_MS + 1000);
    series.counter('http.requests', 0, undefined, START_MS + 2000);
    series.close();
    expect(await readSeries(path)).toEqual([
      { t: START_MS + 1000, counter: 'http.requests', value: 250, tags: { status: '202' } },
      { t: START_MS + 2000, counter: 'http.requests', value: 0, tags: {} },
    ]);
    const writer = SeriesWriter.open(path);
    expect(() => writer.counter('http.requests', -1)).toThrow(/delta -1 is not a finite number >= 0/);
    writer.close();
  });

  it('series reader - a cut last line goes to onCutTail and the records before it are kept', async () => {
    const path = join(dir, 'series.ndjson');
    const series = SeriesWriter.open(path);
    series.gauge('outbox.pending', 1, undefined, START_MS);
    series.gauge('outbox.pending', 2, undefined, START_MS + 1000);
    series.close();
    appendFileSync(path, '{"t":1700000002000,"gauge":"outbox.pen');
    const cuts: CutTail[] = [];
    const records = await readSeries(path, { onCutTail: (cut) => cuts.push(cut) });
    expect(records.map((r) => ('gauge' in r ? r.value : null))).toEqual([1, 2]);
    expect(cuts).toEqual([{ source: path, line: 3, reason: 'not a complete JSON object (truncated?)' }]);
    // The same line with a newline after it is garbled, not cut: still an error.
    appendFileSync(path, '\n');
    await expect(readSeries(path, { onCutTail: () => undefined })).rejects.toBeInstanceOf(SeriesFormatError);
  });

  it('line reader - marks only a last line without a newline as cut, and strips CR', async () => {
    const path = join(dir, 'lines.txt');
    appendFileSync(path, 'a\r\nb\n\nc');
    const lines = [];
    for await (const line of readLines(path)) lines.push(line);
    expect(lines).toEqual([
      { text: 'a', lineNo: 1, cut: false },
      { text: 'b', lineNo: 2, cut: false },
      { text: '', lineNo: 3, cut: false },
      { text: 'c', lineNo: 4, cut: true },
    ]);
  });
});
