// Every setting of the reference pipeline, read from the environment. The numbers of DESIGN
// section 1 come from the contract (record/contract.ts), which the SLO defaults share; the rest
// of the defaults live here once: components, the CLI, tests and docker-compose.yml (checked by a
// test) all agree through it.
import { CONTRACT } from '../record/contract.ts';

export interface ReferenceSettings {
  host: string;
  databaseUrl: string;
  natsUrl: string;
  gatewayPort: number;
  sinkPort: number;
  llmPort: number;
  metricsPort: number;
  /** Where the worker posts events; a proxy address when faults sit in between. */
  sinkUrl: string;
  llmUrl: string;
  stream: string;
  /** Events go to `<subjectPrefix>.<event type>`; the stream holds `<subjectPrefix>.>`. */
  subjectPrefix: string;
  dlqStream: string;
  /** Dead letters go to `<dlqSubjectPrefix>.<original subject>`. */
  dlqSubjectPrefix: string;
  consumer: string;
  dlqConsumer: string;
  /** Seconds JetStream de-duplicates Nats-Msg-Id within. */
  dedupeWindowS: number;
  /** Share of acks JetStream reports as `$JS.EVENT.METRIC.CONSUMER.ACK` advisories, e.g. `10%`. */
  ackSampleFreq: string;
  batchSize: number;
  ackWaitMs: number;
  inboxMaxRetries: number;
  dlqMaxAttempts: number;
  /** Delays before redelivery after a failed dispatch, in ms, one per retry (last one repeats). */
  nakBackoffMs: number[];
  dbPoolMax: number;
  workerAppName: string;
  relayAppName: string;
  gatewayAppName: string;
  sinkAppName: string;
  /** Maximum events/s the worker dispatches; 0 means unlimited. */
  workerThrottleEps: number;
  /** Test-only leak: bytes the worker keeps for ever per event it completes (0 = none), so drift checks have a known leak to find. */
  workerLeakBytesPerEvent: number;
  /** Test-only: a full GC every this many ms (0 = never), so a short drift test sees kept memory, not GC timing. */
  workerGcIntervalMs: number;
  /** Off only for the negative control: the worker then skips no delivery and sends no Idempotency-Key, so the sink applies every dispatch. */
  inboxDedup: boolean;
  relayBatch: number;
  relayPollMs: number;
  /** A plain VACUUM of the outbox this often while rows are being published; 0 = never (autovacuum's job). */
  relayVacuumMs: number;
  /** Share (0..1) of sink requests answered 500. */
  sinkFailRate: number;
  /** Fail every event whose payload has `poison: true` (the poison-mix scenario relies on it). */
  sinkFailPoison: boolean;
  sinkLatencyMs: number;
  /**
   * Test-only: ms the sink waits after its effect is committed before answering (a slow way back),
   * so a worker killed meanwhile leaves applied but unacknowledged events (the crash experiments).
   */
  sinkAnswerDelayMs: number;
  /** LLM stub latency distribution, e.g. `fixed:50`, `uniform:20-80`, `normal:100,20`, `lognormal:100,0.5`. */
  llmLatency: string;
  llmErrorRate: number;
  /** How long the gateway waits for the LLM stub before answering 502. */
  llmTimeoutMs: number;
  maxBodyBytes: number;
  logLevel: string;
}

type Env = Record<string, string | undefined>;

function num(env: Env, key: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new Error(`${key}=${raw} is not a number between ${min} and ${max}`);
  }
  return value;
}

function str(env: Env, key: string, fallback: string): string {
  const raw = env[key];
  return raw === undefined || raw === '' ? fallback : raw;
}

function bool(env: Env, key: string, fallback: boolean): boolean {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new Error(`${key}=${raw} is not a boolean (true/false)`);
}

function list(env: Env, key: string, fallback: number[]): number[] {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const values = raw.split(',').map((v) => Number(v.trim()));
  if (values.some((v) => !Number.isFinite(v) || v < 0)) {
    throw new Error(`${key}=${raw} is not a comma-separated list of non-negative numbers`);
  }
  return values;
}

function percent(env: Env, key: string, fallback: string): string {
  const raw = str(env, key, fallback);
  const value = Number(raw.replace(/%$/, ''));
  if (!/^\d+(\.\d+)?%$/.test(raw) || value <= 0 || value > 100) {
    throw new Error(`${key}=${raw} is not a percentage between 1% and 100%`);
  }
  return raw;
}

const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/pipesoak_reference';

