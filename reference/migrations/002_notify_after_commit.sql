-- The gateway wakes the relay after its commit, coalesced (reference/relayWakeup.ts), instead of
-- this trigger. A NOTIFY inside a transaction takes a lock every database on the server shares
-- and holds it through the commit's disk flush, so every accepting commit queued behind the last:
-- 1,000 commits took 1.4-2.0 s with it against 0.7 s without. Other writers are found by the poll.
DROP TRIGGER IF EXISTS outbox_events_notify ON outbox_events;
DROP FUNCTION IF EXISTS outbox_events_notify();
