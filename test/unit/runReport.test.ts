import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HistogramSnapshot } from '../../record/histogramSnapshot.ts';
import { HlogWriter } from '../../record/hlog.ts';
import { SeriesWriter } from '../../record/series.ts';
import { renderRunFolder } from '../../reports/renderRunFolder.ts';
import { reportJsonSchema } from '../../reports/reportJson.ts';
import { buildRunReport } from '../../reports/runReport.ts';
import { RunFolderError } from '../../reports/summarizeRunFolder.ts';
import { cli } from '../support/cli.ts';
import { SYNTHETIC_START_MS, writeSyntheticRunFolder } from '../support/syntheticRunFolder.ts';

/** A tiny JUnit reader: testcases with their failure message, and the suite counters. */
function parseJunit(xml: string) {
  expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ')).toBe(true);
  const suite = /<testsuite name="([^"]*)" tests="(\d+)" failures="(\d+)"/.exec(xml);
  const cases = [
    ...xml.matchAll(
      /<testcase classname="[^"]*" name="([^"]*)" time="0"(\/>|>\s*<failure type="slo" message="([^"]*)">[^<]*<\/failure>\s*<\/testcase>)/g,
    ),
  ].map((m) => ({ name: m[1], failure: m[3] }));
  // Balanced: every opened element is closed and nothing but escaped text sits between them.
  const opened = (xml.match(/<(testsuites|testsuite|testcase|failure|properties)[\s>]/g) ?? []).length;
  const closed = (xml.match(/<\/(testsuites|testsuite|testcase|failure|properties)>/g) ?? []).length;
  const selfClosed = (xml.match(/<testcase [^>]*\/>/g) ?? []).length;
  expect(opened).toBe(closed + selfClosed);
  return { tests: Number(suite?.[2]), failures: Number(suite?.[3]), cases };
}

