-- The reference pipeline's tables. The harness only ever reads these.
CREATE TABLE IF NOT EXISTS messages (
  id uuid PRIMARY KEY,
  conversation_id text NOT NULL,
  user_id text NOT NULL,
  text text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE IF NOT EXISTS outbox_events (
  id uuid PRIMARY KEY,
  aggregate_type text NOT NULL,
  aggregate_id text NOT NULL,
  event_type text NOT NULL,
  subject text NOT NULL,
  payload jsonb NOT NULL,
  correlation_id text,
  causation_id text,
  traceparent text,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  published_at timestamptz
);
-- The relay claims from this; the outbox collector counts pending rows through it.
CREATE INDEX IF NOT EXISTS outbox_events_unpublished ON outbox_events (created_at) WHERE published_at IS NULL;
-- Lets a reader walk rows published since a cursor without scanning the table.
CREATE INDEX IF NOT EXISTS outbox_events_published_at ON outbox_events (published_at) WHERE published_at IS NOT NULL;

-- Wakes the relay as soon as a transaction with outbox rows commits.
CREATE OR REPLACE FUNCTION outbox_events_notify() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('outbox_events', '');
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS outbox_events_notify ON outbox_events;
CREATE TRIGGER outbox_events_notify AFTER INSERT ON outbox_events
  FOR EACH STATEMENT EXECUTE FUNCTION outbox_events_notify();

-- The worker's de-duplication, keyed by Nats-Msg-Id.
CREATE TABLE IF NOT EXISTS inbox (
  message_id text PRIMARY KEY,
  subject text NOT NULL,
  status text NOT NULL CHECK (status IN ('done', 'dead_lettered')),
  deliveries integer NOT NULL,
  received_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  processed_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- The sink's side effect: one fact per event. `deliveries` counts how often the sink was asked,
-- so a duplicate dispatch is visible even though the fact itself is applied once.
CREATE TABLE IF NOT EXISTS kg_facts (
  id bigserial PRIMARY KEY,
  event_id text NOT NULL UNIQUE,
  event_type text NOT NULL,
  correlation_id text,
  traceparent text,
  payload jsonb NOT NULL,
  deliveries integer NOT NULL DEFAULT 1,
  applied_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  last_delivery_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS kg_facts_applied_at ON kg_facts (applied_at);

-- Events the DLQ consumer gave up on after DLQ_MAX_ATTEMPTS.
CREATE TABLE IF NOT EXISTS parked_events (
  message_id text PRIMARY KEY,
  subject text NOT NULL,
  reason text NOT NULL,
  main_deliveries integer NOT NULL,
  dlq_attempts integer NOT NULL,
  headers jsonb NOT NULL,
  payload jsonb,
  parked_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
