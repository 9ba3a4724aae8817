// Runs one built-in experiment for real, as `pipesoak experiment <name>` does but on a test's own
// database, streams, consumers and application names: runExperiment starts the reference
// components (behind its own proxies or nats-server where the experiment needs one) and hands
// the run to runScenario through the runner's experiment run function.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import type { ExperimentSpec } from '../../faults/experiments/experimentSpec.ts';
import { experimentNamed } from '../../faults/experiments/experiments.ts';
import { ensureToxiproxyBinary } from '../../faults/toxiproxyBinary.ts';
import { RUN_FILES } from '../../record/runFiles.ts';
import { readSeriesRecords } from '../../record/series.ts';
import type { ReportJson } from '../../reports/reportJson.ts';
import { ReferenceSupervisor } from '../../runner/referenceSupervisor.ts';
import { experimentRun } from '../../runner/run/experimentRun.ts';
import { type ExperimentResult, runExperiment } from '../../runner/run/runExperiment.ts';
import { bufferOut } from './runTarget.ts';
import { createTestEnv, PG_ADMIN_URL } from './testEnv.ts';

const REPO = join(import.meta.dirname, '../..');

export interface ExperimentTestRun {
  result: ExperimentResult;
  report: ReportJson;
  runDir: string;
  /** What the run printed (progress, verdict), for assertion messages. */
  output: string;
  ids(file: 'lost' | 'duplicated'): string[];
  /** series.ndjson's event lines of one kind. */
  events(kind: string): Promise<Record<string, unknown>[]>;
  /** The reference database the run's components used, still there while `use` runs. */
  db: pg.Pool;
}

export function spec(name: string): ExperimentSpec {
  const found = experimentNamed(name);
  if (!found) throw new Error(`no experiment ${name}`);
  return found;
}

/** Runs the experiment's short profile; the test environment and scratch folders are removed after. */
export async function runExperimentForTest(
  experiment: ExperimentSpec,
  label: string,
  use: (run: ExperimentTestRun) => Promise<void>,
): Promise<void> {
  if (experiment.proxies.length > 0) await ensureToxiproxyBinary();
  const env = await createTestEnv(label, { LOG_LEVEL: 'error' });
  const workDir = await mkdtemp(join(tmpdir(), 'pipesoak-experiment-test-'));
  const out = bufferOut();
  try {
    const runDir = join(workDir, 'run');
    const result = await runExperiment(
      experiment,
      { runId: `${label}-${process.pid}`, out: runDir },
      {
        createSupervisor: (o) => new ReferenceSupervisor({ env: o.env }),
        baseEnv: env.env,
        postgresAdminUrl: PG_ADMIN_URL,
        repoRoot: REPO,
        workDir,
      },
      experimentRun({ out, handleSignals: false }),
    );
    const report = JSON.parse(readFileSync(join(runDir, RUN_FILES.json), 'utf8')) as ReportJson;
    await use({
      result,
      report,
      runDir,
      output: out.text(),
      db: env.db,
      ids: (file) =>
        readFileSync(join(runDir, file === 'lost' ? RUN_FILES.lost : RUN_FILES.duplicated), 'utf8')
          .split('\n')
          .filter((line) => line !== ''),
      events: async (kind) => {
        const found: Record<string, unknown>[] = [];
        for await (const r of readSeriesRecords(join(runDir, RUN_FILES.series)))
          if ('event' in r && r.event === kind) found.push(r as unknown as Record<string, unknown>);
        return found;
      },
    });
  } finally {
    await env.teardown();
    await rm(workDir, { recursive: true, force: true });
  }
}

/** One line for an assertion message: the figures a failure needs to be understood. */
export function describeRun(run: ExperimentTestRun): string {
  const { report, result } = run;
  return JSON.stringify({
    verdict: report.verdict,
    integrity: report.integrity,
    failing: report.slos.filter((s) => !s.pass).map((s) => `${s.name}: ${s.reason ?? s.observed}`),
    faults: report.faults,
    mismatches: result.mismatches,
    notes: report.notes,
  });
}

/**
 * What every experiment that should pass must show: the outcome it expects, every accepted event
 * completed (or dead-lettered) exactly once, a drain time for each window, the outbox untouched.
 */
export function expectPromisesKept(
  run: ExperimentTestRun,
  expect: typeof import('vitest').expect,
  o: { windows: readonly string[]; minAccepted: number },
): void {
  const why = describeRun(run);
  expect(run.result.mismatches, why).toEqual([]);
  const i = run.report.integrity;
  expect(i.lost, why).toBe(0);
  expect(i.duplicated, why).toBe(0);
  expect(i.accepted ?? 0, why).toBeGreaterThanOrEqual(o.minAccepted);
  expect((i.completed ?? 0) + (i.deadLettered ?? 0), why).toBe(i.accepted);
  // What the engine counted as accepted is what the checker read back from accepted.bits.
  expect(run.report.load.accepted, why).toBe(i.accepted);
  expect(run.ids('lost')).toEqual([]);
  expect(run.ids('duplicated')).toHaveLength(i.duplicated ?? -1);
  expect(
    run.report.faults?.map((w) => w.name),
    why,
  ).toEqual([...o.windows]);
  for (const w of run.report.faults ?? []) {
    expect(w.drainS, why).not.toBeNull();
    expect(w.drainS ?? -1, why).toBeGreaterThanOrEqual(0);
  }
  expect(run.report.outboxGuard?.unchanged, why).toBe(true);
  // Every accepted event has its outbox row; a request whose answer was lost may have one too.
  expect(run.report.outboxGuard?.window.after.count ?? 0, why).toBeGreaterThanOrEqual(i.accepted ?? 1);
  expect(run.report.slos.find((s) => s.name === 'outbox.rows.unchanged')?.pass, why).toBe(true);
}
