import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineFaults, type FaultScope, validateFaults } from '../../faults/faultSchedule.ts';
import { isLoopbackHost } from '../../faults/loopbackAddress.ts';
import { ConfigError } from '../../record/configError.ts';
import { loadFaults } from '../../runner/loadFaults.ts';
import { UsageError } from '../../runner/usageError.ts';

const scope: FaultScope = {
  components: ['sink', 'worker'],
  ownBroker: true,
  proxied: { nats: '127.0.0.1:4222', postgres: 'localhost:5432' },
  applications: ['sea-mq-worker'],
  postgresUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
  runDurationMs: 600_000,
};

const latency = { what: 'latency', at: '10s', for: '20s', where: 'nats', latencyMs: 200 } as const;

function errorOf(input: unknown, withScope: FaultScope = scope): string {
  try {
    validateFaults(input, withScope);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected the schedule to be refused');
}

describe('fault schedule', () => {
  it('fault schedule - a valid schedule comes back in ms with ids and defaults filled in', () => {
    const schedule = validateFaults(
      defineFaults({
        faults: [
          latency,
          { id: 'kill-worker', what: 'kill', at: '1m', for: '30s', where: 'worker' },
          { what: 'pg_terminate', at: '2m', for: '10s', where: 'postgres', applicationName: 'sea-mq-worker' },
          { what: 'sink_fail', at: '3m', for: '1m', where: 'sink', share: 0.5 },
          { what: 'pause', at: '30s', for: '15s', where: 'broker' },
          { what: 'down', at: '30s', for: '5s', where: 'postgres' },
        ],
      }),
      scope,
    );
    expect(schedule.faults).toEqual([
      { ...latency, at: 10_000, for: 20_000, jitterMs: 0, id: 'latency-nats-0' },
      {
        id: 'kill-worker',
        what: 'kill',
        at: 60_000,
        for: 30_000,
        where: 'worker',
        signal: 'SIGKILL',
        restart: true,
      },
      {
        id: 'pg_terminate-postgres-2',
        what: 'pg_terminate',
        at: 120_000,
        for: 10_000,
        where: 'postgres',
        applicationName: 'sea-mq-worker',
      },
      { id: 'sink_fail-sink-3', what: 'sink_fail', at: 180_000, for: 60_000, where: 'sink', share: 0.5 },
      { id: 'pause-broker-4', what: 'pause', at: 30_000, for: 15_000, where: 'broker' },
      { id: 'down-postgres-5', what: 'down', at: 30_000, for: 5_000, where: 'postgres' },
    ]);
  });

  it('fault schedule - windows on one target that only touch are allowed', () => {
    const schedule = validateFaults(
      { faults: [latency, { what: 'down', at: '30s', for: '5s', where: 'nats' }] },
      scope,
    );
    expect(schedule.faults).toHaveLength(2);
  });

  it.each<[string, unknown, string]>([
    ['not an object', 42, 'faults: the file must export defineFaults({ faults: [...] })'],
    ['no faults key', {}, 'faults: is required'],
    ['an unknown top-level key', { faults: [], seed: 1 }, 'seed: unknown key'],
    ['faults not an array', { faults: { a: 1 } }, 'faults: must be an array of fault windows'],
    ['a window that is not an object', { faults: [latency, 'kill'] }, 'faults[1]: must be a fault window'],
    ['a missing what', { faults: [{ at: '1s', for: '1s', where: 'nats' }] }, 'faults[0].what: is required'],
    [
      'an unknown what',
      { faults: [{ ...latency, what: 'explode' }] },
      'faults[0].what: must be one of latency, bandwidth',
    ],
    [
      'an unknown where',
      { faults: [{ ...latency, where: 'redis' }] },
      'faults[0].where: must be one of nats, postgres, webhook',
    ],
    ['a bad duration', { faults: [{ ...latency, at: 'soon' }] }, 'faults[0].at: "soon" is not a duration'],
    [
      'a zero-length window',
      { faults: [latency, latency, { ...latency, at: '1m', for: '0s' }] },
      'faults[2].for: must be longer than 0',
    ],
    ['a missing for', { faults: [{ ...latency, for: undefined }] }, 'faults[0].for: is required'],
    [
      'a missing latencyMs',
      { faults: [{ ...latency, latencyMs: undefined }] },
      'faults[0].latencyMs: is required',
    ],
    [
      'a negative latency',
      { faults: [{ ...latency, latencyMs: -5 }] },
      'faults[0].latencyMs: must be at least 1',
    ],
    ['a typo key', { faults: [{ ...latency, latancyMs: 5 }] }, 'faults[0].latancyMs: unknown key (typo?)'],
    [
      'a param of another kind',
      { faults: [{ what: 'kill', at: '1s', for: '1s', where: 'worker', latencyMs: 5 }] },
      'faults[0].latencyMs: does not apply to kill (only latency)',
    ],
    [
      'a share above 1',
      { faults: [{ what: 'sink_fail', at: '1s', for: '1s', where: 'sink', share: 2 }] },
      'faults[0].share: must be a share from 0 to 1',
    ],
    [
      'a bad signal',
      { faults: [{ what: 'kill', at: '1s', for: '1s', where: 'worker', signal: 'SIGHUP' }] },
      'faults[0].signal: must be SIGKILL, SIGTERM or SIGINT',
    ],
    [
      'kill on postgres',
      { faults: [{ what: 'kill', at: '1s', for: '1s', where: 'postgres' }] },
      'faults[0].where: kill does not apply to postgres',
    ],
    [
      'latency on a process',
      { faults: [{ ...latency, where: 'worker' }] },
      'faults[0].where: latency does not apply to worker (use nats, postgres, webhook)',
    ],
    [
      'sink_fail on the worker',
      { faults: [{ what: 'sink_fail', at: '1s', for: '1s', where: 'worker', share: 1 }] },
      'faults[0].where: sink_fail does not apply to worker (use sink)',
    ],
    [
      'a component the harness did not start',
      { faults: [{ what: 'pause', at: '1s', for: '1s', where: 'relay' }] },
      'faults[0].where: the harness did not start relay (started: sink, worker)',
    ],
    [
      'an upstream the harness has no proxy for',
      { faults: [{ what: 'down', at: '1s', for: '1s', where: 'webhook' }] },
      'faults[0].where: the harness has no proxy in front of webhook (proxied: nats, postgres)',
    ],
    [
      'an application the harness did not start',
      { faults: [{ what: 'pg_terminate', at: '1s', for: '1s', where: 'postgres', applicationName: 'psql' }] },
      'faults[0].applicationName: "psql" is not an application the harness started',
    ],
    [
      'overlapping windows on one target',
      { faults: [latency, { what: 'down', at: '25s', for: '10s', where: 'nats' }] },
      'faults[1]: overlaps faults[0] (latency-nats-0, 10s-30s) on nats',
    ],
    [
      'a duplicate id',
      {
        faults: [
          { ...latency, id: 'x' },
          { what: 'pause', at: '1s', for: '1s', where: 'worker', id: 'x' },
        ],
      },
      'faults[1].id: "x" is already the id of faults[0]',
    ],
    [
      'a window after the run ends',
      { faults: [{ ...latency, at: '11m' }] },
      'faults[0].at: opens after the run ends (10m)',
    ],
  ])('fault schedule - %s is refused with a one-line error naming the path', (_case, input, expected) => {
    const message = errorOf(input);
    expect(message.startsWith(expected), message).toBe(true);
    expect(message).not.toContain('\n');
  });

  it('fault schedule - a non-loopback upstream is refused', () => {
    const remote: FaultScope = { ...scope, proxied: { nats: '10.0.0.5:4222' } };
    expect(errorOf({ faults: [latency] }, remote)).toBe(
      'faults[0].where: nats upstream 10.0.0.5:4222 is not a loopback address; faults stay on this machine',
    );
    const named: FaultScope = { ...scope, proxied: { nats: 'nats.internal:4222' } };
    expect(errorOf({ faults: [latency] }, named)).toMatch(/^faults\[0\]\.where: .*not a loopback address/);
  });

  it('fault schedule - pg_terminate on a non-loopback Postgres is refused', () => {
    const remote: FaultScope = { ...scope, postgresUrl: 'postgres://u@db.example.com:5432/app' };
    const input = {
      faults: [
        { what: 'pg_terminate', at: '1s', for: '1s', where: 'postgres', applicationName: 'sea-mq-worker' },
      ],
    };
    expect(errorOf(input, remote)).toBe(
      'faults[0].where: Postgres at db.example.com is not a loopback address; faults stay on this machine',
    );
  });

  it('fault schedule - faults on the broker need the harness to own one', () => {
    const input = { faults: [{ what: 'kill', at: '1s', for: '1s', where: 'broker' }] };
    expect(errorOf(input, { ...scope, ownBroker: false })).toMatch(
      /^faults\[0\]\.where: the harness did not start its own nats-server/,
    );
  });

  it('loopback - only localhost, 127.0.0.0/8 and ::1 count', () => {
    for (const host of ['localhost', '127.0.0.1', '127.1.2.3', '::1', '[::1]'])
      expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['10.0.0.1', '0.0.0.0', 'example.com', '128.0.0.1', '::', '']) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });

  it('loadFaults - reads a TypeScript faults file and names the file in its errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pipesoak-faults-'));
    try {
      const helper = join(process.cwd(), 'faults/faultSchedule.ts');
      const good = join(dir, 'good.faults.ts');
      await writeFile(
        good,
        `import { defineFaults } from ${JSON.stringify(helper)};\n` +
          `export default defineFaults({ faults: [{ what: 'pause', at: '1s', for: '2s', where: 'worker' }] });\n`,
      );
      expect((await loadFaults(good, scope)).faults[0]).toMatchObject({ what: 'pause', at: 1000, for: 2000 });

      const bad = join(dir, 'bad.faults.ts');
      await writeFile(
        bad,
        `export default { faults: [{ what: 'pause', at: '1s', for: '2s', where: 'gateway' }] };\n`,
      );
      await expect(loadFaults(bad, scope)).rejects.toThrow(UsageError);
      await expect(loadFaults(bad, scope)).rejects.toThrow(
        `faults ${bad}: faults[0].where: the harness did not start gateway`,
      );
      await expect(loadFaults(join(dir, 'missing.ts'), scope)).rejects.toThrow('file not found');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
