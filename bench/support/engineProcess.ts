// Entry of a child process that runs the engine and nothing else, so the CPU it reports is the
// engine's own (process.cpuUsage counts every thread of this process) and not the bench's or the
// target's. Started by runEngineProcess.ts with the request in PIPESOAK_ENGINE_PROCESS; sends its
// EngineProcessResult over the IPC channel (or prints it as a JSON line when started without one)
// and exits 0, or prints a one-line error on stderr and exits 1.
//   node --import tsx bench/support/engineProcess.ts
import { join } from 'node:path';
import { HistogramSnapshot, parseHlogTag } from '../../engine/loadLog.ts';
import { startEngine } from '../../engine/runEngine.ts';
import { readHlogIntervals } from '../../record/hlog.ts';
import { type EngineProcessRequest, type EngineProcessResult, REQUEST_ENV } from './engineProcessProtocol.ts';

function cpuSecondsNow(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
}

async function main(): Promise<void> {
  const raw = process.env[REQUEST_ENV];
  if (raw === undefined) throw new Error(`engineProcess: ${REQUEST_ENV} is not set`);
  const request = JSON.parse(raw) as EngineProcessRequest;
  const wall0 = performance.now();
  const cpu0 = cpuSecondsNow();
  const engine = startEngine({
    bundlePath: request.bundlePath,
    runId: request.runId,
    runDir: request.runDir,
    load: request.load,
    target: request.target,
    ...(request.workers === undefined ? {} : { workers: request.workers }),
    ...(request.httpConnections === undefined ? {} : { httpConnections: request.httpConnections }),
  });
  type Sample = { wall: number; cpu: number; iterations: number; dropped: number; atMs: number };
  let first: Sample | undefined;
  let last: Sample | undefined;
  // Tick boundaries fall near whole seconds after the start; a little slack keeps the one at warmUpMs.
  const fromMs = Math.max(0, request.load.warmUpMs - 250);
  let worstLoopDelay = 0;
  const rssSamples: number[] = [];
  engine.on('tick', (t) => {
    const sample: Sample = {
      wall: performance.now(),
      cpu: cpuSecondsNow(),
      iterations: t.iterations,
      dropped: t.dropped,
      atMs: t.atMs,
    };
    if (t.elapsedMs < fromMs) return;
    if (first === undefined) first = sample;
    else last = sample;
    worstLoopDelay = Math.max(worstLoopDelay, t.eventLoopDelayP99Ms);
    const every = request.rssEveryMs;
    if (every !== undefined && t.elapsedMs >= (rssSamples.length + 1) * every) {
      const rss = process.memoryUsage().rss;
      rssSamples.push(rss);
      process.stderr.write(`rss ${rssSamples.length} ${rss} ${t.iterations} ${t.dropped}\n`);
    }
  });
  const r = await engine.done;
  const wallSeconds = (performance.now() - wall0) / 1000;
  const cpuSeconds = cpuSecondsNow() - cpu0;
  const steadyWall = first && last ? (last.wall - first.wall) / 1000 : 0;
  const summaries: EngineProcessResult['summaries'] = {};
  for (const [name, s] of Object.entries(r.summaries))
    summaries[name] = { count: s.count, p50: s.p50, p99: s.p99, max: s.max };
  // Intervals from the first steady tick on, merged per metric (all tag sets together).
  const steadyHistograms = new Map<string, HistogramSnapshot>();
  if (first !== undefined)
    for await (const interval of readHlogIntervals(join(request.runDir, 'load.hlog'))) {
      if (interval.startS * 1000 < first.atMs - 1) continue;
      const metric = parseHlogTag(interval.tag).metric;
      const h = steadyHistograms.get(metric) ?? HistogramSnapshot.empty();
      steadyHistograms.set(metric, h.merge(interval.snapshot));
    }
  const steadySummaries: EngineProcessResult['summaries'] = {};
  for (const [metric, h] of steadyHistograms) {
    const s = h.summary();
    steadySummaries[metric] = { count: s.count, p50: s.p50, p99: s.p99, max: s.max };
  }
  const result: EngineProcessResult = {
    iterations: r.iterations,
    dropped: r.dropped,
    interrupted: r.interrupted,
    errors: Object.values(r.errors).reduce((a, b) => a + b, 0),
    accepted: r.accepted,
    targetRate: r.targetRate,
    achievedRate: r.achievedRate,
    generatorSaturated: r.generatorSaturated,
    ...(r.saturationNote === undefined ? {} : { saturationNote: r.saturationNote }),
    counts: r.counts,
    summaries,
    durationMs: r.durationMs,
    wallSeconds,
    cpuSeconds,
    // A run shorter than two ticks has no steady part: fall back to the whole run.
    steadyCores:
      first && last && steadyWall > 0 ? (last.cpu - first.cpu) / steadyWall : cpuSeconds / wallSeconds,
    steadyRate:
      first && last && steadyWall > 0 ? (last.iterations - first.iterations) / steadyWall : r.achievedRate,
    steady: {
      fromMs,
      dropped: first && last ? last.dropped - first.dropped : r.dropped,
      iterations: first && last ? last.iterations - first.iterations : r.iterations,
      summaries: first && last ? steadySummaries : summaries,
    },
    rssBytes: process.memoryUsage().rss,
    rssSamples,
    worstLoopDelayP99Ms: worstLoopDelay,
  };
  await sendResult(result);
}

function sendResult(result: EngineProcessResult): Promise<void> {
  const send = process.send?.bind(process);
  if (!send) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return Promise.resolve();
  }
  return new Promise((resolve, reject) => {
    send(result, undefined, {}, (err) => (err ? reject(err) : resolve()));
  });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`engineProcess: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
