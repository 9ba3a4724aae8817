// Runs one experiment: starts what it needs (its own nats-server, Toxiproxy and proxies, a
// test-only sink copy, the reference components pointed through them), hands a run function
// everything the run needs (scenario, load flags, faults file, target, SLOs, fault scope and
// context), tears it all down whatever happens, and compares the report with the expected verdict.
// The run function has the shape of the runner's runScenario; the runner wires the real one.
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import pg from 'pg';
import type { z } from 'zod';
import type { ExperimentSpec } from '../../faults/experiments/experimentSpec.ts';
import { APP_NAME } from '../../faults/experiments/experiments.ts';
import {
  createSinkCopy,
  SINK_COPY_COMPLETION_QUERY,
  SINK_COPY_INTEGRITY_QUERIES,
  type SinkCopy,
} from '../../faults/experiments/sinkCopy.ts';
import type { FaultContext, FaultSupervisor } from '../../faults/faultRunner.ts';
import {
  type FaultScheduleInput,
  type FaultScope,
  type ProxyTarget,
  validateFaults,
} from '../../faults/faultSchedule.ts';
import { freePort } from '../../faults/freePort.ts';
import { hostPortOfUrl } from '../../faults/loopbackAddress.ts';
import { OwnNatsServer } from '../../faults/ownNatsServer.ts';
import { Proxies } from '../../faults/proxies.ts';
import { ToxiproxyServer } from '../../faults/toxiproxyServer.ts';
import type { ComponentName } from '../../record/contract.ts';
import type { slosSchema } from '../../record/sloConfig.ts';
import { type ReferenceTarget, referenceTarget } from '../../reference/referenceTarget.ts';
import { loadSettings } from '../../reference/settings.ts';

/** ReferenceSupervisor (runner/referenceSupervisor.ts) has this shape. */
export interface ExperimentSupervisor extends FaultSupervisor {
  start(names: readonly ComponentName[]): Promise<unknown>;
  url(name: ComponentName): string | undefined;
  stopAll(): Promise<void>;
}

export interface ExperimentDeps {
  /** Makes the supervisor of the reference components (the runner passes `new ReferenceSupervisor(o)`). */
  createSupervisor(options: { env: Record<string, string | undefined> }): ExperimentSupervisor;
  /** The reference pipeline's environment to start from: database, streams, names, ports (0 for free). */
  baseEnv: Record<string, string>;
  /** A loopback Postgres URL allowed to call pg_terminate_backend (the pg_terminate faults use it). */
  postgresAdminUrl: string;
  /** The repository root the experiment's scenario path is relative to. */
  repoRoot: string;
  /** Scratch folder for the faults file. */
  workDir: string;
  toxiproxyBinary?: string;
  log?: (line: string) => void;
}

export interface ExperimentOptions {
  /** The soak profile instead of the CI one. */
  long?: boolean;
  seed?: number;
  runId?: string;
  out?: string;
}

/** What runExperiment asks the run function to do; fields mirror RunOptions where they overlap. */
export interface ExperimentRunRequest {
  experiment: string;
  scenarioPath: string;
  flags: {
    rate: number;
    duration: string;
    warmUp: string;
    seed: number;
    /** The fault schedule as a faults file (`export default { faults: [...] }`), for `--faults`. */
    faults: string;
    runId: string;
    out?: string;
  };
  /** The config target of the run: the components started here; collectors read them directly. */
  target: ReferenceTarget;
  /** Replaces the config's `slos` for this run. */
  slos: z.input<typeof slosSchema>;
  /** What the run's faults may act on, for validateFaults / loadFaults. */
  faultScope: FaultScope;
  /** What the fault runner acts on; the run adds its recorder. */
  faultContext: Omit<FaultContext, 'recorder'>;
  /** The environment the components were started with. */
  componentEnv: Record<string, string>;
  /** Integrity queries over the reference defaults: the sink copy's, for the lost-facts control. */
  integrityQueries?: { completed: string };
}

/** The parts of report.json the verdict check reads (reports/reportJson.ts, plus the per-fault recovery). */
export interface ExperimentReport {
  verdict: 'pass' | 'fail';
  integrity: {
    lost: number | null;
    duplicated: number | null;
    accepted?: number | null;
    completed?: number | null;
    deadLettered?: number | null;
  };
  slos: { name: string; pass: boolean }[];
  /** report.json `faults`: per window, the drain time and p99 per metric inside and outside it. */
  faults?: {
    name: string;
    drainS: number | null;
    p99Inside?: Record<string, number | null | undefined>;
    p99Outside?: Record<string, number | null | undefined>;
  }[];
}

export interface ExperimentRunOutcome {
  runDir: string;
  exitCode: number;
  report: ExperimentReport;
}

export type ExperimentRunFn = (request: ExperimentRunRequest) => Promise<ExperimentRunOutcome>;

