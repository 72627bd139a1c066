-- +goose Up
-- The delivery engine: leases that let several processes share lanes, the
-- handoff of customers whose bot fails, secret rotation and the breaker.

-- A delivery is claimed by one process until lease_until; handoff marks a
-- customer's message to the bot of a pending conversation, whose failure
-- hands the conversation to people.
ALTER TABLE deliveries ADD COLUMN lease_owner TEXT NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN handoff BOOLEAN NOT NULL DEFAULT FALSE;

-- The secret before the last rotation keeps signing until previous_secret_until.
ALTER TABLE agent_bots ADD COLUMN previous_secret_enc BLOB;
ALTER TABLE agent_bots ADD COLUMN previous_secret_until BIGINT NOT NULL DEFAULT 0;
-- How long a customer's message may wait for the bot before people take over.
ALTER TABLE agent_bots ADD COLUMN handoff_deadline_ms BIGINT NOT NULL DEFAULT 30000;
-- Keep the bot's conversations pending when it fails, instead of handing over.
ALTER TABLE agent_bots ADD COLUMN keep_pending_on_failure BOOLEAN NOT NULL DEFAULT FALSE;
-- While the breaker is open, new conversations in the bot's inboxes start open.
ALTER TABLE agent_bots ADD COLUMN open_while_breaker_open BOOLEAN NOT NULL DEFAULT TRUE;
-- The circuit breaker: consecutive failed attempts, and until when it is open.
ALTER TABLE agent_bots ADD COLUMN breaker_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE agent_bots ADD COLUMN breaker_open_until BIGINT NOT NULL DEFAULT 0;

CREATE INDEX deliveries_handoff ON deliveries (handoff, status, created_at);
CREATE INDEX deliveries_event ON deliveries (event_id);

-- +goose Down
DROP INDEX deliveries_event;
DROP INDEX deliveries_handoff;
ALTER TABLE agent_bots DROP COLUMN breaker_open_until;
ALTER TABLE agent_bots DROP COLUMN breaker_failures;
ALTER TABLE agent_bots DROP COLUMN open_while_breaker_open;
ALTER TABLE agent_bots DROP COLUMN keep_pending_on_failure;
ALTER TABLE agent_bots DROP COLUMN handoff_deadline_ms;
ALTER TABLE agent_bots DROP COLUMN previous_secret_until;
ALTER TABLE agent_bots DROP COLUMN previous_secret_enc;
ALTER TABLE deliveries DROP COLUMN handoff;
ALTER TABLE deliveries DROP COLUMN lease_until;
ALTER TABLE deliveries DROP COLUMN lease_owner;
