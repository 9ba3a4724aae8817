// `pipesoak merge` on synthetic segment folders: percentiles identical to one folder holding every
// value, counters summed, accepted bitmaps unioned, and bad input refused with exit 2 naming it.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AcceptedBitmapWriter, readAcceptedBitmap } from '../../record/acceptedBitmap.ts';
import { HistogramSnapshot } from '../../record/histogramSnapshot.ts';
import { HlogWriter } from '../../record/hlog.ts';
import { formatHlogTag } from '../../record/hlogTag.ts';
import { METRIC } from '../../record/metricCatalog.ts';
import { writeIntegrity, writeRunEnd, writeRunStart } from '../../record/runEvents.ts';
import { RUN_FILES } from '../../record/runFiles.ts';
import { readSeries, SeriesWriter } from '../../record/series.ts';
import { MergeInputError, mergeRunFolders } from '../../reports/mergeRunFolders.ts';
import { renderRunFolder } from '../../reports/renderRunFolder.ts';
import type { ReportJson } from '../../reports/reportJson.ts';
import { roundReportNumber } from '../../reports/reportNumbers.ts';
import { LOAD_ONLY_NOT_JUDGED } from '../../reports/sloEngine.ts';
import { cli } from '../support/cli.ts';

const START_MS = 1_767_000_000_000;
const INTERVALS = 8;
const INTERVAL_MS = 1000;
const WARM_UP_MS = 2000;
const END_MS = START_MS + INTERVALS * INTERVAL_MS + 500;
const RUN_ID = 'merge-test';
const NAMES = ['checkout', 'browse'];

/** A seeded generator (mulberry32), so every run of the test draws the same values. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Value {
  interval: number;
  name: string;
  ms: number;
  segment: number;
}

/** Latencies over every interval, each given to one of `segments` segments at random. */
function values(segments: number, seed: number): Value[] {
  const next = random(seed);
  const out: Value[] = [];
  for (let interval = 0; interval < INTERVALS; interval++) {
    for (let i = 0; i < 400; i++) {
      // Long-tailed, with µs fractions, so the percentiles sit in many different buckets.
      const ms = Math.round(-Math.log(1 - next()) * 40_000 + next() * 1000) / 1000;
      out.push({ interval, name: NAMES[i % 2] as string, ms, segment: Math.floor(next() * segments) });
    }
  }
  return out;
}

interface FolderSpec {
  id?: string;
  scenario?: string;
  segment?: string;
  sequence?: string;
  loadOnly?: boolean;
  /** Runs the collectors: collectors.hlog, a gauge and the integrity event. */
  collectors: boolean;
  values: Value[];
  /** Shifts this folder's load intervals (ms), as a process whose timer started later. */
  offsetMs?: number;
  requests: number[];
  accepted: number[];
  /** The engine's busy VUs; a one-process folder has the segments' sum. */
  vus?: number;
}

/** The e2e values segment 0's collectors saw, and the same gauges and integrity on every collector folder. */
const E2E = [120, 180, 240, 999, 1500];

function writeFolder(dir: string, spec: FolderSpec): void {
  mkdirSync(dir, { recursive: true });
  const id = spec.id ?? RUN_ID;
  const series = SeriesWriter.open(join(dir, RUN_FILES.series));
  // Set-up before run.start: the reader starts afresh at run.start, so these never count.
  series.counter(METRIC.httpRequests, 999, undefined, START_MS - 500);
  writeRunStart(
    series,
    {
      id,
      scenario: spec.scenario ?? 'scenarios/steady.ts',
      seed: 7,
      warmUpMs: WARM_UP_MS,
      ...(spec.segment !== undefined ? { segment: spec.segment } : {}),
      ...(spec.sequence !== undefined ? { segmentSequence: spec.sequence } : {}),
      ...(spec.loadOnly !== undefined ? { loadOnly: spec.loadOnly } : {}),
    },
    START_MS,
  );
  const load = HlogWriter.open(join(dir, RUN_FILES.loadHlog), START_MS);
  for (let i = 0; i < INTERVALS; i++) {
    const from = START_MS + i * INTERVAL_MS + (spec.offsetMs ?? 0);
    for (const name of NAMES) {
      const snapshot = HistogramSnapshot.empty();
      for (const v of spec.values) if (v.interval === i && v.name === name) snapshot.record(v.ms);
      if (snapshot.count > 0)
        load.writeInterval(
          formatHlogTag(METRIC.gatewayLatency, { name }),
          from,
          from + INTERVAL_MS,
          snapshot,
        );
    }
    series.counter(METRIC.httpRequests, spec.requests[i] ?? 0, { status: '202' }, from + INTERVAL_MS);
    series.gauge(METRIC.loadVus, spec.vus ?? 5, undefined, from + INTERVAL_MS);
  }
  load.close();
  if (spec.collectors) {
    const collectors = HlogWriter.open(join(dir, RUN_FILES.collectorsHlog), START_MS);
    const e2e = HistogramSnapshot.empty();
    for (const v of E2E) e2e.record(v);
    collectors.writeInterval(formatHlogTag(METRIC.e2eLatency), START_MS + 3000, START_MS + 4000, e2e);
    collectors.close();
    for (let i = 0; i < INTERVALS; i++)
      series.gauge(METRIC.consumerPending, 10 + i, undefined, START_MS + i * 1000);
  }
  writeRunEnd(series, {}, END_MS);
  if (spec.collectors) {
    writeIntegrity(
      series,
      { accepted: 90, completed: 90, deadLettered: 0, lost: 0, duplicated: 0 },
      END_MS + 100,
    );
  }
  series.close();
  const bits = new AcceptedBitmapWriter(join(dir, RUN_FILES.accepted), id);
  for (const k of spec.accepted) bits.mark(k);
  bits.close();
}

