import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import shipped from '../../pipesoak.config.ts';
import { ConfigError } from '../../record/configError.ts';
import { parseDuration } from '../../record/duration.ts';
import { redact, redactUrl } from '../../record/redact.ts';
import type { ConfigInput } from '../../runner/config/configSchema.ts';
import { loadConfig } from '../../runner/config/loadConfig.ts';
import { validateConfig } from '../../runner/config/validateConfig.ts';
import { UsageError } from '../../runner/usageError.ts';

// biome-ignore lint/suspicious/noExplicitAny: the cases write deliberately ill-typed values
type Loose = Record<string, any>;
type Patch = (config: Loose) => void;

function variant(patch: Patch): unknown {
  const config = structuredClone(shipped) as Loose;
  patch(config);
  return config;
}

function rejection(input: unknown): string {
  try {
    validateConfig(input);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('config was accepted');
}

describe('validateConfig', () => {
  it('config - the shipped pipesoak.config.ts validates with the reference defaults', () => {
    const config = validateConfig(shipped);
    expect(config.target.databaseUrl).toMatch(/^postgres:\/\/.*pipesoak_reference$/);
    expect(config.target.stream).toBe('EVENTS');
    expect(config.target.consumer).toBe('sea-mq-worker');
    expect(config.load.duration).toBe(300_000);
    expect(config.load.warmUp).toBe(30_000);
    expect(config.collectors.interval).toBe(1000);
    expect(config.drainTimeout).toBe(60_000);
    expect(config.slos['e2e.latency']).toEqual({ p99: 1000 });
    expect(config.slos['dispatch.latency']).toEqual({ p99: 1000 });
    expect(config.slos.deliveriesPerEvent).toBe(4);
    expect(config.slos.dlqAttempts).toBe(6);
    expect(config.slos.dbConnections).toBe(10);
    expect(config.slos.integrity).toEqual({ lost: 0, duplicated: 0 });
    expect(config.slos.droppedIterations).toBe(0);
    expect(Object.keys(config.slos.drift.gauges).sort()).toEqual([
      'consumer.pending',
      'db.connections',
      'harness.rss',
      'outbox.pending',
      'outbox.query.time',
      'target.rss{component=worker}',
    ]);
  });

  it('config - a partial SLO override keeps the other defaults', () => {
    const config = validateConfig(
      variant((c) => (c.slos = { 'e2e.latency': { p50: 300 }, dbConnections: 20 })),
    );
    expect(config.slos['e2e.latency']).toEqual({ p50: 300, p99: 1000 });
    expect(config.slos.dbConnections).toBe(20);
    expect(config.slos.dlqAttempts).toBe(6);
    expect(config.slos['gateway.latency']).toEqual({ p99: 500 });
  });

  const cases: [string, Patch, string][] = [
    [
      'p99 below p50',
      (c) => (c.slos = { 'e2e.latency': { p50: 800, p99: 500 } }),
      'slos.e2e.latency.p99: must be at least p50 (800 ms)',
    ],
    ['rate of 0', (c) => (c.load.rate = 0), 'load.rate: must be greater than 0'],
    ['negative rate', (c) => (c.load.rate = -5), 'load.rate: must be greater than 0'],
    ['negative duration', (c) => (c.load.duration = '-5m'), 'load.duration: must not be negative'],
    [
      'unparsable duration',
      (c) => (c.load.duration = '5 minutes'),
      'load.duration: "5 minutes" is not a duration',
    ],
    ['duration of 0', (c) => (c.load.duration = '0s'), 'load.duration: must be longer than 0'],
    [
      'warm-up longer than the run',
      (c) => (c.load.warmUp = '10m'),
      'load.warmUp: must be shorter than load.duration (5m)',
    ],
    ['interval of 0', (c) => (c.collectors.interval = '0ms'), 'collectors.interval: must be longer than 0'],
    ['unknown top-level key', (c) => (c.slo = {}), 'slo: unknown key'],
    ['unknown nested key', (c) => (c.load.rat = 10), 'load.rat: unknown key'],
    ['missing NATS URL', (c) => delete c.target.natsUrl, 'target.natsUrl: is required'],
    [
      'database URL of the wrong scheme',
      (c) => (c.target.databaseUrl = 'http://x/db'),
      'target.databaseUrl: must be a postgres: or postgresql: URL',
    ],
    [
      'gateway URL not a URL',
      (c) => (c.target.gatewayUrl = 'localhost 8080'),
      'target.gatewayUrl: "localhost 8080" is not a URL',
    ],
    ['duration as a number', (c) => (c.load.duration = 300), 'load.duration: must be a duration string'],
    ['seed not whole', (c) => (c.load.seed = 1.5), 'load.seed: must be a whole number'],
    [
      'vus max below preAllocated',
      (c) => (c.load.vus = { preAllocated: 50, max: 10 }),
      'load.vus.max: must be at least vus.preAllocated (50)',
    ],
    [
      'objective of the wrong type',
      (c) => (c.slos = { 'e2e.latency': { p99: 'fast' } }),
      'slos.e2e.latency.p99: must be a number',
    ],
    [
      'unknown percentile',
      (c) => (c.slos = { 'e2e.latency': { p95: 900 } }),
      'slos.e2e.latency.p95: unknown key',
    ],
    [
      'error rate above 1',
      (c) => (c.slos = { errorRate: 5 }),
      'slos.errorRate: must be a share between 0 and 1',
    ],
    [
      'custom expression naming an unknown metric',
      (c) => (c.slos = { custom: ['p99(e2e.latncy) < 5'] }),
      'slos.custom[0]: "p99(e2e.latncy) < 5": unknown metric or gauge "e2e.latncy"',
    ],
    [
      'custom expression that does not parse',
      (c) => (c.slos = { custom: ['e2e is fast'] }),
      'slos.custom[0]: "e2e is fast" is not an SLO expression',
    ],
    [
      'drift on an unknown gauge',
      (c) => (c.slos = { drift: { gauges: { 'queue.depth': {} } } }),
      'slos.drift.gauges.queue.depth: unknown gauge "queue.depth"',
    ],
    [
      'drift confidence of 1',
      (c) => (c.slos = { drift: { confidence: 1 } }),
      'slos.drift.confidence: must be at least 0.5 and below 1',
    ],
    [
      'outbox column not an identifier',
      (c) => (c.target.outbox.table = 'outbox; drop table x'),
      'target.outbox.table: must be a plain SQL identifier',
    ],
    [
      'completion query without its parameters',
      (c) => (c.target.completionQuery = 'SELECT 1'),
      'target.completionQuery: must use $1',
    ],
    ['negative drain timeout', (c) => (c.drainTimeout = '-1s'), 'drainTimeout: must not be negative'],
  ];

  it.each(cases)('config - rejects %s with a one-line message naming the field', (_, patch, expected) => {
    const message = rejection(variant(patch));
    expect(message).not.toContain('\n');
    expect(message.startsWith(expected)).toBe(true);
  });

  it('config - turning an SLO off removes it, not its neighbours', () => {
    const config = validateConfig(variant((c) => (c.slos = { 'gateway.latency': false })));
    expect(config.slos['gateway.latency']).toBe(false);
    expect(config.slos['e2e.latency']).toEqual({ p99: 1000 });
  });
});

describe('parseDuration', () => {
  it('config - durations in ms, compound forms summed', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(() => parseDuration('5')).toThrow(/not a duration/);
  });
});

