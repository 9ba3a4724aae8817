// The target section for the reference pipeline, from its settings (reference/settings.ts), so
// the shipped config and the pipeline agree, environment overrides included.
import { REFERENCE_COMPLETION_QUERY } from '../../collectors/completion/completionCollector.ts';
import { OUTBOX_COLLECTOR_DEFAULTS } from '../../collectors/outbox/outboxCollector.ts';
import { loadSettings, type ReferenceSettings } from '../../reference/settings.ts';
import type { ConfigInput } from './configSchema.ts';

export function referenceTarget(settings: ReferenceSettings = loadSettings()): ConfigInput['target'] {
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
    outbox: {
      table: OUTBOX_COLLECTOR_DEFAULTS.table,
      idColumn: OUTBOX_COLLECTOR_DEFAULTS.idColumn,
      createdAtColumn: OUTBOX_COLLECTOR_DEFAULTS.createdAtColumn,
      publishedAtColumn: OUTBOX_COLLECTOR_DEFAULTS.publishedAtColumn,
    },
    completionQuery: REFERENCE_COMPLETION_QUERY,
  };
}
