// The built-in experiments of issue 12 and its negative controls, as data (see experimentSpec.ts).
// Short profiles keep a CI run under a minute; `--long` gives a real soak with the same shape.

import { METRIC } from '../../record/metricCatalog.ts';
import { COMPONENTS } from '../../reference/component.ts';
import type { ExperimentLoad, ExperimentSpec } from './experimentSpec.ts';

const SCENARIO = 'scenarios/steady.ts';
const SHORT: ExperimentLoad = { rate: 20, duration: '45s', warmUp: '5s' };
const LONG: ExperimentLoad = { rate: 50, duration: '15m', warmUp: '1m' };
/** The fault opens after warm-up and leaves time to drain before the load ends. */
const AT = { short: '15s', long: '5m' } as const;

/** Stand-ins for the application_name of the started worker and relay, filled in by runExperiment. */
export const APP_NAME = { worker: '{worker}', relay: '{relay}' } as const;

/**
 * A fault is expected to slow the pipeline down: these experiments judge what it promises under
 * faults (nothing lost or duplicated, retries and DLQ attempts capped, pools bounded), so the
 * latency, error-rate, backlog and drift SLOs of a steady run are off. Recovery is reported per window.
 */
export const PROMISE_SLOS = {
  [METRIC.gatewayLatency]: false,
  [METRIC.e2eLatency]: false,
  [METRIC.dispatchLatency]: false,
  [METRIC.outboxLag]: false,
  [METRIC.consumerAckLatency]: false,
  errorRate: false,
  droppedIterations: false,
  consumerPending: false,
  drift: {
    gauges: { [METRIC.consumerPending]: false, [METRIC.outboxPending]: false, [METRIC.harnessRss]: false },
  },
} as const;

const PASS = { verdict: 'pass', lost: 0, duplicated: 0, drainReported: true } as const;
/** Each failed webhook is a retry: a healthy pipeline retries (almost) never. */
export const WEBHOOK_ERROR_SLO = `max(${METRIC.workerRetriesRate}) < 1`;

function killSpec(
  name: 'worker-crash' | 'relay-crash',
  component: 'worker' | 'relay',
  promise: string,
): ExperimentSpec {
  const kill = (at: string, down: string) => ({
    faults: [{ id: `kill-${component}`, what: 'kill' as const, at, for: down, where: component }],
  });
  return {
    name,
    summary: `kill -9 the ${component}, then restart it`,
    checks: promise,
    scenario: SCENARIO,
    short: { load: SHORT, faults: kill(AT.short, '5s') },
    long: { load: LONG, faults: kill(AT.long, '30s') },
    components: COMPONENTS,
    ownBroker: false,
    proxies: [],
    slos: PROMISE_SLOS,
    control: false,
    expect: PASS,
  };
}

