// `pipesoak run` end to end against the real reference pipeline (issue 11's acceptance): the steady
// scenario at 100/s for 60 s counts every accepted event once and passes the default SLOs, and
// poison-mix has its DLQ and delivery SLOs judged on observed counts.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHlog } from '../../record/hlog.ts';
import { parseHlogTag } from '../../record/hlogTag.ts';
import { RUN_FILES } from '../../record/runFiles.ts';
import { ReferenceSupervisor } from '../../runner/referenceSupervisor.ts';
import { runScenario } from '../../runner/run/runScenario.ts';
import { bufferOut, runConfig } from '../support/runTarget.ts';
import { createTestEnv, type TestEnv } from '../support/testEnv.ts';

const STEADY = { rate: 100, durationS: 60, warmUpS: 10 };
// A freshly started reference is slow per event until its processes have warmed (JIT, lazily
// loaded code, pools): on this 2-core host shared with other runs (load 7-11) the worker fell
// behind for the first 20-40 s of a run right after start (consumer pending ~500, e2e p99 5-7 s),
// where the same run against the pipeline already warmed passed (e2e p99 0.4 s). A real soak's
// warm-up is minutes; the measured run keeps the 10 s, after this unmeasured one.
const PRE_WARM = { rate: 100, durationS: 10, warmUpS: 2 };
// Two drift SLOs off their defaults, because a 50 s steady window judges their settling, not a
// trend; the other 17 SLOs keep their defaults (harness.rss's default lets the engine thread's heap
// settle: below 32 MB over the window is not failed).
// - db.connections: the worker's pool opens connections as bursts need them and closes idle ones
//   (3 → 10 within a quiet run, load 1-3); the max SLO (<= 10) still bounds it.
// - outbox.query.time: a millisecond query's round trip on a shared host, whose spikes (5 → 50 ms)
//   read as a slope in 50 s. What made it grow for real, dead index entries piling up without
//   vacuum, is asserted below on outbox.dead_tuples instead.
// Both take target.rss's default minimum of 180 s: reported "not judged" here, judged in soaks.
const DRIFT_GAUGES = {
  'db.connections': { minSlopePerMin: 1 / 30, minRelativeSlopePerMin: 0, minWindowS: 180, required: false },
  'outbox.query.time': {
    minSlopePerMin: 0.05,
    minRelativeSlopePerMin: 0.005,
    minWindowS: 180,
    required: false,
  },
};
// The relay vacuums the outbox every 10 s (RELAY_VACUUM_MS): at 100/s about 1,000 dead versions
// at most, where without it (this host's Postgres runs no autovacuum) they reached 7,000.
const MAX_DEAD_TUPLES = 2_500;

let t: TestEnv;
let supervisor: ReferenceSupervisor;
let outDir: string;

beforeAll(async () => {
  t = await createTestEnv('run_steady');
  supervisor = new ReferenceSupervisor({ env: { ...process.env, ...t.env } });
  await supervisor.start();
  outDir = await mkdtemp(join(tmpdir(), 'pipesoak-run-steady-'));
  const out = bufferOut();
  const warm = await runScenario({
    scenarioPath: 'scenarios/steady.ts',
    flags: {
      rate: String(PRE_WARM.rate),
      duration: `${PRE_WARM.durationS}s`,
      warmUp: `${PRE_WARM.warmUpS}s`,
      out: join(outDir, 'pre-warm'),
    },
    config: runConfig(t, supervisor),
    out,
    handleSignals: false,
  });
  // Drained to the last event, or its completions would count in the measured run's e2e.
  const planned = PRE_WARM.rate * PRE_WARM.durationS;
  expect(warm.report.integrity, out.text()).toMatchObject({ accepted: planned, completed: planned });
}, 180_000);

afterAll(async () => {
  await supervisor?.stopAll();
  await t?.teardown();
  // PIPESOAK_KEEP_RUNS=1 keeps the run folders (reports, series) to look at after a failure.
  if (outDir && process.env.PIPESOAK_KEEP_RUNS === '1') console.log(`run folders kept in ${outDir}`);
  else if (outDir) await rm(outDir, { recursive: true, force: true });
});

/** How many values a metric recorded in an hlog, over every interval and tag. */
async function hlogCount(path: string, metric: string): Promise<number> {
  let count = 0;
  for (const interval of (await readHlog(path)).intervals)
    if (parseHlogTag(interval.tag).metric === metric) count += interval.snapshot.count;
  return count;
}

