// A segmented run across processes against the real reference pipeline (issue 14): the segment pods'
// command lines from `pipesoak k8s`'s manifests run here as 3 concurrent processes, with
// JOB_COMPLETION_INDEX 0..2, one run id and one shared --start-at; the merge pod's command line
// then merges their folders. Each pod line is `node runner/pipesoak.mjs run <bundle> --segment
// i/3:(i+1)/3 ...`, so this is also the 3-local-process test. Checked: the sink holds exactly
// <runId>-0 … <runId>-(n−1), once each; segment 0 alone ran the collectors; the merged
// gateway.latency is, bucket for bucket, all the segments' intervals added into one histogram; and
// the merged SLO verdict is judged on the merged data.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HistogramSnapshot } from '../../record/histogramSnapshot.ts';
import { readHlog } from '../../record/hlog.ts';
import { parseHlogTag } from '../../record/hlogTag.ts';
import { METRIC } from '../../record/metricCatalog.ts';
import { EVENT } from '../../record/runEvents.ts';
import { RUN_FILES } from '../../record/runFiles.ts';
import { mergeRunFolders } from '../../reports/mergeRunFolders.ts';
import { readReportJson } from '../../reports/readReportJson.ts';
import type { ReportJson } from '../../reports/reportJson.ts';
import { type K8sObject, k8sManifests } from '../../runner/k8s/k8sManifests.ts';
import { segmentDir, segmentOf } from '../../runner/k8s/podCommands.ts';
import { scenarioBundle } from '../../runner/k8s/scenarioBundle.ts';
import { ReferenceSupervisor } from '../../runner/referenceSupervisor.ts';
import { localPodArgv, type PodResult, runPodLocally } from '../support/localPod.ts';
import { runConfig } from '../support/runTarget.ts';
import { createTestEnv, type TestEnv } from '../support/testEnv.ts';

const REPO = join(import.meta.dirname, '../..');
const SEGMENTS = 3;
const RATE = 24;
const DURATION_S = 8;
/**
 * Each process loads the CLI through tsx, runs preflight and starts a worker thread before the
 * start instant: ~2 s of CPU each, 15-25 s of wall time for three at once at load average 15-20
 * (up to 45 s at 27). A process that is late fires its overdue iterations at once, and the gateway
 * may answer that burst with 503s (its pool wait times out), so the ids would not all reach the sink.
 */
const START_LEAD_MS = 25_000;
const CONFIG_FILE = 'segments.config.mjs';

let t: TestEnv;
let supervisor: ReferenceSupervisor;
let dir: string;

beforeAll(async () => {
  t = await createTestEnv('run_segments');
  supervisor = new ReferenceSupervisor({ env: { ...process.env, ...t.env } });
  await supervisor.start();
  dir = mkdtempSync(join(tmpdir(), 'pipesoak-run-segments-'));
}, 120_000);