export interface ExperimentResult {
  outcome: ExperimentRunOutcome;
  /** How the report differs from the experiment's expectation; empty when it is as expected. */
  mismatches: string[];
}

/** Replaces the APP_NAME stand-ins with the started components' application names. */
function fillAppNames(
  input: FaultScheduleInput,
  apps: { worker: string; relay: string },
): FaultScheduleInput {
  return {
    faults: input.faults.map((w) =>
      w.what === 'pg_terminate'
        ? {
            ...w,
            applicationName:
              w.applicationName === APP_NAME.worker
                ? apps.worker
                : w.applicationName === APP_NAME.relay
                  ? apps.relay
                  : w.applicationName,
          }
        : w,
    ),
  };
}

function hostPort(url: string): string {
  const { host, port } = hostPortOfUrl(url);
  return `${host}:${port}`;
}

function withHostPort(url: string, listen: { host: string; port: number }): string {
  const copy = new URL(url);
  copy.hostname = listen.host;
  copy.port = String(listen.port);
  return copy.href;
}

export async function runExperiment(
  spec: ExperimentSpec,
  options: ExperimentOptions,
  deps: ExperimentDeps,
  run: ExperimentRunFn,
): Promise<ExperimentResult> {
  const profile = options.long ? spec.long : spec.short;
  const runId = options.runId ?? `${spec.name}-${Date.now()}`;
  const log = deps.log ?? (() => undefined);
  const cleanups: { what: string; undo: () => Promise<unknown> }[] = [];
  try {
    const settings = loadSettings(deps.baseEnv);
    let natsUrl = settings.natsUrl;
    let broker: OwnNatsServer | undefined;
    if (spec.ownBroker) {
      broker = await OwnNatsServer.start();
      const own = broker;
      cleanups.push({ what: 'own nats-server', undo: () => own.dispose() });
      natsUrl = broker.url;
      log(`own nats-server on ${natsUrl}`);
    }
    const componentEnv: Record<string, string> = {
      ...deps.baseEnv,
      ...spec.env,
      ...profile.env,
      NATS_URL: natsUrl,
    };

    let proxies: Proxies | undefined;
    const proxied: Partial<Record<ProxyTarget, string>> = {};
    if (spec.proxies.length > 0) {
      const server = await ToxiproxyServer.start({ binary: deps.toxiproxyBinary, seed: options.seed });
      cleanups.push({ what: 'toxiproxy-server', undo: () => server.stop() });
      const made = new Proxies(server.url);
      proxies = made;
      cleanups.push({ what: 'proxies', undo: () => made.removeAll() });
      for (const target of spec.proxies) {
        let upstream: string;
        if (target === 'nats') upstream = hostPort(natsUrl);
        else if (target === 'postgres') upstream = hostPort(settings.databaseUrl);
        else {
          // The sink's port must be known before the worker starts, to point SINK_URL at the proxy.
          const sinkPort = settings.sinkPort === 0 ? await freePort() : settings.sinkPort;
          componentEnv.SINK_PORT = String(sinkPort);
          upstream = `127.0.0.1:${sinkPort}`;
        }
        const info = await made.create(target, upstream);
        proxied[target] = upstream;
        if (target === 'nats') componentEnv.NATS_URL = withHostPort(natsUrl, info.listenAddress);
        else if (target === 'postgres')
          componentEnv.REFERENCE_DATABASE_URL = withHostPort(settings.databaseUrl, info.listenAddress);
        else componentEnv.SINK_URL = `http://${info.listen}`;
        log(`proxy ${target}: ${info.listen} -> ${upstream}`);
      }
    }

    let sinkCopy: SinkCopy | undefined;
    if (spec.sinkCopy) {
      const copy = await createSinkCopy(settings.databaseUrl, spec.sinkCopy);
      sinkCopy = copy;
      cleanups.push({ what: 'sink copy', undo: () => copy.remove() });
    }

    const supervisor = deps.createSupervisor({ env: componentEnv });
    cleanups.push({ what: 'reference components', undo: () => supervisor.stopAll() });
    await supervisor.start(spec.components);
    log(`started ${spec.components.join(', ')}`);

    // The collectors and the integrity check read the pipeline directly, never through a proxy.
    const base = referenceTarget(loadSettings({ ...deps.baseEnv, NATS_URL: natsUrl }));
    const gateway = supervisor.url('gateway');
    const worker = supervisor.url('worker');
    const target: ReferenceTarget = {
      ...base,
      ...(gateway ? { gatewayUrl: gateway } : {}),
      ...(worker ? { workerMetricsUrl: `${worker.replace(/\/$/, '')}/metrics` } : {}),
      ...(sinkCopy ? { completionQuery: SINK_COPY_COMPLETION_QUERY } : {}),
    };

    const schedule = fillAppNames(profile.faults, {
      worker: settings.workerAppName,
      relay: settings.relayAppName,
    });
    const faultScope: FaultScope = {
      components: spec.components,
      ownBroker: broker !== undefined,
      proxied,
      applications: [settings.workerAppName, settings.relayAppName],
      postgresUrl: deps.postgresAdminUrl,
    };
    // Refused here, before a minute of load, if the data and what was started disagree.
    validateFaults(schedule, faultScope);

    let pgAdmin: pg.Pool | undefined;
    if (schedule.faults.some((w) => w.what === 'pg_terminate')) {
      const pool = new pg.Pool({
        connectionString: deps.postgresAdminUrl,
        max: 2,
        application_name: 'pipesoak-fault-admin',
      });
      pgAdmin = pool;
      cleanups.push({ what: 'postgres admin pool', undo: () => pool.end() });
    }
    const sink = supervisor.url('sink');
    const faultContext: Omit<FaultContext, 'recorder'> = {
      supervisor,
      ...(proxies ? { proxies } : {}),
      ...(broker ? { ownBroker: broker } : {}),
      ...(pgAdmin ? { pgAdmin } : {}),
      ...(sink ? { sinkAdminUrl: sink } : {}),
    };

    await mkdir(deps.workDir, { recursive: true });
    const faultsPath = join(deps.workDir, `${runId}.faults.mjs`);
    await writeFile(faultsPath, `export default ${JSON.stringify(schedule, null, 2)};\n`);

    const outcome = await run({
      experiment: spec.name,
      scenarioPath: resolve(deps.repoRoot, spec.scenario),
      flags: {
        rate: profile.load.rate,
        duration: profile.load.duration,
        warmUp: profile.load.warmUp,
        seed: options.seed ?? 1,
        faults: faultsPath,
        runId,
        ...(options.out === undefined ? {} : { out: options.out }),
      },
      target,
      slos: spec.slos,
      faultScope,
      faultContext,
      componentEnv,
      ...(sinkCopy ? { integrityQueries: SINK_COPY_INTEGRITY_QUERIES } : {}),
    });
    if (sinkCopy) log(`sink copy: ${await sinkCopy.dropped()} facts left out`);
    return { outcome, mismatches: checkOutcome(spec, outcome.report) };
  } finally {
    // In reverse: components stop before the broker, proxies and database objects they use.
    for (const { what, undo } of cleanups.reverse()) {
      try {
        await undo();
      } catch (err) {
        log(`could not stop ${what}: ${(err as Error).message}`);
      }
    }
  }
}

