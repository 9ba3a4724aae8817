// The pieces around the capacity search: each step's verdict names what failed; --sweep flags
// parse into axes and combinations; capacity.apply templates must match the swept names and run
// through a real shell with a readiness wait; flags win over config.capacity over the defaults.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import shipped from '../../pipesoak.config.ts';
import { METRIC } from '../../record/metricCatalog.ts';
import { REPORT_SCHEMA, type ReportJson } from '../../reports/reportJson.ts';
import { checkApplyTemplate, commandApply, fillTemplate } from '../../runner/capacity/applyCommand.ts';
import { CAPACITY_DEFAULTS } from '../../runner/capacity/capacityDefaults.ts';
import { capacitySettings } from '../../runner/capacity/capacitySettings.ts';
import { referenceWorkerEnv } from '../../runner/capacity/referenceWorkerApply.ts';
import { type StepOutcome, stepFigures, stepVerdict } from '../../runner/capacity/stepVerdict.ts';
import { comboId, parseSweep, sweepCombinations } from '../../runner/capacity/sweepAxes.ts';
import { validateConfig } from '../../runner/config/validateConfig.ts';

const tmp = mkdtempSync(join(tmpdir(), 'pipesoak-capacity-unit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function outcome(over: {
  slos?: ReportJson['slos'];
  engine?: Partial<StepOutcome['engine']>;
  counts?: Record<string, number>;
}): StepOutcome {
  return {
    runDir: '/x',
    exitCode: 0,
    interrupted: false,
    report: {
      schema: REPORT_SCHEMA,
      run: { id: 'r', scenario: 's', seed: 1, startedAt: '2026-12-01T00:00:00Z', durationS: 10, target: {} },
      load: {},
      metrics: {
        [METRIC.e2eLatency]: {
          unit: 'ms',
          count: 1,
          min: 1,
          mean: 1,
          p50: 1,
          p90: 1,
          p99: 321,
          p999: 1,
          max: 1,
        },
      },
      counts: over.counts ?? {},
      errorRate: 0,
      gauges: { [METRIC.dbConnections]: { min: 1, mean: 2, max: 9, last: 1, slopePerMin: 0 } },
      slos: over.slos ?? [],
      integrity: { accepted: 1, completed: 1, deadLettered: 0, lost: 0, duplicated: 0 },
      verdict: 'pass',
    },
    engine: { targetRate: 100, achievedRate: 99.5, dropped: 0, generatorSaturated: false, ...over.engine },
  };
}

describe('step verdict', () => {
  it('is sustainable when nothing fails, and reads the figures the chart shows', () => {
    const o = outcome({
      slos: [{ name: 'e2e.latency p99', objective: '< 1000 ms', observed: 321, pass: true }],
    });
    expect(stepVerdict(o)).toEqual({ sustainable: true, failed: [], reasons: [] });
    expect(stepFigures(o, 100)).toEqual({
      offeredRate: 100,
      achievedRate: 99.5,
      e2eP99Ms: 321,
      droppedIterations: 0,
      dbConnectionsMax: 9,
    });
  });

  it('names every failing criterion, generator first, backlog drift apart from other SLOs', () => {
    const v = stepVerdict(
      outcome({
        engine: { generatorSaturated: true, saturationNote: 'generator saturated from 4 s' },
        counts: { [METRIC.loadDroppedIterations]: 12 },
        slos: [
          {
            name: 'consumer.pending drift',
            objective: 'slope',
            observed: 50,
            pass: false,
            reason: 'grows 50/min',
          },
          { name: 'harness.rss drift', objective: 'slope', observed: 1, pass: false },
          { name: 'e2e.latency p99', objective: '< 1000 ms', observed: 2000, pass: false },
          { name: 'gateway.latency p99', objective: '< 500 ms', observed: 20, pass: true },
        ],
      }),
    );
    expect(v.sustainable).toBe(false);
    expect(v.failed).toEqual(['generator-saturated', 'dropped-iterations', 'backlog-drift', 'slo']);
    expect(v.reasons).toEqual([
      'generator saturated from 4 s',
      '12 iterations dropped (no VU free)',
      'consumer.pending drift: grows 50/min',
      'e2e.latency p99: not < 1000 ms',
    ]);
  });

  it('leaves resource drift (a pool opening connections, memory) to soaks: only backlog drift fails a step', () => {
    const v = stepVerdict(
      outcome({
        slos: [
          { name: 'db.connections drift', objective: 'slope', observed: 7, pass: false },
          { name: 'harness.rss drift', objective: 'slope', observed: 1, pass: false },
          { name: 'db.connections max', objective: '<= 10', observed: 8, pass: true },
        ],
      }),
    );
    expect(v).toEqual({ sustainable: true, failed: [], reasons: [] });
    const over = stepVerdict(
      outcome({ slos: [{ name: 'db.connections max', objective: '<= 10', observed: 12, pass: false }] }),
    );
    expect(over.failed).toEqual(['slo']);
  });

  it('counts a saturated generator only when its loop was busy, not when the host only delayed it', () => {
    const busy = outcome({
      engine: { generatorSaturated: true, generatorBusy: true, saturationNote: 'loop busy 99%' },
    });
    expect(stepVerdict(busy).failed).toEqual(['generator-saturated']);
    const delayed = outcome({
      engine: { generatorSaturated: true, generatorBusy: false, saturationNote: 'loop busy 20%' },
    });
    expect(stepVerdict(delayed)).toEqual({ sustainable: true, failed: [], reasons: [] });
  });

  it('fails on dropped iterations in the measured window; warm-up drops do not count', () => {
    expect(stepVerdict(outcome({ counts: { [METRIC.loadDroppedIterations]: 1 } })).failed).toEqual([
      'dropped-iterations',
    ]);
    // The engine's total counts the warm-up; the report's steady-window count says 0 were dropped.
    const warmUpOnly = outcome({ engine: { dropped: 3 }, counts: { [METRIC.loadDroppedIterations]: 0 } });
    expect(stepVerdict(warmUpOnly)).toEqual({ sustainable: true, failed: [], reasons: [] });
    expect(stepFigures(warmUpOnly, 100).droppedIterations).toBe(0);
    // A report without the count falls back on the engine's.
    expect(stepVerdict(outcome({ engine: { dropped: 3 } })).failed).toEqual(['dropped-iterations']);
  });
});

