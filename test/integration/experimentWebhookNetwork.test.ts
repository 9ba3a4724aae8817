// The webhook and network experiments through a real run: half the webhooks failing for a while
// (the webhook error SLO must catch it) and 200 ms toward NATS behind the run's own Toxiproxy
// (e2e p99 rises inside the window and not outside it).
import { describe, expect, it } from 'vitest';
import { analyzeRecovery } from '../../reports/recovery.ts';
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

  it('webhook and network experiments - network-latency: e2e p50 and p99 rise by 150 ms or more inside the window, not after it, 0 lost', async () => {
    await runExperimentForTest(spec('network-latency'), 'exp_latency', async (run) => {
      expectPromisesKept(run, expect, { windows: ['nats-latency'], minAccepted: 300 });
      expect(run.report.verdict).toBe('pass');
      const why = describeRun(run);
      const [w] = run.report.faults ?? [];
      const inside = w?.p99Inside['e2e.latency'] ?? 0;
      const outside = w?.p99Outside['e2e.latency'] ?? Number.POSITIVE_INFINITY;
      expect(inside - outside, why).toBeGreaterThanOrEqual(150);
      // Every event of the window crosses the proxy (the worker's deliveries come through it), so the
      // median rises as well, not only a tail a slow moment could make; outside is back below it.
      const [r] = await analyzeRecovery(run.runDir);
      const e2eIn = r?.inside['e2e.latency'];
      const e2eOut = r?.outside['e2e.latency'];
      const figures = `${why} inside ${JSON.stringify(e2eIn)} outside ${JSON.stringify(e2eOut)}`;
      expect((e2eIn?.p50 ?? 0) - (e2eOut?.p50 ?? Number.POSITIVE_INFINITY), figures).toBeGreaterThanOrEqual(
        150,
      );
      // Both windows hold most of their seconds' events (15/s): 8 s inside, ~7 s after.
      expect(e2eIn?.count ?? 0, figures).toBeGreaterThanOrEqual(90);
      expect(e2eOut?.count ?? 0, figures).toBeGreaterThanOrEqual(60);
      expect(r?.inside['e2e.latency']?.p99, figures).toBeCloseTo(inside, -1);
    });
  }, 150_000);
});
