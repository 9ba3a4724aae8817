import { describe, expect, it } from 'vitest';
import { createProgress } from '../../runner/progress/createProgress.ts';
import { formatProgressBlock } from '../../runner/progress/formatProgressBlock.ts';
import { formatProgressLine } from '../../runner/progress/formatProgressLine.ts';
import type { ProgressTick } from '../../runner/progress/progressTick.ts';
import { formatCount, formatMs, formatRate, formatShare } from '../../runner/progress/progressUnits.ts';

function tick(overrides: Partial<ProgressTick> = {}): ProgressTick {
  return {
    scenario: 'ramp',
    elapsedMs: 70_000,
    totalMs: 300_000,
    phase: 'measuring',
    targetRate: 100,
    achievedRate: 99.84,
    rateWindow: 'last 10 s',
    dropped: 0,
    errors: { failedRequests: 159, requests: 7_000, failedPublishes: 2, thrown: 1 },
    gatewayP99Ms: 12.345,
    e2eP99Ms: 250.4,
    outboxPending: 3,
    consumerPending: 1250,
    dlqDepth: 0,
    failingSlos: [],
    generator: { eventLoopDelayP99Ms: 2.06, cpu: 0.354, saturated: false, loadAverage: 1.52, cores: 2 },
    ...overrides,
  };
}

/** A stream that keeps what was written. */
function sink(): { stream: NodeJS.WritableStream; text(): string } {
  let text = '';
  const stream = {
    write(chunk: string) {
      text += chunk;
      return true;
    },
  } as unknown as NodeJS.WritableStream;
  return { stream, text: () => text };
}

describe('progress units', () => {
  it.each<[number | undefined, string]>([
    [0.042, '0.04 ms'],
    [2.06, '2.1 ms'],
    [12.5, '13 ms'],
    [250.4, '250 ms'],
    [1234.5, '1,235 ms'],
    [21_728_639.941, '21728.6 s'],
    [undefined, 'n/a'],
  ])('progress - %s ms prints as %s', (ms, text) => {
    expect(formatMs(ms)).toBe(text);
  });

  it('progress - rates, counts and shares print rounded with their units', () => {
    expect(formatRate(100)).toBe('100 events/s');
    expect(formatRate(99.84)).toBe('99.8 events/s');
    expect(formatRate(0.5)).toBe('0.5 events/s');
    expect(formatRate(1250.6)).toBe('1251 events/s');
    // A windowed mean's float noise is not a decimal: 49.99999 is 50.
    expect(formatRate(49.999_999)).toBe('50 events/s');
    expect(formatRate(50.04)).toBe('50 events/s');
    expect(formatRate(50.06)).toBe('50.1 events/s');
    expect(formatRate(undefined)).toBe('n/a');
    expect(formatCount(1_234_567)).toBe('1,234,567');
    expect(formatCount(undefined)).toBe('n/a');
    expect(formatShare(0.354)).toBe('35%');
    expect(formatShare(1.5)).toBe('150%');
  });
});

describe('formatProgressBlock', () => {
  it('progress - the block shows time with a bar, rates, latencies, backlog, SLOs and generator health', () => {
    expect(formatProgressBlock(tick())).toEqual([
      'time       1m10s / 5m  [#######-----------------------] 23%  ramp: measuring',
      'rate       target 100 events/s   achieved 99.8 events/s (last 10 s)   dropped 0',
      'errors     159 of 7,000 requests failed   2 publishes failed   1 iteration threw',
      'latency    gateway p99 12 ms   e2e p99 250 ms',
      'backlog    outbox pending 3   consumer pending 1,250   DLQ depth 0',
      'SLOs       all passing so far',
      'generator  ok   event loop p99 2.1 ms   cpu 35%   machine load 1.5 on 2 cores',
    ]);
  });

  it('progress - failing SLOs, a saturated generator, missing samples and active faults are shown', () => {
    const lines = formatProgressBlock(
      tick({
        elapsedMs: 330_000,
        phase: 'graceful stop',
        targetRate: undefined,
        rateWindow: 'whole run',
        gatewayP99Ms: undefined,
        e2eP99Ms: undefined,
        outboxPending: undefined,
        failingSlos: ['e2e.latency', 'drift'],
        generator: {
          eventLoopDelayP99Ms: 85.2,
          cpu: 0.07,
          saturated: true,
          saturationRule: 'event-loop delay p99 > 25 ms for 5 s',
          loadAverage: 23.14,
          cores: 2,
        },
        faults: ['db-latency', 'nats-down'],
      }),
    );
    expect(lines).toEqual([
      'time       5m30s / 5m  [##############################] 100%  ramp: graceful stop',
      'rate       target n/a   achieved 99.8 events/s (whole run)   dropped 0',
      'errors     159 of 7,000 requests failed   2 publishes failed   1 iteration threw',
      'latency    gateway p99 n/a   e2e p99 n/a',
      'backlog    outbox pending n/a   consumer pending 1,250   DLQ depth 0',
      'SLOs       failing now: e2e.latency, drift',
      'generator  SATURATED   event loop p99 85 ms   cpu 7%   machine load 23.1 on 2 cores',
      '           flagged on event-loop delay p99 > 25 ms for 5 s',
      '           cause: other processes, not harness work; latencies include the delay',
      'faults     active: db-latency, nats-down',
    ]);
    expect(formatProgressBlock(tick({ faults: [] })).at(-1)).toBe('faults     none active');
  });

  it('progress - a saturated generator busy with its own work is not blamed on the machine', () => {
    const lines = formatProgressBlock(
      tick({ generator: { eventLoopDelayP99Ms: 40, cpu: 0.97, saturated: true, loadAverage: 3, cores: 2 } }),
    );
    expect(lines.slice(-3)).toEqual([
      'generator  SATURATED   event loop p99 40 ms   cpu 97%   machine load 3.0 on 2 cores',
      '           flagged on the engine’s saturation rule',
      "           latencies include the harness's own delay",
    ]);
  });
});

