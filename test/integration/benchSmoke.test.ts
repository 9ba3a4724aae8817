// CI smoke of the engine benches: each runs in --quick mode (one short run) and prints its ratio
// lines with finite numbers. The figures are not held to the targets here: CI machines are noisy.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

async function benchWith(
  env: Record<string, string>,
  file: string,
  ...args: string[]
): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, ['--import', 'tsx', `bench/${file}`, '--quick', ...args], {
    // About 10-20 s each on a quiet 2-core machine; the slack is for a loaded one.
    timeout: 100_000,
    env: { ...process.env, ...env },
  });
}

async function bench(file: string, ...args: string[]): Promise<string> {
  return (await benchWith({}, file, ...args)).stdout;
}

/** The number after `label` on one of the lines, which must be there and finite. */
function figure(out: string, label: RegExp): number {
  const match = label.exec(out);
  expect(match, `no line matching ${label} in:\n${out}`).not.toBeNull();
  const n = Number(match?.[1]);
  expect(Number.isFinite(n), `${label} printed ${match?.[1]}`).toBe(true);
  return n;
}

describe('bench smoke (--quick)', () => {
  it('engineHttp prints the engine/autocannon and engine/wrk per-core ratios and the load average', async () => {
    const out = await bench('engineHttp.ts');
    expect(figure(out, /ratio engine\/autocannon per client core: ([\d.]+)/)).toBeGreaterThanOrEqual(0);
    figure(out, /ratio engine\/wrk per client core: ([\d.]+)/);
    figure(out, /ratio engine \(0 dropped only\)\/autocannon per client core: ([\d.]+)/);
    expect(
      figure(out, /ratio engine \(iterations done per core, drops allowed\)\/autocannon: ([\d.]+)/),
    ).toBeGreaterThan(0);
    expect(figure(out, /autocannon (\d+), wrk \d+ req\/s/)).toBeGreaterThan(0);
    figure(out, /load average after \(1\/5\/15 min\): ([\d.]+)/);
  }, 120_000);

  it('engineJetstream prints the engine/nats bench ratios (plain and like for like) from PubAcks the stream holds', async () => {
    const out = await bench('engineJetstream.ts');
    expect(figure(out, /ratio engine\/nats bench: ([\d.]+)/)).toBeGreaterThan(0);
    expect(figure(out, /nats bench (\d+) msgs\/s/)).toBeGreaterThan(0);
    // The like-for-like peer ran (its --dedup and headers checked on its stream) and the server's
    // CPU per message was read for each side.
    expect(
      figure(out, /ratio engine\/nats bench with the engine's per-message work: ([\d.]+)/),
    ).toBeGreaterThan(0);
    expect(figure(out, /nats-server CPU per message, median: ([\d.]+) µs under the engine/)).toBeGreaterThan(
      0,
    );
    expect(figure(out, /([\d.]+) under nats bench with --dedup and headers/)).toBeGreaterThan(0);
    const acks = figure(out, /\((\d+) PubAcks/);
    expect(figure(out, /PIPESOAK_BENCH: (\d+) messages/)).toBe(acks);
  }, 120_000);

  it('engineRateAccuracy prints achieved/target and iteration.delay p99; PIPESOAK_ENGINE_GC_TRACE adds the GC summary', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pipesoak-gc-trace-'));
    try {
      const traceFile = join(dir, 'gc.txt');
      const { stdout: out, stderr } = await benchWith(
        { PIPESOAK_ENGINE_GC_TRACE: traceFile },
        'engineRateAccuracy.ts',
        '--rates',
        '500',
      );
      expect(figure(out, /median of 1: achieved\/target ([\d.]+)/)).toBeGreaterThan(0);
      figure(out, /iteration\.delay p99 ([\d.]+) ms \(target <= 5\)/);
      figure(out, /load average before \(1\/5\/15 min\): ([\d.]+)/);
      // The trace lines went to the file, not into the result, and each isolate got its summary.
      const trace = readFileSync(traceFile, 'utf8').split('\n');
      const scavengeLines = trace.filter((l) => l.includes(' gc=s '));
      // V8 prints a line's isolate prefix and its body in two calls, so two threads that scavenge
      // at once can leave a body without its prefix (the result no longer shares stdout: it comes
      // over IPC). Those few cannot be attributed; every other scavenge must be counted.
      const attributed = scavengeLines.filter((l) => /^\[\d+:0x[0-9a-f]+\]/.test(l)).length;
      expect(attributed).toBeGreaterThan(0);
      expect(scavengeLines.length - attributed).toBeLessThanOrEqual(2);
      const summaries = [
        ...stderr.matchAll(
          /gc isolate 0x[0-9a-f]+: (\d+) scavenges, \d+ ms paused \(max [\d.]+ ms\), \d+ KB promoted per scavenge; \d+ mark-compacts, \d+ ms/g,
        ),
      ];
      expect(summaries.length).toBeGreaterThanOrEqual(2); // the main thread and the worker
      expect(summaries.reduce((sum, m) => sum + Number(m[1]), 0)).toBe(attributed);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('engineMemory prints RSS per sample and the growth after the first', async () => {
    const out = await bench('engineMemory.ts', '--rate', '500');
    expect(figure(out, /sample 1: rss ([\d.]+) MB/)).toBeGreaterThan(0);
    figure(out, /rss growth after 2 s sample 1: (-?[\d.]+)%/);
  }, 120_000);
});