describe('sweep axes', () => {
  it('parses each --sweep into an axis and makes every combination, first axis slowest', () => {
    const axes = parseSweep(['batch=50,100', 'pool= 5, 10']);
    expect(axes).toEqual([
      { name: 'batch', values: [50, 100] },
      { name: 'pool', values: [5, 10] },
    ]);
    const combos = sweepCombinations(axes);
    expect(combos.map(comboId)).toEqual([
      'batch-50_pool-5',
      'batch-50_pool-10',
      'batch-100_pool-5',
      'batch-100_pool-10',
    ]);
    expect(sweepCombinations([])).toEqual([{}]);
    expect(comboId({})).toBe('default');
  });

  it('rejects a bad --sweep with one line naming it', () => {
    expect(() => parseSweep(['batch'])).toThrow('--sweep batch: expected name=v1,v2,...');
    expect(() => parseSweep(['batch=5,x'])).toThrow('--sweep batch: "x" is not a whole number of 1 or more');
    expect(() => parseSweep(['batch=5,0'])).toThrow('"0" is not a whole number');
    expect(() => parseSweep(['batch=5,5'])).toThrow('--sweep batch: a value is repeated');
    expect(() => parseSweep(['pool=1', 'pool=2'])).toThrow('--sweep pool is given twice');
    expect(() => parseSweep(['rm -rf=1'])).toThrow('expected name=v1,v2');
  });
});

