// `pipesoak run`, the whole lifecycle of DESIGN section 3: config and safety, compile and dataset,
// preflight, collectors, the engine (live progress from its ticks), drain, integrity by
// correlation id, reports, and the exit code of the verdict. Ctrl-C stops the engine gracefully,
// drains briefly and writes a partial report (130); a second Ctrl-C stops at once.
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { startCollectors } from '../../collectors/collectorSet.ts';
import { COMPLETION_COLLECTOR_DEFAULTS } from '../../collectors/completion/completionCollector.ts';
import type { TargetProcess, TrackedProcess } from '../../collectors/harness/harnessCollector.ts';
import { compileScenario } from '../../engine/compile/compileScenario.ts';
import { loadScenario } from '../../engine/compile/loadScenario.ts';
import { ScenarioError } from '../../engine/compile/scenarioError.ts';
import { type EngineResult, OptionsError, SegmentError, startEngine } from '../../engine/runEngine.ts';
import { resolveScenarioOptions } from '../../engine/scenarioOptions.ts';
import { parseSegment, segmentStripe } from '../../engine/segment.ts';
import { describeExecFaults } from '../../faults/describeExecFaults.ts';
import { type FaultContext, FaultRunner } from '../../faults/faultRunner.ts';
import type { FaultSchedule, FaultScope } from '../../faults/faultSchedule.ts';
import { checkIntegrity } from '../../faults/integrityChecker.ts';
import type { IntegrityQueries } from '../../faults/integrityQueries.ts';
import { OutboxGuard } from '../../faults/outboxGuard.ts';
import { datasetItems } from '../../generators/datasetItems.ts';
import { datasetOptions } from '../../generators/datasetOptions.ts';
import type { RecordedMetricName } from '../../record/metricCatalog.ts';
import type { Recorder } from '../../record/recorder.ts';
import { redact } from '../../record/redact.ts';
import { writeLoadEnd, writeOutboxGuard, writeRunEnd, writeRunStart } from '../../record/runEvents.ts';
import { RUN_FILES } from '../../record/runFiles.ts';
import { DRIFT_WORKER_COMPONENT } from '../../record/sloConfig.ts';
import { compareReports, renderComparisonMarkdown } from '../../reports/compare.ts';
import { readComparedReport } from '../../reports/readComparedReport.ts';
import { ReportFileError } from '../../reports/readReportJson.ts';
import { renderRunFolder } from '../../reports/renderRunFolder.ts';
import { formatSloObserved } from '../../reports/reportHeadline.ts';
import type { ReportJson } from '../../reports/reportJson.ts';
import type { Config, ConfigInput } from '../config/configSchema.ts';
import { loadConfigFile } from '../config/loadConfig.ts';
import { EXIT, type ExitCode } from '../exitCodes.ts';
import { loadFaults } from '../loadFaults.ts';
import { preflight } from '../preflight.ts';
import { assertPreflightPassed } from '../preflightError.ts';
import { createProgress } from '../progress/createProgress.ts';
import { describeProvenance, RUN_DEFAULTS, type RunFlags, runSettings } from '../runSettings.ts';
import { onInterrupt } from '../signals.ts';
import { UsageError } from '../usageError.ts';
import { drainPipeline } from './drainPipeline.ts';
import { progressTicks } from './progressTicks.ts';
import { runIdentity, scenarioName } from './runIdentity.ts';
import { assertTargetIsLocal } from './targetSafety.ts';

export const RUN_LIFECYCLE_DEFAULTS = {
  /** Ctrl-C drains this long at most (DESIGN: "drains for a short time"). */
  interruptedDrainMs: 10_000,
  /** A run cycles a bounded dataset (item k mod N): memory stays that of N items however long it runs. */
  maxDatasetItems: 10_000,
} as const;