export function loadSettings(env: Env = process.env): ReferenceSettings {
  const host = str(env, 'REFERENCE_HOST', '127.0.0.1');
  const sinkPort = num(env, 'SINK_PORT', 8091, 0, 65535);
  const llmPort = num(env, 'LLM_PORT', 8092, 0, 65535);
  return {
    host,
    databaseUrl: str(env, 'REFERENCE_DATABASE_URL', DEFAULT_DATABASE_URL),
    natsUrl: str(env, 'NATS_URL', 'nats://127.0.0.1:4222'),
    gatewayPort: num(env, 'GATEWAY_PORT', 8080, 0, 65535),
    sinkPort,
    llmPort,
    metricsPort: num(env, 'METRICS_PORT', CONTRACT.metricsPort, 0, 65535),
    sinkUrl: str(env, 'SINK_URL', `http://${host}:${sinkPort}`),
    llmUrl: str(env, 'LLM_URL', `http://${host}:${llmPort}`),
    stream: str(env, 'STREAM', 'EVENTS'),
    subjectPrefix: str(env, 'SUBJECT_PREFIX', 'events'),
    dlqStream: str(env, 'DLQ_STREAM', 'DLQ'),
    dlqSubjectPrefix: str(env, 'DLQ_SUBJECT_PREFIX', 'dlq'),
    consumer: str(env, 'CONSUMER', 'sea-mq-worker'),
    dlqConsumer: str(env, 'DLQ_CONSUMER', 'sea-mq-dlq'),
    dedupeWindowS: num(env, 'DEDUPE_WINDOW_S', 120, 1),
    // 10%: enough samples for ack latency percentiles; 100% costs the collector ~0.16 ms per ack.
    ackSampleFreq: percent(env, 'ACK_SAMPLE_FREQ', '10%'),
    batchSize: num(env, 'BATCH_SIZE', CONTRACT.batchSize, 1, 10_000),
    ackWaitMs: num(env, 'ACK_WAIT_MS', CONTRACT.ackWaitMs, 100),
    inboxMaxRetries: num(env, 'INBOX_MAX_RETRIES', CONTRACT.inboxMaxRetries, 0, 100),
    dlqMaxAttempts: num(env, 'DLQ_MAX_ATTEMPTS', CONTRACT.dlqMaxAttempts, 1, 100),
    nakBackoffMs: list(env, 'NAK_BACKOFF_MS', [500, 1000, 2000]),
    dbPoolMax: num(env, 'DB_POOL_MAX', CONTRACT.dbPoolMax, 1, 1000),
    workerAppName: str(env, 'WORKER_APP_NAME', 'sea-mq-worker'),
    relayAppName: str(env, 'RELAY_APP_NAME', 'sea-mq-relay'),
    gatewayAppName: str(env, 'GATEWAY_APP_NAME', 'sea-gateway'),
    sinkAppName: str(env, 'SINK_APP_NAME', 'sea-sink'),
    workerThrottleEps: num(env, 'WORKER_THROTTLE_EPS', 0, 0),
    workerLeakBytesPerEvent: num(env, 'WORKER_LEAK_BYTES_PER_EVENT', 0, 0, 16 * 1024 * 1024),
    workerGcIntervalMs: num(env, 'WORKER_GC_INTERVAL_MS', 0, 0),
    inboxDedup: bool(env, 'INBOX_DEDUP', true),
    relayBatch: num(env, 'RELAY_BATCH', 100, 1, 10_000),
    relayPollMs: num(env, 'RELAY_POLL_MS', 500, 10),
    relayVacuumMs: num(env, 'RELAY_VACUUM_MS', 10_000, 0),
    sinkFailRate: num(env, 'SINK_FAIL_RATE', 0, 0, 1),
    sinkFailPoison: bool(env, 'SINK_FAIL_POISON', true),
    sinkLatencyMs: num(env, 'SINK_LATENCY_MS', 0, 0),
    sinkAnswerDelayMs: num(env, 'SINK_ANSWER_DELAY_MS', 0, 0),
    llmLatency: str(env, 'LLM_LATENCY', 'lognormal:200,0.4'),
    llmErrorRate: num(env, 'LLM_ERROR_RATE', 0, 0, 1),
    llmTimeoutMs: num(env, 'LLM_TIMEOUT_MS', 10_000, 1),
    maxBodyBytes: num(env, 'MAX_BODY_BYTES', 256 * 1024, 1),
    logLevel: str(env, 'LOG_LEVEL', 'info'),
  };
}
