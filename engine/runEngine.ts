// The engine's main-thread side: resolves the scenario's executors, starts the worker threads from
// one shared start instant, merges their interval histograms into load.hlog and the cumulative
// histograms, keeps the accepted-iterations bitmap, writes counters and gauges to the series, and
// emits a tick every second. setup() and teardown() run once, in worker 0.
import { EventEmitter } from 'node:events';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AcceptedBitmapWriter } from '../record/acceptedBitmap.ts';
import { HistogramSnapshot } from '../record/histogramSnapshot.ts';
import { METRIC } from '../record/metricCatalog.ts';
import { RUN_FILES } from '../record/runFiles.ts';
import type { Tags } from './clientSeam.ts';
import { nowMs } from './clock.ts';
import {
  BITMAP_FLUSH_MS,
  defaultWorkers,
  SILENT_WORKER_MS,
  START_LEAD_MS,
  TICK_MS,
  WORKER_CLOSE_TIMEOUT_MS,
} from './engineDefaults.ts';
import { type ExecutorPlan, planDurationMs, planMaxVUs } from './executors/executorPlan.ts';
import { GeneratorHealth } from './generatorHealth.ts';
import { HlogWriter, type LatencySummary } from './loadLog.ts';
import { initMergedHistogramWasm, MergedHistogram } from './mergedHistogram.ts';
import { disablePretenuring } from './pretenuring.ts';
import { arrivalSchedule } from './run/arrivalRunner.ts';
import { type LoadSettings, resolveScenarioOptions } from './scenarioOptions.ts';
import { type Stripe, segmentStripe } from './segment.ts';
import type {
  MainToWorker,
  WorkerInit,
  WorkerReport,
  WorkerScenario,
  WorkerToMain,
} from './workerProtocol.ts';
import { workerYoungGenerationMb } from './workerYoungGeneration.ts';

// What the runner catches: bad options (exit 2), bad segment flags (exit 2).
export { OptionsError } from './scenarioOptions.ts';
export { SegmentError } from './segment.ts';

export interface EngineSeries {
  counter(name: string, delta: number, tags?: Tags, atMs?: number): void;
  gauge(name: string, value: number, tags?: Tags, atMs?: number): void;
  event(kind: string, data: Record<string, unknown>, atMs?: number): void;
  /** One interval of a latency metric as it goes into load.hlog (e.g. for an OTLP export). */
  latencyInterval?(name: string, interval: HistogramSnapshot, tags?: Tags): void;
}

export interface EngineOptions {
  bundlePath: string;
  runId: string;
  runDir: string;
  load: LoadSettings;
  target: Record<string, unknown>;
  dataset?: { items: unknown[] } | { path: string };
  /** Worker threads; defaultWorkers() in engineDefaults.ts says why it is what it is. */
  workers?: number;
  segment?: string;
  segmentSequence?: string;
  startAtMs?: number;
  series?: EngineSeries;
  signal?: AbortSignal;
  /** Called with the shared start instant once every worker is ready, before iteration 0. */
  onStart?: (startAtMs: number) => void;
  /**
   * HTTP connections per origin across all workers; default the largest maxVUs (one per VU). Fewer
   * lets VUs outnumber connections, so a pause queues requests in the pool rather than dropping
   * iterations (the HTTP bench holds the peers' connection count this way).
   */
  httpConnections?: number;
  /** Test seam: one module exporting createClients and createIterationContext (default engine/clients + engine/api). */
  clientsModule?: string;
}

export interface EngineTick {
  atMs: number;
  elapsedMs: number;
  totalMs: number;
  targetRate: number;
  achievedRate: number;
  iterations: number;
  dropped: number;
  interrupted: number;
  errors: number;
  vus: number;
  latency: Record<string, { count: number; p50: number; p99: number; max: number }>;
  eventLoopDelayP99Ms: number;
  cpu: number;
  saturated: boolean;
  /** The last tick, after every worker's final report: whole-run figures belong here. */
  final: boolean;
}

export interface EngineResult {
  iterations: number;
  dropped: number;
  interrupted: number;
  errors: Record<string, number>;
  accepted: number;
  targetRate: number;
  achievedRate: number;
  generatorSaturated: boolean;
  /** Saturated with the loop busy (not only delayed by the host); false when not saturated. */
  generatorBusy: boolean;
  saturationNote?: string;
  /** Counter totals by metric name, and by hlog tag (`name;key=value`) for tagged ones. */
  counts: Record<string, number>;
  /** Latency summaries by metric name (all tags), and by hlog tag for tagged ones. */
  summaries: Record<string, LatencySummary>;
  durationMs: number;
}

