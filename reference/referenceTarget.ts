// The `target` section of a pipesoak config for the reference pipeline, from its settings
// (environment overrides included), so the shipped config and the pipeline agree. Only
// pipesoak.config.ts, the runner's reference command, tests and benches import it.
import { loadSettings, type ReferenceSettings } from './settings.ts';

/** The reference schema's outbox (reference/migrations/001_initial.sql). */
export const REFERENCE_OUTBOX = {
  table: 'outbox_events',
  idColumn: 'id',
  createdAtColumn: 'created_at',
  publishedAtColumn: 'published_at',
} as const;

/** Completions in the sink's kg_facts, with the gateway's acceptedAt carried in the payload. */
export const REFERENCE_COMPLETION_QUERY = `SELECT correlation_id, (payload->>'acceptedAt')::timestamptz AS accepted_at,
  applied_at AS completed_at FROM kg_facts WHERE applied_at > $1 ORDER BY applied_at LIMIT $2`;

/** Structurally a config `target` (runner/config/configSchema.ts); declared here so reference imports nothing of the harness. */
export interface ReferenceTarget {
  gatewayUrl: string;
  databaseUrl: string;
  natsUrl: string;
  workerMetricsUrl: string;
  stream: string;
  consumer: string;
  dlqStream: string;
  dlqConsumer: string;
  applications: { worker: string; relay: string; gateway: string; sink: string };
  outbox: { table: string; idColumn: string; createdAtColumn: string; publishedAtColumn: string };
  completionQuery: string;
}

export function referenceTarget(settings: ReferenceSettings = loadSettings()): ReferenceTarget {
  const http = (port: number) => `http://${settings.host}:${port}`;
  return {
    gatewayUrl: http(settings.gatewayPort),
    databaseUrl: settings.databaseUrl,
    natsUrl: settings.natsUrl,
    workerMetricsUrl: `${http(settings.metricsPort)}/metrics`,
    stream: settings.stream,
    consumer: settings.consumer,
    dlqStream: settings.dlqStream,
    dlqConsumer: settings.dlqConsumer,
    applications: {
      worker: settings.workerAppName,
      relay: settings.relayAppName,
      gateway: settings.gatewayAppName,
      sink: settings.sinkAppName,
    },
    outbox: { ...REFERENCE_OUTBOX },
    completionQuery: REFERENCE_COMPLETION_QUERY,
  };
}
