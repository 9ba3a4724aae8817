// The crash experiments through a real run (runExperiment → runScenario against reference
// components the experiment starts): kill -9 the worker, kill -9 the relay, and the negative
// control that must be caught — the worker stalled past its ack wait with the inbox off.
import { describe, expect, it } from 'vitest';
import { IN_FLIGHT_DISPATCHES } from '../../faults/experiments/experiments.ts';
import { describeRun, expectPromisesKept, runExperimentForTest, spec } from '../support/experimentTest.ts';

/** 30/s for 20 s is 600; a loaded machine may start late, not drop. */
const MIN_ACCEPTED = 500;

describe('crash experiments', () => {
  it('crash experiments - worker-crash: kill -9 mid-run loses nothing, re-asks the sink for at most what was in flight, and the backlog drains', async () => {
    await runExperimentForTest(spec('worker-crash'), 'exp_worker_crash', async (run) => {
      // At most the 20 dispatches in flight at the kill; the no-dedup control below makes ~95.
      expectPromisesKept(run, expect, {
        windows: ['kill-worker'],
        minAccepted: MIN_ACCEPTED,
        duplicatedAtMost: IN_FLIGHT_DISPATCHES,
      });
      expect(run.report.verdict).toBe('pass');
      expect(run.result.outcome.exitCode).toBe(0);
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

  it('crash experiments - control-no-dedup: a stalled worker without its inbox is caught, duplicated > 0, the ids in duplicated.txt', async () => {
    await runExperimentForTest(spec('control-no-dedup'), 'exp_no_dedup', async (run) => {
      const why = describeRun(run);
      expect(run.result.mismatches, why).toEqual([]);
      expect(run.report.verdict).toBe('fail');
      expect(run.result.outcome.exitCode).toBe(1);
      const duplicated = run.report.integrity.duplicated ?? 0;
      // The bar: caught (> 0). The worker holds at most its in-flight dispatches, so the stall
      // redelivers at most those; with the inbox on, the same stall can duplicate some of them too
      // (a redelivery racing its first copy), which is why issue 12 stays open on "duplicated".
      expect(duplicated, why).toBeGreaterThan(0);
      expect(duplicated, why).toBeLessThanOrEqual(IN_FLIGHT_DISPATCHES);
      expect(run.report.integrity.lost, why).toBe(0);
      const ids = run.ids('duplicated');
      expect(ids).toHaveLength(duplicated);
      for (const id of ids) expect(id.startsWith(`${run.report.run.id}-`)).toBe(true);
      // The only failing check is the one the control exists for.
      expect(run.report.slos.filter((s) => !s.pass).map((s) => s.name)).toEqual(['integrity.duplicated']);
    });
  }, 150_000);
});
