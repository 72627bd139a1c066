-- +goose Up
-- Webhook endpoints, a kind of delivery target beside bots. An account
-- webhook (kind 1) hears the events it subscribes to, of every inbox or of
-- one (inbox_id); an API channel's webhook (kind 2) is the inbox's
-- webhook_url, one per inbox, kept in step with it. Each has its own
-- signing secret and circuit breaker.
CREATE TABLE webhooks (
    id                 BIGSERIAL PRIMARY KEY,
    account_id         BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    inbox_id           BIGINT  REFERENCES inboxes(id) ON DELETE CASCADE,
    kind               INTEGER NOT NULL,
    name               TEXT    NOT NULL DEFAULT '',
    url                TEXT    NOT NULL,
    subscriptions      TEXT    NOT NULL DEFAULT '[]',
    secret_enc         BYTEA,
    breaker_failures   INTEGER NOT NULL DEFAULT 0,
    breaker_open_until BIGINT  NOT NULL DEFAULT 0,
    created_at         BIGINT  NOT NULL,
    updated_at         BIGINT  NOT NULL
);
CREATE INDEX webhooks_account ON webhooks (account_id, id);
CREATE UNIQUE INDEX webhooks_api_inbox ON webhooks (inbox_id) WHERE kind = 2;

-- A delivery's target is a bot (agent_bot_id) or a webhook (webhook_id);
-- "target" is the one key lanes are kept by: the bot's id, or minus the
-- webhook's.
ALTER TABLE deliveries ALTER COLUMN agent_bot_id DROP NOT NULL;
ALTER TABLE deliveries ADD COLUMN webhook_id BIGINT REFERENCES webhooks(id) ON DELETE CASCADE;
ALTER TABLE deliveries ADD COLUMN target BIGINT;
UPDATE deliveries SET target = agent_bot_id;
ALTER TABLE deliveries ALTER COLUMN target SET NOT NULL;
DROP INDEX deliveries_lane;
CREATE INDEX deliveries_lane ON deliveries (target, lane_id, status, id);
ALTER TABLE lanes DROP CONSTRAINT lanes_pkey;
ALTER TABLE lanes RENAME COLUMN agent_bot_id TO target;
ALTER TABLE lanes DROP CONSTRAINT IF EXISTS lanes_agent_bot_id_fkey;
ALTER TABLE lanes ADD PRIMARY KEY (target, lane_id);

-- +goose Down
DELETE FROM deliveries WHERE agent_bot_id IS NULL;
ALTER TABLE lanes DROP CONSTRAINT lanes_pkey;
ALTER TABLE lanes RENAME COLUMN target TO agent_bot_id;
ALTER TABLE lanes ADD FOREIGN KEY (agent_bot_id) REFERENCES agent_bots(id) ON DELETE CASCADE;
ALTER TABLE lanes ADD PRIMARY KEY (agent_bot_id, lane_id);
DROP INDEX deliveries_lane;
CREATE INDEX deliveries_lane ON deliveries (agent_bot_id, lane_id, status, id);
ALTER TABLE deliveries DROP COLUMN target;
ALTER TABLE deliveries DROP COLUMN webhook_id;
ALTER TABLE deliveries ALTER COLUMN agent_bot_id SET NOT NULL;
DROP TABLE webhooks;
