// The webhook and network experiments through a real run: half the webhooks failing for a while
// (the webhook error SLO must catch it) and 200 ms toward NATS behind the run's own Toxiproxy
// (e2e p99 rises inside the window and not outside it).
import { describe, expect, it } from 'vitest';
import { describeRun, expectPromisesKept, runExperimentForTest, spec } from '../support/experimentTest.ts';

describe('webhook and network experiments', () => {
  it('webhook and network experiments - webhook-brownout: retries catch up, 0 lost, and the webhook error SLO fails the run', async () => {
    await runExperimentForTest(spec('webhook-brownout'), 'exp_brownout', async (run) => {
      const why = describeRun(run);
      expect(run.result.mismatches, why).toEqual([]);
      expect(run.report.verdict).toBe('fail');
      expect(run.result.outcome.exitCode).toBe(1);
      expect(run.report.slos.filter((s) => !s.pass).map((s) => s.name)).toEqual(['worker.retries.rate max']);
      const retries = run.report.slos.find((s) => s.name === 'worker.retries.rate max');
      expect(retries?.observed ?? 0, why).toBeGreaterThanOrEqual(1);
      expect(run.report.integrity.lost, why).toBe(0);
      expect(run.report.integrity.duplicated, why).toBe(0);
      expect(run.report.faults?.[0]?.drainS, why).not.toBeNull();
      expect(run.report.outboxGuard?.unchanged).toBe(true);
    });
  }, 150_000);

  it('webhook and network experiments - network-latency: e2e p99 rises by 150 ms or more inside the window, not outside, 0 lost', async () => {
    await runExperimentForTest(spec('network-latency'), 'exp_latency', async (run) => {
      expectPromisesKept(run, expect, { windows: ['nats-latency'], minAccepted: 500 });
      expect(run.report.verdict).toBe('pass');
      const [w] = run.report.faults ?? [];
      const inside = w?.p99Inside['e2e.latency'] ?? 0;
      const outside = w?.p99Outside['e2e.latency'] ?? Number.POSITIVE_INFINITY;
      expect(inside - outside, describeRun(run)).toBeGreaterThanOrEqual(150);
      // Outside the window e2e is back below what 200 ms a hop would make it.
      expect(outside, describeRun(run)).toBeLessThan(inside);
    });
  }, 150_000);
});