describe('apply command', () => {
  it('needs a placeholder for every swept name and a sweep for every placeholder', () => {
    expect(() =>
      checkApplyTemplate('set BATCH_SIZE={batch} DB_POOL_MAX={pool}', ['batch', 'pool']),
    ).not.toThrow();
    expect(() => checkApplyTemplate('set BATCH_SIZE={batch}', ['batch', 'pool'])).toThrow(
      '--sweep pool: capacity.apply.command has no {pool} placeholder',
    );
    expect(() => checkApplyTemplate('set {batch} {pool}', ['batch'])).toThrow(
      'capacity.apply.command uses {pool} but no --sweep sets it',
    );
    expect(
      fillTemplate('kubectl set env deploy/worker BATCH_SIZE={batch} POOL={pool}', { batch: 50, pool: 5 }),
    ).toBe('kubectl set env deploy/worker BATCH_SIZE=50 POOL=5');
  });

  it('runs the filled-in command in a shell, then waits until the readiness command passes', async () => {
    const file = join(tmp, 'applied');
    const flag = join(tmp, 'ready');
    // Ready only on the third poll: the wait must poll, not check once.
    const apply = commandApply({
      command: `echo BATCH_SIZE={batch} > '${file}'; echo 0 > '${flag}'`,
      ready: { command: `n=$(cat '${flag}'); echo $((n+1)) > '${flag}'; [ "$n" -ge 2 ]`, timeoutMs: 10_000 },
    });
    await apply({ batch: 70 });
    expect(readFileSync(file, 'utf8')).toBe('BATCH_SIZE=70\n');
    expect(readFileSync(flag, 'utf8')).toBe('3\n');
  });

  it('fails with the command and its output when it exits non-zero, or readiness times out', async () => {
    await expect(commandApply({ command: 'echo no such deploy >&2; exit 4' })({})).rejects.toThrow(
      'capacity.apply: `echo no such deploy >&2; exit 4` exited with 4: no such deploy',
    );
    await expect(
      commandApply({ command: 'true', ready: { command: 'false', timeoutMs: 600 } })({}),
    ).rejects.toThrow(/capacity.apply.ready: not ready within 600 ms \(`false` exited with 1\)/);
  });

  it('maps batch and pool to the reference worker settings', () => {
    expect(referenceWorkerEnv({ batch: 50, pool: 2 })).toEqual({ BATCH_SIZE: '50', DB_POOL_MAX: '2' });
  });
});

describe('capacity settings', () => {
  const config = validateConfig({
    ...shipped,
    capacity: {
      apply: {
        command: 'restart {batch} {pool}',
        ready: { url: 'http://127.0.0.1:9/healthz', timeout: '30s' },
      },
      step: { duration: '60s', warmUp: '10s' },
      search: { startRate: 40, precision: 0.1 },
    },
  });

  it('takes flags over config.capacity over the defaults', () => {
    const s = capacitySettings(config.capacity, {
      precision: 0.02,
      coolDown: '0s',
      sweep: ['batch=1,2', 'pool=3'],
    });
    expect(s.search).toEqual({
      startRate: 40,
      factor: CAPACITY_DEFAULTS.factor,
      precision: 0.02,
      maxRate: CAPACITY_DEFAULTS.maxRate,
      minRate: CAPACITY_DEFAULTS.minRate,
      maxSteps: CAPACITY_DEFAULTS.maxSteps,
      confirmFailures: true,
    });
    expect(s.step).toEqual({ durationMs: 60_000, warmUpMs: 10_000, coolDownMs: 0 });
    expect(s.apply).toEqual({
      command: 'restart {batch} {pool}',
      ready: { url: 'http://127.0.0.1:9/healthz', timeoutMs: 30_000 },
    });
    expect(s.sweep.map((a) => a.name)).toEqual(['batch', 'pool']);
    expect(capacitySettings(undefined, {}).step.durationMs).toBe(CAPACITY_DEFAULTS.stepDurationMs);
    expect(capacitySettings(undefined, { confirm: false }).search.confirmFailures).toBe(false);
  });

  it('rejects bad flags and mismatched sweeps with one line naming what is wrong', () => {
    expect(() => capacitySettings(undefined, { factor: 1 })).toThrow(
      'capacity search: factor must be above 1',
    );
    expect(() => capacitySettings(undefined, { stepDuration: '0s' })).toThrow(
      '--step-duration must be longer than 0',
    );
    expect(() => capacitySettings(undefined, { warmUp: 'soon' })).toThrow(/--warm-up: /);
    expect(() => capacitySettings(undefined, { stepDuration: '5s', warmUp: '5s' })).toThrow(
      'the step warm-up (5000 ms) must be shorter than the step (5000 ms)',
    );
    expect(() => capacitySettings(undefined, { sweep: ['pool=1,2'] })).toThrow(
      '--sweep needs capacity.apply',
    );
    expect(() => capacitySettings(config.capacity, { sweep: ['batch=1'] })).toThrow(
      'capacity.apply.command uses {pool} but no --sweep sets it',
    );
  });

  it('the config rejects a capacity section with a typo or a readiness wait on nothing', () => {
    expect(() => validateConfig({ ...shipped, capacity: { aply: {} } })).toThrow(
      /capacity.aply: unknown key/,
    );
    expect(() => validateConfig({ ...shipped, capacity: { apply: { command: 'x', ready: {} } } })).toThrow(
      /capacity.apply.ready: needs a command or a url to wait for/,
    );
    expect(() => validateConfig({ ...shipped, capacity: { search: { precision: 5 } } })).toThrow(
      /capacity.search.precision: must be above 0 and below 1/,
    );
  });
});
