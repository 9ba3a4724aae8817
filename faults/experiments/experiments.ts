// The built-in experiments of issue 12 and its negative controls, as data (see experimentSpec.ts).
// Short profiles keep a CI run (start-up, 20 s of load, drain, reports) under a minute on a loaded
// 2-core machine; `--long` gives a real soak with the same shape and the contract's settings.
import { PIPELINE_COMPONENTS as COMPONENTS, CONTRACT } from '../../record/contract.ts';
import { gaugeKey } from '../../record/gaugeKey.ts';
import { METRIC } from '../../record/metricCatalog.ts';
import { DRIFT_WORKER_COMPONENT } from '../../record/sloConfig.ts';
import type { ExperimentLoad, ExperimentSpec } from './experimentSpec.ts';

const SCENARIO = 'scenarios/steady.ts';
const SHORT: ExperimentLoad = { rate: 30, duration: '20s', warmUp: '3s' };
const LONG: ExperimentLoad = { rate: 50, duration: '15m', warmUp: '1m' };
/** The fault opens after warm-up and leaves time to drain before the load ends. */
const AT = { short: '6s', long: '5m' } as const;
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
  // A fault moves every gauge, and a CI run is too short for a trend: drift is a soak's question.
  drift: {
    gauges: {
      [METRIC.consumerPending]: false,
      [METRIC.outboxPending]: false,
      [METRIC.harnessRss]: false,
      [METRIC.dbConnections]: false,
      [METRIC.outboxQueryTime]: false,
      [gaugeKey(METRIC.targetRss, { key: 'component', value: DRIFT_WORKER_COMPONENT })]: false,
    },
  },
} as const;

const PASS = { verdict: 'pass', lost: 0, duplicated: 0, drainReported: true } as const;

/** Dispatches the reference worker has in flight at most (its slots: min(batch, 2 x pool)). */
export const IN_FLIGHT_DISPATCHES = Math.min(CONTRACT.batchSize, CONTRACT.dbPoolMax * 2);
/**
 * SINK_ANSWER_DELAY_MS (test-only) of the worker's kill and of its control: the sink answers this
 * long after committing its effect, so a kill -9 always finds dispatches applied but not yet acked,
 * about rate x (delay + the sink's own time) of them, at most the worker's slots. Without it that
 * window is the few ms between the sink's commit and the worker's ack, and the control was a race.
 * Short: 30/s x 300 ms = 9, while 20 slots over ~0.4 s per dispatch still take ~50/s; long: 50/s x
 * 150 ms = 7.5, as the slots must keep up with 50/s.
 */
export const ANSWER_DELAY_MS = { short: 300, long: 150 } as const;
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
  // Only the worker's kill can leave effects applied but unacked: the slow answer makes sure it does.
  const answerDelay = (ms: number) =>
    component === 'worker' ? { env: { SINK_ANSWER_DELAY_MS: String(ms) } } : {};
  return {
    name,
    summary: `kill -9 the ${component}, then restart it`,
    checks: promise,
    scenario: SCENARIO,
    short: { load: SHORT, faults: kill(AT.short, '3s'), ...answerDelay(ANSWER_DELAY_MS.short) },
    long: { load: LONG, faults: kill(AT.long, '30s'), ...answerDelay(ANSWER_DELAY_MS.long) },
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
    'exactly-once effects: redeliveries of what the killed worker finished are skipped by the inbox; what the sink had applied but the worker not yet acked is asked again with its Idempotency-Key, and the sink applies nothing twice',
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
    // 10 s between the windows, so the worker's backlog is back under its bound (a drain time)
    // before the relay's window starts; 7 s was not enough at load 25.
    short: {
      load: { ...SHORT, duration: '28s' },
      faults: {
        faults: [
          {
            id: 'terminate-worker',
            what: 'pg_terminate',
            at: '4s',
            for: '3s',
            where: 'postgres',
            applicationName: APP_NAME.worker,
            every: '1s',
          },
          {
            id: 'terminate-relay',
            what: 'pg_terminate',
            at: '17s',
            for: '3s',
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
    summary: 'half the webhooks fail (HTTP 500 from the sink)',
    checks:
      'capped retries: failures are retried with backoff, and the webhook error SLO catches the brownout',
    scenario: SCENARIO,
    short: {
      load: SHORT,
      faults: {
        faults: [{ id: 'brownout', what: 'sink_fail', at: '5s', for: '10s', where: 'sink', share: 0.5 }],
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
    summary: '200 ms of latency on every connection toward NATS',
    checks: 'end-to-end latency rises inside the window and comes back after it; nothing is lost',
    scenario: SCENARIO,
    // The toxic must stand out of the machine's noise. At 30/s on a loaded machine the worker's 20
    // slots are all busy (dispatches of ~700 ms at load 7) and queueing, not the toxic, sets e2e
    // (0.5-1 s before and after the window): at 15/s it has twice the headroom. Outside is the
    // after-window: the warm-up lasts until the fault opens, as before it a short run is the
    // pipeline's cold start (e2e 1-2 s for the first 6 s at load 4). 24 s leave ~7 s of load after
    // the window and its tail.
    short: {
      load: { rate: 15, duration: '24s', warmUp: AT.short },
      faults: {
        faults: [
          { id: 'nats-latency', what: 'latency', at: AT.short, for: '8s', where: 'nats', latencyMs: 200 },
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
    // worker-crash exactly (same load, kill, slow sink answer), with only INBOX_DEDUP different: an A/B.
    ...killSpec('worker-crash', 'worker', ''),
    name: 'control-no-dedup',
    summary:
      'negative control: worker-crash with the de-duplication chain off (INBOX_DEDUP=false: no inbox check, no Idempotency-Key)',
    checks:
      'the integrity checker catches duplicates: what the sink applied but the killed worker had not acked is applied again; duplicated > 0, verdict fail, ids in duplicated.txt',
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
  const pad = ' '.repeat(width);
  return EXPERIMENTS.flatMap((e) => [
    `${e.name.padEnd(width)}  ${e.summary}`,
    `${pad}  checks: ${e.checks}`,
    `${pad}  expects: ${expectation(e)}`,
    `${pad}  short: ${profileLine(e.short)}; --long: ${profileLine(e.long)}`,
  ]);
}

function profileLine(p: ExperimentSpec['short']): string {
  const windows = p.faults.faults.map((w) => `${w.id} at ${String(w.at)} for ${String(w.for)}`);
  const env = Object.entries(p.env ?? {}).map(([k, v]) => `${k}=${v}`);
  return `${p.load.duration} at ${p.load.rate}/s${windows.length ? `, ${windows.join(', ')}` : ''}${env.length ? ` (${env.join(' ')})` : ''}`;
}

function expectation(e: ExperimentSpec): string {
  const x = e.expect;
  const count = (n: ExperimentSpec['expect']['duplicated']) => (n === 0 ? '0' : '> 0');
  const parts = [`verdict ${x.verdict}`, `lost ${count(x.lost)}`, `duplicated ${count(x.duplicated)}`];
  if (x.failingSlos?.length) parts.push(`failing ${x.failingSlos.join(', ')}`);
  if (x.p99Raised)
    parts.push(`${x.p99Raised.metric} p99 +${x.p99Raised.byAtLeastMs} ms inside the window only`);
  if (x.drainReported) parts.push('drain time reported');
  return parts.join(', ');
}
