-- +goose Up
-- live_events is what live clients (/cable) hear of: every committed change
-- they may be told about, written in the change's transaction and read by
-- each process's hub after the commit. It is a short log, not a history:
-- rows older than the resume window are pruned. It names what happened
-- (ids, and in data the changed attributes or a typing indicator's
-- details); the hub loads the current state to render it.
CREATE TABLE live_events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      BIGINT NOT NULL,
    conversation_id BIGINT,
    message_id      BIGINT,
    contact_id      BIGINT,
    name            TEXT   NOT NULL,
    data            TEXT   NOT NULL DEFAULT '{}',
    created_at      BIGINT NOT NULL
);
CREATE INDEX live_events_created_at ON live_events (created_at);

-- +goose Down
DROP TABLE live_events;