const failing = (
  slos: { name: string; pass: boolean; observed: number | null; objective: string; reason?: string }[],
) =>
  slos
    .filter((s) => !s.pass)
    .map((s) => `${s.name}: observed ${s.observed}, objective ${s.objective} ${s.reason ?? ''}`);

describe('pipesoak run against the reference pipeline', () => {
  it('run - steady counts every accepted event end to end once, loses none, carries its trace ids to the sink and passes', async () => {
    const out = bufferOut();
    const outcome = await runScenario({
      scenarioPath: 'scenarios/steady.ts',
      flags: {
        rate: String(STEADY.rate),
        duration: `${STEADY.durationS}s`,
        warmUp: `${STEADY.warmUpS}s`,
        out: join(outDir, 'steady'),
      },
      config: runConfig(t, supervisor, {
        slos: { drift: { gauges: DRIFT_GAUGES } },
      }),
      out,
      handleSignals: false,
    });
    const { report, engine, runId } = outcome;
    const planned = STEADY.rate * STEADY.durationS;
    expect(engine?.iterations, out.text()).toBe(planned);
    expect(engine?.accepted).toBe(planned);
    expect(report.integrity).toMatchObject({ accepted: planned, completed: planned, lost: 0, duplicated: 0 });
    // Whole-run counts from the run's logs (the report's metrics leave the warm-up out).
    const e2eCount = await hlogCount(join(outcome.runDir, RUN_FILES.collectorsHlog), 'e2e.latency');
    expect(e2eCount).toBe(engine?.accepted);
    const gatewayCount = await hlogCount(join(outcome.runDir, RUN_FILES.loadHlog), 'gateway.latency');
    expect(Math.abs(gatewayCount - planned)).toBeLessThanOrEqual(planned * 0.01);

    // Correlation ids <runId>-0 ... <runId>-(n-1), each once, in the sink's facts.
    const facts = await t.db.query<{ correlation_id: string; traceparent: string | null }>(
      'SELECT correlation_id, traceparent FROM kg_facts WHERE correlation_id LIKE $1',
      [`${runId}-%`],
    );
    const ks = facts.rows.map((r) => Number(r.correlation_id.slice(runId.length + 1))).sort((a, b) => a - b);
    expect(ks).toEqual(Array.from({ length: planned }, (_, k) => k));
    // Every fact carries a well-formed trace the harness sent, one trace per iteration.
    const traceIds = facts.rows.map((r) => r.traceparent?.split('-')[1]);
    expect(traceIds.every((id) => id !== undefined && /^[0-9a-f]{32}$/.test(id) && !/^0+$/.test(id))).toBe(
      true,
    );
    expect(new Set(traceIds).size).toBe(planned);

    const deadTuples = report.gauges['outbox.dead_tuples']?.max;
    expect(deadTuples).toBeGreaterThan(0);
    expect(deadTuples).toBeLessThanOrEqual(MAX_DEAD_TUPLES);

    expect(report.verdict, `failing SLOs:\n${failing(report.slos).join('\n')}\n${out.text()}`).toBe('pass');
    expect(outcome.exitCode).toBe(0);
  }, 180_000);

  it('run - poison-mix judges the DLQ and delivery SLOs on the observed counts', async () => {
    const out = bufferOut();
    const { report } = await runScenario({
      scenarioPath: 'scenarios/poison-mix.ts',
      flags: { rate: '20', duration: '10s', warmUp: '2s', out: join(outDir, 'poison') },
      config: runConfig(t, supervisor),
      out,
      handleSignals: false,
    });
    const byName = new Map(report.slos.map((s) => [s.name, s]));
    const dlq = byName.get('dlq attempts per event');
    const deliveries = byName.get('deliveries per event');
    expect(dlq, out.text()).toBeDefined();
    expect(deliveries).toBeDefined();
    // Poison is retried and dead-lettered: more than one delivery, at least one DLQ attempt, both bounded.
    const seen = `${JSON.stringify({ integrity: report.integrity, dlq, deliveries, counts: report.counts })}\n${out.text()}`;
    expect(report.integrity.deadLettered, seen).toBeGreaterThan(0);
    expect(deliveries?.reason, seen).toBeUndefined();
    expect(dlq?.reason).toBeUndefined();
    expect(deliveries?.observed).toBeGreaterThan(1);
    expect(dlq?.observed).toBeGreaterThanOrEqual(1);
    expect(deliveries?.pass).toBe(true);
    expect(dlq?.pass).toBe(true);
  }, 120_000);
});
