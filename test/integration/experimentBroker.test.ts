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
  o: { index: number; lateMs: number },
): Promise<void> {
  const times = async (kind: string) =>
    (await run.events(kind)).map((e) => `${kind} ${String(e.id ?? e.collector)} ${String(e.t)}`);
  const why = `${describeRun(run)} ${[
    ...(await times('fault.start')),
    ...(await times('fault.end')),
    ...(await times('collector.gap.start')),
    ...(await times('collector.gap.end')),
  ].join('; ')}`;
  const start = (await run.events('fault.start'))[o.index];
  const end = (await run.events('fault.end'))[o.index];
  expect(start?.id).toBe(window);
  const from = Number(start?.t);
  const to = Number(end?.t);
  // A gap is stamped at the sample that found the broker gone, which may have begun up to one
  // collector interval (500 ms) before fault.start was stamped on a loaded machine.
  const inWindow = (t: unknown) => Number(t) >= from - 1_000 && Number(t) <= to + o.lateMs;
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
 * broker-pause with a restart in the same run, the broker restart of issue 12 without a run of its
 * own: the own nats-server killed (-9) at 4 s and started again on its port and store 2 s later,
 * then the 10 s pause at 16 s. The kill comes first: its backlog (~2 s of load) drains within the
 * 10 s before the pause, while the pause's (~300 events) took more than 6 s at load 9.
 */
function restartThenPause(): ExperimentSpec {
  const base = spec('broker-pause');
  const pauses = base.short.faults.faults.map((f) => ({ ...f, at: '16s' }));
  return {
    ...base,
    short: {
      ...base.short,
      load: { ...base.short.load, duration: '30s' },
      faults: {
        faults: [{ id: 'kill-broker', what: 'kill', at: '4s', for: '2s', where: 'broker' }, ...pauses],
      },
    },
  };
}

describe('broker experiments', () => {
  it('broker experiments - a kill -9 and restart of the own nats-server, then broker-pause: collectors gap and resume twice, 0 lost among the accepted, drains reported', async () => {
    await runExperimentForTest(restartThenPause(), 'exp_broker_pause', async (run) => {
      expectPromisesKept(run, expect, { windows: ['kill-broker', 'pause-broker'], minAccepted: 700 });
      expect(run.report.verdict).toBe('pass');
      // Never the machine's broker.
      expect(String(run.report.run.target.natsUrl)).not.toBe(NATS_URL);
      await expectGapAndResume(run, 'pause-broker', { index: 1, lateMs: 0 });
      // The live progress line names the open window (the 20 s line falls inside 16-26 s).
      expect(run.output, run.output).toMatch(/faults pause-broker/);
      // The relay could not publish while the broker was stopped: the outbox backed up.
      const [restart, w] = run.report.faults ?? [];
      expect(w?.peakBacklog['outbox.pending'] ?? 0, describeRun(run)).toBeGreaterThan(
        w?.bounds['outbox.pending'] ?? Number.POSITIVE_INFINITY,
      );
      // The restart: the collector lost the broker again and resumed after it came back. The gateway
      // never talks to NATS, so no request failed; every accepted event is in the sink (above).
      await expectGapAndResume(run, 'kill-broker', { index: 0, lateMs: 5_000 });
      expect(restart?.drainS, describeRun(run)).not.toBeNull();
      expect(run.report.load.errors, describeRun(run)).toBe(0);
    });
  }, 150_000);
});
