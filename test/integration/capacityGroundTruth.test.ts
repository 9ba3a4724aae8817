// Ground truth of issue 13 that holds on a loaded host: one engine worker against a target that
// answers at once (a server in its own process: 202 for the events, 200 for the health check)
// cannot be the pipeline's limit, so `pipesoak capacity` must name the generator, with its loop
// busy, and suggest --workers. The collectors still read an idle reference pipeline.
// The throttle and pool ground truths are in capacityGroundTruth.pending.ts: they need a host that
// carries a few hundred events/s through the reference, which this shared one did not.
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
  pipeline = await startCapacityPipeline('cap_gen');
  cheap = await cheapServer();
}, 120_000);

afterAll(async () => {
  cheap?.proc.kill('SIGTERM');
  await pipeline?.stop();
  rmSync(root, { recursive: true, force: true });
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
    expect(r?.failingRate).toBe(20_000);
    expect(r?.note).toContain('--workers');
    const step = result.combos[0]?.steps[0];
    expect(step?.failed[0]).toBe('generator-saturated');
    expect(step?.reasons[0]).toMatch(/generator saturated from \d+ s, .*loop busy up to (9[5-9]|100)%/);
    // The generator gave out well short of the offered rate: it, not the target, was the limit.
    expect(step?.figures.achievedRate ?? 0).toBeLessThan(20_000 * 0.8);
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