export interface EngineHandle {
  on(ev: 'tick', f: (t: EngineTick) => void): void;
  done: Promise<EngineResult>;
  stopNow(): void;
}

const WORKER_URL = new URL('./workerBoot.mjs', import.meta.url);

export function startEngine(o: EngineOptions): EngineHandle {
  const events = new EventEmitter();
  const control = { stopNow: () => {}, stopped: false, hard: false };
  const done = runEngine(o, events, control);
  // The caller awaits done; keep an unawaited rejection from crashing the process meanwhile.
  done.catch(() => {});
  return {
    on: (ev, f) => void events.on(ev, f),
    done,
    stopNow: () => {
      control.hard = true;
      control.stopNow();
    },
  };
}

interface Control {
  stopNow(): void;
  stopped: boolean;
  hard: boolean;
}

/** Global index spaces: arrival executors in order get contiguous ranges, closed ones interleave after. */
function indexScenarios(plans: ExecutorPlan[]): WorkerScenario[] {
  let kBase = 0;
  const out: WorkerScenario[] = [];
  for (const plan of plans) {
    if (plan.model !== 'arrival') continue;
    out.push({ plan, kBase, closedCount: 0, closedIndex: 0 });
    kBase += arrivalSchedule(plan).total;
  }
  const closed = plans.filter((p) => p.model === 'vus');
  closed.forEach((plan, i) => {
    out.push({ plan, kBase, closedCount: closed.length, closedIndex: i });
  });
  return plans.map((p) => out.find((s) => s.plan === p) as WorkerScenario);
}

class Cumulative {
  readonly byTag = new Map<
    string,
    { metric: string; tags?: Tags; total: MergedHistogram; interval: MergedHistogram }
  >();
  readonly byMetric = new Map<string, MergedHistogram>();
  readonly counts = new Map<string, { metric: string; tags?: Tags; total: number; delta: number }>();

  private destroyed = false;

  add(r: WorkerReport): void {
    if (this.destroyed) return; // a report that raced the end of the run
    for (const h of r.histograms) {
      let entry = this.byTag.get(h.tag);
      if (entry === undefined) {
        entry = { metric: h.metric, total: new MergedHistogram(), interval: new MergedHistogram() };
        if (h.tags !== undefined) entry.tags = h.tags;
        this.byTag.set(h.tag, entry);
      }
      entry.interval.addEncoded(h.encoded);
    }
    for (const c of r.counters) {
      let entry = this.counts.get(c.tag);
      if (entry === undefined) {
        entry = { metric: c.metric, total: 0, delta: 0 };
        if (c.tags !== undefined) entry.tags = c.tags;
        this.counts.set(c.tag, entry);
      }
      entry.total += c.delta;
      entry.delta += c.delta;
    }
  }

  /** Frees the WASM histograms (their memory is not garbage-collected). */
  destroy(): void {
    this.destroyed = true;
    for (const e of this.byTag.values()) {
      e.total.destroy();
      e.interval.destroy();
    }
    for (const h of this.byMetric.values()) h.destroy();
    this.byTag.clear();
    this.byMetric.clear();
  }

  total(metric: string): number {
    let sum = 0;
    for (const c of this.counts.values()) if (c.metric === metric) sum += c.total;
    return sum;
  }
}

