-- +goose Up
-- Webhook endpoints, a kind of delivery target beside bots. An account
-- webhook (kind 1) hears the events it subscribes to, of every inbox or of
-- one (inbox_id); an API channel's webhook (kind 2) is the inbox's
-- webhook_url, one per inbox, kept in step with it. Each has its own
-- signing secret and circuit breaker.
CREATE TABLE webhooks (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id         BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    inbox_id           BIGINT  REFERENCES inboxes(id) ON DELETE CASCADE,
    kind               INTEGER NOT NULL,
    name               TEXT    NOT NULL DEFAULT '',
    url                TEXT    NOT NULL,
    subscriptions      TEXT    NOT NULL DEFAULT '[]',
    secret_enc         BLOB,
    breaker_failures   INTEGER NOT NULL DEFAULT 0,
    breaker_open_until BIGINT  NOT NULL DEFAULT 0,
    created_at         BIGINT  NOT NULL,
    updated_at         BIGINT  NOT NULL
);
CREATE INDEX webhooks_account ON webhooks (account_id, id);
CREATE UNIQUE INDEX webhooks_api_inbox ON webhooks (inbox_id) WHERE kind = 2;

-- A delivery's target is a bot (agent_bot_id) or a webhook (webhook_id);
-- "target" is the one key lanes are kept by: the bot's id, or minus the
-- webhook's. SQLite cannot drop a NOT NULL in place, so the delivery
-- tables are built again with their rows.
CREATE TABLE deliveries_new (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid            TEXT    NOT NULL UNIQUE,
    event_id        BIGINT  NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    agent_bot_id    BIGINT  REFERENCES agent_bots(id) ON DELETE CASCADE,
    webhook_id      BIGINT  REFERENCES webhooks(id) ON DELETE CASCADE,
    target          BIGINT  NOT NULL,
    account_id      BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    lane_id         BIGINT  NOT NULL,
    status          INTEGER NOT NULL DEFAULT 0,
    attempts        INTEGER NOT NULL DEFAULT 0,
    refusals        INTEGER NOT NULL DEFAULT 0,
    handoff         BOOLEAN NOT NULL DEFAULT FALSE,
    next_attempt_at BIGINT  NOT NULL,
    last_error      TEXT    NOT NULL DEFAULT '',
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL
);
INSERT INTO deliveries_new (id, uuid, event_id, agent_bot_id, target, account_id, lane_id, status, attempts, refusals,
    handoff, next_attempt_at, last_error, created_at, updated_at)
SELECT id, uuid, event_id, agent_bot_id, agent_bot_id, account_id, lane_id, status, attempts, refusals,
    handoff, next_attempt_at, last_error, created_at, updated_at FROM deliveries;
CREATE TABLE delivery_attempts_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id  BIGINT  NOT NULL REFERENCES deliveries_new(id) ON DELETE CASCADE,
    attempted_at BIGINT  NOT NULL,
    status_code  INTEGER NOT NULL DEFAULT 0,
    latency_us   BIGINT  NOT NULL DEFAULT 0,
    error        TEXT    NOT NULL DEFAULT '',
    response     TEXT    NOT NULL DEFAULT ''
);
INSERT INTO delivery_attempts_new SELECT id, delivery_id, attempted_at, status_code, latency_us, error, response
FROM delivery_attempts;
CREATE TABLE lanes_new (
    target          BIGINT NOT NULL,
    lane_id         BIGINT NOT NULL,
    head_id         BIGINT NOT NULL UNIQUE REFERENCES deliveries_new(id) ON DELETE CASCADE,
    next_attempt_at BIGINT NOT NULL,
    lease_owner     TEXT   NOT NULL DEFAULT '',
    lease_until     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (target, lane_id)
);
INSERT INTO lanes_new SELECT agent_bot_id, lane_id, head_id, next_attempt_at, lease_owner, lease_until FROM lanes;
DROP TABLE lanes;
DROP TABLE delivery_attempts;
DROP TABLE deliveries;
ALTER TABLE deliveries_new RENAME TO deliveries;
ALTER TABLE delivery_attempts_new RENAME TO delivery_attempts;
ALTER TABLE lanes_new RENAME TO lanes;
CREATE INDEX deliveries_lane ON deliveries (target, lane_id, status, id);
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_handoff ON deliveries (handoff, status, created_at);
CREATE INDEX deliveries_event ON deliveries (event_id);
CREATE INDEX deliveries_pending ON deliveries (status, id);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts (delivery_id, id);

-- +goose Down
DELETE FROM deliveries WHERE agent_bot_id IS NULL;
CREATE TABLE deliveries_old (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid            TEXT    NOT NULL UNIQUE,
    event_id        BIGINT  NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    agent_bot_id    BIGINT  NOT NULL REFERENCES agent_bots(id) ON DELETE CASCADE,
    account_id      BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    lane_id         BIGINT  NOT NULL,
    status          INTEGER NOT NULL DEFAULT 0,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT  NOT NULL,
    last_error      TEXT    NOT NULL DEFAULT '',
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL,
    handoff         BOOLEAN NOT NULL DEFAULT FALSE,
    refusals        INTEGER NOT NULL DEFAULT 0
);
INSERT INTO deliveries_old SELECT id, uuid, event_id, agent_bot_id, account_id, lane_id, status, attempts,
    next_attempt_at, last_error, created_at, updated_at, handoff, refusals FROM deliveries;
CREATE TABLE delivery_attempts_old (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id  BIGINT  NOT NULL REFERENCES deliveries_old(id) ON DELETE CASCADE,
    attempted_at BIGINT  NOT NULL,
    status_code  INTEGER NOT NULL DEFAULT 0,
    latency_us   BIGINT  NOT NULL DEFAULT 0,
    error        TEXT    NOT NULL DEFAULT '',
    response     TEXT    NOT NULL DEFAULT ''
);
INSERT INTO delivery_attempts_old SELECT * FROM delivery_attempts;
CREATE TABLE lanes_old (
    agent_bot_id    BIGINT NOT NULL REFERENCES agent_bots(id) ON DELETE CASCADE,
    lane_id         BIGINT NOT NULL,
    head_id         BIGINT NOT NULL UNIQUE REFERENCES deliveries_old(id) ON DELETE CASCADE,
    next_attempt_at BIGINT NOT NULL,
    lease_owner     TEXT   NOT NULL DEFAULT '',
    lease_until     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (agent_bot_id, lane_id)
);
INSERT INTO lanes_old SELECT target, lane_id, head_id, next_attempt_at, lease_owner, lease_until FROM lanes;
DROP TABLE lanes;
DROP TABLE delivery_attempts;
DROP TABLE deliveries;
ALTER TABLE deliveries_old RENAME TO deliveries;
ALTER TABLE delivery_attempts_old RENAME TO delivery_attempts;
ALTER TABLE lanes_old RENAME TO lanes;
CREATE INDEX deliveries_lane ON deliveries (agent_bot_id, lane_id, status, id);
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_handoff ON deliveries (handoff, status, created_at);
CREATE INDEX deliveries_event ON deliveries (event_id);
CREATE INDEX deliveries_pending ON deliveries (status, id);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts (delivery_id, id);
DROP TABLE webhooks;
