// The broker-pause experiment through a real run, on the harness's own nats-server (never the
// machine's): SIGSTOP for 10 s, then a kill -9 and restart; the collectors record a gap and resume,
// nothing accepted is lost.
import { describe, expect, it } from 'vitest';
import type { ExperimentSpec } from '../../faults/experiments/experimentSpec.ts';
import {
  describeRun,
  type ExperimentTestRun,
  expectPromisesKept,
  runExperimentForTest,
  spec,
} from '../support/experimentTest.ts';
import { NATS_URL } from '../support/testEnv.ts';

/** The JetStream collector lost the broker inside the window and sampled again after it. */
/** `lateMs`: a gap may open this long after the window (a killed broker is back before a timeout). */
async function expectGapAndResume(
  run: ExperimentTestRun,
  window: string,
  o: { index: number; lateMs: number } = { index: 0, lateMs: 0 },
): Promise<void> {
  const why = describeRun(run);
  const start = (await run.events('fault.start'))[o.index];
  const end = (await run.events('fault.end'))[o.index];
  expect(start?.id).toBe(window);
  const from = Number(start?.t);
  const to = Number(end?.t);
  const inWindow = (t: unknown) => Number(t) >= from && Number(t) <= to + o.lateMs;
  const gaps = (await run.events('collector.gap.start')).filter(
    (g) => g.collector === 'jetstream' && inWindow(g.t),
  );
  const ends = (await run.events('collector.gap.end')).filter(
    (g) => g.collector === 'jetstream' && Number(g.t) >= Number(gaps[0]?.t),
  );
  // A gap opens inside the window and closes after the broker is back.
  expect(gaps.length, why).toBeGreaterThanOrEqual(1);
  expect(ends.length, why).toBeGreaterThanOrEqual(1);
  expect(Number(ends[0]?.t), why).toBeGreaterThanOrEqual(o.lateMs > 0 ? from : to);
  // The report says so in plain words.
  expect(run.report.notes?.some((n) => n.startsWith('collector jetstream had'))).toBe(true);
  // Samples resumed: consumer.pending is in the report's gauges, and the drain saw it at 0.
  expect(run.report.gauges['consumer.pending']?.last, why).toBe(0);
}

/**
 * broker-pause with a second window in the same run: the own nats-server killed (-9) and started
 * again on its port and store 2 s later, the broker restart of issue 12, without a run of its own.
 */
function pauseThenRestart(): ExperimentSpec {
  const pause = spec('broker-pause');
  return {
    ...pause,
    short: {
      ...pause.short,
      load: { ...pause.short.load, duration: '30s' },
      faults: {
        faults: [
          ...pause.short.faults.faults,
          { id: 'kill-broker', what: 'kill', at: '22s', for: '2s', where: 'broker' },
        ],
      },
    },
  };
}

describe('broker experiments', () => {
  it('broker experiments - broker-pause, then a kill -9 and restart of the own nats-server: collectors gap and resume twice, 0 lost among the accepted, drains reported', async () => {
    await runExperimentForTest(pauseThenRestart(), 'exp_broker_pause', async (run) => {
      expectPromisesKept(run, expect, { windows: ['pause-broker', 'kill-broker'], minAccepted: 700 });
      expect(run.report.verdict).toBe('pass');
      // Never the machine's broker.
      expect(String(run.report.run.target.natsUrl)).not.toBe(NATS_URL);
      await expectGapAndResume(run, 'pause-broker');
      // The live progress line names the open window (the 10 s line falls inside 6-16 s).
      expect(run.output, run.output).toMatch(/faults pause-broker/);
      // The relay could not publish while the broker was stopped: the outbox backed up.
      const [w, restart] = run.report.faults ?? [];
      expect(w?.peakBacklog['outbox.pending'] ?? 0, describeRun(run)).toBeGreaterThan(
        w?.bounds['outbox.pending'] ?? Number.POSITIVE_INFINITY,
      );
      // The restart: the collector lost the broker again and resumed after it came back. The gateway
      // never talks to NATS, so no request failed; every accepted event is in the sink (above).
      await expectGapAndResume(run, 'kill-broker', { index: 1, lateMs: 5_000 });
      expect(restart?.drainS, describeRun(run)).not.toBeNull();
      expect(run.report.load.errors, describeRun(run)).toBe(0);
    });
  }, 150_000);
});
