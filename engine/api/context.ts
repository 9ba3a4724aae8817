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

export interface ContextArgs {
  info: IterationInfo;
  clients: IterationClients;
  recorder: EngineRecorder;
  vu: number;
  iteration: number;
  data: unknown;
  target: unknown;
  scenarioTags: Tags;
}

// Merged tag sets of checks, by the scenario's tags and the check's name: made once and frozen, so
// the recorder can find its entry by the object alone (no key string per check per iteration).
const checkTags = new WeakMap<Tags, Map<string, Tags>>();
/** More distinct check names than this per scenario are merged per call rather than cached. */
const CHECK_TAGS_CACHE = 256;

function tagsOfCheck(scenarioTags: Tags, name: string): Tags {
  let byName = checkTags.get(scenarioTags);
  if (byName === undefined) {
    byName = new Map();
    checkTags.set(scenarioTags, byName);
  }
  let tags = byName.get(name);
  if (tags === undefined) {
    tags = Object.freeze({ ...scenarioTags, check: name });
    if (byName.size < CHECK_TAGS_CACHE) byName.set(name, tags);
  }
  return tags;
}

/**
 * A class rather than an object literal of closures: an iteration allocates this one object, its
 * methods live on the prototype, and the clients are reached through getters.
 */
class Context implements IterationContext {
  readonly vu: number;
  readonly iteration: number;
  readonly data: unknown;
  readonly target: Target;
  private readonly info: IterationInfo;
  private readonly clients: IterationClients;
  private readonly recorder: EngineRecorder;
  private readonly scenarioTags: Tags;
  private customMetrics: ScenarioMetrics | undefined;

  constructor(a: ContextArgs) {
    this.vu = a.vu;
    this.iteration = a.iteration;
    this.data = a.data;
    this.target = a.target as Target;
    this.info = a.info;
    this.clients = a.clients;
    this.recorder = a.recorder;
    this.scenarioTags = a.scenarioTags;
  }

  get k(): number {
    return this.info.k;
  }
  get intendedStart(): number {
    return this.info.intendedStartMs;
  }
  get signal(): AbortSignal {
    return this.info.signal;
  }
  get correlationId(): string {
    return this.info.correlationId;
  }
  get traceparent(): string {
    return this.info.traceparent;
  }
  get http(): IterationHttp {
    return this.clients.http;
  }
  get jetstream(): IterationJetStream {
    return this.clients.jetstream;
  }
  get nats(): IterationNats {
    return this.clients.nats;
  }

  check<T>(value: T, checks: Record<string, (value: T) => boolean>): boolean {
    let all = true;
    for (const name in checks) {
      const predicate = checks[name] as (value: T) => boolean;
      let ok: boolean;
      try {
        ok = Boolean(predicate(value));
      } catch {
        ok = false; // a predicate that throws on an unexpected shape is a failed check
      }
      this.recorder.count(
        ok ? METRIC.checksPassed : METRIC.checksFailed,
        1,
        tagsOfCheck(this.scenarioTags, name),
      );
      all &&= ok;
    }
    return all;
  }

  get metrics(): ScenarioMetrics {
    this.customMetrics ??= customMetrics(this.recorder, this.scenarioTags);
    return this.customMetrics;
  }
}

function customMetrics(recorder: EngineRecorder, scenarioTags: Tags): ScenarioMetrics {
  const tagged = (tags?: Tags): Tags => (tags ? { ...scenarioTags, ...tags } : scenarioTags);
  return {
    trend: (name) => ({
      add: (valueMs, tags) => recorder.latency(CUSTOM_PREFIX + name, valueMs, tagged(tags)),
    }),
    counter: (name) => ({
      add: (n = 1, tags) => recorder.count(CUSTOM_PREFIX + name, n, tagged(tags)),
    }),
  };
}

export function createIterationContext(args: ContextArgs): IterationContext {
  return new Context(args);
}
