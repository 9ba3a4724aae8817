// The broker-pause experiment through a real run, on the harness's own nats-server (never the
// machine's): SIGSTOP for 10 s; the collectors record a gap and resume, nothing accepted is lost.
import { describe, expect, it } from 'vitest';
import {
  describeRun,
  type ExperimentTestRun,
  expectPromisesKept,
  runExperimentForTest,
  spec,
} from '../support/experimentTest.ts';
import { NATS_URL } from '../support/testEnv.ts';

/** The JetStream collector lost the broker inside the window and sampled again after it. */
async function expectGapAndResume(run: ExperimentTestRun, window: string): Promise<void> {
  const why = describeRun(run);
  const [start] = await run.events('fault.start');
  const [end] = await run.events('fault.end');
  expect(start?.id).toBe(window);
  const from = Number(start?.t);
  const to = Number(end?.t);
  const gaps = (await run.events('collector.gap.start')).filter((g) => g.collector === 'jetstream');
  const ends = (await run.events('collector.gap.end')).filter((g) => g.collector === 'jetstream');
  expect(gaps.length, why).toBeGreaterThanOrEqual(1);
  expect(ends.length, why).toBe(gaps.length);
  // The gap opens inside the window and closes after the broker is back.
  expect(Number(gaps[0]?.t)).toBeGreaterThanOrEqual(from);
  expect(Number(gaps[0]?.t)).toBeLessThanOrEqual(to);
  expect(Number(ends.at(-1)?.t)).toBeGreaterThanOrEqual(to);
  // The report says so in plain words.
  expect(run.report.notes?.some((n) => n.startsWith('collector jetstream had'))).toBe(true);
  // Samples resumed: consumer.pending is in the report's gauges, and the drain saw it at 0.
  expect(run.report.gauges['consumer.pending']?.last, why).toBe(0);
}

describe('broker experiments', () => {
  it('broker experiments - broker-pause: 10 s of SIGSTOP on the own nats-server; collectors gap and resume, 0 lost, drain reported', async () => {
    await runExperimentForTest(spec('broker-pause'), 'exp_broker_pause', async (run) => {
      expectPromisesKept(run, expect, { windows: ['pause-broker'], minAccepted: 500 });
      expect(run.report.verdict).toBe('pass');
      // Never the machine's broker.
      expect(String(run.report.run.target.natsUrl)).not.toBe(NATS_URL);
      await expectGapAndResume(run, 'pause-broker');
      // The live progress line names the open window (the 10 s line falls inside 6-16 s).
      expect(run.output, run.output).toMatch(/faults pause-broker/);
      // The relay could not publish while the broker was stopped: the outbox backed up.
      const [w] = run.report.faults ?? [];
      expect(w?.peakBacklog['outbox.pending'] ?? 0, describeRun(run)).toBeGreaterThan(
        w?.bounds['outbox.pending'] ?? Number.POSITIVE_INFINITY,
      );
    });
  }, 150_000);
});