export interface RunScenarioFlags extends RunFlags {
  /** A fault schedule file (defineFaults), run beside the engine. */
  faults?: string;
  /** Lets the schedule's `exec` faults run their commands on this machine. */
  allowExecFaults?: boolean;
  baseline?: string;
  segment?: string;
  segmentSequence?: string;
  /** ISO instant all segments start at. */
  startAt?: string;
  runId?: string;
  allowRemote?: boolean;
}

export interface RunOptions {
  scenarioPath: string;
  flags: RunScenarioFlags;
  /** An already loaded config (capacity steps, experiments); read from flags.config otherwise. */
  config?: { config: Config; input: Partial<ConfigInput> };
  /** Where the human lines go (progress, verdict, paths); process.stdout by default. */
  out?: NodeJS.WriteStream | { write(text: string): boolean; isTTY?: boolean };
  /** Listen for Ctrl-C (the CLI does; a caller running several runs may handle it itself). */
  handleSignals?: boolean;
  /**
   * What faults may act on: components, proxies and a broker the caller started (an experiment).
   * Without it a --faults file may act only on the target's Postgres backends (pg_terminate).
   */
  faultScope?: { scope: Partial<FaultScope>; context: Omit<FaultContext, 'recorder'> };
  /** The target's processes whose memory and CPU the harness collector samples (e.g. a local worker). */
  processes?: TrackedProcess[];
  /** The integrity checker's queries over the reference defaults (an experiment's test-only sink copy). */
  integrityQueries?: Partial<IntegrityQueries>;
  /**
   * Target components the caller started, by pid (`target.rss`). Without a `worker` among them the
   * worker's memory is read from its Prometheus endpoint, as for a target pipesoak did not start.
   */
  components?: TargetProcess[];
}

export interface RunOutcome {
  runDir: string;
  runId: string;
  exitCode: ExitCode;
  report: ReportJson;
  engine: EngineResult | undefined;
  interrupted: boolean;
}

/** A scenario of the dataset kinds the generators make; `dataset` is what the scenario exports. */
interface ScenarioDataset {
  kind?: 'chat' | 'event' | 'prompt';
  poisonShare?: number;
}