describe('formatProgressLine', () => {
  it('progress - the plain line carries the same facts, saturation and missing samples included', () => {
    const line = formatProgressLine(
      tick({
        phase: 'stopping',
        e2eP99Ms: undefined,
        dlqDepth: undefined,
        generator: {
          eventLoopDelayP99Ms: 38,
          cpu: 0.07,
          saturated: true,
          saturationRule: 'event-loop delay p99 > 25 ms for 5 s',
          loadAverage: 9,
          cores: 2,
        },
      }),
    );
    expect(line).toBe(
      '[1m10s/5m 23%] ramp, stopping: achieved 99.8 events/s of 100 events/s (last 10 s), dropped 0, ' +
        'errors: 159 of 7,000 requests failed, 2 publishes failed, 1 iteration threw, ' +
        'gateway p99 12 ms, e2e p99 n/a, outbox pending 3, consumer pending 1,250, DLQ depth n/a, ' +
        'failing SLOs none, generator SATURATED (event loop p99 38 ms, cpu 7%, machine load 9.0 on 2 cores, ' +
        'flagged on event-loop delay p99 > 25 ms for 5 s, cause: other processes, not harness work)',
    );
  });
});

describe('createProgress (not a terminal)', () => {
  it('progress - prints one plain line per 10 s of elapsed time, then the final line', () => {
    const out = sink();
    const progress = createProgress({ stream: out.stream, isTTY: false });
    for (let s = 1; s <= 25; s++)
      progress.tick(tick({ elapsedMs: s * 1000, totalMs: 60_000, achievedRate: s }));
    progress.done('verdict: pass');
    const line = (at: string, rate: number) =>
      `[${at}] ramp, measuring: achieved ${rate} events/s of 100 events/s (last 10 s), dropped 0, ` +
      'errors: 159 of 7,000 requests failed, 2 publishes failed, 1 iteration threw, gateway p99 12 ms, ' +
      'e2e p99 250 ms, outbox pending 3, consumer pending 1,250, DLQ depth 0, failing SLOs none, ' +
      'generator ok (event loop p99 2.1 ms, cpu 35%, machine load 1.5 on 2 cores)\n';
    expect(out.text()).toBe(`${line('10s/1m 16%', 10)}${line('20s/1m 33%', 20)}verdict: pass\n`);
  });

  it('progress - late or jittery ticks print once per 10 s mark, and a phase change prints at once', () => {
    const out = sink();
    const progress = createProgress({ stream: out.stream, isTTY: false });
    const at = (elapsedMs: number, phase: ProgressTick['phase'] = 'measuring') =>
      progress.tick(
        tick({ elapsedMs, totalMs: 60_000, phase, failingSlos: ['drift'], faults: ['db-latency'] }),
      );
    at(1000, 'warm-up');
    at(9_999, 'warm-up');
    at(10_001, 'warm-up'); // the 10 s mark
    at(10_900, 'measuring'); // phase change
    at(19_000);
    at(31_500); // one line though two marks passed
    at(39_000);
    at(41_000);
    progress.done();
    const heads = out
      .text()
      .trimEnd()
      .split('\n')
      .map((line) => line.slice(0, line.indexOf(':')));
    expect(heads).toEqual([
      '[10s/1m 16%] ramp, warm-up',
      '[10s/1m 18%] ramp, measuring',
      '[31s/1m 52%] ramp, measuring',
      '[41s/1m 68%] ramp, measuring',
    ]);
    expect(out.text()).toContain(
      ', failing SLOs drift, generator ok (event loop p99 2.1 ms, cpu 35%, machine load 1.5 on 2 cores), faults db-latency\n',
    );
  });

  it('progress - done without a final line prints the latest tick if it was not printed', () => {
    const out = sink();
    const progress = createProgress({ stream: out.stream, isTTY: false });
    progress.tick(tick({ elapsedMs: 4000, totalMs: 60_000 }));
    progress.done();
    progress.tick(tick({ elapsedMs: 20_000, totalMs: 60_000 }));
    expect(out.text().split('\n')).toHaveLength(2);
    expect(out.text()).toMatch(/^\[4s\/1m 6%\] ramp, measuring: /);
  });
});