async function runEngine(o: EngineOptions, events: EventEmitter, control: Control): Promise<EngineResult> {
  mkdirSync(o.runDir, { recursive: true });
  await initMergedHistogramWasm();
  // Errors thrown while the bundle loads or resolves its options name the scenario's .ts lines.
  process.setSourceMapsEnabled(true);
  const bundleUrl = pathToFileURL(o.bundlePath).href;
  const bundle = (await import(bundleUrl)) as Record<string, unknown>;
  const plans = resolveScenarioOptions(bundle.options, o.load, (name) => typeof bundle[name] === 'function');

  const segment = segmentStripe(o.segment, o.segmentSequence);
  const scenarios = indexScenarios(plans);
  // Never more workers than the smallest arrival executor's preAllocatedVUs in this segment, so every
  // worker has a VU for its share of the schedule.
  let workers = Math.max(1, Math.floor(o.workers ?? defaultWorkers()));
  for (const p of plans)
    if (p.model === 'arrival')
      workers = Math.min(workers, Math.max(1, segment.countBelow(p.preAllocatedVUs)));
  const maxVUs = Math.max(...plans.map(planMaxVUs));
  const bundleText = readFileSync(o.bundlePath, 'utf8');
  const needsNats = /jetstream|\.nats\b/.test(bundleText);

  const threads: Worker[] = [];
  const handlers: ((m: WorkerToMain, w: number) => void)[] = [];
  let failure: Error | undefined;
  let failed: (err: Error) => void = () => {};
  const failedPromise = new Promise<never>((_, reject) => {
    failed = (err) => {
      failure ??= err;
      reject(failure);
    };
  });
  failedPromise.catch(() => {});
  const send = (w: number, m: MainToWorker) => threads[w]?.postMessage(m);
  const broadcast = (m: MainToWorker): void => {
    for (const t of threads) t.postMessage(m);
  };
  const waitAll = <T extends WorkerToMain['type']>(type: T, only?: number): Promise<void> => {
    const want = only === undefined ? threads.length : 1;
    let got = 0;
    return Promise.race([
      failedPromise,
      new Promise<void>((resolve) => {
        const h = (m: WorkerToMain, w: number) => {
          if (m.type === type && (only === undefined || w === only) && ++got === want) {
            handlers.splice(handlers.indexOf(h), 1);
            resolve();
          }
        };
        handlers.push(h);
      }),
    ]);
  };

  const cumulative = new Cumulative();
  let hlog: HlogWriter | undefined;
  let bitmap: AcceptedBitmapWriter | undefined;
  const health = new GeneratorHealth();
  const latest = new Map<number, WorkerReport>();
  /** When each worker's last report arrived (main clock), and which workers have finished. */
  const reportedAt = new Map<number, number>();
  const finishedWorkers = new Set<number>();
  let startedSinceTick = 0;
  let startedTotal = 0;
  let setupData: unknown;
  handlers.push((m, w) => {
    if (m.type === 'report') {
      cumulative.add(m);
      for (const k of m.accepted) bitmap?.mark(k);
      startedSinceTick += m.started;
      startedTotal += m.started;
      latest.set(m.worker, m);
      reportedAt.set(m.worker, nowMs());
    } else if (m.type === 'finished') finishedWorkers.add(w);
    else if (m.type === 'setupDone') setupData = m.data;
    else if (m.type === 'fatal') failed(new Error(`engine worker failed: ${m.message}`));
  });

  const youngGenerationMb = workerYoungGenerationMb(plans, workers);
  disablePretenuring();
  for (let w = 0; w < workers; w++) {
    const init: WorkerInit = {
      bundlePath: o.bundlePath,
      runId: o.runId,
      worker: w,
      workers,
      stripe: {
        ...(o.segment === undefined ? {} : { segment: o.segment }),
        ...(o.segmentSequence === undefined ? {} : { segmentSequence: o.segmentSequence }),
        worker: w,
        workers,
      },
      scenarios,
      target: o.target,
      load: o.load,
      httpConnections: Math.ceil(
        (o.httpConnections === undefined ? segment.countBelow(maxVUs) : o.httpConnections) / workers,
      ),
      needsNats,
      ...(o.dataset === undefined ? {} : { dataset: o.dataset }),
      ...(o.clientsModule === undefined ? {} : { clientsModule: o.clientsModule }),
    };
    // No inherited execArgv: the worker boots its own TypeScript loader, and a parent's preloads (a test
    // runner's, say) do not belong in it.
    const t = new Worker(WORKER_URL, {
      workerData: init,
      execArgv: workerExecArgv(),
      ...(youngGenerationMb === undefined
        ? {}
        : { resourceLimits: { maxYoungGenerationSizeMb: youngGenerationMb } }),
    });
    t.on('message', (m: WorkerToMain) => {
      for (const h of [...handlers]) h(m, w);
    });
    t.on('error', (err) => failed(new Error(`engine worker ${w} crashed: ${err.stack ?? err.message}`)));
    t.on('exit', (code) => {
      if (code !== 0 && !closing) failed(new Error(`engine worker ${w} exited with code ${code}`));
    });
    threads.push(t);
  }
  let closing = false;
  const closeAll = async (): Promise<void> => {
    closing = true;
    // After a failure a worker may never answer: terminate at once rather than wait.
    if (failure === undefined) {
      const closed = waitAll('closed').catch(() => {});
      broadcast({ type: 'close' });
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([closed, new Promise((r) => (timer = setTimeout(r, WORKER_CLOSE_TIMEOUT_MS)))]);
      clearTimeout(timer);
    }
    await Promise.all(threads.map((t) => t.terminate()));
  };

  let ticker: NodeJS.Timeout | undefined;
  let flusher: NodeJS.Timeout | undefined;
  try {
    await waitAll('ready');
    await (async () => {
      const setup = waitAll('setupDone', 0);
      send(0, { type: 'setup' });
      await setup;
    })();
    const startAtMs = o.startAtMs ?? nowMs() + START_LEAD_MS;
    o.onStart?.(startAtMs);
    hlog = HlogWriter.open(join(o.runDir, RUN_FILES.loadHlog), startAtMs);
    bitmap = new AcceptedBitmapWriter(join(o.runDir, RUN_FILES.accepted), o.runId);
    const ends = plans.map((p) => p.startTimeMs + planDurationMs(p));
    const totalMs = Math.max(...ends);
    const share = segmentShare(segment);
    const arrivals = plans.filter((p) => p.model === 'arrival').map((p) => ({ p, s: arrivalSchedule(p) }));
    const offered = arrivals.reduce((sum, a) => sum + segment.countBelow(a.s.total), 0);
    const arrivalSpanMs =
      arrivals.length === 0
        ? 0
        : Math.max(...arrivals.map((a) => a.p.startTimeMs + a.s.durationMs)) -
          Math.min(...arrivals.map((a) => a.p.startTimeMs));

    let lastTick = startAtMs;
    const tick = (final: boolean): void => {
      const now = nowMs();
      const elapsedMs = now - startAtMs;
      if (hlog !== undefined && now > lastTick) {
        for (const [tag, entry] of cumulative.byTag) {
          if (entry.interval.count === 0) continue;
          hlog.writeInterval(tag, Math.max(lastTick, startAtMs), now, entry.interval);
          // Only when exporting: the exporter iterates values, which the WASM build does not offer.
          if (o.series?.latencyInterval !== undefined)
            o.series.latencyInterval(
              entry.metric,
              HistogramSnapshot.decode(entry.interval.encode()),
              entry.tags,
            );
          entry.total.add(entry.interval);
          let byMetric = cumulative.byMetric.get(entry.metric);
          if (byMetric === undefined) {
            byMetric = new MergedHistogram();
            cumulative.byMetric.set(entry.metric, byMetric);
          }
          byMetric.add(entry.interval);
          entry.interval.reset();
        }
      }
      let loopDelay = 0;
      let utilization = 0;
      let vus = 0;
      for (const r of latest.values()) {
        loopDelay = Math.max(loopDelay, r.loopDelayP99Ms);
        utilization = Math.max(utilization, r.loopUtilization);
        vus += r.vus;
      }
      // A worker that has not reported for SILENT_WORKER_MS is blocked in its own synchronous work
      // (its report timer cannot fire): its loop is at least that late and busy all the while. Its
      // last report, from before the block, would read as a healthy generator.
      // Only when this tick is on time: a main thread that was held itself may not have read the
      // reports waiting for it yet.
      const onTime = now - lastTick < 1.5 * TICK_MS;
      for (let w = 0; w < workers && onTime; w++) {
        if (finishedWorkers.has(w)) continue;
        const silentMs = now - Math.max(startAtMs, reportedAt.get(w) ?? startAtMs);
        if (silentMs < SILENT_WORKER_MS) continue;
        loopDelay = Math.max(loopDelay, silentMs);
        utilization = 1;
      }
      const cpu = health.cpuShare();
      // Start-up (JIT, connection set-up) on a busy host is the warm-up's to absorb: the report
      // leaves the warm-up out, so only a saturation in the measured window taints its numbers.
      if (elapsedMs > o.load.warmUpMs && !final) health.observe(loopDelay, utilization, elapsedMs / 1000);
      const intervalS = Math.max(0.001, (now - lastTick) / 1000);
      let targetRate = 0;
      for (const a of arrivals) targetRate += a.s.ratePerSecondAt(elapsedMs - a.p.startTimeMs) * share;
      const latency: EngineTick['latency'] = {};
      for (const [metric, h] of cumulative.byMetric) {
        const s = h.summary();
        latency[metric] = { count: s.count, p50: s.p50, p99: s.p99, max: s.max };
      }
      const series = o.series;
      if (series !== undefined) {
        for (const c of cumulative.counts.values()) {
          if (c.delta !== 0) series.counter(c.metric, c.delta, c.tags, now);
        }
        series.gauge(METRIC.loadVus, vus, undefined, now);
        series.gauge(METRIC.loadEventLoopDelay, loopDelay, undefined, now);
        series.gauge(METRIC.loadCpu, cpu, undefined, now);
      }
      for (const c of cumulative.counts.values()) c.delta = 0;
      const t: EngineTick = {
        atMs: now,
        elapsedMs,
        totalMs,
        targetRate,
        achievedRate: startedSinceTick / intervalS,
        iterations: cumulative.total(METRIC.loadIterations),
        dropped: cumulative.total(METRIC.loadDroppedIterations),
        interrupted: cumulative.total(METRIC.loadInterruptedIterations),
        errors: cumulative.total(METRIC.loadErrors),
        vus,
        latency,
        eventLoopDelayP99Ms: loopDelay,
        cpu,
        saturated: health.saturated,
        final,
      };
      startedSinceTick = 0;
      lastTick = now;
      events.emit('tick', t);
    };

    const finished = waitAll('finished');
    o.series?.event(
      'engine.start',
      { runId: o.runId, workers, scenarios: plans.map((p) => p.name) },
      startAtMs,
    );
    broadcast({ type: 'start', startAtMs });
    const first = Math.max(0, startAtMs - nowMs());
    ticker = setTimeout(function next() {
      tick(false);
      ticker = setTimeout(next, TICK_MS);
    }, first + TICK_MS);
    flusher = setInterval(() => bitmap?.flush(), BITMAP_FLUSH_MS);
    const onAbort = (): void => {
      control.stopped = true;
      broadcast({ type: 'stop' });
    };
    control.stopNow = () => {
      control.stopped = true;
      broadcast({ type: 'stopNow' });
    };
    if (o.signal?.aborted) onAbort();
    else o.signal?.addEventListener('abort', onAbort, { once: true });
    await finished;
    o.signal?.removeEventListener('abort', onAbort);
    clearTimeout(ticker);
    clearInterval(flusher);
    health.conclude();
    tick(true);
    const teardown = waitAll('teardownDone', 0);
    send(0, { type: 'teardown', setupData });
    await teardown;
    const endMs = nowMs();
    o.series?.event('engine.end', { runId: o.runId, stopped: control.stopped }, endMs);

    const counts: Record<string, number> = {};
    const errors: Record<string, number> = {};
    for (const [tag, c] of cumulative.counts) {
      counts[c.metric] = (counts[c.metric] ?? 0) + c.total;
      if (c.tags !== undefined) counts[tag] = c.total;
      if (c.metric === METRIC.loadErrors) errors[c.tags?.message ?? ''] = c.total;
    }
    const summaries: Record<string, LatencySummary> = {};
    for (const [metric, h] of cumulative.byMetric) summaries[metric] = h.summary();
    for (const [tag, e] of cumulative.byTag) if (e.tags !== undefined) summaries[tag] = e.total.summary();
    const iterations = counts[METRIC.loadIterations] ?? 0;
    const spanS = Math.max(0.001, arrivalSpanMs / 1000);
    return {
      iterations,
      dropped: counts[METRIC.loadDroppedIterations] ?? 0,
      interrupted: counts[METRIC.loadInterruptedIterations] ?? 0,
      errors,
      accepted: bitmap.count,
      targetRate: arrivals.length === 0 ? 0 : offered / spanS,
      achievedRate:
        arrivals.length === 0
          ? startedTotal / Math.max(0.001, (endMs - startAtMs) / 1000)
          : startedTotal / spanS,
      generatorSaturated: health.saturated,
      generatorBusy: health.busy,
      ...(health.note === undefined ? {} : { saturationNote: health.note }),
      counts,
      summaries,
      durationMs: endMs - startAtMs,
    };
  } finally {
    clearTimeout(ticker);
    clearInterval(flusher);
    await closeAll();
    cumulative.destroy();
    hlog?.close();
    bitmap?.close();
  }
}

/**
 * The workers' Node flags: none inherited (a parent's preloads, a test runner's say, do not belong
 * there), but a CPU profile of each worker when PIPESOAK_ENGINE_CPU_PROF_DIR names a folder (the
 * benches' way to see where a worker's time goes; a process-wide --cpu-prof skips workers).
 */
function workerExecArgv(): string[] {
  const dir = process.env.PIPESOAK_ENGINE_CPU_PROF_DIR;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
}

/** This segment's share of the one-machine indices. */
function segmentShare(segment: Stripe): number {
  const big = 1_000_000_000;
  return segment.countBelow(big) / big;
}
