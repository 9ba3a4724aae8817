// Entry of a child process that runs the engine and nothing else, so the CPU it reports is the
// engine's own (process.cpuUsage counts every thread of this process) and not the bench's or the
// target's. Started by runEngineProcess.ts with the request in PIPESOAK_ENGINE_PROCESS; prints one
// JSON line (EngineProcessResult) on stdout and exits 0, or a one-line error on stderr and exits 1.
//   node --import tsx bench/support/engineProcess.ts
import { startEngine } from '../../engine/runEngine.ts';
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
  });
  let first: { wall: number; cpu: number; iterations: number } | undefined;
  let last: { wall: number; cpu: number; iterations: number } | undefined;
  let worstLoopDelay = 0;
  const rssSamples: number[] = [];
  engine.on('tick', (t) => {
    const sample = { wall: performance.now(), cpu: cpuSecondsNow(), iterations: t.iterations };
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
    rssBytes: process.memoryUsage().rss,
    rssSamples,
    worstLoopDelayP99Ms: worstLoopDelay,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`engineProcess: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