describe('run report', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pipesoak-report-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('run report - a run that counted iterations and dropped none observes 0 dropped, not "not recorded"', async () => {
    writeSyntheticRunFolder(dir, { seconds: 60, warmUpS: 10, load: true, noDrops: true });
    const report = await buildRunReport(dir);
    const dropped = report.slos.find((s) => s.name === 'load.dropped_iterations');
    expect(dropped).toEqual({ name: 'load.dropped_iterations', objective: '<= 0', observed: 0, pass: true });
  });

  it('run report - merges hlogs exactly, leaves out the warm-up and evaluates the SLOs', async () => {
    writeSyntheticRunFolder(dir, { seconds: 120, warmUpS: 30, load: true });
    const report = await buildRunReport(dir);
    expect(reportJsonSchema.parse(report)).toEqual(report);
    expect(report.run).toEqual({
      id: 'synthetic-run',
      scenario: 'synthetic',
      seed: 7,
      startedAt: '2023-11-14T22:13:20.000Z',
      durationS: 121,
      target: { databaseUrl: 'postgres://app:***@127.0.0.1:5432/db', gatewayUrl: 'http://127.0.0.1:8080' },
    });
    // gateway.latency comes from load.hlog, the rest from collectors.hlog; 90 steady s × 10 values.
    expect(report.metrics['gateway.latency']).toEqual({
      unit: 'ms',
      count: 900,
      min: 10,
      mean: 55.008,
      p50: 50.015,
      p90: 90.047,
      p99: 100.031,
      p999: 100.031,
      max: 100.031,
    });
    // The 5000 ms warm-up outliers are gone.
    expect(report.metrics['e2e.latency']?.max).toBe(350.207);
    expect(report.metrics['e2e.latency']?.count).toBe(900);
    expect(Object.keys(report.metrics)).toEqual([...Object.keys(report.metrics)].sort());
    expect(report.gauges['consumer.pending']).toMatchObject({ min: 20, mean: 20.5, max: 21, last: 21 });
    // Alternating 20/21 has no trend; window alignment leaves a rounding-sized slope at most.
    expect(Math.abs(report.gauges['consumer.pending']?.slopePerMin ?? 1)).toBeLessThan(0.2);
    // db.connections: the busiest application's total, not the sum and not the warm-up's 40.
    expect(report.gauges['db.connections']).toMatchObject({ min: 7, max: 7 });
    expect(report.gauges['harness.rss']).toMatchObject({ max: 150_000_000 });
    const slo = new Map(report.slos.map((s) => [s.name, s]));
    expect(slo.get('error rate')).toEqual({
      name: 'error rate',
      objective: '<= 0.001',
      observed: 0.001,
      pass: true,
    });
    expect(slo.get('load.dropped_iterations')?.observed).toBe(0);
    expect(slo.get('deliveries per event')?.observed).toBe(4);
    expect(report.integrity).toEqual({
      accepted: 1000,
      completed: 998,
      deadLettered: 2,
      lost: 0,
      duplicated: 0,
    });
    expect(report.verdict).toBe('pass');
    expect(report.partial).toBeUndefined();
  });

  it('run report - dispatch.latency keeps main and dlq apart in byTag; counters are counts, with the error rate', async () => {
    writeSyntheticRunFolder(dir, { seconds: 30 });
    // A DLQ consumer much slower than the main one, in the steady window.
    const dlq = HistogramSnapshot.empty();
    for (let i = 0; i < 5; i++) dlq.record(4000);
    const hlog = HlogWriter.open(join(dir, 'load.hlog'), SYNTHETIC_START_MS);
    hlog.writeInterval(
      'dispatch.latency;consumer=dlq',
      SYNTHETIC_START_MS + 10_000,
      SYNTHETIC_START_MS + 11_000,
      dlq,
    );
    hlog.close();
    const report = await renderRunFolder(dir);
    const dispatch = report.metrics['dispatch.latency'];
    const main = dispatch?.byTag?.consumer?.main;
    expect(Object.keys(dispatch?.byTag?.consumer ?? {})).toEqual(['dlq', 'main']);
    expect(dispatch?.byTag?.consumer?.dlq).toMatchObject({ count: 5, min: 3999.744, max: 4001.791 });
    expect((main?.count ?? 0) + 5).toBe(dispatch?.count);
    expect(main?.max).toBeLessThan(1000);
    expect(dispatch?.max).toBe(4001.791);
    // Metrics without kept tags have no byTag.
    expect(report.metrics['e2e.latency']?.byTag).toBeUndefined();
    expect(report.counts).toEqual({ 'http.errors': 3, 'http.requests': 3000, 'load.dropped_iterations': 0 });
    expect(report.errorRate).toBe(0.001);
    expect(Object.keys(report.gauges)).not.toContain('http.requests');
    expect(report.load).toEqual({});
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).toContain('| dispatch.latency consumer=dlq | 5 |');
    expect(md).toContain('| http.requests | 3,000 |');
    expect(md).toContain('| error rate | 0.001 |');
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('dispatch.latency consumer=dlq');
  });

  it('run report - the run SLOs from run.start decide, and failures show in md and junit', async () => {
    writeSyntheticRunFolder(dir, {
      seconds: 60,
      slos: { 'e2e.latency': { p99: 200 }, custom: ['max(db.connections) < 7'] },
    });
    const report = await renderRunFolder(dir);
    expect(report.verdict).toBe('fail');
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).toContain('## pipesoak · synthetic · ❌ fail');
    expect(md).toContain('| ❌ | e2e.latency p99 | < 200 ms | 350.2 ms |  |');
    // The verdict and each failing SLO come first, one sentence each.
    expect(md.split('\n').slice(2, 7)).toEqual([
      `**Verdict: fail** — 2 of ${report.slos.length} SLOs failed.`,
      '',
      '- ❌ e2e.latency p99 was 350.2 ms, objective < 200 ms.',
      '- ❌ db.connections max was 7, objective < 7.',
      '',
    ]);
    expect(md).toContain('Integrity: 1,000 accepted, 998 completed, 2 dead-lettered, 0 lost, 0 duplicated.');
    expect(md).toContain('| e2e.latency | 600 | 175.1 | 315.1 | 350.2 | 350.2 |');
    expect(md).toContain('| 1,000 | 998 | 2 | 0 | 0 |');
    const junit = parseJunit(readFileSync(join(dir, 'junit.xml'), 'utf8'));
    expect(junit.tests).toBe(report.slos.length);
    expect(junit.failures).toBe(2);
    expect(junit.cases).toHaveLength(report.slos.length);
    expect(junit.cases.filter((c) => c.failure)).toEqual([
      { name: 'e2e.latency p99', failure: 'objective &lt; 200 ms, observed 350.207' },
      { name: 'db.connections max', failure: 'objective &lt; 7, observed 7' },
    ]);
  });

  it('run report - rendering twice gives byte-identical files', async () => {
    writeSyntheticRunFolder(dir, { seconds: 90, warmUpS: 10 });
    const read = () =>
      ['report.json', 'report.md', 'junit.xml'].map((f) => readFileSync(join(dir, f), 'utf8'));
    await renderRunFolder(dir);
    const first = read();
    await renderRunFolder(dir);
    expect(read()).toEqual(first);
    expect(first[0]).not.toMatch(/generated|renderedAt/i);
  });

  it('run report - an interrupted run is partial and says why in notes', async () => {
    writeSyntheticRunFolder(dir, { seconds: 60, interrupted: true, noIntegrity: true });
    const report = await buildRunReport(dir);
    expect(report.partial).toBe(true);
    expect(report.notes).toEqual([
      'the run did not end (no run.end event): partial results',
      'no integrity check was recorded',
    ]);
    expect(report.integrity.lost).toBeNull();
    expect(report.slos.find((s) => s.name === 'integrity.lost')).toMatchObject({
      observed: null,
      pass: false,
    });
    expect(report.verdict).toBe('fail');
  });

  it('run report - a garbled hlog or series line inside the file is an error naming the file and line', async () => {
    writeSyntheticRunFolder(dir, { seconds: 20 });
    const hlog = join(dir, 'collectors.hlog');
    const lines = readFileSync(hlog, 'utf8').split('\n');
    writeFileSync(hlog, `${lines.slice(0, 10).join('\n')}\n${(lines[10] ?? '').slice(0, 60)}\n`);
    await expect(buildRunReport(dir)).rejects.toThrow(RunFolderError);
    await expect(buildRunReport(dir)).rejects.toThrow(`${hlog}: line 11: histogram`);

    const other = mkdtempSync(join(tmpdir(), 'pipesoak-report-'));
    writeSyntheticRunFolder(other, { seconds: 20 });
    // A cut line with more after it is not a crash's tail: the file is garbled.
    appendFileSync(
      join(other, 'series.ndjson'),
      '{"t":1700000021000,"gauge":"outbox.pen\n{"t":1700000022000,"gauge":"outbox.pending","value":1}\n',
    );
    await expect(buildRunReport(other)).rejects.toThrow(
      /series\.ndjson: line \d+: not a complete JSON object/,
    );
    rmSync(other, { recursive: true, force: true });
  });

  it('run report - a series or hlog whose last line was cut off mid-write renders as partial, naming the cut line', async () => {
    writeSyntheticRunFolder(dir, { seconds: 30 });
    const whole = await buildRunReport(dir);
    expect(whole.partial).toBeUndefined();
    const hlog = join(dir, 'collectors.hlog');
    const hlogLines = readFileSync(hlog, 'utf8').split('\n').length - 1;
    writeFileSync(hlog, readFileSync(hlog, 'utf8').slice(0, -40));
    const series = join(dir, 'series.ndjson');
    const seriesLines = readFileSync(series, 'utf8').split('\n').length - 1;
    appendFileSync(series, '{"t":1700000031000,"gauge":"outbox.pen');
    const report = await buildRunReport(dir);
    expect(report.partial).toBe(true);
    expect(report.notes).toEqual([
      `series.ndjson line ${seriesLines + 1} was cut off mid-write (not a complete JSON object (truncated?)): left out, partial results`,
      `collectors.hlog line ${hlogLines} was cut off mid-write (histogram is not complete base64 (truncated?)): left out, partial results`,
    ]);
    // Everything before the cut still counts: the cut interval's 10 values are all that is missing.
    const metric = Object.keys(whole.metrics).find(
      (m) => (report.metrics[m]?.count ?? 0) < (whole.metrics[m]?.count ?? 0),
    );
    expect(metric).toBeDefined();
    expect((whole.metrics[metric ?? '']?.count ?? 0) - (report.metrics[metric ?? '']?.count ?? 0)).toBe(10);
    expect(report.counts).toEqual(whole.counts);
  });

  it('run report - intervals the collectors could not write make the report partial, with a note', async () => {
    writeSyntheticRunFolder(dir, { seconds: 30 });
    const series = SeriesWriter.open(join(dir, 'series.ndjson'));
    series.event('collectors.flush.failed', { error: 'ENOSPC: no space left on device' }, 1_700_000_010_000);
    series.close();
    const report = await buildRunReport(dir);
    expect(report.partial).toBe(true);
    expect(report.notes).toEqual([
      'collectors could not write 1 interval (collectors.flush.failed in series.ndjson): their samples are missing',
    ]);
  });

  it('run report - pipesoak report exits 2 with one line for a missing folder or a garbled log, 0 on pass', async () => {
    const missing = await cli('report', join(dir, 'nope'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`pipesoak: ${join(dir, 'nope')}: no such run folder\n`);

    writeSyntheticRunFolder(dir, { seconds: 30 });
    const ok = await cli('report', dir);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('verdict pass');

    const hlog = join(dir, 'collectors.hlog');
    const lines = readFileSync(hlog, 'utf8').split('\n');
    writeFileSync(
      hlog,
      [...lines.slice(0, 10), (lines[10] ?? '').slice(0, 60), ...lines.slice(11)].join('\n'),
    );
    const truncated = await cli('report', dir);
    expect(truncated.code).toBe(2);
    expect(truncated.stderr.trim().split('\n')).toHaveLength(1);
    expect(truncated.stderr).toMatch(/collectors\.hlog: line \d+: histogram/);
    // What was rendered before stays.
    expect(readFileSync(join(dir, 'report.json'), 'utf8')).toContain('"verdict": "pass"');
  });
});
