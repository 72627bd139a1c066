-- +goose Up
-- Agent bots: their secrets and avatars, their connections to inboxes, and
-- the event log with one delivery per event and bot.

ALTER TABLE agent_bots ADD COLUMN secret_enc BYTEA;
ALTER TABLE agent_bots ADD COLUMN avatar_key TEXT NOT NULL DEFAULT '';

-- agent_bot_inboxes connects at most one bot to an inbox.
CREATE TABLE agent_bot_inboxes (
    id           BIGSERIAL PRIMARY KEY,
    inbox_id     BIGINT  NOT NULL UNIQUE REFERENCES inboxes(id) ON DELETE CASCADE,
    agent_bot_id BIGINT  NOT NULL REFERENCES agent_bots(id) ON DELETE CASCADE,
    account_id   BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    status       INTEGER NOT NULL DEFAULT 0,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL
);
CREATE INDEX agent_bot_inboxes_bot ON agent_bot_inboxes (agent_bot_id, account_id);

-- events is the log of what happened, each with the payload bots receive,
-- rendered when it happened and written in the transaction of the change.
CREATE TABLE events (
    id              BIGSERIAL PRIMARY KEY,
    account_id      BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    conversation_id BIGINT REFERENCES conversations(id) ON DELETE CASCADE,
    name            TEXT   NOT NULL,
    payload         TEXT   NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX events_conversation ON events (conversation_id, id);

-- deliveries carries one event to one bot. A lane is one bot and one
-- conversation (lane_id is the conversation id, 0 for events without one);
-- within a lane, deliveries go out in id order, one at a time.
CREATE TABLE deliveries (
    id              BIGSERIAL PRIMARY KEY,
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
    updated_at      BIGINT  NOT NULL
);
CREATE INDEX deliveries_lane ON deliveries (agent_bot_id, lane_id, status, id);
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);

CREATE TABLE delivery_attempts (
    id           BIGSERIAL PRIMARY KEY,
    delivery_id  BIGINT  NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
    attempted_at BIGINT  NOT NULL,
    status_code  INTEGER NOT NULL DEFAULT 0,
    latency_us   BIGINT  NOT NULL DEFAULT 0,
    error        TEXT    NOT NULL DEFAULT '',
    response     TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts (delivery_id, id);

-- The flood guard counts a conversation's messages of the last minute.
CREATE INDEX messages_conversation_created ON messages (conversation_id, created_at);

-- +goose Down
DROP INDEX messages_conversation_created;
DROP TABLE delivery_attempts;
DROP TABLE deliveries;
DROP TABLE events;
DROP TABLE agent_bot_inboxes;
ALTER TABLE agent_bots DROP COLUMN avatar_key;
ALTER TABLE agent_bots DROP COLUMN secret_enc;
