import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HistogramLogReader, listTags } from 'hdr-histogram-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HistogramSnapshot } from '../../record/histogramSnapshot.ts';
import {
  HLOG_LEGEND,
  HlogFormatError,
  HlogWriter,
  parseHlog,
  readHlog,
  readHlogIntervals,
} from '../../record/hlog.ts';
import { formatHlogTag, parseHlogTag } from '../../record/hlogTag.ts';

const START_MS = 1_700_000_000_000;

function snapshotOf(...values: number[]): HistogramSnapshot {
  const s = HistogramSnapshot.empty();
  for (const v of values) s.record(v);
  return s;
}

describe('hlog', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pipesoak-hlog-'));
    path = join(dir, 'collectors.hlog');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function writeSample(): void {
    const writer = HlogWriter.open(path, START_MS);
    writer.writeInterval('outbox.lag', START_MS, START_MS + 1000, snapshotOf(1, 2, 3));
    writer.writeInterval('db.connections;state=active', START_MS, START_MS + 1000, snapshotOf(7));
    writer.writeInterval('outbox.lag', START_MS + 1000, START_MS + 2500, snapshotOf(10, 20, 30, 40));
    writer.close();
  }

  it('hlog - writes the standard header and one tagged line per interval', () => {
    writeSample();
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('#[Histogram log format version 1.3]');
    expect(lines[1]).toMatch(/^#\[StartTime: 1700000000\.000 \(seconds since epoch\), /);
    expect(lines[2]).toBe('#[BaseTime: 1700000000.000 (seconds since epoch)]');
    expect(lines[3]).toBe(HLOG_LEGEND);
    expect(lines[4]).toMatch(/^Tag=outbox\.lag,0\.000,1\.000,3\.00\d,HIST[A-Za-z0-9+/=]+$/);
    expect(lines[6]).toMatch(/^Tag=outbox\.lag,1\.000,1\.500,40\.0\d\d,HIST/);
    expect(lines).toHaveLength(7);
  });

  it('hlog - reads back what it wrote', async () => {
    writeSample();
    const log = await readHlog(path);
    expect(log.startTimeMs).toBe(START_MS);
    expect(log.intervals.map(({ tag, startS, lengthS }) => ({ tag, startS, lengthS }))).toEqual([
      { tag: 'outbox.lag', startS: 1_700_000_000, lengthS: 1 },
      { tag: 'db.connections;state=active', startS: 1_700_000_000, lengthS: 1 },
      { tag: 'outbox.lag', startS: 1_700_000_001, lengthS: 1.5 },
    ]);
    expect(log.intervals[0]?.snapshot.summary()).toEqual(snapshotOf(1, 2, 3).summary());
    expect(log.intervals[2]?.snapshot.summary()).toEqual(snapshotOf(10, 20, 30, 40).summary());
    expect(log.intervals[2]?.maxMs).toBeCloseTo(40, 1);
    const streamed: string[] = [];
    for await (const interval of readHlogIntervals(path)) streamed.push(interval.tag);
    expect(streamed).toEqual(['outbox.lag', 'db.connections;state=active', 'outbox.lag']);
  });

  it('hlog - names the line of a truncated log', async () => {
    writeSample();
    const full = readFileSync(path, 'utf8');
    const lastLine = full.trimEnd().split('\n').at(-1) ?? '';
    const prefix = full.slice(0, full.length - lastLine.length - 1);
    // Cut the last line at every length: each cut must be reported against line 7, never accepted.
    for (let keep = 1; keep < lastLine.length; keep++) {
      writeFileSync(path, prefix + lastLine.slice(0, keep));
      const error = await readHlog(path).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(error, `cut at ${keep}`).toBeInstanceOf(HlogFormatError);
      expect((error as HlogFormatError).line).toBe(7);
      expect((error as Error).message).toContain('line 7');
    }
  });

  it('hlog - names the line of a garbled number field', () => {
    expect(() => parseHlog(`${HLOG_LEGEND}\nTag=x,abc,1.000,1.000,HISTFAAAAA==\n`, 'load.hlog')).toThrow(
      /load\.hlog: line 2: StartTimestamp "abc" is not a number/,
    );
  });

  it("hlog - can be read by hdr-histogram-js's own HistogramLogReader", () => {
    writeSample();
    const content = readFileSync(path, 'utf8');
    expect(listTags(content)).toEqual(['outbox.lag', 'db.connections;state=active']);
    const reader = new HistogramLogReader(content);
    const seen: Array<{ tag: string; count: number; start: number; end: number }> = [];
    for (let h = reader.nextIntervalHistogram(); h !== null; h = reader.nextIntervalHistogram()) {
      seen.push({ tag: h.tag, count: h.totalCount, start: h.startTimeStampMsec, end: h.endTimeStampMsec });
    }
    expect(seen).toEqual([
      { tag: 'outbox.lag', count: 3, start: START_MS, end: START_MS + 1000 },
      { tag: 'db.connections;state=active', count: 1, start: START_MS, end: START_MS + 1000 },
      { tag: 'outbox.lag', count: 4, start: START_MS + 1000, end: START_MS + 2500 },
    ]);
  });

  it('hlog tag - encodes metric and sorted tags without delimiters the log uses', () => {
    expect(formatHlogTag('outbox.lag')).toBe('outbox.lag');
    const tag = formatHlogTag('db.connections', { state: 'idle in transaction', application: 'sea,x;y=z' });
    expect(tag).toBe('db.connections;application=sea%2Cx%3By%3Dz;state=idle%20in%20transaction');
    expect(tag).not.toMatch(/[\s,]/);
    expect(parseHlogTag(tag)).toEqual({
      metric: 'db.connections',
      tags: { application: 'sea,x;y=z', state: 'idle in transaction' },
    });
    expect(() => parseHlogTag('m;novalue')).toThrow(/malformed/);
  });
});
