-- +goose Up
-- Presence: who is there to take a conversation. A user is online in an
-- account when they have at least one live connection (a /cable socket) on
-- a live process and their availability there is online (0). Each process
-- beats in presence_processes; a process that stops beating (it died) stops
-- counting, with its connections, without anyone having to clean up after it.
ALTER TABLE account_users ADD COLUMN availability INTEGER NOT NULL DEFAULT 0;

CREATE TABLE presence_processes (
    process_id TEXT   PRIMARY KEY,
    seen_at    BIGINT NOT NULL
);

-- presence_connections counts a user's live connections per process.
CREATE TABLE presence_connections (
    process_id  TEXT    NOT NULL REFERENCES presence_processes(process_id) ON DELETE CASCADE,
    user_id     BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    connections INTEGER NOT NULL,
    since       BIGINT  NOT NULL,
    PRIMARY KEY (process_id, user_id)
);
CREATE INDEX presence_connections_user ON presence_connections (user_id);

-- +goose Down
DROP TABLE presence_connections;
DROP TABLE presence_processes;
ALTER TABLE account_users DROP COLUMN availability;
