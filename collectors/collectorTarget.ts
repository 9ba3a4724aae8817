// What the collectors sample, as the validated config's `target` section gives it
// (runner/config/configSchema.ts checks that Config['target'] fits). Declared here, not imported,
// so collectors depend on nothing above them; nothing in collectors/ has a default for any of it.
import type { OutboxTable } from './outbox/outboxQueries.ts';

export interface CollectorTarget {
  databaseUrl: string;
  natsUrl: string;
  /** The worker's Prometheus endpoint, full URL including `/metrics`. */
  workerMetricsUrl: string;
  stream: string;
  consumer: string;
  dlqStream: string;
  dlqConsumer: string;
  /** application_name of each component; the pool collector reports `db.connections` for them. */
  applications: Record<string, string>;
  outbox: OutboxTable;
  /** The completion probe's SQL (contract in completion/completionCollector.ts). */
  completionQuery: string;
}
