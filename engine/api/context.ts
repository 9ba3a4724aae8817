// The `ctx` a scenario's exported functions receive: the iteration's identity and timing, its
// dataset item and target, the clients bound to it, checks and custom metrics.
import { CUSTOM_PREFIX, METRIC } from '../../record/metricCatalog.ts';
import type { IterationClients } from '../clients/createClients.ts';
import type { EngineRecorder, Tags } from '../clients/engineRecorder.ts';
import type { IterationHttp } from '../clients/httpClient.ts';
import type { IterationInfo } from '../clients/iterationInfo.ts';
import type { IterationJetStream } from '../clients/jetstreamClient.ts';
import type { IterationNats } from '../clients/natsClient.ts';

export interface Trend {
  /** Records a latency in ms into custom.<name>. */
  add(valueMs: number, tags?: Tags): void;
}

export interface Counter {
  /** Adds n (default 1) to custom.<name>. */
  add(n?: number, tags?: Tags): void;
}

export interface ScenarioMetrics {
  trend(name: string): Trend;
  counter(name: string): Counter;
}

/** The config's target; gatewayUrl, natsUrl and stream are always there for the reference. */
export interface Target {
  gatewayUrl: string;
  natsUrl: string;
  stream?: string;
  [k: string]: unknown;
}

export interface IterationContext<D = unknown> {
  /** The VU (async slot) running this iteration, as the engine numbers them. */
  vu: number;
  /** This VU's own iteration count, from 0. */
  iteration: number;
  /** Global iteration index k (correlationId is `<runId>-<k>`). */
  k: number;
  /** Epoch ms (the engine's monotonic clock) this iteration was meant to start. */
  intendedStart: number;
  /** Aborted after gracefulStop; pass it on to anything slow. */
  signal: AbortSignal;
  target: Target;
  /** Dataset item k mod N, or undefined when the run has no dataset. */
  data: D;
  correlationId: string;
  traceparent: string;
  http: IterationHttp;
  jetstream: IterationJetStream;
  nats: IterationNats;
  /** Runs each named predicate on value: checks.passed / checks.failed tagged `check`; true when all pass. */
  check<T>(value: T, checks: Record<string, (value: T) => boolean>): boolean;
  metrics: ScenarioMetrics;
}

export function createIterationContext(args: {
  info: IterationInfo;
  clients: IterationClients;
  recorder: EngineRecorder;
  vu: number;
  iteration: number;
  data: unknown;
  target: unknown;
  scenarioTags: Tags;
}): IterationContext {
  const { info, clients, recorder, scenarioTags } = args;
  const tagged = (tags?: Tags): Tags => (tags ? { ...scenarioTags, ...tags } : scenarioTags);
  return {
    vu: args.vu,
    iteration: args.iteration,
    k: info.k,
    intendedStart: info.intendedStartMs,
    signal: info.signal,
    target: args.target as Target,
    data: args.data,
    correlationId: info.correlationId,
    traceparent: info.traceparent,
    http: clients.http,
    jetstream: clients.jetstream,
    nats: clients.nats,
    check(value, checks) {
      let all = true;
      for (const [name, predicate] of Object.entries(checks)) {
        let ok: boolean;
        try {
          ok = Boolean(predicate(value));
        } catch {
          ok = false; // a predicate that throws on an unexpected shape is a failed check
        }
        recorder.count(ok ? METRIC.checksPassed : METRIC.checksFailed, 1, tagged({ check: name }));
        all &&= ok;
      }
      return all;
    },
    metrics: {
      trend: (name) => ({
        add: (valueMs, tags) => recorder.latency(CUSTOM_PREFIX + name, valueMs, tagged(tags)),
      }),
      counter: (name) => ({
        add: (n = 1, tags) => recorder.count(CUSTOM_PREFIX + name, n, tagged(tags)),
      }),
    },
  };
}
