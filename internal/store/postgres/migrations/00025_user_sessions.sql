-- +goose Up
-- user_sessions are people signed in: the agent app's browser sessions
-- (kind 'web') and devise-token-auth devices of Chatwoot's clients (kind
-- 'device', one per client id). Only the SHA-256 of a session's token is
-- kept; a lost database does not sign anyone in.
CREATE TABLE user_sessions (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind       TEXT   NOT NULL,
    client     TEXT   NOT NULL DEFAULT '',
    token_hash BYTEA   NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX user_sessions_user ON user_sessions (user_id, kind, client);

-- +goose Down
DROP TABLE user_sessions;
