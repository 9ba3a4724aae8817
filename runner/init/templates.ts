// What `pipesoak init` writes: a commented config and a starter scenario for a pipeline that is
// not the reference one (an orders service), so every name in them is visibly one to replace.
// The config validates exactly as written (test/integration/initCli.test.ts), so a user who
// only changes names never starts from a broken file.
import { METRIC } from '../../record/metricCatalog.ts';

export const CONFIG_FILE = 'pipesoak.config.ts';
export const SCENARIO_FILE = 'scenarios/my-pipeline.ts';

export const CONFIG_TEMPLATE = `// pipesoak's run configuration. Every value below is an example for an "orders" pipeline:
// replace the names and addresses with your pipeline's. \`npx pipesoak run scenarios/my-pipeline.ts\`
// reads this file; flags (--rate, --duration, --seed, ...) override the load section.
import { defineConfig } from 'pipesoak';

export default defineConfig({
  // EDIT: where your pipeline runs. Targets must be on this machine (127.0.0.1) unless the run
  // is given --allow-remote.
  target: {
    // The HTTP API the scenario posts to; pipesoak checks GET <gatewayUrl>/healthz before a run.
    gatewayUrl: 'http://127.0.0.1:3000',
    // The database holding the outbox table. Keep passwords out of this file: read them from the
    // environment. pipesoak only reads here, and redacts passwords in its reports.
    databaseUrl: process.env.ORDERS_DATABASE_URL ?? 'postgres://orders@127.0.0.1:5432/orders',
    natsUrl: 'nats://127.0.0.1:4222',
    // Your worker's Prometheus endpoint, scraped during the run.
    workerMetricsUrl: 'http://127.0.0.1:9464/metrics',
    // The JetStream stream your relay publishes to, and your worker's durable consumer on it.
    stream: 'ORDERS',
    consumer: 'orders-processor',
    // Where your worker dead-letters events it gave up on, and the consumer that reads them.
    dlqStream: 'ORDERS_DLQ',
    dlqConsumer: 'orders-dlq-processor',
    // The application_name each component sets on its Postgres connections (pool SLOs use them).
    applications: {
      worker: 'orders-processor',
      relay: 'orders-relay',
      gateway: 'orders-api',
      sink: 'orders-webhooks',
    },
    // The transactional outbox: table and column names (plain SQL identifiers).
    outbox: {
      table: 'order_outbox',
      idColumn: 'event_id',
      createdAtColumn: 'occurred_at',
      publishedAtColumn: 'relayed_at',
    },
    // How pipesoak sees an event finished end to end. Return correlation_id (the id the scenario
    // sent), accepted_at and completed_at; $1 is the completed_at cursor, $2 the page size.
    completionQuery: \`SELECT correlation_id, accepted_at, delivered_at AS completed_at
      FROM order_webhook_deliveries WHERE delivered_at > $1 ORDER BY delivered_at LIMIT $2\`,
  },

  // The load: an open model, events per second whatever the pipeline's latency.
  load: {
    rate: 20,
    duration: '2m',
    // Left out of the SLO verdict: caches, JIT and connection pools fill up first.
    warmUp: '15s',
    // Concurrency bounds: with no free slot an iteration is dropped and counted, never queued.
    vus: { preAllocated: 10, max: 100 },
    // Same seed, same dataset bytes: runs compare like for like.
    seed: 1,
  },

  collectors: { interval: '1s' },

  // EDIT: your objectives. Latencies in ms as strict upper bounds; false turns an SLO off.
  // Unlisted SLOs keep their defaults (see the README).
  slos: {
    '${METRIC.gatewayLatency}': { p99: 300 },
    '${METRIC.e2eLatency}': { p50: 500, p99: 2000 },
    errorRate: 0.001,
    integrity: { lost: 0, duplicated: 0 },
    // Any expression over the recorded metrics, e.g. a tail bound:
    custom: ['p999(${METRIC.e2eLatency}) < 5000'],
  },

  // How long the end of a run waits for the pipeline to empty before counting what arrived.
  drainTimeout: '30s',
});
`;

export const SCENARIO_TEMPLATE = `// A starter scenario: a constant arrival rate of POSTs to your API, each carrying the run's
// correlation id so pipesoak can follow the event through outbox, stream, worker and webhook.
// Run it with: npx pipesoak run scenarios/my-pipeline.ts
import type { ChatBody, DatasetItem, IterationContext, LoadSettings } from 'pipesoak/scenario';

// A seeded dataset (\`pipesoak generate --kind chat\` shows its items): iteration k gets item k mod N.
export const dataset = { kind: 'chat' as const };

// The schedule, from the config's load section (after --rate, --duration and friends).
export const options = (load: LoadSettings) => ({
  scenarios: {
    orders: {
      executor: 'constant-arrival-rate' as const,
      rate: load.rate,
      timeUnit: '1s',
      duration: load.durationMs,
      preAllocatedVUs: load.vus.preAllocated,
      maxVUs: load.vus.max,
    },
  },
});

// One iteration: one request. EDIT the path and the body for your API.
export default async function (ctx: IterationContext<DatasetItem<ChatBody>>) {
  const res = await ctx.http.post(\`\${ctx.target.gatewayUrl}/api/orders\`, {
    // The correlation id (\`<runId>-<k>\`) ties this request to its outbox row, its message and its
    // webhook delivery: your completion query returns it as correlation_id.
    json: { customerId: ctx.data.body.userId, note: ctx.data.body.text, correlationId: ctx.correlationId },
    headers: { traceparent: ctx.traceparent },
  });
  ctx.check(res, { 'accepted (202)': (r) => r.status === 202 });
}
`;
