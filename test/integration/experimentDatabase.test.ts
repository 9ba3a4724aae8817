// The database experiments through a real run: pg_terminate_backend on the worker's and then the
// relay's connections, and the lost-facts negative control (a test-only copy of the sink table,
// missing 1 in 20 facts, read by the integrity check) that must be caught.
import { describe, expect, it } from 'vitest';
import { describeRun, expectPromisesKept, runExperimentForTest, spec } from '../support/experimentTest.ts';

describe('database experiments', () => {
  it('database experiments - db-connection-kill: backends cut under the worker and the relay; pools reconnect, 0 lost, 0 duplicated', async () => {
    await runExperimentForTest(spec('db-connection-kill'), 'exp_db_kill', async (run) => {
      expectPromisesKept(run, expect, {
        windows: ['terminate-worker', 'terminate-relay'],
        minAccepted: 500,
      });
      expect(run.report.verdict).toBe('pass');
      // Backends were really cut: each window's end counts the ones it terminated.
      const ends = await run.events('fault.end');
      expect(ends.map((e) => e.id)).toEqual(['terminate-worker', 'terminate-relay']);
      for (const e of ends) expect(Number(e.terminated), describeRun(run)).toBeGreaterThan(0);
    });
  }, 150_000);

  it('database experiments - control-lost-facts: facts missing from the sink copy are caught through the run, lost > 0, ids in lost.txt', async () => {
    await runExperimentForTest(spec('control-lost-facts'), 'exp_lost_facts', async (run) => {
      const why = describeRun(run);
      expect(run.result.mismatches, why).toEqual([]);
      expect(run.report.verdict).toBe('fail');
      expect(run.result.outcome.exitCode).toBe(1);
      const lost = run.report.integrity.lost ?? 0;
      const accepted = run.report.integrity.accepted ?? 0;
      // About 1 in 20 (chosen by a hash of the id): some, and far from all.
      expect(lost, why).toBeGreaterThan(0);
      expect(lost, why).toBeLessThan(accepted / 5);
      expect(run.report.integrity.duplicated).toBe(0);
      const ids = run.ids('lost');
      expect(ids).toHaveLength(lost);
      for (const id of ids) expect(id.startsWith(`${run.report.run.id}-`)).toBe(true);
      expect(run.report.slos.filter((s) => !s.pass).map((s) => s.name)).toEqual(['integrity.lost']);
      // A faults file with no window: no fault section, but the outbox guard ran and found no change.
      expect(run.report.faults).toBeUndefined();
      expect(run.report.outboxGuard?.unchanged).toBe(true);
    });
  }, 150_000);
});
