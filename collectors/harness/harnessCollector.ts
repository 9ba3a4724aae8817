// The harness's own footprint (and that of processes it runs, e.g. the load engine): resident memory and CPU,
// so a soak can show the load generator stayed flat and was not the bottleneck. Target components
// the harness started (by pid) are watched too, as `target.rss` by component, for leaks.
// Other processes are read from /proc (Linux); the harness itself through process.* (portable).

import { METRIC } from '../../record/metricCatalog.ts';
import type { Recorder } from '../../record/recorder.ts';
import { writeProcessExited } from '../../record/runEvents.ts';
import type { Collector } from '../collector.ts';
import { CLOCK_TICKS_PER_SECOND, readProcStat } from './procStat.ts';

export interface TrackedProcess {
  pid: number;
  /** The `process` tag, e.g. `load`. */
  label: string;
}

/** A target process the harness started (e.g. the reference worker), watched for leaks. */
export interface TargetProcess {
  pid: number;
  /** The `component` tag, e.g. `worker`. */
  component: string;
}

export interface HarnessCollectorConfig {
  processes?: TrackedProcess[];
  components?: TargetProcess[];
  /** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on Linux builds in practice). */
  clockTicksPerSecond?: number;
}

interface CpuBaseline {
  cpuSeconds: number;
  wallMs: number;
}

export class HarnessCollector implements Collector {
  readonly name = 'harness';
  private recorder: Recorder | undefined;
  private readonly tracked = new Map<number, { label: string; baseline?: CpuBaseline }>();
  private readonly components = new Map<number, string>();
  private self: CpuBaseline | undefined;
  private readonly ticks: number;

  constructor(config: HarnessCollectorConfig = {}) {
    this.ticks = config.clockTicksPerSecond ?? CLOCK_TICKS_PER_SECOND;
    for (const p of config.processes ?? []) this.track(p.pid, p.label);
    for (const c of config.components ?? []) this.trackComponent(c.pid, c.component);
  }

  /** Watches a target component's resident memory (`target.rss`, tag `component`). */
  trackComponent(pid: number, component: string): void {
    if (!Number.isInteger(pid) || pid <= 0)
      throw new Error(`harness collector: component ${component} has no valid pid (${pid})`);
    this.components.set(pid, component);
  }

  /** Adds a process (e.g. a load worker once spawned); its CPU share shows from the second sample on. */
  track(pid: number, label: string): void {
    this.tracked.set(pid, { label });
  }

  async start(recorder: Recorder): Promise<void> {
    this.recorder = recorder;
    this.self = selfCpu();
  }

  async sample(): Promise<void> {
    const recorder = this.recorder;
    if (!recorder) throw new Error('harness collector sampled before start');
    const at = Date.now();
    const self = selfCpu();
    recorder.gauge(METRIC.harnessRss, process.memoryUsage().rss, { process: 'harness' }, at);
    if (this.self) recorder.gauge(METRIC.harnessCpu, cpuShare(this.self, self), { process: 'harness' }, at);
    this.self = self;

    for (const [pid, entry] of this.tracked) {
      const tags = { process: entry.label };
      const read = await readProcess(pid, this.ticks);
      if (!read) {
        this.tracked.delete(pid);
        writeProcessExited(recorder, { pid, process: entry.label }, at);
        continue;
      }
      const now = { cpuSeconds: read.cpuSeconds, wallMs: performance.now() };
      recorder.gauge(METRIC.harnessRss, read.rssBytes, tags, at);
      if (entry.baseline) recorder.gauge(METRIC.harnessCpu, cpuShare(entry.baseline, now), tags, at);
      entry.baseline = now;
    }

    for (const [pid, component] of this.components) {
      const read = await readProcess(pid, this.ticks);
      if (!read) {
        this.components.delete(pid);
        writeProcessExited(recorder, { pid, process: component }, at);
        continue;
      }
      recorder.gauge(METRIC.targetRss, read.rssBytes, { component }, at);
    }
  }

  async stop(): Promise<void> {
    this.recorder = undefined;
  }
}

function selfCpu(): CpuBaseline {
  const usage = process.cpuUsage();
  return { cpuSeconds: (usage.user + usage.system) / 1e6, wallMs: performance.now() };
}

/** Share of one core over the interval (2 busy cores read 2.0). */
function cpuShare(before: CpuBaseline, after: CpuBaseline): number {
  const wallSeconds = (after.wallMs - before.wallMs) / 1000;
  return wallSeconds > 0 ? Math.max(0, after.cpuSeconds - before.cpuSeconds) / wallSeconds : 0;
}

/** undefined when the process is gone (or a zombie waiting to be reaped). */
async function readProcess(
  pid: number,
  ticks: number,
): Promise<{ cpuSeconds: number; rssBytes: number } | undefined> {
  const stat = await readProcStat(pid, ticks);
  if (stat === undefined || stat.state === 'Z' || stat.state === 'X') return undefined;
  return stat;
}