afterAll(async () => {
  await supervisor?.stopAll();
  await t?.teardown();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Every interval of one metric in an hlog, added into one histogram. */
async function metricHistogram(path: string, metric: string): Promise<HistogramSnapshot> {
  const all = HistogramSnapshot.empty();
  for (const interval of (await readHlog(path)).intervals)
    if (parseHlogTag(interval.tag).metric === metric) all.merge(interval.snapshot);
  return all;
}

function sloOf(report: ReportJson, metric: string) {
  return report.slos.find((s) => s.name.startsWith(`${metric} p99`));
}

/** A copy of a segment folder whose run.start carries another gateway.latency p99 objective. */
function withGatewayObjective(from: string, to: string, p99Ms: number): void {
  cpSync(from, to, { recursive: true });
  const path = join(to, RUN_FILES.series);
  const lines = readFileSync(path, 'utf8').split('\n');
  const at = lines.findIndex((l) => l.includes(`"event":"${EVENT.runStart}"`));
  const start = JSON.parse(lines[at] as string) as { slos: Record<string, Record<string, number>> };
  start.slos[METRIC.gatewayLatency] = { p99: p99Ms };
  lines[at] = JSON.stringify(start);
  writeFileSync(path, lines.join('\n'));
}

describe('a segmented run across processes', () => {
  it('segments - 3 pod command lines run concurrently; the sink sees every id once and merge adds their histograms exactly', async () => {
    const runId = `seg3-${process.pid}-${Date.now().toString(36)}`;
    const startAt = new Date(Math.ceil((Date.now() + START_LEAD_MS) / 1000) * 1000).toISOString();
    const config = runConfig(t, supervisor, {
      load: { rate: RATE, duration: '10s', warmUp: '2s', vus: { preAllocated: 20, max: 2000 }, seed: 1 },
    }).input;
    const compiled = await scenarioBundle(join(REPO, 'scenarios/steady.ts'));
    const objects = k8sManifests({
      name: 'soak-seg3',
      parallelism: SEGMENTS,
      image: 'pipesoak:test',
      runId,
      startAt,
      scenarioFile: 'steady.ts',
      bundle: compiled.bundle,
      bundleMap: compiled.map,
      config: `export default ${JSON.stringify(config, null, 2)};\n`,
      configFile: CONFIG_FILE,
      runArgs: ['--rate', String(RATE), '--duration', `${DURATION_S}s`],
      storage: {},
    });
    // What the ConfigMap holds goes where the pods mount it.
    const configMap = objects.find((o) => o.kind === 'ConfigMap') as Extract<
      K8sObject,
      { kind: 'ConfigMap' }
    >;
    const scenarioDir = join(dir, 'scenario');
    mkdirSync(scenarioDir, { recursive: true });
    for (const [file, text] of Object.entries(configMap.data ?? {}))
      writeFileSync(join(scenarioDir, file), text);
    const paths = {
      runsDir: join(dir, 'runs'),
      scenarioDir,
      configPath: join(scenarioDir, CONFIG_FILE),
    };
    const jobs = objects.filter((o): o is Extract<K8sObject, { kind: 'Job' }> => o.kind === 'Job');
    const segmentJob = jobs.find((j) => j.spec?.completionMode === 'Indexed');
    const mergeJob = jobs.find((j) => j.spec?.completionMode !== 'Indexed');
    const segmentArgv = localPodArgv(segmentJob?.spec?.template.spec?.containers[0]?.command ?? [], paths);
    const mergeArgv = localPodArgv(mergeJob?.spec?.template.spec?.containers[0]?.command ?? [], paths);

    // The three segment pods at once, as the Indexed Job starts them.
    const pods: PodResult[] = await Promise.all(
      Array.from({ length: SEGMENTS }, (_, i) => runPodLocally(segmentArgv, { cwd: REPO, index: i })),
    );
    const runDir = join(paths.runsDir, runId);
    const folders = Array.from({ length: SEGMENTS }, (_, i) => segmentDir(runDir, i));
    // How late each process started its first iteration (the open model then catches up at once).
    const lateMs = await Promise.all(
      folders.map((f) =>
        metricHistogram(join(f, RUN_FILES.loadHlog), METRIC.iterationDelay).then((h) => h.summary().max),
      ),
    );
    const log = `iteration delay max per segment: ${lateMs.join(', ')} ms\n${pods.map((p, i) => `--- segment ${i} (exit ${p.code})\n${p.stdout}${p.stderr}`).join('\n')}`;
    // A segment whose own SLOs fail still ends its pod with 0 (the merged verdict is the one that counts).
    for (const p of pods) expect(p.code, log).toBe(0);
    for (let i = 0; i < SEGMENTS; i++)
      expect(readFileSync(join(runDir, `status/segment-${i}.exit`), 'utf8').trim(), log).toMatch(/^[01]$/);

    // Every iteration of the one-machine schedule reached the sink once, whichever process ran it.
    const planned = RATE * DURATION_S;
    const facts = await t.db.query<{ correlation_id: string; deliveries: number }>(
      'SELECT correlation_id, deliveries FROM kg_facts WHERE correlation_id LIKE $1',
      [`${runId}-%`],
    );
    const ks = facts.rows.map((r) => Number(r.correlation_id.slice(runId.length + 1))).sort((a, b) => a - b);
    expect(ks, log).toEqual(Array.from({ length: planned }, (_, k) => k));

    // Segment 0 ran the collectors and the integrity check; the others only the load.
    const reports = folders.map((f) => readReportJson(join(f, RUN_FILES.json)));
    expect(reports.map((r) => r.run.segments?.map((s) => [s.segment, s.loadOnly]))).toEqual(
      Array.from({ length: SEGMENTS }, (_, i) => [[segmentOf(i, SEGMENTS), i > 0]]),
    );
    const counts = reports.map((r) => Number(r.load.iterations));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(planned);
    for (const c of counts) expect(c).toBe(planned / SEGMENTS);

    // The merge pod's command line merges the three folders by name.
    const merged = await runPodLocally(mergeArgv, { cwd: REPO });
    const mergedDir = join(runDir, 'merged');
    expect([0, 1], `${merged.stdout}${merged.stderr}`).toContain(merged.code);
    const report = readReportJson(join(mergedDir, RUN_FILES.json));
    expect(report.run.segments?.map((s) => s.loadOnly)).toEqual([false, true, true]);
    // Segment 0 checked its own share; the merge checked every segment's ids again.
    expect(reports[0]?.integrity).toMatchObject({ accepted: planned / SEGMENTS, lost: 0 });
    expect(report.integrity, `${merged.stdout}${merged.stderr}`).toMatchObject({
      accepted: planned,
      completed: planned,
      deadLettered: 0,
      lost: 0,
      duplicated: 0,
    });

    // Exact: the merged log's gateway.latency is the segments' intervals added into one histogram.
    const segmentHistograms = await Promise.all(
      folders.map((f) => metricHistogram(join(f, RUN_FILES.loadHlog), METRIC.gatewayLatency)),
    );
    const union = HistogramSnapshot.empty();
    for (const h of segmentHistograms) union.merge(h);
    const mergedHistogram = await metricHistogram(join(mergedDir, RUN_FILES.loadHlog), METRIC.gatewayLatency);
    const segmentCounts = segmentHistograms.map((h) => h.count);
    expect(mergedHistogram.count).toBe(segmentCounts.reduce((a, b) => a + b, 0));
    expect(mergedHistogram.count).toBe(planned);
    expect(mergedHistogram.encode()).toBe(union.encode());
    expect(mergedHistogram.summary()).toEqual(union.summary());
    // The report's own figures (the SLO window) likewise: counts add up over the segments.
    expect(report.metrics[METRIC.gatewayLatency]?.count).toBe(
      reports.reduce((n, r) => n + (r.metrics[METRIC.gatewayLatency]?.count ?? 0), 0),
    );

    // The verdict is the merged data's: an objective at the merged p99 fails (p99 < objective is
    // false), one just above passes, whatever each segment's own p99 was.
    const p99 = report.metrics[METRIC.gatewayLatency]?.p99 as number;
    const segmentP99s = reports.map((r) => r.metrics[METRIC.gatewayLatency]?.p99 as number);
    const judged = async (objective: number, name: string) => {
      const copies = folders.map((f, i) => {
        const copy = join(dir, name, `segment-${i}`);
        withGatewayObjective(f, copy, objective);
        return copy;
      });
      const { report: r } = await mergeRunFolders({ dirs: copies, out: join(dir, name, 'merged') });
      return sloOf(r, METRIC.gatewayLatency);
    };
    const atP99 = await judged(p99, 'at-p99');
    expect(atP99).toMatchObject({ observed: p99, pass: false });
    const above = await judged(p99 + 0.01, 'above-p99');
    expect(above).toMatchObject({ observed: p99, pass: true });
    // Between the segments' p99s (when they differ) the merged verdict is not every segment's.
    const [low, high] = [Math.min(...segmentP99s), Math.max(...segmentP99s)];
    if (high > low) {
      const between = await judged((low + high) / 2, 'between');
      expect(between?.observed).toBe(p99);
      expect(between?.pass).toBe(p99 < (low + high) / 2);
    }
    console.log(
      `segments: gateway.latency counts ${segmentCounts.join(', ')}; p99 ${segmentP99s.map((v) => `${v} ms`).join(', ')}; merged count ${mergedHistogram.count}, p99 ${p99} ms (window counts ${reports.map((r) => r.metrics[METRIC.gatewayLatency]?.count).join(', ')} → ${report.metrics[METRIC.gatewayLatency]?.count})`,
    );
  }, 150_000);
});
