// report.html in a real browser (Debian's Chromium through playwright-core, no download): a
// synthetic run with a fault window renders a page that loads nothing from a network, logs no
// errors, draws every chart, shows report.json's SLOs and shades the fault. Leaves report.png in
// the run folder for a person to look at.
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
import { SYNTHETIC_START_MS, writeSyntheticRunFolder } from '../support/syntheticRunFolder.ts';

const CHARTS = [
  'request-rate',
  'gateway-latency',
  'e2e-latency',
  'dispatch-latency',
  'outbox-pending',
  'outbox-lag',
  'consumer-pending',
  'dlq-depth',
  'db-connections',
  'stages',
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
      slos: { 'e2e.latency': { p99: 200 } },
    });
    const series = SeriesWriter.open(join(dir, 'series.ndjson'));
    series.event(
      'fault.start',
      { id: 'pause-nats', what: 'pause', where: 'nats' },
      SYNTHETIC_START_MS + FAULT.fromS * 1000,
    );
    series.event('fault.end', { id: 'pause-nats' }, SYNTHETIC_START_MS + FAULT.toS * 1000);
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

    const png = join(dir, 'report.png');
    await page.screenshot({ path: png, fullPage: true });
    expect(statSync(png).size).toBeGreaterThan(50_000);
    expect(remote).toEqual([]);
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
        ['stages', true],
      ]);
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
