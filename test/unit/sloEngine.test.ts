import { describe, expect, it } from 'vitest';
import type { LatencySummary } from '../../record/histogramSnapshot.ts';
import { slosSchema } from '../../record/sloConfig.ts';
import type { GaugeSummary, RunSummary } from '../../reports/runSummary.ts';
import { compileSlos, evaluateSlos, LOAD_ONLY_NOT_JUDGED, SloCompileError } from '../../reports/sloEngine.ts';

function latency(p99: number, count = 1000): LatencySummary {
  return { count, min: 1, mean: p99 / 2, p50: p99 / 3, p90: p99 / 1.5, p99, p999: p99 * 1.2, max: p99 * 1.5 };
}

function gauge(max: number, trend: GaugeSummary['trend'] = null, mean = max / 2): GaugeSummary {
  return { samples: 600, min: 0, mean, max, last: mean, slopePerMin: trend?.slopePerMin ?? null, trend };
}

const flat = { slopePerMin: 0.1, stdErrPerMin: 0.5, dof: 58, windows: 60, windowS: 30 };

function healthy(): RunSummary {
  return {
    counters: {},
    byTag: {},
    metrics: {
      'gateway.latency': latency(120),
      'e2e.latency': latency(640),
      'dispatch.latency': latency(300),
      'outbox.lag': latency(450),
      'consumer.ack.latency': latency(320),
    },
    gauges: {
      'db.connections': gauge(8),
      'consumer.pending': gauge(150, flat, 20),
      'outbox.pending': gauge(40, flat, 10),
      'harness.rss': gauge(2e8, { ...flat, slopePerMin: 1000, stdErrPerMin: 5000 }, 1.5e8),
    },
    counts: {
      http_reqs: 100_000,
      errors: 50,
      dropped_iterations: 0,
      deliveries_per_event_max: 4,
      dlq_attempts_max: 6,
    },
    integrity: { accepted: 100_000, completed: 99_990, deadLettered: 10, lost: 0, duplicated: 0 },
  };
}

const defaults = compileSlos(slosSchema.parse({}));
const byName = (summary: RunSummary) => new Map(evaluateSlos(summary, defaults).map((r) => [r.name, r]));

