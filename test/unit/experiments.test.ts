import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ANSWER_DELAY_MS,
  APP_NAME,
  describeExperiments,
  EXPERIMENTS,
  experimentNamed,
  IN_FLIGHT_DISPATCHES,
} from '../../faults/experiments/experiments.ts';
import { type FaultScope, validateFaults } from '../../faults/faultSchedule.ts';
import { parseDuration } from '../../record/duration.ts';
import { slosSchema } from '../../record/sloConfig.ts';
import { compileSlos } from '../../reports/sloEngine.ts';

const REPO = join(import.meta.dirname, '../..');
/** The time a window leaves before the load ends, so its drain starts under load. */
const DRAIN_ROOM_MS = 4_000;

describe('experiments', () => {
  it('experiments - the six of issue 12 and both negative controls exist, once each', () => {
    expect(EXPERIMENTS.map((e) => e.name)).toEqual([
      'worker-crash',
      'relay-crash',
      'broker-pause',
      'db-connection-kill',
      'webhook-brownout',
      'network-latency',
      'control-no-dedup',
      'control-lost-facts',
    ]);
    expect(EXPERIMENTS.filter((e) => e.control).map((e) => e.name)).toEqual([
      'control-no-dedup',
      'control-lost-facts',
    ]);
  });

  for (const spec of EXPERIMENTS) {
    it(`experiments - ${spec.name}: both profiles validate against what the experiment starts, and close before the load ends`, () => {
      expect(existsSync(join(REPO, spec.scenario))).toBe(true);
      for (const profile of [spec.short, spec.long]) {
        const durationMs = parseDuration(profile.load.duration);
        expect(parseDuration(profile.load.warmUp)).toBeLessThan(durationMs);
        const scope: FaultScope = {
          components: spec.components,
          ownBroker: spec.ownBroker,
          proxied: Object.fromEntries(spec.proxies.map((p) => [p, '127.0.0.1:1'])),
          applications: [APP_NAME.worker, APP_NAME.relay],
          postgresUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
          runDurationMs: durationMs,
        };
        const schedule = validateFaults(profile.faults, scope);
        for (const w of schedule.faults) {
          expect(w.at).toBeGreaterThanOrEqual(parseDuration(profile.load.warmUp));
          expect(w.at + w.for).toBeLessThanOrEqual(durationMs - DRAIN_ROOM_MS);
        }
      }
      // The same windows in both profiles: checkOutcome counts windows from the short one.
      expect(spec.long.faults.faults.map((w) => w.id)).toEqual(spec.short.faults.faults.map((w) => w.id));
    });

    it(`experiments - ${spec.name}: its SLOs parse and every SLO it expects to fail is one the run checks`, () => {
      const names = compileSlos(slosSchema.parse(spec.slos)).map((c) => c.name);
      for (const name of spec.expect.failingSlos ?? []) expect(names).toContain(name);
      // The integrity promises are always judged.
      expect(names).toEqual(expect.arrayContaining(['integrity.lost', 'integrity.duplicated']));
      expect(names).not.toContain('e2e.latency p99');
    });
  }

  it('experiments - the no-dedup control is worker-crash with only INBOX_DEDUP=false, and expects the opposite verdict', () => {
    const crash = experimentNamed('worker-crash');
    const control = experimentNamed('control-no-dedup');
    // An A/B: same scenario, load, kill and slow sink answer in both profiles.
    for (const profile of ['short', 'long'] as const) {
      expect(control?.[profile]).toEqual(crash?.[profile]);
      expect(crash?.[profile].faults.faults).toEqual([
        expect.objectContaining({ what: 'kill', where: 'worker' }),
      ]);
      expect(crash?.[profile].env).toEqual({ SINK_ANSWER_DELAY_MS: String(ANSWER_DELAY_MS[profile]) });
      // The slow answer must leave the worker's 20 slots room for the load: 1.5 x its in-flight count.
      const rate = crash?.[profile].load.rate ?? 0;
      expect((rate * ANSWER_DELAY_MS[profile]) / 1000).toBeLessThanOrEqual(IN_FLIGHT_DISPATCHES / 1.5);
    }
    expect(control?.scenario).toBe(crash?.scenario);
    expect(control?.components).toEqual(crash?.components);
    expect(control?.slos).toEqual(crash?.slos);
    expect(crash?.env).toBeUndefined();
    expect(control?.env).toEqual({ INBOX_DEDUP: 'false' });
    expect(crash?.expect).toEqual({ verdict: 'pass', lost: 0, duplicated: 0, drainReported: true });
    expect(control?.expect).toMatchObject({ verdict: 'fail', duplicated: 'some' });
    // Only the worker's kill slows the sink's answer.
    expect(experimentNamed('relay-crash')?.short.env).toBeUndefined();
  });

  it('experiments - brownout expects the webhook error SLO to fail, latency expects a p99 rise, the rest pass clean', () => {
    expect(experimentNamed('webhook-brownout')?.expect).toMatchObject({
      verdict: 'fail',
      lost: 0,
      duplicated: 0,
      failingSlos: ['worker.retries.rate max'],
    });
    expect(experimentNamed('network-latency')?.expect.p99Raised).toEqual({
      metric: 'e2e.latency',
      byAtLeastMs: 150,
    });
    expect(experimentNamed('network-latency')?.proxies).toEqual(['nats']);
    expect(experimentNamed('broker-pause')?.ownBroker).toBe(true);
    expect(IN_FLIGHT_DISPATCHES).toBe(20);
    for (const name of ['worker-crash', 'relay-crash', 'broker-pause', 'db-connection-kill']) {
      expect(experimentNamed(name)?.expect).toEqual({
        verdict: 'pass',
        lost: 0,
        duplicated: 0,
        drainReported: true,
      });
    }
  });

  it('experiments - the list gives each name with what it does and what it expects', () => {
    const lines = describeExperiments();
    expect(lines).toHaveLength(EXPERIMENTS.length * 4);
    expect(lines[0]).toBe('worker-crash        kill -9 the worker, then restart it');
    expect(lines).toContain(
      '                    expects: verdict fail, lost > 0, duplicated 0, failing integrity.lost',
    );
    expect(lines).toContain(
      '                    short: 20s at 30/s, kill-worker at 6s for 3s (SINK_ANSWER_DELAY_MS=300); --long: 15m at 50/s, kill-worker at 5m for 30s (SINK_ANSWER_DELAY_MS=150)',
    );
  });
});