function segmentSpecs(n: number): { segment: string; sequence: string }[] {
  const point = (i: number) => (i === 0 ? '0' : i === n ? '1' : `${i}/${n}`);
  const sequence = Array.from({ length: n + 1 }, (_, i) => point(i)).join(',');
  return Array.from({ length: n }, (_, i) => ({ segment: `${point(i)}:${point(i + 1)}`, sequence }));
}

/** The report without what tells a merged run from a one-process one: its list of segments. */
function comparable(report: ReportJson) {
  const { segments: _segments, ...run } = report.run;
  return { ...report, run };
}

describe('pipesoak merge', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'pipesoak-merge-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** n segment folders of one run, and a one-process folder with every value, request and index. */
  function writeRun(n: number, seed: number, offsets: number[] = []) {
    const all = values(n, seed);
    const requests = (s: number) => Array.from({ length: INTERVALS }, (_, i) => 10 * (s + 1) + i);
    const accepted = (s: number) =>
      Array.from({ length: 30 }, (_, i) => i * n + s).filter((k) => k % 7 !== 3);
    const dirs = segmentSpecs(n).map((spec, s) => {
      const dir = join(root, `segment-${s}`);
      writeFolder(dir, {
        ...spec,
        collectors: s === 0,
        values: all.filter((v) => v.segment === s),
        requests: requests(s),
        accepted: accepted(s),
        ...(offsets[s] !== undefined ? { offsetMs: offsets[s] } : {}),
      });
      return dir;
    });
    const single = join(root, 'single');
    writeFolder(single, {
      collectors: true,
      vus: 5 * n,
      values: all,
      requests: Array.from({ length: INTERVALS }, (_, i) =>
        Array.from({ length: n }, (_, s) => requests(s)[i] as number).reduce((a, b) => a + b, 0),
      ),
      accepted: Array.from({ length: n }, (_, s) => accepted(s)).flat(),
    });
    return { dirs, single, all, accepted: Array.from({ length: n }, (_, s) => accepted(s)).flat() };
  }

  for (const n of [2, 3, 4]) {
    it(`merge - ${n} segment folders give the report of one folder holding every value, exactly`, async () => {
      const run = writeRun(n, 40 + n);
      const out = join(root, 'merged');
      // Given out of order: merge sorts the segments itself.
      const result = await mergeRunFolders({ dirs: [...run.dirs].reverse(), out });
      const single = await renderRunFolder(run.single);

      // Exact: every percentile, count, min, max and per-tag statistic, not within a tolerance.
      expect(comparable(result.report)).toEqual(comparable(single));
      const gateway = result.report.metrics[METRIC.gatewayLatency];
      const steady = run.all.filter((v) => v.interval * INTERVAL_MS >= WARM_UP_MS);
      const oneHistogram = HistogramSnapshot.empty();
      for (const v of steady) oneHistogram.record(v.ms);
      expect(gateway?.count).toBe(steady.length);
      expect(gateway?.p99).toBe(roundReportNumber(oneHistogram.summary().p99));
      expect(gateway?.max).toBe(roundReportNumber(oneHistogram.summary().max));
      // Counters: the sum of the segments' steady-window lines (set-up lines before run.start never count).
      const expectedRequests = Array.from({ length: n }, (_, s) =>
        Array.from({ length: INTERVALS }, (_, i) =>
          i * INTERVAL_MS + INTERVAL_MS > WARM_UP_MS ? 10 * (s + 1) + i : 0,
        ),
      )
        .flat()
        .reduce((a, b) => a + b, 0);
      expect(result.report.counts[METRIC.httpRequests]).toBe(expectedRequests);
      // Collector data and integrity from segment 0, judged on the merged folder.
      expect(result.report.metrics[METRIC.e2eLatency]?.count).toBe(E2E.length);
      expect(result.report.integrity.accepted).toBe(90);
      const e2eSlo = result.report.slos.find((s) => s.name === `${METRIC.e2eLatency} p99`);
      const e2e = HistogramSnapshot.empty();
      for (const v of E2E) e2e.record(v);
      expect(e2eSlo).toMatchObject({ pass: false, observed: roundReportNumber(e2e.summary().p99) });
      expect(result.report.run.segments).toEqual(
        segmentSpecs(n).map((spec, s) => ({ segment: spec.segment, loadOnly: s > 0, folder: run.dirs[s] })),
      );
      // Bitmaps unioned, through the bitmap reader.
      const bits = readAcceptedBitmap(join(out, RUN_FILES.accepted));
      expect(bits.runId).toBe(RUN_ID);
      expect([...bits.indices()]).toEqual([...new Set(run.accepted)].sort((a, b) => a - b));
      // Aligned intervals were added, not listed side by side: the merged log is one segment's size.
      const lines = readFileSync(join(out, RUN_FILES.loadHlog), 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('Tag='));
      expect(lines).toHaveLength(INTERVALS * NAMES.length);
      expect(readdirSync(out).sort()).toEqual(
        [
          RUN_FILES.accepted,
          RUN_FILES.collectorsHlog,
          RUN_FILES.html,
          RUN_FILES.json,
          RUN_FILES.junit,
          RUN_FILES.loadHlog,
          RUN_FILES.markdown,
          RUN_FILES.series,
        ].sort(),
      );
    });
  }

  it('merge - intervals that do not line up are kept apart and the percentiles still match exactly', async () => {
    const run = writeRun(3, 9, [0, 137, 420]);
    const result = await mergeRunFolders({ dirs: run.dirs, out: join(root, 'merged') });
    const all = HistogramSnapshot.empty();
    // Every interval starts at or after the warm-up's end when its own (shifted) start does.
    for (const v of run.all) {
      const shift = [0, 137, 420][v.segment] as number;
      if (v.interval * INTERVAL_MS + shift >= WARM_UP_MS) all.record(v.ms);
    }
    const merged = result.report.metrics[METRIC.gatewayLatency];
    const expected = all.summary();
    expect(merged?.count).toBe(expected.count);
    expect(merged?.p50).toBe(roundReportNumber(expected.p50));
    expect(merged?.p99).toBe(roundReportNumber(expected.p99));
    expect(merged?.p999).toBe(roundReportNumber(expected.p999));
  });

  it('merge - the merged series holds one run.start and one run.end, and tags engine gauges by segment', async () => {
    const run = writeRun(2, 3);
    const out = join(root, 'merged');
    await mergeRunFolders({ dirs: run.dirs, out });
    const records = await readSeries(join(out, RUN_FILES.series));
    const events = records.filter((r) => 'event' in r).map((r) => (r as { event: string }).event);
    expect(events.filter((e) => e === 'run.start')).toHaveLength(1);
    expect(events.filter((e) => e === 'run.end')).toHaveLength(1);
    expect(events.filter((e) => e === 'integrity')).toHaveLength(1);
    const vus = records.filter((r) => 'gauge' in r && r.gauge === METRIC.loadVus) as {
      tags: Record<string, string>;
    }[];
    expect(new Set(vus.map((g) => g.tags.segment))).toEqual(new Set(['0:1/2', '1/2:1']));
  });

  it('segment report - a load-only segment renders without collectors.hlog and leaves collector SLOs to the merge', async () => {
    const dir = join(root, 'segment-1');
    writeFolder(dir, {
      segment: '1/3:2/3',
      sequence: '0,1/3,2/3,1',
      collectors: false,
      values: values(1, 5),
      requests: [5, 5, 5, 5, 5, 5, 5, 5],
      accepted: [1, 4],
    });
    const report = await renderRunFolder(dir);
    expect(report.run.segments).toEqual([{ segment: '1/3:2/3', sequence: '0,1/3,2/3,1', loadOnly: true }]);
    const byName = new Map(report.slos.map((s) => [s.name, s]));
    for (const name of [`${METRIC.e2eLatency} p99`, 'integrity.lost', `${METRIC.consumerPending} max`]) {
      expect(byName.get(name)).toMatchObject({ pass: true, observed: null, reason: LOAD_ONLY_NOT_JUDGED });
    }
    // The segment's own load is still judged: gateway latency values run to hundreds of ms here.
    const gateway = byName.get(`${METRIC.gatewayLatency} p99`);
    expect(gateway?.observed).toBeGreaterThan(0);
    expect(gateway?.reason).toBeUndefined();
    expect(report.notes?.some((n) => n.includes('load-only segment (1/3:2/3)'))).toBe(true);
  });

  it('merge - a segment cut off mid-line merges what it wrote, and the merged run says interrupted', async () => {
    const run = writeRun(2, 11);
    const hlog = join(run.dirs[1] as string, RUN_FILES.loadHlog);
    const text = readFileSync(hlog, 'utf8');
    writeFileSync(hlog, text.slice(0, text.length - 40));
    const result = await mergeRunFolders({ dirs: run.dirs, out: join(root, 'merged') });
    expect(result.cuts.map((c) => c.source)).toEqual([hlog]);
    expect(result.report.partial).toBe(true);
    expect(result.report.notes?.join('\n')).toMatch(
      /interrupted: .*load\.hlog line \d+ was cut off mid-write/,
    );
    expect(readFileSync(join(root, 'merged', RUN_FILES.markdown), 'utf8')).toContain(
      'Merged from segments: `0:1/2` load, collectors and integrity; `1/2:1` load only.',
    );
  });

  it('segment report - segment 0 without collectors.hlog is a broken folder, not a load-only one', async () => {
    const dir = join(root, 'segment-0');
    writeFolder(dir, { ...segmentSpecs(2)[0], collectors: false, values: [], requests: [], accepted: [] });
    await expect(renderRunFolder(dir)).rejects.toThrow(/collectors\.hlog: missing from the run folder/);
  });

  it('merge - refuses a gap, an overlap, two run ids, two collector segments or a missing file', async () => {
    const refuse = async (dirs: string[], message: RegExp) => {
      await expect(mergeRunFolders({ dirs, out: join(root, `out-${Math.random()}`) })).rejects.toThrow(
        message,
      );
    };
    const run = writeRun(3, 1);
    await refuse([run.dirs[0] as string, run.dirs[2] as string], /gap 1\/3:2\/3 between .*segment-0 and it/);
    await refuse([run.dirs[0] as string, run.dirs[1] as string], /gap 2\/3:1 after .*segment-1/);
    const overlap = join(root, 'overlap');
    writeFolder(overlap, { segment: '1/2:1', collectors: false, values: [], requests: [], accepted: [] });
    await refuse([...run.dirs, overlap], /segments overlap/);
    const other = join(root, 'other');
    writeFolder(other, {
      ...segmentSpecs(3)[1],
      id: 'another-run',
      collectors: false,
      values: [],
      requests: [],
      accepted: [],
    });
    await refuse(
      [run.dirs[0] as string, other, run.dirs[2] as string],
      /run ids differ: .* is run "another-run"/,
    );
    const twice = join(root, 'twice');
    writeFolder(twice, {
      ...segmentSpecs(3)[1],
      loadOnly: false,
      collectors: true,
      values: [],
      requests: [],
      accepted: [],
    });
    await refuse(
      [run.dirs[0] as string, twice, run.dirs[2] as string],
      /more than one folder ran the collectors/,
    );
    rmSync(join(run.dirs[1] as string, RUN_FILES.loadHlog));
    await refuse(run.dirs, /segment-1: load\.hlog is missing/);
    await expect(mergeRunFolders({ dirs: run.dirs, out: join(root, 'x') })).rejects.toBeInstanceOf(
      MergeInputError,
    );
  });

  it('pipesoak merge - exits 2 naming the problem, and 1 when the merged data fail an SLO', async () => {
    const run = writeRun(3, 2);
    const gap = await cli('merge', run.dirs[0] as string, run.dirs[2] as string, '--out', join(root, 'gap'));
    expect(gap.code).toBe(2);
    expect(gap.stderr).toMatch(/segments leave a gap 1\/3:2\/3/);
    expect(existsSync(join(root, 'gap'))).toBe(false);
    const other = join(root, 'other');
    writeFolder(other, {
      ...segmentSpecs(3)[1],
      id: 'another-run',
      collectors: false,
      values: [],
      requests: [],
      accepted: [],
    });
    const ids = await cli(
      'merge',
      run.dirs[0] as string,
      other,
      run.dirs[2] as string,
      '--out',
      join(root, 'ids'),
    );
    expect(ids.code).toBe(2);
    expect(ids.stderr).toMatch(/run ids differ/);
    // The synthetic e2e values fail the default e2e p99 < 1000 ms: exit 1, from the merged data.
    const ok = await cli('merge', ...run.dirs, '--out', join(root, 'merged'));
    expect(ok.stdout).toMatch(
      /merged 3 segments of run merge-test; verdict fail \(failed: .*e2e\.latency p99/,
    );
    expect(ok.code).toBe(1);
    // A second merge into the same folder would meet the first one's files.
    await expect(mergeRunFolders({ dirs: run.dirs, out: join(root, 'merged') })).rejects.toThrow(
      /--out .*merged: already holds files/,
    );
  }, 150_000);
});
