// PENDING (vitest does not collect *.pending.ts): the generator-bound ground truth of issue 13.
// It was green before this stop's engine speed-ups and on one quiet CI rehearsal (it named the
// generator at its 5,000/s step); on the next run the one engine worker outran the "cheap" target
// (a one-thread Node server sharing the 2 cores): at 20,000/s the target's latency and errors, not
// the engine's loop, held the VUs, and lower steps failed the pipeline SLOs a stand-in cannot feed.
// A target that is cheaper than the generator on every run (or a scenario that costs the generator
// more per iteration) is what it needs. Run it with: cp this file to *.test.ts and vitest it.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCapacity } from '../../runner/capacity/capacityRun.ts';
import { makeRealRunStep } from '../../runner/capacity/realRunStep.ts';
import {
  CAPACITY_SCENARIO,
  CAPACITY_SEARCH,
  CAPACITY_STEP,
  type CapacityPipeline,
  startCapacityPipeline,
} from '../support/capacityPipeline.ts';

const root = mkdtempSync(join(tmpdir(), 'pipesoak-capacity-gt-'));
let pipeline: CapacityPipeline;
let cheap: { proc: ChildProcess; url: string };

beforeAll(async () => {
  pipeline = await startCapacityPipeline('cap_gt');
  cheap = await cheapServer();
}, 120_000);

afterAll(async () => {
  cheap?.proc.kill('SIGTERM');
  await pipeline?.stop();
  if (process.env.GT_KEEP === undefined) rmSync(root, { recursive: true, force: true });
}, 60_000);

describe('capacity ground truth: a generator-bound search', () => {
  it('reports the generator as the limit with one engine worker against a target that answers at once', async () => {
    const lines: string[] = [];
    const config = pipeline.configFor(cheap.url);
    const runStep = await makeRealRunStep({
      scenarioPath: CAPACITY_SCENARIO,
      // VUs to spare, so the limit is the worker thread's loop and not the VU count (drops for want
      // of a free VU would say too few VUs, not a busy generator).
      config: { ...config, load: { ...config.load, vus: { preAllocated: 500, max: 20_000 } } },
      workers: 1,
    });
    const result = await runCapacity({
      dir: join(root, 'generator'),
      scenario: CAPACITY_SCENARIO,
      // Far more than one worker thread can start: its event loop is busy all the time.
      search: { ...CAPACITY_SEARCH, startRate: 20_000, maxRate: 200_000, factor: 4 },
      step: CAPACITY_STEP,
      sweep: [],
      runStep,
      onProgress: (l) => lines.push(l),
    });
    const r = result.combos[0]?.result;
    expect(r?.conclusion, lines.join('\n')).toBe('generator-limit');
    expect(r?.criterion).toBe('generator-saturated');
    expect(r?.sustainableRate).toBeNull();
    expect(r?.note).toContain('--workers');
    // The search may step down before the generator's loop is busy through a whole streak (a quiet
    // host lets one thread get further): the failing step is the last attempt at the failing rate.
    const failingRate = r?.failingRate ?? 0;
    expect(failingRate).toBeGreaterThanOrEqual(5_000);
    const step = result.combos[0]?.steps.filter((s) => s.rate === failingRate).at(-1);
    expect(step?.failed[0]).toBe('generator-saturated');
    expect(step?.reasons[0]).toMatch(/generator saturated from \d+ s, .*loop busy up to (9[5-9]|100)%/);
  }, 300_000);
});

const CHEAP_SERVER = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(req.method === 'POST' ? 202 : 200, { 'content-type': 'application/json' });
    res.end('{}');
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

async function cheapServer(): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, ['-e', CHEAP_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((ok, fail) => {
    proc.stdout?.once('data', (chunk: Buffer) => ok(chunk.toString().trim()));
    proc.once('exit', (code) => fail(new Error(`the cheap target exited (${code})`)));
  });
  return { proc, url: `http://127.0.0.1:${port}` };
}
