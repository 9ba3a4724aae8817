// The crash experiments through a real run (runExperiment → runScenario against reference
// components the experiment starts): kill -9 the worker, kill -9 the relay, and the negative
// control that must be caught — the same worker kill with the de-duplication chain off.
import { describe, expect, it } from 'vitest';
import { ANSWER_DELAY_MS, IN_FLIGHT_DISPATCHES } from '../../faults/experiments/experiments.ts';
import {
  describeRun,
  type ExperimentTestRun,
  expectPromisesKept,
  runExperimentForTest,
  spec,
} from '../support/experimentTest.ts';

/** 30/s for 20 s is 600; a loaded machine may start late, not drop. */
const MIN_ACCEPTED = 500;
/**
 * Events the sink had applied but the worker not acked when the kill landed: at least those inside
 * the sink's slow answer, rate x SINK_ANSWER_DELAY_MS = 30/s x 300 ms = 9 (at most the 20 slots).
 * Half of that, rounded up, is the floor both worker-kill runs must clear: the control re-applies
 * that many, worker-crash has that many re-asks absorbed by the Idempotency-Key.
 */
const EXPECTED_IN_FLIGHT = Math.min(
  IN_FLIGHT_DISPATCHES,
  (spec('worker-crash').short.load.rate * ANSWER_DELAY_MS.short) / 1000,
);
const REASKED_AT_LEAST = Math.ceil(EXPECTED_IN_FLIGHT / 2);

/** Per fact of this run: asks the sink's Idempotency-Key absorbed, and facts that carry a key. */
async function sinkReplays(run: ExperimentTestRun): Promise<{ replays: number; keyed: number }> {
  const { rows } = await run.db.query<{ replays: number; keyed: number }>(
    `SELECT coalesce(sum(replays), 0)::int AS replays, count(idempotency_key)::int AS keyed
       FROM kg_facts WHERE starts_with(correlation_id, $1)`,
    [`${run.report.run.id}-`],
  );
  return rows[0] ?? { replays: -1, keyed: -1 };
}

describe('crash experiments', () => {
  it('crash experiments - worker-crash: kill -9 mid-run loses nothing, applies nothing twice (the re-asks of applied but unacked events are absorbed by the Idempotency-Key), and the backlog drains', async () => {
    await runExperimentForTest(spec('worker-crash'), 'exp_worker_crash', async (run) => {
      // duplicated 0, lost 0: nothing applied twice, though the kill left events applied but unacked.
      expectPromisesKept(run, expect, { windows: ['kill-worker'], minAccepted: MIN_ACCEPTED });
      expect(run.report.verdict).toBe('pass');
      expect(run.result.outcome.exitCode).toBe(0);
      // Not vacuous: the sink was asked again for them after the restart, and the key answered.
      const sink = await sinkReplays(run);
      expect(sink.replays, describeRun(run)).toBeGreaterThanOrEqual(REASKED_AT_LEAST);
      expect(sink.replays, describeRun(run)).toBeLessThanOrEqual(IN_FLIGHT_DISPATCHES);
      expect(sink.keyed).toBe(run.report.integrity.completed);
      const [w] = run.report.faults ?? [];
      // The kill showed: the consumer backlog rose above its steady bound while the worker was down.
      expect(w?.peakBacklog['consumer.pending'] ?? 0, describeRun(run)).toBeGreaterThan(
        w?.bounds['consumer.pending'] ?? Number.POSITIVE_INFINITY,
      );
      // The worker really died: the restart is recorded on the window's end.
      const ends = await run.events('fault.end');
      expect(ends).toHaveLength(1);
      expect(ends[0]).not.toHaveProperty('error');
    });
  }, 150_000);

  it('crash experiments - relay-crash: outbox rows left unpublished by the kill are published after the restart', async () => {
    await runExperimentForTest(spec('relay-crash'), 'exp_relay_crash', async (run) => {
      expectPromisesKept(run, expect, { windows: ['kill-relay'], minAccepted: MIN_ACCEPTED });
      expect(run.report.verdict).toBe('pass');
      const [w] = run.report.faults ?? [];
      expect(w?.peakBacklog['outbox.pending'] ?? 0, describeRun(run)).toBeGreaterThan(
        w?.bounds['outbox.pending'] ?? Number.POSITIVE_INFINITY,
      );
    });
  }, 150_000);

  it('crash experiments - control-no-dedup: the same worker kill without the de-duplication chain is caught, duplicated well above 0, the ids in duplicated.txt', async () => {
    await runExperimentForTest(spec('control-no-dedup'), 'exp_no_dedup', async (run) => {
      const why = describeRun(run);
      expect(run.result.mismatches, why).toEqual([]);
      expect(run.report.verdict).toBe('fail');
      expect(run.result.outcome.exitCode).toBe(1);
      const duplicated = run.report.integrity.duplicated ?? 0;
      // What worker-crash absorbs, applied again: every event applied but unacked at the kill, at
      // least half the in-flight count the slow answer guarantees, never more than the 20 slots.
      expect(duplicated, why).toBeGreaterThanOrEqual(REASKED_AT_LEAST);
      expect(duplicated, why).toBeLessThanOrEqual(IN_FLIGHT_DISPATCHES);
      expect(run.report.integrity.lost, why).toBe(0);
      // No key was sent, so the sink absorbed nothing.
      expect(await sinkReplays(run)).toEqual({ replays: 0, keyed: 0 });
      const ids = run.ids('duplicated');
      expect(ids).toHaveLength(duplicated);
      for (const id of ids) expect(id.startsWith(`${run.report.run.id}-`)).toBe(true);
      // The only failing check is the one the control exists for.
      expect(run.report.slos.filter((s) => !s.pass).map((s) => s.name)).toEqual(['integrity.duplicated']);
    });
  }, 150_000);
});
