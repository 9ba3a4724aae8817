// `pipesoak experiment <name>`: runs a built-in experiment against a reference pipeline of its own
// (its own database, streams, consumers and application names on this machine's Postgres and
// NATS, free ports; a broker fault gets its own nats-server), and exits 0 when the run came out as
// the experiment expects — for the brownout and the negative controls that is a failing verdict —
// and 1 when it did not, naming each difference.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { experimentNamed } from '../../faults/experiments/experiments.ts';
import { migrate } from '../../reference/migrate.ts';
import { loadSettings } from '../../reference/settings.ts';
import { EXIT, type ExitCode } from '../exitCodes.ts';
import { ReferenceSupervisor } from '../referenceSupervisor.ts';
import { UsageError } from '../usageError.ts';
import { experimentRun } from './experimentRun.ts';
import { type ExperimentDeps, type ExperimentResult, runExperiment } from './runExperiment.ts';
import { timestamp } from './runIdentity.ts';

const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/**
 * The experiments' reference pipeline, apart from `reference up`'s and any other run's: names of
 * its own, and ports the system picks. REFERENCE_DATABASE_URL and NATS_URL in the environment
 * still say where Postgres and NATS are.
 */
export const EXPERIMENT_ENV = {
  GATEWAY_PORT: '0',
  SINK_PORT: '0',
  LLM_PORT: '0',
  METRICS_PORT: '0',
  STREAM: 'PIPESOAK_EXPERIMENT_EVENTS',
  SUBJECT_PREFIX: 'pipesoak_experiment.events',
  DLQ_STREAM: 'PIPESOAK_EXPERIMENT_DLQ',
  DLQ_SUBJECT_PREFIX: 'pipesoak_experiment.dlq',
  CONSUMER: 'pipesoak-experiment-worker',
  DLQ_CONSUMER: 'pipesoak-experiment-dlq',
  WORKER_APP_NAME: 'pipesoak-experiment-worker',
  RELAY_APP_NAME: 'pipesoak-experiment-relay',
  GATEWAY_APP_NAME: 'pipesoak-experiment-gateway',
  SINK_APP_NAME: 'pipesoak-experiment-sink',
  LOG_LEVEL: 'warn',
} as const;

export const EXPERIMENT_DATABASE = 'pipesoak_experiments';

export interface NamedExperimentOptions {
  long: boolean;
  seed?: number;
  out?: string;
}

export async function runNamedExperiment(name: string, options: NamedExperimentOptions): Promise<ExitCode> {
  const spec = experimentNamed(name);
  if (spec === undefined) throw new UsageError(`experiment: no experiment named "${name}" (see --list)`);
  const baseEnv = experimentEnv(process.env);
  const settings = loadSettings(baseEnv);
  await migrate(settings.databaseUrl);
  const workDir = await mkdtemp(join(tmpdir(), 'pipesoak-experiment-'));
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const deps: ExperimentDeps = {
    createSupervisor: (o) => new ReferenceSupervisor({ env: o.env }),
    baseEnv,
    // The reference database's own user may end backends (trust auth as postgres here).
    postgresAdminUrl: settings.databaseUrl,
    repoRoot: REPO_ROOT,
    workDir,
    log: (line) => say(`experiment ${name}: ${line}`),
  };
  say(`experiment ${name}: ${spec.summary} (${options.long ? '--long' : 'short CI profile'})`);
  let result: ExperimentResult;
  try {
    result = await runExperiment(
      spec,
      {
        long: options.long,
        runId: `${name}-${timestamp()}`,
        ...(options.seed === undefined ? {} : { seed: options.seed }),
        ...(options.out === undefined ? {} : { out: options.out }),
      },
      deps,
      experimentRun(),
    );
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  for (const line of experimentSummary(name, result)) say(line);
  // A run that could not be made, or was interrupted, keeps its own exit code.
  const run = result.outcome.exitCode;
  if (run !== EXIT.pass && run !== EXIT.sloFailed) return run as ExitCode;
  return result.mismatches.length === 0 ? EXIT.pass : EXIT.sloFailed;
}

/** The experiment's environment: the caller's, the experiment names over it, its own database. */
export function experimentEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) base[k] = v;
  const db = new URL(loadSettings(base).databaseUrl);
  db.pathname = `/${EXPERIMENT_DATABASE}`;
  return { ...base, ...EXPERIMENT_ENV, REFERENCE_DATABASE_URL: db.href };
}

/** The closing lines: as expected or not, the integrity counts and each window's drain. */
export function experimentSummary(name: string, result: ExperimentResult): string[] {
  const { report } = result.outcome;
  const i = report.integrity;
  const counts = (['accepted', 'completed', 'deadLettered', 'lost', 'duplicated'] as const)
    .map((k) => `${k} ${i[k] ?? 'n/a'}`)
    .join(', ');
  const lines = [`experiment ${name}: verdict ${report.verdict}; ${counts}`];
  for (const w of report.faults ?? [])
    lines.push(`  fault ${w.name}: drain ${w.drainS === null ? 'not reached' : `${w.drainS} s`}`);
  if (result.mismatches.length === 0) lines.push(`experiment ${name}: as expected`);
  else {
    lines.push(`experiment ${name}: NOT as expected`);
    for (const m of result.mismatches) lines.push(`  ✗ ${m}`);
  }
  lines.push(`run folder: ${result.outcome.runDir}`);
  return lines;
}
