-- The sink's Idempotency-Key. A worker killed between the sink's answer and its inbox write asks
-- again after the restart; the inbox cannot know the effect happened, the sink can. The key a
-- request carries is kept with its event's fact: a later request for the same event with the same
-- key is answered from the row (a replay) instead of applied again. `deliveries` now counts how
-- often the effect was applied (asks without a key, or with a new one); `replays` counts the asks
-- a key absorbed.
ALTER TABLE kg_facts ADD COLUMN IF NOT EXISTS idempotency_key text;
ALTER TABLE kg_facts ADD COLUMN IF NOT EXISTS replays integer NOT NULL DEFAULT 0;
COMMENT ON COLUMN kg_facts.deliveries IS 'how often the effect was applied: the first ask, and every later one without a matching Idempotency-Key';
COMMENT ON COLUMN kg_facts.idempotency_key IS 'the Idempotency-Key of the last ask that applied the effect (null: none had one)';
COMMENT ON COLUMN kg_facts.replays IS 'asks whose Idempotency-Key matched: answered from the row, not applied';
