// The reference pipeline's JetStream topology: the events stream, the dead-letter stream and the
// worker's two durable pull consumers. Idempotent, so the relay and the worker both call it on start.
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { ReferenceSettings } from './settings.ts';

interface WantedStream {
  name: string;
  subjects: string[];
  duplicateWindowS: number;
}

/** Creates the events and DLQ streams when missing, updates them when their config drifted. */
export async function ensureStreams(jsm: JetStreamManager, settings: ReferenceSettings): Promise<void> {
  const wanted: WantedStream[] = [
    {
      name: settings.stream,
      subjects: [`${settings.subjectPrefix}.>`],
      duplicateWindowS: settings.dedupeWindowS,
    },
    {
      name: settings.dlqStream,
      subjects: [`${settings.dlqSubjectPrefix}.>`],
      // The DLQ de-duplicates on the original id, so a dead letter published twice lands once.
      duplicateWindowS: settings.dedupeWindowS,
    },
  ];
  for (const stream of wanted) await ensureStream(jsm, stream);
}

async function ensureStream(jsm: JetStreamManager, wanted: WantedStream): Promise<void> {
  const config: Partial<StreamConfig> & { name: string } = {
    name: wanted.name,
    subjects: wanted.subjects,
    duplicate_window: nanos(wanted.duplicateWindowS * 1000),
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
  };
  const current = await jsm.streams.info(wanted.name).catch((err: unknown) => {
    if (isNotFound(err, JetStreamApiCodes.StreamNotFound)) return undefined;
    throw err;
  });
  if (!current) {
    await addOrAccept(() => jsm.streams.add(config));
    return;
  }
  const have = current.config;
  if (have.storage !== StorageType.File || have.retention !== RetentionPolicy.Limits) {
    // JetStream cannot change either in place; deleting the stream would lose events.
    throw new Error(
      `stream ${wanted.name} has storage=${have.storage} retention=${have.retention}; ` +
        'expected file/limits — delete it or use another STREAM name',
    );
  }
  if (sameSubjects(have.subjects, wanted.subjects) && have.duplicate_window === config.duplicate_window)
    return;
  await jsm.streams.update(wanted.name, {
    ...have,
    subjects: wanted.subjects,
    duplicate_window: config.duplicate_window,
  });
}

/** Creates or updates the worker's durable pull consumers on the events and DLQ streams. */
export async function ensureConsumers(jsm: JetStreamManager, settings: ReferenceSettings): Promise<void> {
  const common = {
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(settings.ackWaitMs),
    // Room for a full batch in flight plus the next pull, so pulls never stall on ack pending.
    max_ack_pending: Math.max(1000, settings.batchSize * 4),
    // Ack sampling on, so the ack latency collector sees $JS.EVENT.METRIC.CONSUMER.ACK advisories.
    sample_freq: settings.ackSampleFreq,
  };
  const deliver = maxDeliver(settings);
  await ensureConsumer(jsm, settings.stream, {
    ...common,
    durable_name: settings.consumer,
    max_deliver: deliver.main,
  });
  await ensureConsumer(jsm, settings.dlqStream, {
    ...common,
    durable_name: settings.dlqConsumer,
    max_deliver: deliver.dlq,
  });
}

/**
 * max_deliver of the main and the DLQ consumer. One delivery past each cap is kept in reserve: when
 * a crash interrupts the last attempt, that redelivery dead-letters (or parks) the event without
 * dispatching it, instead of JetStream dropping it silently. The sink still sees at most
 * INBOX_MAX_RETRIES + 1 and DLQ_MAX_ATTEMPTS tries.
 */
export function maxDeliver(settings: Pick<ReferenceSettings, 'inboxMaxRetries' | 'dlqMaxAttempts'>): {
  main: number;
  dlq: number;
} {
  return { main: settings.inboxMaxRetries + 2, dlq: settings.dlqMaxAttempts + 1 };
}

interface WantedConsumer {
  durable_name: string;
  ack_policy: AckPolicy;
  deliver_policy: DeliverPolicy;
  ack_wait: number;
  max_ack_pending: number;
  max_deliver: number;
  sample_freq: string;
}

async function ensureConsumer(jsm: JetStreamManager, stream: string, wanted: WantedConsumer): Promise<void> {
  const current = await jsm.consumers.info(stream, wanted.durable_name).catch((err: unknown) => {
    if (isNotFound(err, JetStreamApiCodes.ConsumerNotFound)) return undefined;
    throw err;
  });
  if (!current) {
    await addOrAccept(() => jsm.consumers.add(stream, wanted));
    return;
  }
  const have = current.config;
  if (
    have.ack_policy !== wanted.ack_policy ||
    (have.deliver_policy !== wanted.deliver_policy && have.deliver_policy !== undefined)
  ) {
    throw new Error(
      `consumer ${stream}/${wanted.durable_name} has ack_policy=${have.ack_policy} ` +
        `deliver_policy=${have.deliver_policy}; delete it or use another CONSUMER name`,
    );
  }
  const drifted =
    have.ack_wait !== wanted.ack_wait ||
    have.max_ack_pending !== wanted.max_ack_pending ||
    have.max_deliver !== wanted.max_deliver ||
    have.sample_freq !== wanted.sample_freq;
  if (!drifted) return;
  await jsm.consumers.update(stream, wanted.durable_name, {
    ack_wait: wanted.ack_wait,
    max_ack_pending: wanted.max_ack_pending,
    max_deliver: wanted.max_deliver,
    sample_freq: wanted.sample_freq,
  });
}

// Two components starting together both see "missing"; the loser's add fails, which is fine
// as long as the winner's result is what we wanted — the next start reconciles any drift.
async function addOrAccept(add: () => Promise<unknown>): Promise<void> {
  try {
    await add();
  } catch (err) {
    if (err instanceof JetStreamApiError && /already (exists|in use)/i.test(err.message)) return;
    throw err;
  }
}

function isNotFound(err: unknown, code: number): boolean {
  return err instanceof JetStreamApiError && err.code === code;
}

function sameSubjects(a: string[] | undefined, b: string[]): boolean {
  const have = [...(a ?? [])].sort();
  const want = [...b].sort();
  return have.length === want.length && have.every((s, i) => s === want[i]);
}