describe('sloEngine', () => {
  it('slo engine - a healthy summary passes every default SLO with its observed value', () => {
    const results = byName(healthy());
    expect([...results.values()].filter((r) => !r.pass)).toEqual([]);
    expect(results.get('e2e.latency p99')).toEqual({
      name: 'e2e.latency p99',
      objective: '< 1000 ms',
      observed: 640,
      pass: true,
    });
    expect(results.get('error rate')?.observed).toBeCloseTo(0.0005, 10);
    expect(results.get('db.connections max')?.observed).toBe(8);
    // The soak drift checks on gauges this summary lacks are not judged, and say so.
    expect(results.get('target.rss{component=worker} drift')).toMatchObject({
      observed: null,
      pass: true,
      reason: 'not judged: no samples in the run',
    });
    expect(results.get('outbox.query.time drift')?.reason).toBe('not judged: no samples in the run');
    expect(results.size).toBe(19);
  });

  it('slo engine - worker RSS drift judges the worker series alone; connections and outbox query time drift by default', () => {
    const summary = healthy();
    // 30 MB/min with a tight error: a leak. The summed target.rss (every component) is not judged.
    const leak = { slopePerMin: 30 * 2 ** 20, stdErrPerMin: 2 ** 20, dof: 58, windows: 60, windowS: 30 };
    summary.gauges['target.rss'] = gauge(6e8, flat, 5e8);
    summary.gaugesByTag = { 'target.rss{component=worker}': gauge(3e8, leak, 2e8) };
    summary.gauges['db.connections'] = gauge(8, { ...flat, slopePerMin: 0.5, stdErrPerMin: 0.05 }, 5);
    summary.gauges['outbox.query.time'] = gauge(3, { ...flat, slopePerMin: 0.01, stdErrPerMin: 0.001 }, 1);
    const results = byName(summary);
    expect(results.get('target.rss{component=worker} drift')).toMatchObject({
      observed: leak.slopePerMin,
      pass: false,
    });
    expect(results.get('db.connections drift')).toMatchObject({ observed: 0.5, pass: false });
    // 0.6 ms/h is certain but below the 3 ms/h floor: not a failure.
    expect(results.get('outbox.query.time drift')).toMatchObject({ observed: 0.01, pass: true });
    summary.gaugesByTag = { 'target.rss{component=worker}': gauge(3e8, flat, 2e8) };
    expect(byName(summary).get('target.rss{component=worker} drift')?.pass).toBe(true);
  });

  it('slo engine - a drift key that is not a gauge or gauge{tag=value} is a compile error naming it', () => {
    const bad = slosSchema.parse({ drift: { gauges: { 'target.rss{component}': {} } } });
    expect(() => compileSlos(bad)).toThrow('slos.drift.gauges.target.rss{component}: unknown gauge');
  });

  it('slo engine - each breached objective fails on its own', () => {
    const s = healthy();
    s.metrics['e2e.latency'] = latency(1000); // the objective is strict: p99 < 1000
    s.counts.deliveries_per_event_max = 5;
    s.counts.dlq_attempts_max = 7;
    s.counts.dropped_iterations = 1;
    s.counts.errors = 101; // 0.00101 > 0.001
    s.gauges['db.connections'] = gauge(11);
    if (s.integrity) s.integrity.duplicated = 1;
    const failed = evaluateSlos(s, defaults)
      .filter((r) => !r.pass)
      .map((r) => r.name);
    expect(failed).toEqual([
      'e2e.latency p99',
      'error rate',
      'load.dropped_iterations',
      'deliveries per event',
      'dlq attempts per event',
      'db.connections max',
      'integrity.duplicated',
    ]);
  });

  it('slo engine - a metric with no data fails with observed null and a reason, never a silent pass', () => {
    const s = healthy();
    delete s.metrics['dispatch.latency'];
    s.metrics['outbox.lag'] = latency(0, 0);
    s.counts.http_reqs = null;
    s.integrity = null;
    delete s.gauges['consumer.pending'];
    const results = byName(s);
    for (const name of ['dispatch.latency p99', 'outbox.lag p99', 'error rate', 'consumer.pending max']) {
      expect(results.get(name)).toMatchObject({ observed: null, pass: false, reason: 'no samples' });
    }
    expect(results.get('integrity.lost')).toMatchObject({ observed: null, pass: false });
    expect(results.get('integrity.lost')?.reason).toMatch(/no integrity check/);
    expect(results.get('consumer.pending drift')).toMatchObject({
      observed: null,
      pass: false,
      reason: 'no samples',
    });
  });

  it('slo engine - drift fails only when the lower bound is above 0 and the slope matters', () => {
    const s = healthy();
    // Certain growth (t ≈ 60) of 300/min: fails.
    s.gauges['consumer.pending'] = gauge(5000, { ...flat, slopePerMin: 300, stdErrPerMin: 5 }, 2000);
    // Certain but tiny growth (2/min, threshold 10/min): passes.
    s.gauges['outbox.pending'] = gauge(50, { ...flat, slopePerMin: 2, stdErrPerMin: 0.01 }, 20);
    // Big but uncertain growth (lower bound < 0): passes.
    s.gauges['harness.rss'] = gauge(2e8, { ...flat, slopePerMin: 1e6, stdErrPerMin: 1e6 }, 1.5e8);
    const results = byName(s);
    expect(results.get('consumer.pending drift')).toMatchObject({ observed: 300, pass: false });
    expect(results.get('outbox.pending drift')).toMatchObject({ observed: 2, pass: true });
    expect(results.get('harness.rss drift')).toMatchObject({ observed: 1e6, pass: true });
    expect(results.get('consumer.pending drift')?.reason).toBe(
      'lower bound 288/min, threshold 10/min over 60 windows of 30 s',
    );
  });

  it('slo engine - drift on a run too short for a trend is not judged, and bytes read as MB/min', () => {
    const s = healthy();
    s.gauges['consumer.pending'] = gauge(30, null);
    s.gauges['harness.rss'] = gauge(2e8, { ...flat, slopePerMin: 3e6, stdErrPerMin: 1e4 }, 1.5e8);
    const results = byName(s);
    expect(results.get('consumer.pending drift')).toEqual({
      name: 'consumer.pending drift',
      objective: 'slope/min not above 0 at 99% confidence, or below max(10/min, 0.1% of mean)',
      observed: null,
      pass: true,
      reason: 'not judged: the steady window holds fewer than the 5 windows a trend needs',
    });
    expect(results.get('harness.rss drift')).toMatchObject({ observed: 3e6, pass: false });
    expect(results.get('harness.rss drift')?.objective).toBe(
      'slope/min not above 0 at 99% confidence, or below max(0.2621 MB/min, 0.1% of mean, 33.55 MB over the window)',
    );
    expect(results.get('harness.rss drift')?.reason).toBe(
      'lower bound 2.976 MB/min, threshold 1.118 MB/min over 60 windows of 30 s',
    );
  });

  it('slo engine - custom expressions compile once and evaluate against the summary', () => {
    const checks = compileSlos(
      slosSchema.parse({
        custom: [
          'p999(e2e.latency) < 0.7s',
          'max(harness.rss) <= 1e9',
          'counts.http_reqs >= 100000',
          'count(e2e.latency) == 1000',
        ],
      }),
    );
    const custom = evaluateSlos(healthy(), checks).slice(-4);
    expect(custom).toEqual([
      { name: 'e2e.latency p999', objective: '< 700 ms', observed: 768, pass: false },
      { name: 'harness.rss max', objective: '<= 1000000000', observed: 2e8, pass: true },
      { name: 'http_reqs', objective: '>= 100000', observed: 100_000, pass: true },
      { name: 'e2e.latency count', objective: '== 1000', observed: 1000, pass: true },
    ]);
  });

  it('slo engine - bad expressions fail at compile time with the config path', () => {
    const compile = (custom: string[]) => () => compileSlos(slosSchema.parse({ custom }));
    expect(compile(['p99(e2e.latency) < 1000', 'last(e2e.latency) < 5'])).toThrow(SloCompileError);
    expect(compile(['p99(e2e.latency) < 1000', 'last(e2e.latency) < 5'])).toThrow(
      /^slos\.custom\[1\]: "last\(e2e\.latency\) < 5": last\(\) does not apply to latency metric e2e\.latency/,
    );
    expect(compile(['p99(db.connections) < 5'])).toThrow(/p99\(\) does not apply to gauge db\.connections/);
    expect(compile(['integrity.missing == 0'])).toThrow(/unknown value "integrity\.missing"/);
    expect(compile(['max(db.connections) < 5ms'])).toThrow(/is not a time/);
  });

  it('slo engine - a load-only segment judges the load and leaves collector and integrity checks to the merge', () => {
    // Everything fails here, so a check that is judged shows as a failure.
    const bad = healthy();
    bad.metrics['gateway.latency'] = latency(9000);
    bad.metrics['e2e.latency'] = latency(9000);
    bad.counts.dropped_iterations = 5;
    bad.counts.deliveries_per_event_max = 50;
    bad.integrity = null;
    bad.gauges['db.connections'] = gauge(99);
    const checks = compileSlos(
      slosSchema.parse({
        custom: ['p99(custom.checkout) < 10ms', 'p99(outbox.lag) < 1ms', 'max(load.vus) < 1'],
      }),
    );
    const results = new Map(evaluateSlos(bad, checks, { loadOnly: true }).map((r) => [r.name, r]));
    const judged = [...results.values()].filter((r) => r.reason !== LOAD_ONLY_NOT_JUDGED).map((r) => r.name);
    expect(judged.sort()).toEqual(
      [
        'custom.checkout p99',
        'error rate',
        'gateway.latency p99',
        'load.dropped_iterations',
        'load.vus max',
      ].sort(),
    );
    expect(results.get('gateway.latency p99')).toMatchObject({ pass: false, observed: 9000 });
    expect(results.get('e2e.latency p99')).toEqual({
      name: 'e2e.latency p99',
      objective: '< 1000 ms',
      observed: null,
      pass: true,
      reason: LOAD_ONLY_NOT_JUDGED,
    });
    for (const name of ['integrity.lost', 'deliveries per event', 'db.connections max', 'outbox.lag p99']) {
      expect(results.get(name)).toMatchObject({ pass: true, observed: null, reason: LOAD_ONLY_NOT_JUDGED });
    }
    // The same summary judged whole fails the collector checks.
    const whole = new Map(evaluateSlos(bad, checks).map((r) => [r.name, r]));
    expect(whole.get('e2e.latency p99')).toMatchObject({ pass: false, observed: 9000 });
    expect(whole.get('integrity.lost')?.pass).toBe(false);
  });
});