export const EXPERIMENTS: readonly ExperimentSpec[] = [
  killSpec(
    'worker-crash',
    'worker',
    'exactly-once effects: redelivered messages of the killed batch are de-duplicated by the inbox',
  ),
  killSpec(
    'relay-crash',
    'relay',
    'at-least-once delivery: the outbox rows the relay had not published are published after the restart',
  ),
  {
    name: 'broker-pause',
    summary: "SIGSTOP the harness's own nats-server for 10 s, then SIGCONT",
    checks: 'publishes and acks that stall are retried; nothing accepted is lost',
    scenario: SCENARIO,
    short: {
      load: SHORT,
      faults: { faults: [{ id: 'pause-broker', what: 'pause', at: AT.short, for: '10s', where: 'broker' }] },
    },
    long: {
      load: LONG,
      faults: { faults: [{ id: 'pause-broker', what: 'pause', at: AT.long, for: '10s', where: 'broker' }] },
    },
    components: COMPONENTS,
    ownBroker: true,
    proxies: [],
    slos: PROMISE_SLOS,
    control: false,
    expect: PASS,
  },
  {
    name: 'db-connection-kill',
    summary: "pg_terminate_backend on the worker's backends, then on the relay's",
    checks: 'pools reconnect; a transaction cut mid-way is retried, not half-applied',
    scenario: SCENARIO,
    short: {
      load: SHORT,
      faults: {
        faults: [
          {
            id: 'terminate-worker',
            what: 'pg_terminate',
            at: '15s',
            for: '4s',
            where: 'postgres',
            applicationName: APP_NAME.worker,
            every: '1s',
          },
          {
            id: 'terminate-relay',
            what: 'pg_terminate',
            at: '20s',
            for: '4s',
            where: 'postgres',
            applicationName: APP_NAME.relay,
            every: '1s',
          },
        ],
      },
    },
    long: {
      load: LONG,
      faults: {
        faults: [
          {
            id: 'terminate-worker',
            what: 'pg_terminate',
            at: '5m',
            for: '30s',
            where: 'postgres',
            applicationName: APP_NAME.worker,
            every: '2s',
          },
          {
            id: 'terminate-relay',
            what: 'pg_terminate',
            at: '6m',
            for: '30s',
            where: 'postgres',
            applicationName: APP_NAME.relay,
            every: '2s',
          },
        ],
      },
    },
    components: COMPONENTS,
    ownBroker: false,
    proxies: [],
    slos: PROMISE_SLOS,
    control: false,
    expect: PASS,
  },
  {
    name: 'webhook-brownout',
    summary: 'half the webhooks fail (HTTP 500 from the sink) for 20 s',
    checks:
      'capped retries: failures are retried with backoff, and the webhook error SLO catches the brownout',
    scenario: SCENARIO,
    short: {
      load: SHORT,
      faults: {
        faults: [{ id: 'brownout', what: 'sink_fail', at: AT.short, for: '20s', where: 'sink', share: 0.5 }],
      },
    },
    long: {
      load: LONG,
      faults: {
        faults: [{ id: 'brownout', what: 'sink_fail', at: AT.long, for: '2m', where: 'sink', share: 0.5 }],
      },
    },
    components: COMPONENTS,
    ownBroker: false,
    proxies: [],
    slos: { ...PROMISE_SLOS, custom: [WEBHOOK_ERROR_SLO] },
    control: false,
    // Some events may use up their retries and be dead-lettered: that is the contract, not a loss.
    expect: { ...PASS, verdict: 'fail', failingSlos: [`${METRIC.workerRetriesRate} max`] },
  },
  {
    name: 'network-latency',
    summary: '200 ms of latency on every connection toward NATS, for 15 s',
    checks: 'end-to-end latency rises inside the window and comes back after it; nothing is lost',
    scenario: SCENARIO,
    short: {
      load: SHORT,
      faults: {
        faults: [
          { id: 'nats-latency', what: 'latency', at: AT.short, for: '15s', where: 'nats', latencyMs: 200 },
        ],
      },
    },
    long: {
      load: LONG,
      faults: {
        faults: [
          { id: 'nats-latency', what: 'latency', at: AT.long, for: '2m', where: 'nats', latencyMs: 200 },
        ],
      },
    },
    components: COMPONENTS,
    ownBroker: false,
    proxies: ['nats'],
    slos: PROMISE_SLOS,
    control: false,
    expect: { ...PASS, p99Raised: { metric: METRIC.e2eLatency, byAtLeastMs: 150 } },
  },
  {
    ...killSpec('worker-crash', 'worker', ''),
    name: 'control-no-dedup',
    summary: 'negative control: worker-crash with the inbox de-duplication off (INBOX_DEDUP=false)',
    checks: 'the integrity checker catches duplicates: duplicated > 0, verdict fail, ids in duplicated.txt',
    env: { INBOX_DEDUP: 'false' },
    control: true,
    expect: {
      verdict: 'fail',
      lost: 0,
      duplicated: 'some',
      drainReported: true,
      failingSlos: ['integrity.duplicated'],
    },
  },
  {
    name: 'control-lost-facts',
    summary:
      'negative control: the completion query reads a test-only copy of the sink table missing 1 in 20 facts',
    checks: 'the integrity checker catches losses through a run: lost > 0, verdict fail, ids in lost.txt',
    scenario: SCENARIO,
    short: { load: SHORT, faults: { faults: [] } },
    long: { load: LONG, faults: { faults: [] } },
    components: COMPONENTS,
    ownBroker: false,
    proxies: [],
    sinkCopy: { dropEvery: 20 },
    slos: PROMISE_SLOS,
    control: true,
    expect: {
      verdict: 'fail',
      lost: 'some',
      duplicated: 0,
      drainReported: false,
      failingSlos: ['integrity.lost'],
    },
  },
];

export function experimentNamed(name: string): ExperimentSpec | undefined {
  return EXPERIMENTS.find((e) => e.name === name);
}

/** What `pipesoak experiment --list` prints: one block per experiment. */
export function describeExperiments(): string[] {
  const width = Math.max(...EXPERIMENTS.map((e) => e.name.length));
  return EXPERIMENTS.flatMap((e) => [
    `${e.name.padEnd(width)}  ${e.summary}`,
    `${' '.repeat(width)}  checks: ${e.checks}`,
    `${' '.repeat(width)}  expects: ${expectation(e)}`,
  ]);
}

function expectation(e: ExperimentSpec): string {
  const x = e.expect;
  const count = (n: 0 | 'some') => (n === 0 ? '0' : '> 0');
  const parts = [`verdict ${x.verdict}`, `lost ${count(x.lost)}`, `duplicated ${count(x.duplicated)}`];
  if (x.failingSlos?.length) parts.push(`failing ${x.failingSlos.join(', ')}`);
  if (x.p99Raised)
    parts.push(`${x.p99Raised.metric} p99 +${x.p99Raised.byAtLeastMs} ms inside the window only`);
  if (x.drainReported) parts.push('drain time reported');
  return parts.join(', ');
}