/** Every way the report differs from what the experiment expects, one line each. */
export function checkOutcome(spec: ExperimentSpec, report: ExperimentReport): string[] {
  const x = spec.expect;
  const out: string[] = [];
  if (report.verdict !== x.verdict) out.push(`verdict is ${report.verdict}, expected ${x.verdict}`);
  for (const key of ['lost', 'duplicated'] as const) {
    const n = report.integrity[key];
    const want = x[key];
    if (n === null) out.push(`${key} was not counted`);
    else if (want === 0 && n !== 0) out.push(`${key} is ${n}, expected 0`);
    else if (want === 'some' && n === 0)
      out.push(`${key} is 0, expected more than 0 (the control was not caught)`);
  }
  const failing = new Set(report.slos.filter((s) => !s.pass).map((s) => s.name));
  for (const name of x.failingSlos ?? []) {
    if (!failing.has(name)) out.push(`SLO ${name} passed, expected it to fail`);
  }
  for (const name of failing) {
    if (!(x.failingSlos ?? []).includes(name)) out.push(`SLO ${name} failed, expected it to pass`);
  }
  const windows = report.faults ?? [];
  // The short and long profiles have the same windows, only longer.
  const scheduled = spec.short.faults.faults.length;
  if (x.drainReported) {
    if (windows.length < scheduled)
      out.push(`${windows.length} fault windows reported, expected ${scheduled}`);
    for (const w of windows) if (w.drainS === null) out.push(`fault ${w.name}: no drain time`);
  }
  if (x.p99Raised) {
    const { metric, byAtLeastMs } = x.p99Raised;
    for (const w of windows) {
      const inside = w.p99Inside?.[metric] ?? null;
      const outside = w.p99Outside?.[metric] ?? null;
      if (inside === null || outside === null)
        out.push(`fault ${w.name}: no ${metric} p99 inside and outside`);
      else if (inside - outside < byAtLeastMs)
        out.push(
          `fault ${w.name}: ${metric} p99 inside ${inside} ms vs outside ${outside} ms, expected at least ${byAtLeastMs} ms higher inside`,
        );
    }
    if (windows.length === 0) out.push(`no fault window to compare ${metric} p99 in`);
  }
  return out;
}