describe('redact', () => {
  it('config - removes the password from a postgres URL and secret-named keys', () => {
    const config = validateConfig(
      variant((c) => {
        c.target.databaseUrl = 'postgres://app:s3cr3t@db.internal:5432/orders';
      }),
    );
    const redacted = redact({ ...config, apiToken: 'abc', nested: { clientSecret: 'x', password: 'y' } });
    const text = JSON.stringify(redacted);
    expect(text).not.toContain('s3cr3t');
    expect(redacted.target.databaseUrl).toBe('postgres://app:***@db.internal:5432/orders');
    expect(redacted.apiToken).toBe('***');
    expect(redacted.nested).toEqual({ clientSecret: '***', password: '***' });
    // The original is untouched.
    expect(config.target.databaseUrl).toContain('s3cr3t');
  });

  it('config - URLs without a password and extra keys', () => {
    expect(redactUrl('nats://127.0.0.1:4222')).toBe('nats://127.0.0.1:4222');
    expect(redactUrl('postgres://postgres@127.0.0.1/db')).toBe('postgres://postgres@127.0.0.1/db');
    expect(redact({ dsnHint: 'a' }, ['dsn'])).toEqual({ dsnHint: '***' });
  });
});

describe('loadConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pipesoak-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const usage = async (path: string) => {
    const err = await loadConfig(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    const message = (err as Error).message;
    expect(message).not.toContain('\n');
    return message;
  };

  it('config - loads the shipped file', async () => {
    const config = await loadConfig(join(import.meta.dirname, '../../pipesoak.config.ts'));
    expect(config.load.rate).toBe(50);
  });

  it('config - a missing file, a syntax error and an invalid value are one-line usage errors', async () => {
    expect(await usage(join(dir, 'nope.ts'))).toMatch(/nope\.ts: file not found$/);
    expect(await usage(write('broken.ts', 'export default {{{ ;\n'))).toMatch(/broken\.ts: does not load: /);
    const invalid: ConfigInput = { ...structuredClone(shipped), load: { rate: 0, duration: '1m' } };
    expect(await usage(write('invalid.ts', `export default ${JSON.stringify(invalid)};\n`))).toMatch(
      /invalid\.ts: load\.rate: must be greater than 0$/,
    );
    expect(await usage(write('nodefault.ts', 'export const x = 1;\n'))).toMatch(/has no default export/);
  });
});