export async function runScenario(options: RunOptions): Promise<RunOutcome> {
  const out = options.out ?? process.stdout;
  const say = (line: string) => out.write(`${line}\n`);
  const { flags } = options;

  // 1. Config, flags, safety: every problem here is bad input (exit 2), before anything starts.
  const { config, input } = options.config ?? (await loadConfigFile(flags.config ?? RUN_DEFAULTS.configPath));
  const effective = runSettings(config.load, flags, input.load);
  const { settings } = effective;
  assertTargetIsLocal(config.target, flags.allowRemote === true);
  const startAtFlag = parseStartAt(flags.startAt);
  // The baseline is input too: a bad one fails now, not after the run.
  const baseline = flags.baseline === undefined ? undefined : await readBaseline(flags.baseline);
  const role = segmentRole(flags.segment, flags.segmentSequence);
  // Faults act on the target: one schedule per run, in segment 0, not once per process.
  if (role.loadOnly && flags.faults !== undefined)
    throw new UsageError(
      `--faults: segment ${flags.segment} is load-only; give the fault schedule to segment 0 only`,
    );
  const { runId, runDir } = runIdentity({
    scenarioPath: options.scenarioPath,
    ...(flags.runId === undefined ? {} : { runId: flags.runId }),
    ...(settings.outDir === undefined ? {} : { outDir: settings.outDir }),
  });
  say(`pipesoak run ${options.scenarioPath}: ${describeProvenance(effective)}`);

  // 2. Compile (a .mjs is a bundle compiled already, as Kubernetes pods get it) and check the options.
  const load = {
    rate: settings.rate,
    durationMs: settings.durationMs,
    warmUpMs: settings.warmUpMs,
    vus: config.load.vus,
    seed: settings.seed,
  };
  const bundlePath = await scenarioBundle(options.scenarioPath, join(runDir, 'scenario'));
  const scenario = await asUsage(() => loadScenario(bundlePath));
  try {
    resolveScenarioOptions(scenario.options, load, (name) => name in scenario.functions);
  } catch (err) {
    if (err instanceof OptionsError)
      throw new OptionsError(err.problems.map((p) => `${scenario.source}:${scenario.optionsLine}: ${p}`));
    throw err;
  }
  const module = (await import(pathToFileURL(resolve(bundlePath)).href)) as { dataset?: ScenarioDataset };
  const dataset = datasetFor(module.dataset, { seed: settings.seed, runId, load });

  const faults =
    flags.faults === undefined
      ? undefined
      : await loadFaults(flags.faults, {
          components: [],
          ownBroker: false,
          proxied: {},
          applications: Object.values(config.target.applications),
          postgresUrl: config.target.databaseUrl,
          runDurationMs: settings.durationMs,
          allowExec: flags.allowExecFaults === true,
          ...options.faultScope?.scope,
        });
  // Commands the run will execute are shown before anything starts.
  for (const line of faults === undefined ? [] : describeExecFaults(faults)) say(line);

  // 3. Preflight: each failure says what to do; the CLI exits 3. A load-only segment only sends
  // load, so only the gateway must answer it.
  assertPreflightPassed(await preflight(config.target, { gatewayOnly: role.loadOnly }));
  if (role.loadOnly)
    say(
      `segment ${flags.segment}: load only (segment 0 runs the collectors, the drain and the integrity check)`,
    );

  // A fault run proves it changed no outbox row: checksums now, after the load and after the drain.
  const guard = faults === undefined ? undefined : await startOutboxGuard(config);

  // 4. Collectors, then the run's start in the record. A load-only segment keeps only the harness
  // collector: the generator's own health is per process, the pipeline is measured once.
  const collectors = await startCollectors({
    runDir,
    target: config.target,
    intervalMs: config.collectors.interval,
    ...(options.processes === undefined ? {} : { processes: options.processes }),
    ...(options.components === undefined ? {} : { components: options.components }),
    // The worker-RSS drift SLO needs the worker's memory: by pid when given, else its process metrics.
    ...(options.components?.some((c) => c.component === DRIFT_WORKER_COMPONENT)
      ? {}
      : { scrapedRssComponent: DRIFT_WORKER_COMPONENT }),
    ...(config.collectors.otel?.endpoint ? { otel: { endpoint: config.collectors.otel.endpoint } } : {}),
    ...(role.loadOnly ? { collectors: LOAD_ONLY_COLLECTORS } : {}),
  });
  const recorder = collectors.recorder;
  // run.start is written at the engine's shared start instant, so the warm-up window begins at iteration 0.
  const writeStart = (startAtMs: number) =>
    writeRunStart(
      recorder,
      {
        id: runId,
        scenario: scenarioName(options.scenarioPath),
        seed: settings.seed,
        warmUpMs: settings.warmUpMs,
        target: redact(config.target, config.secrets.redactKeys) as Record<string, unknown>,
        slos: config.slos,
        ...(flags.segment === undefined ? {} : { segment: flags.segment, loadOnly: role.loadOnly }),
        ...(flags.segmentSequence === undefined ? {} : { segmentSequence: flags.segmentSequence }),
      },
      startAtMs,
    );

  // 5. The engine, with progress and Ctrl-C.
  const stop = new AbortController();
  const drainStop = new AbortController();
  let interrupted = false;
  let reason: string | undefined;
  const ticks = progressTicks({
    scenario: scenarioName(options.scenarioPath),
    slos: config.slos,
    warmUpMs: settings.warmUpMs,
  });
  let lateStart: string | undefined;
  let loadStarted = false;
  const engine = startEngine({
    bundlePath,
    runId,
    runDir,
    load,
    target: config.target,
    workers: settings.workers,
    ...(startAtFlag === undefined ? {} : { startAtMs: startAtFlag }),
    onStart: (startAtMs) => {
      loadStarted = true;
      writeStart(startAtMs);
      faultRunner?.runner.start(startAtMs);
      // A process ready only after the shared --start-at runs its overdue iterations at once (the
      // open model catches up): say so, since the burst shows in its latencies and error rate.
      const lateMs = Date.now() - startAtMs;
      if (startAtFlag !== undefined && lateMs > LATE_START_NOTE_MS) {
        lateStart = `started ${(lateMs / 1000).toFixed(1)} s after --start-at: the iterations due by then ran at once`;
        say(`warning: ${lateStart}`);
      }
    },
    signal: stop.signal,
    series: {
      counter: (name, delta, tags, atMs) => {
        ticks.count(name, delta);
        recorder.count(name as RecordedMetricName, delta, tags, atMs);
      },
      gauge: (name, value, tags, atMs) => recorder.gauge(name as RecordedMetricName, value, tags, atMs),
      event: (kind, data, atMs) => recorder.event(kind, data, atMs),
      // The engine's histograms go to load.hlog itself; with collectors.otel set, to OTLP as well.
      latencyInterval: (name, interval, tags) =>
        collectors.exportHistogram(name as RecordedMetricName, interval, tags),
    },
    ...(dataset === undefined ? {} : { dataset: { items: dataset } }),
    ...(flags.segment === undefined ? {} : { segment: flags.segment }),
    ...(flags.segmentSequence === undefined ? {} : { segmentSequence: flags.segmentSequence }),
  });
  const faultRunner = faults === undefined ? undefined : await startFaults(faults, recorder, config, options);
  const progress = createProgress({ stream: out as NodeJS.WritableStream, isTTY: out.isTTY === true });
  engine.on('tick', (tick) =>
    progress.tick(ticks.of(tick, collectors, interrupted, faultRunner?.runner.active())),
  );
  const disposeSignals =
    options.handleSignals === false
      ? () => {}
      : onInterrupt({
          graceful: () => {
            interrupted = true;
            reason = 'interrupted (Ctrl-C)';
            say(
              '\nstopping: the engine ends its iterations, then a short drain and a partial report (Ctrl-C again stops at once)',
            );
            stop.abort();
          },
          immediate: () => {
            say('stopping now: writing what was recorded');
            engine.stopNow();
            drainStop.abort();
          },
        });

  let result: EngineResult | undefined;
  let crash: unknown;
  try {
    result = await engine.done;
  } catch (err) {
    crash = err;
  }
  // Before the drain: gauges are judged up to here, so a backlog the drain empties still shows
  // its growth (reports/steadyWindow.ts). Written now, after the engine's last series line.
  if (loadStarted) writeLoadEnd(recorder);
  progress.done();
  const guardNotes: string[] = [];
  const guardStep = async (step: (g: OutboxGuard) => Promise<void>) => {
    if (guard === undefined || guardNotes.length > 0) return;
    try {
      await step(guard);
    } catch (err) {
      guardNotes.push(`the outbox guard failed: ${err instanceof Error ? err.message : String(err)}`);
      await guard.close();
    }
  };
  await guardStep((g) => g.loadEnded());
  try {
    // Every fault window ends before the drain: the drain measures recovery, not the fault.
    await faultRunner?.stop();
    if (crash instanceof OptionsError || crash instanceof SegmentError) throw crash;
    if (crash !== undefined) {
      interrupted = true;
      reason = `the engine failed: ${crash instanceof Error ? crash.message : String(crash)}`;
    }

    // 6. Drain, bounded; then 7. integrity by correlation id.
    const loadNotes = result?.saturationNote === undefined ? [] : [result.saturationNote];
    if (lateStart !== undefined) loadNotes.push(lateStart);
    if (role.loadOnly) {
      loadNotes.push('a load-only segment: segment 0 drained the pipeline and checked integrity');
    } else if (!drainStop.signal.aborted) {
      say('draining the pipeline ...');
      const drain = await drainPipeline(collectors, {
        timeoutMs: interrupted
          ? Math.min(config.drainTimeout, RUN_LIFECYCLE_DEFAULTS.interruptedDrainMs)
          : config.drainTimeout,
        intervalMs: config.collectors.interval,
        signal: drainStop.signal,
      });
      // The completion probe reads a completion only once it is settleMs old: give it that, and a
      // sample, so e2e.latency holds the last completions too before the collectors stop.
      if (drain.drained)
        await new Promise((r) =>
          setTimeout(r, COMPLETION_COLLECTOR_DEFAULTS.settleMs + config.collectors.interval),
        );
      loadNotes.push(
        drain.drained
          ? `the pipeline drained in ${(drain.waitedMs / 1000).toFixed(1)} s after the load`
          : `the pipeline did not drain within ${(drain.waitedMs / 1000).toFixed(1)} s (backlog ${describeBacklog(drain.backlog)}): integrity counts what had completed by then`,
      );
    }
    await guardStep(async (g) => {
      const { preRun, window, ...combined } = await g.finish();
      writeOutboxGuard(recorder, { ...combined, preRun, window: { ...window } });
    });
    loadNotes.push(...guardNotes);
    if (result !== undefined && !drainStop.signal.aborted && !role.loadOnly) {
      try {
        await checkIntegrity({
          runDir,
          runId,
          databaseUrl: config.target.databaseUrl,
          series: recorder,
          ...(options.integrityQueries === undefined ? {} : { queries: options.integrityQueries }),
        });
      } catch (err) {
        loadNotes.push(`the integrity check failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    writeRunEnd(recorder, {
      interrupted,
      ...(reason === undefined ? {} : { reason }),
      load: loadSection(result),
      loadNotes,
    });
  } finally {
    disposeSignals();
    await collectors.stop();
  }

  // 8. Reports, the verdict, the baseline.
  const report = await renderRunFolder(runDir);
  let regression = false;
  if (baseline !== undefined) {
    const comparison = compareReports(baseline, report);
    regression = comparison.regression;
    say(renderComparisonMarkdown(comparison).trimEnd());
  }
  for (const line of verdictLines(report, regression)) say(line);
  say(
    `reports: ${[RUN_FILES.html, RUN_FILES.markdown, RUN_FILES.json, RUN_FILES.junit].map((f) => join(runDir, f)).join('  ')}`,
  );
  const exitCode: ExitCode =
    crash !== undefined
      ? EXIT.runFailed
      : interrupted
        ? EXIT.interrupted
        : report.verdict === 'pass' && !regression
          ? EXIT.pass
          : EXIT.sloFailed;
  return { runDir, runId, exitCode, report, engine: result, interrupted };
}

/** A report.json or run folder to compare the run with; unreadable is bad input (exit 2). */
async function readBaseline(path: string): Promise<ReportJson> {
  try {
    return await readComparedReport(path);
  } catch (err) {
    if (err instanceof ReportFileError) throw new UsageError(`--baseline ${err.message}`);
    throw err;
  }
}

/** The outbox guard on the target's outbox table: every column but the published-at one is immutable. */
function startOutboxGuard(config: Config): Promise<OutboxGuard> {
  const { table, idColumn, createdAtColumn, publishedAtColumn } = config.target.outbox;
  return OutboxGuard.startOnTable({
    databaseUrl: config.target.databaseUrl,
    table,
    idColumn,
    createdAtColumn,
    mutableColumns: [publishedAtColumn],
  });
}

/** The fault runner of a --faults schedule, with a Postgres admin connection when it needs one. */
async function startFaults(
  schedule: FaultSchedule,
  recorder: Recorder,
  config: Config,
  options: RunOptions,
): Promise<{ runner: FaultRunner; stop(): Promise<void> }> {
  const needsPg = schedule.faults.some((f) => f.what === 'pg_terminate');
  const pool = needsPg
    ? new pg.Pool({
        connectionString: config.target.databaseUrl,
        max: 1,
        application_name: 'pipesoak-faults',
      })
    : undefined;
  const runner = new FaultRunner(schedule, {
    recorder,
    log: (line) => process.stdout.write(`${line}\n`),
    ...(pool === undefined ? {} : { pgAdmin: pool }),
    ...options.faultScope?.context,
  });
  return {
    runner,
    stop: async () => {
      await runner.stop();
      await pool?.end();
    },
  };
}

async function scenarioBundle(scenarioPath: string, outDir: string): Promise<string> {
  if (scenarioPath.endsWith('.mjs')) return scenarioPath;
  return (await asUsage(() => compileScenario(scenarioPath, outDir))).bundlePath;
}

/** A scenario that does not compile or load is bad input (exit 2), whatever esbuild threw. */
async function asUsage<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    if (err instanceof ScenarioError) throw new UsageError(err.message);
    throw err;
  }
}

/** A process this late for the shared --start-at says so (a second: the engine's own start lead). */
const LATE_START_NOTE_MS = 1000;

/** Collectors a load-only segment switches off: everything that measures the pipeline. */
const LOAD_ONLY_COLLECTORS = {
  outbox: false,
  pool: false,
  jetstream: false,
  prometheus: false,
  completion: false,
} as const;

/**
 * A segmented run's roles: the process whose --segment starts at 0 is segment 0, and runs the
 * collectors, the drain and the integrity check; every other segment is load-only. Checked here,
 * before anything starts, so a bad --segment is bad input (exit 2).
 */
function segmentRole(segment: string | undefined, sequence: string | undefined): { loadOnly: boolean } {
  segmentStripe(segment, sequence);
  if (segment === undefined) return { loadOnly: false };
  const [from] = parseSegment(segment);
  return { loadOnly: from.n > 0 };
}

function parseStartAt(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  if (!Number.isFinite(ms))
    throw new UsageError(`--start-at: "${text}" is not an ISO instant (e.g. 2026-12-01T22:00:00Z)`);
  return ms;
}

function datasetFor(
  wanted: ScenarioDataset | undefined,
  o: { seed: number; runId: string; load: { rate: number; durationMs: number } },
): unknown[] | undefined {
  if (wanted === undefined) return undefined;
  const planned = Math.ceil((o.load.rate * o.load.durationMs) / 1000);
  const count = Math.max(1, Math.min(planned, RUN_LIFECYCLE_DEFAULTS.maxDatasetItems));
  return datasetItems(
    datasetOptions({
      seed: o.seed,
      count,
      runId: o.runId,
      ...(wanted.kind === undefined ? {} : { kind: wanted.kind }),
      ...(wanted.poisonShare === undefined ? {} : { poisonShare: wanted.poisonShare }),
    }),
  );
}

function loadSection(r: EngineResult | undefined): Record<string, number | boolean | null> {
  if (r === undefined) return {};
  return {
    targetRate: round(r.targetRate),
    achievedRate: round(r.achievedRate),
    iterations: r.iterations,
    dropped: r.dropped,
    interrupted: r.interrupted,
    accepted: r.accepted,
    errors: Object.values(r.errors).reduce((a, b) => a + b, 0),
    generatorSaturated: r.generatorSaturated,
  };
}

const round = (n: number) => Math.round(n * 100) / 100;

function describeBacklog(backlog: Record<string, number | undefined>): string {
  return Object.entries(backlog)
    .map(([name, value]) => `${name} ${value ?? 'unknown'}`)
    .join(', ');
}

/** The verdict first, then each failing SLO, one sentence each. */
export function verdictLines(report: ReportJson, regression: boolean): string[] {
  const failing = report.slos.filter((s) => !s.pass);
  const lines = [
    report.verdict === 'pass' && !regression
      ? `verdict: pass — all ${report.slos.length} SLOs met${report.partial ? ' (partial run)' : ''}`
      : `verdict: fail — ${failing.length} of ${report.slos.length} SLOs failed${regression ? ', and the baseline comparison found a regression' : ''}${report.partial ? ' (partial run)' : ''}`,
  ];
  for (const s of failing)
    lines.push(`  ✗ ${s.name}: ${s.reason ?? `observed ${formatSloObserved(s)}, objective ${s.objective}`}`);
  return lines;
}
