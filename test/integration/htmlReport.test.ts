// report.html in a real browser (Debian's Chromium through playwright-core, no download): a
// synthetic run with a fault window renders a page that loads nothing from a network, logs no
// errors, draws every chart with data, shows report.json's SLOs, draws each SLO objective and the
// pool limit as a line, switches latency charts to a log scale, shows each line's steady-window
// values in the legend without a hover, and shades the fault. Leaves report.png in the run folder
// for a person to look at.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeriesWriter } from '../../record/series.ts';
import { renderRunFolder } from '../../reports/renderRunFolder.ts';
import type { ReportJson } from '../../reports/reportJson.ts';
import { launchChromium } from '../support/chromium.ts';
import {
  SYNTHETIC_METRICS,
  SYNTHETIC_START_MS,
  writeSyntheticRunFolder,
} from '../support/syntheticRunFolder.ts';

/** A scenario's own trend (ctx.metrics.trend('checkout')), in load.hlog as the engine writes it. */
const CUSTOM_TREND = 'custom.checkout';

const CHARTS = [
  'throughput',
  'gateway-latency',
  'e2e-latency',
  'dispatch-latency',
  'consumer-ack-latency',
  'latency-iteration-delay',
  'latency-jetstream-publish-latency',
  'latency-custom-checkout',
  'outbox-pending',
  'outbox-lag',
  'consumer-pending',
  'dlq-depth',
  'db-connections',
  'event-loop-delay',
  'cpu',
  'harness-rss',
  'stages',
];
/** Latency charts and the metric whose p99 objective each draws. */
const LATENCY_SLO_CHARTS: Record<string, string> = {
  'gateway-latency': 'gateway.latency',
  'e2e-latency': 'e2e.latency',
  'dispatch-latency': 'dispatch.latency',
  'consumer-ack-latency': 'consumer.ack.latency',
  'outbox-lag': 'outbox.lag',
  // From the custom expression `p99(custom.checkout) < 600ms`.
  'latency-custom-checkout': CUSTOM_TREND,
};
/** A line's max over the steady window, as its legend must show it without a hover. */
const LEGEND_MAX: [chart: string, line: string, max: string][] = [
  // consumer.pending is 999 in warm-up, then alternates 20 and 21.
  ['consumer-pending', 'consumer.pending', '21 messages'],
  ['db-connections', 'db.connections sea-mq-worker', '7 connections'],
  ['harness-rss', 'harness.rss harness', '100 MB'],
  ['cpu', 'load.cpu', '25 %'],
  ['event-loop-delay', 'load.event_loop.delay', '12 ms'],
  // achieved counts iteration.delay samples: 10 in each synthetic interval.
  ['throughput', 'achieved', '10 events/s'],
  // The custom trend records 50, 100, ..., 500 ms each steady second (5 s in warm-up); HDR reports a
  // value's bucket top, so 250 reads 250.1 and 500 reads 500.2.
  ['latency-custom-checkout', 'p50', '250.1 ms'],
  ['latency-custom-checkout', 'p99', '500.2 ms'],
];
// The fault: 120 s .. 180 s of a 300 s run with 30 s warm-up.
const FAULT = { fromS: 120, toS: 180 };

interface ChartState {
  id: string;
  noData: string | null;
  width: number;
  height: number;
  inkPixels: number;
  points: number;
  shaded: { label: string; fromS: number; toS: number; x0: number; x1: number }[];
  /** Share of the plot's pixels in a column inside / outside the fault that carry the fault shade. */
  shadeInside: number;
  shadeOutside: number;
}

