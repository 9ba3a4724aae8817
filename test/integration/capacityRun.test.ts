// `runCapacity` with a stand-in step run (test/support/capacityStandIn.ts) and real files: the
// capacity folder (a run folder per step, capacity.json, .md, .html), a resumed search that runs no
// finished step again, a sweep applied through a real shell command, and capacity.html in Debian's
// Chromium (chart drawn, knee marked, heatmap, nothing loaded from a network, no console errors).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandApply } from '../../runner/capacity/applyCommand.ts';
import { CAPACITY_FILES, readCapacityJson } from '../../runner/capacity/capacityJson.ts';
import {
  CapacityInterrupted,
  type CapacityRunOptions,
  runCapacity,
} from '../../runner/capacity/capacityRun.ts';
import type { SearchOptions } from '../../runner/capacity/capacitySearch.ts';
import { parseSweep } from '../../runner/capacity/sweepAxes.ts';
import { standInRunStep } from '../support/capacityStandIn.ts';
import { launchChromium } from '../support/chromium.ts';

const SEARCH: SearchOptions = {
  startRate: 20,
  factor: 2,
  precision: 0.05,
  maxRate: 10_000,
  minRate: 1,
  maxSteps: 20,
  confirmFailures: true,
};
const STEP = { durationMs: 1000, warmUpMs: 0, coolDownMs: 5 };

let root: string;
let profile: string;
let browser: BrowserContext;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'pipesoak-capacity-'));
  profile = mkdtempSync(join(tmpdir(), 'pipesoak-chromium-'));
  browser = await launchChromium(profile);
});

afterAll(async () => {
  await browser?.close();
  rmSync(profile, { recursive: true, force: true });
  rmSync(root, { recursive: true, force: true });
});

function options(dir: string, extra: Partial<CapacityRunOptions>): CapacityRunOptions {
  return {
    dir,
    scenario: 'scenarios/steady.ts',
    search: SEARCH,
    step: STEP,
    sweep: [],
    runStep: standInRunStep({ knee: () => 150 }).runStep,
    wait: async () => {},
    now: () => new Date('2026-12-01T12:00:00.000Z'),
    ...extra,
  };
}

async function openPage(path: string) {
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
  await page.goto(pathToFileURL(path).href);
  await page.waitForFunction(() => document.body.dataset.charts !== undefined, undefined, {
    timeout: 20_000,
  });
  return { page, errors, remote };
}

