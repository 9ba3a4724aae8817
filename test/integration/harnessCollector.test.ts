import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { HarnessCollector } from '../../collectors/harness/harnessCollector.ts';
import { RecordingRecorder } from '../support/recordingRecorder.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('harness collector', () => {
  it('reports the harness rss within 20% of process.memoryUsage and its cpu share as process.cpuUsage sees it', async () => {
    const recorder = new RecordingRecorder();
    const collector = new HarnessCollector();
    const cpuBefore = process.cpuUsage();
    const wallBefore = performance.now();
    await collector.start(recorder);
    // Busy for 300 ms of CPU time, however loaded the machine: the share must show it.
    const spinUntil = cpuBefore.user + cpuBefore.system + 300_000;
    while (process.cpuUsage().user + process.cpuUsage().system < spinUntil) {}
    await collector.sample();
    const cpuAfter = process.cpuUsage(cpuBefore);
    const expectedCpu = (cpuAfter.user + cpuAfter.system) / 1000 / (performance.now() - wallBefore);
    const rss = recorder.lastGauge('harness.rss', { process: 'harness' }) ?? 0;
    const expected = process.memoryUsage().rss;
    expect(Math.abs(rss - expected) / expected).toBeLessThan(0.2);
    const cpu = recorder.lastGauge('harness.cpu', { process: 'harness' }) ?? -1;
    // /proc's view of this process over the same interval as process.cpuUsage's, within 0.15 core.
    expect(Math.abs(cpu - expectedCpu)).toBeLessThan(0.15);
    expect(cpu).toBeGreaterThan(0.05);
  });

  it('shows a busy child process above half a core, and drops it with an event once it exits', async () => {
    const child = spawn(
      process.execPath,
      ['-e', 'const end = Date.now() + 1500; while (Date.now() < end) {}'],
      {
        stdio: 'ignore',
      },
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const pid = child.pid;
    if (pid === undefined) throw new Error('child did not start');
    const recorder = new RecordingRecorder();
    const collector = new HarnessCollector({ processes: [{ pid, label: 'engine' }] });
    await collector.start(recorder);
    await sleep(100);
    await collector.sample();
    await sleep(1000);
    await collector.sample();

    const cpu = recorder.lastGauge('harness.cpu', { process: 'engine' }) ?? 0;
    expect(cpu).toBeGreaterThan(0.5);
    expect(cpu).toBeLessThan(1.3);
    const rss = recorder.lastGauge('harness.rss', { process: 'engine' }) ?? 0;
    expect(rss).toBeGreaterThan(5 * 1024 * 1024);
    expect(rss).toBeLessThan(1024 * 1024 * 1024);

    await exited;
    await collector.sample();
    await collector.sample();
    const events = recorder.eventsOf('harness.process.exited');
    expect(events).toHaveLength(1);
    expect(events[0]?.data).toEqual({ pid, process: 'engine' });
    // The harness itself is still sampled after the child is dropped.
    expect(recorder.gauges.filter((g) => g.tags?.process === 'harness').length).toBeGreaterThanOrEqual(4);
  });
});