describe('html report', () => {
  let dir: string;
  let profile: string;
  let browser: BrowserContext;
  let report: ReportJson;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pipesoak-html-'));
    profile = mkdtempSync(join(tmpdir(), 'pipesoak-chromium-'));
    writeSyntheticRunFolder(dir, {
      seconds: 300,
      warmUpS: 30,
      load: true,
      metrics: [...SYNTHETIC_METRICS, CUSTOM_TREND],
      slos: { 'e2e.latency': { p99: 200 }, custom: [`p99(${CUSTOM_TREND}) < 600ms`] },
      noDrops: true,
    });
    const series = SeriesWriter.open(join(dir, 'series.ndjson'));
    series.event(
      'fault.start',
      { id: 'pause-nats', what: 'pause', where: 'nats' },
      SYNTHETIC_START_MS + FAULT.fromS * 1000,
    );
    series.event('fault.end', { id: 'pause-nats' }, SYNTHETIC_START_MS + FAULT.toS * 1000);
    // The generator's health, which the synthetic folder leaves out: 12 ms of loop delay, a
    // quarter of a core (half in warm-up).
    for (let i = 0; i < 300; i++) {
      const t = SYNTHETIC_START_MS + i * 1000;
      series.gauge('load.event_loop.delay', i < 30 ? 80 : 12, undefined, t);
      series.gauge('load.cpu', i < 30 ? 0.5 : 0.25, undefined, t);
      series.gauge('harness.cpu', 0.05, { process: 'harness' }, t);
    }
    series.close();
    report = await renderRunFolder(dir);
    browser = await launchChromium(profile);
  });

  afterAll(async () => {
    await browser?.close();
    rmSync(profile, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it('html report - is one file that references nothing remote, and re-renders byte-identical', async () => {
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/\s(src|href)\s*=/i);
    expect(html).not.toMatch(/@import|url\(/i);
    // uPlot inlined; only the three inline scripts.
    expect(html).toContain('uPlot');
    expect(html.match(/<script/g)).toHaveLength(3);
    expect(html).not.toMatch(/generated|renderedAt/i);
    await renderRunFolder(dir);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toBe(html);
  });

  it('html report - draws every chart in Chromium, shows the SLOs and shades the fault window', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    const remote: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      remote.push(url);
      return route.abort();
    });
    await page.goto(pathToFileURL(join(dir, 'report.html')).href);
    await page.waitForFunction(() => document.body.dataset.charts !== undefined);

    const slos = await page.$$eval('table.slos tbody tr.slo', (rows) =>
      rows.map((r) => ({ name: r.children[1]?.textContent, pass: r.classList.contains('pass') })),
    );
    expect(slos).toEqual(report.slos.map((s) => ({ name: s.name, pass: s.pass })));
    expect(slos.some((s) => !s.pass)).toBe(true);
    expect(await page.textContent('#verdict')).toBe(report.verdict.toUpperCase());
    expect(await page.getAttribute('header.verdict', 'class')).toBe(`verdict ${report.verdict}`);

    const charts: ChartState[] = await page.$$eval(
      'figure.chart',
      (figures, fault) =>
        figures.map((figure) => {
          const el = figure as HTMLElement;
          const canvas = el.querySelector('canvas');
          const base = {
            id: el.dataset.chart ?? '',
            noData: el.querySelector('.nodata')?.textContent ?? null,
            points: Number(el.dataset.points ?? 0),
            shaded: JSON.parse(el.dataset.shaded ?? '[]'),
          };
          if (canvas === null) {
            return { ...base, width: 0, height: 0, inkPixels: 0, shadeInside: 0, shadeOutside: 0 };
          }
          const ctx = canvas.getContext('2d');
          const { width, height } = canvas;
          const pixels = ctx?.getImageData(0, 0, width, height).data ?? new Uint8ClampedArray();
          let inkPixels = 0;
          for (let i = 3; i < pixels.length; i += 4) if ((pixels[i] ?? 0) > 0) inkPixels++;
          // The fault shade is a translucent red: alpha set, red well above green and blue.
          const shadeShare = (x: number) => {
            let red = 0;
            for (let y = 0; y < height; y++) {
              const i = (y * width + Math.round(x)) * 4;
              const [r = 0, g = 0, b = 0, a = 0] = pixels.subarray(i, i + 4);
              if (a > 0 && r > g + 40 && r > b + 40) red++;
            }
            return red / height;
          };
          const faultRange = base.shaded.find((s: { label: string }) => s.label === fault);
          const inside = faultRange ? (faultRange.x0 + faultRange.x1) / 2 : -1;
          const outside = faultRange ? faultRange.x1 + (faultRange.x1 - faultRange.x0) : -1;
          return {
            ...base,
            width,
            height,
            inkPixels,
            shadeInside: inside < 0 ? 0 : shadeShare(inside),
            shadeOutside: outside < 0 || outside >= width ? 1 : shadeShare(outside),
          };
        }),
      'pause-nats',
    );
    expect(charts.map((c) => c.id)).toEqual(CHARTS);
    for (const c of charts) {
      expect(c.noData, c.id).toBeNull();
      expect(c.width, c.id).toBeGreaterThan(300);
      expect(c.height, c.id).toBeGreaterThan(100);
      expect(c.points, c.id).toBeGreaterThan(100);
      expect(c.inkPixels, c.id).toBeGreaterThan(1000);
      const fault = c.shaded.find((s) => s.label === 'pause-nats');
      expect(fault, c.id).toMatchObject({ fromS: FAULT.fromS, toS: FAULT.toS });
      expect((fault?.x1 ?? 0) - (fault?.x0 ?? 0), c.id).toBeGreaterThan(20);
      expect(
        c.shaded.find((s) => s.label === 'warm-up'),
        c.id,
      ).toMatchObject({ fromS: 0, toS: 30 });
      // The stacked stages chart fills its areas over the shade band, so its pixels are not red there;
      // its fault range is checked above like every other chart's.
      if (c.id !== 'stages') {
        expect(c.shadeInside, c.id).toBeGreaterThan(0.5);
        expect(c.shadeOutside, c.id).toBeLessThan(0.1);
      }
    }
    expect(await page.textContent('ul.faults')).toContain('pause-nats');
    expect(await page.textContent('#chart-latency-custom-checkout figcaption')).toContain(
      `Latency: ${CUSTOM_TREND} (ms)`,
    );

    const png = join(dir, 'report.png');
    await page.screenshot({ path: png, fullPage: true });
    expect(statSync(png).size).toBeGreaterThan(50_000);
    expect(remote).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('html report - draws SLO objectives and the pool limit as lines, offers a log scale, and legends show values unhovered', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(pathToFileURL(join(dir, 'report.html')).href);
    await page.waitForFunction(() => document.body.dataset.charts !== undefined);
    type Threshold = { label: string; value: number; drawn: boolean; y: number | null };
    const thresholds = async (id: string): Promise<Threshold[]> =>
      JSON.parse((await page.getAttribute(`#chart-${id}`, 'data-thresholds')) ?? '[]');
    const canvasHeight = (id: string) =>
      page.$eval(`#chart-${id} canvas`, (c) => (c as HTMLCanvasElement).height);

    // Each latency chart draws its p99 objective from report.json, inside the plot.
    for (const [id, metric] of Object.entries(LATENCY_SLO_CHARTS)) {
      const objective = report.slos.find((s) => s.name === `${metric} p99`)?.objective ?? '';
      const value = Number(/[\d.]+/.exec(objective)?.[0]);
      const lines = await thresholds(id);
      expect(lines, id).toEqual([
        expect.objectContaining({ label: `SLO p99 ${objective.replace(' ms', '')}`, value }),
      ]);
      // The synthetic p99s are 100-300 ms: a 200 ms, 500 ms or 1 s objective is within reach.
      expect(lines[0]?.drawn, id).toBe(true);
      expect(lines[0]?.y, id).toBeGreaterThan(0);
      expect(lines[0]?.y ?? 0, id).toBeLessThan(await canvasHeight(id));
    }
    // The pool limit, 10 from the contract through the dbConnections SLO.
    expect(await thresholds('db-connections')).toEqual([
      expect.objectContaining({ label: 'pool limit 10', value: 10, drawn: true }),
    ]);
    // consumer.pending max <= 10000 against ~21 pending: named in the legend, not drawn.
    expect(await thresholds('consumer-pending')).toEqual([
      { label: 'SLO max <= 10000', value: 10000, drawn: false, y: null },
    ]);
    expect(await page.textContent('#chart-consumer-pending .u-legend')).toContain(
      'SLO max <= 10000 (above the chart)',
    );

    // Legends: each line's steady-window max is shown with no cursor over the plot.
    for (const [id, line, max] of LEGEND_MAX) {
      const row = await page.$$eval(
        `#chart-${id} .u-legend tr.u-series`,
        (rows, label) =>
          rows
            .map((r) => [...r.querySelectorAll('th, td')].map((c) => c.textContent?.trim() ?? ''))
            .find((cells) => cells[0] === label),
        line,
      );
      expect(row, `${id} ${line}`).toBeDefined();
      // label, now, last, mean, max
      expect(row?.[1], `${id} ${line}`).toBe('—');
      expect(row?.[4], `${id} ${line}`).toBe(max);
    }
    const headers = await page.$$eval('#chart-gateway-latency .u-legend thead th', (ths) =>
      ths.map((t) => t.textContent),
    );
    expect(headers).toEqual(['', 'now', 'last', 'mean', 'max']);

    // The log toggle: latency charts have it, gauges do not. Linear axes start at 0; the log axis
    // spans whole decades around the steady window's p50..p99 (175..350 ms) and the 200 ms objective.
    const toggles = await page.$$eval('figure.chart:has(input.log-scale)', (fs) =>
      fs.map((f) => (f as HTMLElement).dataset.chart),
    );
    expect(toggles).toEqual([
      'gateway-latency',
      'e2e-latency',
      'dispatch-latency',
      'consumer-ack-latency',
      'latency-iteration-delay',
      'latency-jetstream-publish-latency',
      'latency-custom-checkout',
      'outbox-lag',
    ]);
    const yRange = async (): Promise<number[]> =>
      JSON.parse((await page.getAttribute('#chart-e2e-latency', 'data-y-range')) ?? '[]');
    expect((await yRange())[0]).toBe(0);
    const linearY = (await thresholds('e2e-latency'))[0]?.y ?? 0;
    await page.check('#chart-e2e-latency input.log-scale');
    await page.waitForFunction(
      () => document.querySelector<HTMLElement>('#chart-e2e-latency')?.dataset.scale === 'log',
    );
    expect(await yRange()).toEqual([100, 1000]);
    const logY = (await thresholds('e2e-latency'))[0]?.y ?? 0;
    expect(logY).not.toBe(linearY);
    const ink = await page.$eval('#chart-e2e-latency canvas', (el) => {
      const c = el as HTMLCanvasElement;
      const px = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? new Uint8ClampedArray();
      let n = 0;
      for (let i = 3; i < px.length; i += 4) if ((px[i] ?? 0) > 0) n++;
      return n;
    });
    expect(ink).toBeGreaterThan(1000);
    expect(await page.$$eval('#chart-e2e-latency canvas', (c) => c.length)).toBe(1);
    await page.uncheck('#chart-e2e-latency input.log-scale');
    await page.waitForFunction(
      () => document.querySelector<HTMLElement>('#chart-e2e-latency')?.dataset.scale === 'linear',
    );
    expect((await thresholds('e2e-latency'))[0]?.y).toBe(linearY);

    // Every chart's legend shows every line's last, mean and max unhovered; every toggle works.
    const legends = await page.$$eval('figure.chart', (figures) =>
      figures
        .filter((f) => f.querySelector('canvas') !== null)
        .map((f) => ({
          id: (f as HTMLElement).dataset.chart,
          rows: [...f.querySelectorAll('.u-legend tr.u-series')].map((r) =>
            [...r.querySelectorAll('th, td')].map((c) => c.textContent?.trim() ?? ''),
          ),
        })),
    );
    expect(legends.map((l) => l.id)).toEqual(CHARTS);
    for (const { id, rows } of legends) {
      expect(rows.length, id).toBeGreaterThan(0);
      for (const row of rows.filter((r) => !r[0]?.startsWith('SLO') && !r[0]?.startsWith('pool'))) {
        for (const cell of row.slice(2)) expect(cell, `${id} ${row[0]}`).toMatch(/^-?[\d.,]+k? \S+/);
      }
    }
    for (const id of toggles) {
      await page.check(`#chart-${id} input.log-scale`);
      const state = await page.$eval(`#chart-${id}`, (f) => {
        const c = f.querySelector('canvas') as HTMLCanvasElement;
        const px = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? new Uint8ClampedArray();
        let ink = 0;
        for (let i = 3; i < px.length; i += 4) if ((px[i] ?? 0) > 0) ink++;
        return {
          scale: (f as HTMLElement).dataset.scale,
          ink,
          min: JSON.parse((f as HTMLElement).dataset.yRange ?? '[]')[0],
        };
      });
      expect(state.scale, id).toBe('log');
      expect(state.ink, id).toBeGreaterThan(1000);
      expect(state.min, id).toBeGreaterThan(0);
    }

    // The gauges and counters table, in units.
    const gaugeRow = await page.$$eval('table.gauges tr.gauge', (rows) =>
      rows.map((r) => [...r.children].map((c) => c.textContent)).find((cells) => cells[0] === 'harness.rss'),
    );
    expect(gaugeRow?.slice(0, 4)).toEqual(['harness.rss', '150 MB', '150 MB', '150 MB']);
    expect(await page.textContent('table.gauges')).toContain('http.requests');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('html report - a chart without data says so instead of drawing an empty box', async () => {
    const other = mkdtempSync(join(tmpdir(), 'pipesoak-html-'));
    try {
      writeSyntheticRunFolder(other, { seconds: 60, metrics: ['gateway.latency'] });
      await renderRunFolder(other);
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(pathToFileURL(join(other, 'report.html')).href);
      await page.waitForFunction(() => document.body.dataset.charts !== undefined);
      const noData = await page.$$eval('figure.chart', (figures) =>
        figures
          .filter((f) => f.querySelector('.nodata') !== null)
          .map((f) => [(f as HTMLElement).dataset.chart, f.querySelector('canvas') === null]),
      );
      expect(noData).toEqual([
        ['e2e-latency', true],
        ['dispatch-latency', true],
        ['consumer-ack-latency', true],
        ['event-loop-delay', true],
        ['cpu', true],
        ['stages', true],
      ]);
      expect(await page.textContent('#chart-cpu .nodata')).toBe(
        'no data: the run recorded no load.cpu or harness.cpu gauge',
      );
      expect(await page.textContent('#chart-e2e-latency .nodata')).toBe(
        'no data: the run recorded no e2e.latency samples',
      );
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