describe('capacity run', () => {
  it('writes a run folder per step and capacity.json/.md/.html with the knee found within the precision', async () => {
    const dir = join(root, 'search');
    const standIn = standInRunStep({ knee: () => 150, dbConnections: () => 7 });
    const progress: string[] = [];
    const result = await runCapacity(
      options(dir, { runStep: standIn.runStep, onProgress: (l) => progress.push(l) }),
    );

    const json = readCapacityJson(join(dir, CAPACITY_FILES.json));
    expect(json).toEqual(result);
    expect(json.complete).toBe(true);
    const combo = json.combos[0];
    if (combo?.result == null) throw new Error('no result');
    expect(combo.result.conclusion).toBe('found');
    const found = combo.result.sustainableRate ?? 0;
    expect(found).toBeLessThanOrEqual(150);
    expect(found).toBeGreaterThanOrEqual(150 * 0.95);
    expect(combo.result.failingRate).toBeGreaterThan(150);
    expect(combo.result.margin).toBeLessThanOrEqual(0.05);
    // The lowest failing step failed on drift of the backlog and on the e2e SLO; drift comes first.
    expect(combo.result.criterion).toBe('backlog-drift');
    expect(combo.result.dbConnectionsMax).toBe(7);
    // Ramp 20, 40, 80, 160 and its confirming re-run, then bisection.
    expect(combo.steps.slice(0, 5).map((s) => [s.rate, s.attempt, s.sustainable])).toEqual([
      [20, 1, true],
      [40, 1, true],
      [80, 1, true],
      [160, 1, false],
      [160, 2, false],
    ]);
    expect(standIn.calls.map((c) => c.rate)).toEqual(combo.steps.map((s) => s.rate));
    for (const s of combo.steps) {
      expect(existsSync(join(dir, s.runDir, 'report.json')), s.runDir).toBe(true);
      expect(s.figures.offeredRate).toBe(s.rate);
    }
    const failing = combo.steps.find((s) => !s.sustainable);
    expect(failing?.failed).toEqual(['backlog-drift', 'slo']);
    expect(failing?.reasons.join(' ')).toContain('consumer.pending drift');
    expect(standIn.calls[0]?.settings).toMatchObject({ durationMs: 1000, warmUpMs: 0, worker: {} });

    const md = readFileSync(join(dir, CAPACITY_FILES.md), 'utf8');
    expect(md).toContain(`sustainable ${found}/s`);
    expect(md).toContain('| 4 | 160 |');
    expect(md).toContain('FAIL');
    // Progress names each step, the search phase and the bounds so far.
    expect(
      progress.some((l) =>
        /step 4: offering 160\/s .*\(ramp; sustainable so far 80\/s, failing from —\)/.test(l),
      ),
    ).toBe(true);
    expect(progress.some((l) => /step 5: offering 160\/s .*confirm, re-run of a failure/.test(l))).toBe(true);
    expect(progress.some((l) => l.includes('bisect'))).toBe(true);

    const html = readFileSync(join(dir, CAPACITY_FILES.html), 'utf8');
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/\ssrc\s*=/i);
    expect(html.match(/<script/g)).toHaveLength(3);
    const { page, errors, remote } = await openPage(join(dir, CAPACITY_FILES.html));
    expect(await page.textContent('#answer')).toContain(`sustainable ${found}/s`);
    const figure = await page.$eval('figure.chart', (f) => ({
      drawn: f.dataset.drawn,
      knee: f.dataset.knee,
      canvases: f.querySelectorAll('canvas').length,
      legend: f.textContent,
    }));
    const rates = new Set(combo.steps.map((s) => s.rate));
    expect(figure.drawn).toBe(String(rates.size));
    expect(figure.canvases).toBe(1);
    expect(figure.legend).toContain('achieved /s');
    expect(figure.legend).toContain('e2e p99 ms');
    const knee = JSON.parse(figure.knee ?? 'null') as { rate: number; x: number } | null;
    expect(knee?.rate).toBe(found);
    // The knee sits between the plot's edges, right of the 80/s point: inside, not at x = 0.
    expect(knee?.x).toBeGreaterThan(100);
    // Some of the chart's pixels are drawn (the lines and the knee), not a blank canvas.
    const ink = await page.$eval('figure.chart canvas', (c) => {
      const canvas = c as HTMLCanvasElement;
      const d = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data ?? [];
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if ((d[i] ?? 0) > 0) n++;
      return n;
    });
    expect(ink).toBeGreaterThan(500);
    await page.screenshot({ path: join(dir, 'capacity.png'), fullPage: true });
    await page.close();
    expect(errors).toEqual([]);
    expect(remote).toEqual([]);
  });

  it('refuses to start over an existing search without --resume', async () => {
    const dir = join(root, 'search');
    await expect(runCapacity(options(dir, {}))).rejects.toThrow(
      /capacity.json already exists; pass --resume/,
    );
  });

  it('resumes an interrupted search from its finished steps, running none of them again', async () => {
    const whole = await runCapacity(
      options(join(root, 'whole'), { runStep: standInRunStep({ knee: () => 333 }).runStep }),
    );
    const dir = join(root, 'resumed');
    const first = standInRunStep({ knee: () => 333, interruptAt: (call) => call === 6 });
    await expect(runCapacity(options(dir, { runStep: first.runStep }))).rejects.toThrow(CapacityInterrupted);
    const saved = readCapacityJson(join(dir, CAPACITY_FILES.json));
    expect(saved.complete).toBe(false);
    expect(saved.combos[0]?.steps).toHaveLength(5);
    expect(saved.combos[0]?.result).toBeNull();
    // The interrupted step's folder is there, half made; it is not a finished step.
    const leftover = first.calls[5]?.settings.outDir ?? '';
    expect(existsSync(leftover)).toBe(true);
    writeFileSync(join(leftover, 'half-written.txt'), 'x');
    expect(readFileSync(join(dir, CAPACITY_FILES.md), 'utf8')).toContain('not finished');

    const second = standInRunStep({ knee: () => 333 });
    const progress: string[] = [];
    const resumed = await runCapacity(
      options(dir, { runStep: second.runStep, resume: true, onProgress: (l) => progress.push(l) }),
    );
    expect(progress[0]).toContain('5 finished steps are kept');
    await expect(
      runCapacity(options(dir, { resume: true, sweep: parseSweep(['pool=1,2']), apply: async () => {} })),
    ).rejects.toThrow(
      /--resume: .*capacity.json sweeps nothing; pass the same --sweep flags \(got pool=1,2\)/,
    );
    const wholeSteps = whole.combos[0]?.steps ?? [];
    expect(second.calls.map((c) => c.rate)).toEqual(wholeSteps.slice(5).map((s) => s.rate));
    expect(resumed.combos[0]?.steps.map((s) => [s.index, s.rate, s.attempt, s.runDir])).toEqual(
      wholeSteps.map((s) => [s.index, s.rate, s.attempt, s.runDir]),
    );
    expect(resumed.combos[0]?.result).toEqual(whole.combos[0]?.result);
    expect(existsSync(join(leftover, 'half-written.txt'))).toBe(false);
    expect(resumed.complete).toBe(true);
  });

  it('stops at a saturated generator and says the generator is the limit', async () => {
    const dir = join(root, 'generator');
    const standIn = standInRunStep({ knee: () => 5_000, generatorLimit: 100 });
    const result = await runCapacity(options(dir, { runStep: standIn.runStep }));
    const r = result.combos[0]?.result;
    expect(r?.conclusion).toBe('generator-limit');
    expect(r?.criterion).toBe('generator-saturated');
    expect(r?.sustainableRate).toBe(80);
    expect(r?.note).toMatch(/--workers.*segments/);
    // The saturated step is re-run once (a busy moment on a shared host is not the limit).
    expect(standIn.calls.map((c) => c.rate)).toEqual([20, 40, 80, 160, 160]);
    expect(readFileSync(join(dir, CAPACITY_FILES.md), 'utf8')).toContain('generator saturated at 160/s');
  });

  it('sweeps batch × pool through a real apply command, ranks the settings and checks the pool limit', async () => {
    const dir = join(root, 'sweep');
    mkdirSync(dir, { recursive: true });
    const applied = join(root, 'applied.txt');
    // The pool bounds throughput (40/s per connection); batch size barely matters.
    const knee = (w: Record<string, number>) => 40 * (w.pool ?? 1) + (w.batch ?? 0) / 10;
    const standIn = standInRunStep({ knee, dbConnections: (w) => Math.min(w.pool ?? 0, 6) });
    const apply = commandApply({
      command: `echo batch={batch} pool={pool} >> '${applied}'`,
      ready: { command: `grep -q 'pool={pool}' '${applied}'`, timeoutMs: 5_000 },
    });
    const sweep = parseSweep(['batch=50,200', 'pool=2,8']);
    let interrupted = false;
    const first = standInRunStep({
      knee,
      dbConnections: (w) => Math.min(w.pool ?? 0, 6),
      // Interrupt halfway: the third combination's second step.
      interruptAt: (_call, rate) => {
        if (interrupted) return false;
        const n = first.calls.filter(
          (c) => c.settings.worker.batch === 200 && c.settings.worker.pool === 2,
        ).length;
        interrupted = n === 2 && rate > 0;
        return interrupted;
      },
    });
    await expect(runCapacity(options(dir, { sweep, apply, runStep: first.runStep }))).rejects.toThrow(
      CapacityInterrupted,
    );
    const halfway = readCapacityJson(join(dir, CAPACITY_FILES.json));
    expect(halfway.combos.map((c) => c.result !== null)).toEqual([true, true, false, false]);
    const result = await runCapacity(options(dir, { sweep, apply, runStep: standIn.runStep, resume: true }));
    // Finished combinations are neither re-applied nor re-run.
    expect(readFileSync(applied, 'utf8').trim().split('\n')).toEqual([
      'batch=50 pool=2',
      'batch=50 pool=8',
      'batch=200 pool=2',
      'batch=200 pool=2',
      'batch=200 pool=8',
    ]);
    expect(standIn.calls.every((c) => c.settings.worker.batch === 200)).toBe(true);
    expect(standIn.calls[0]?.settings.outDir).toContain(join('batch-200_pool-2', 'step-02-'));

    const rate = (id: string) => result.combos.find((c) => c.id === id)?.result?.sustainableRate ?? 0;
    // Pool 8 carries about four times what pool 2 does.
    expect(rate('batch-50_pool-8') / rate('batch-50_pool-2')).toBeGreaterThan(3.4);
    expect(rate('batch-50_pool-8') / rate('batch-50_pool-2')).toBeLessThan(4.6);
    expect(result.best).toEqual({
      id: 'batch-200_pool-8',
      settings: { batch: 200, pool: 8 },
      sustainableRate: rate('batch-200_pool-8'),
      poolLimit: 8,
      dbConnectionsMax: 6,
      withinPool: true,
    });
    expect(rate('batch-200_pool-8')).toBeGreaterThanOrEqual(340 * 0.95);

    const md = readFileSync(join(dir, CAPACITY_FILES.md), 'utf8');
    expect(md).toContain('| batch | pool=2 | pool=8 |');
    expect(md).toContain(`| 50 | ${rate('batch-50_pool-2')} | ${rate('batch-50_pool-8')} |`);
    expect(md).toContain('**Best setting:** batch=200 pool=8');
    expect(md).toContain('within the pool limit 8');

    const { page, errors, remote } = await openPage(join(dir, CAPACITY_FILES.html));
    const cells = await page.$$eval('#heatmap td.heat', (tds) =>
      tds.map((td) => ({
        combo: td.getAttribute('data-combo'),
        rate: Number(td.getAttribute('data-rate')),
        best: td.classList.contains('best'),
        bg: (td as HTMLElement).style.background,
      })),
    );
    expect(cells.map((c) => c.combo)).toEqual([
      'batch-50_pool-2',
      'batch-50_pool-8',
      'batch-200_pool-2',
      'batch-200_pool-8',
    ]);
    expect(cells.map((c) => c.rate)).toEqual(cells.map((c) => rate(c.combo ?? '')));
    expect(cells.filter((c) => c.best).map((c) => c.combo)).toEqual(['batch-200_pool-8']);
    expect(cells[0]?.bg).not.toBe(cells[3]?.bg);
    expect(
      await page.$$eval('figure.chart', (fs) => fs.filter((f) => f.dataset.knee !== undefined).length),
    ).toBe(4);
    expect(await page.textContent('#answer')).toContain('within the pool limit 8');
    await page.screenshot({ path: join(dir, 'capacity.png'), fullPage: true });
    await page.close();
    expect(errors).toEqual([]);
    expect(remote).toEqual([]);
  });

  it('stops on a step whose run could not be made (exit 3) without recording it as a verdict', async () => {
    const dir = join(root, 'broken');
    const standIn = standInRunStep({ knee: () => 1000 });
    const broken: typeof standIn.runStep = async (rate, settings) => {
      const o = await standIn.runStep(rate, settings);
      return standIn.calls.length === 3 ? { ...o, exitCode: 3 } : o;
    };
    await expect(runCapacity(options(dir, { runStep: broken }))).rejects.toThrow(
      /capacity step 3 \(80\/s\): the run could not be made \(exit 3\)/,
    );
    expect(readCapacityJson(join(dir, CAPACITY_FILES.json)).combos[0]?.steps.map((s) => s.rate)).toEqual([
      20, 40,
    ]);
  });

  it('a sweep without an apply command is refused before any step runs', async () => {
    const standIn = standInRunStep({ knee: () => 10 });
    await expect(
      runCapacity(
        options(join(root, 'no-apply'), { sweep: parseSweep(['pool=2,4']), runStep: standIn.runStep }),
      ),
    ).rejects.toThrow(/--sweep needs capacity.apply/);
    expect(standIn.calls).toEqual([]);
  });
});
