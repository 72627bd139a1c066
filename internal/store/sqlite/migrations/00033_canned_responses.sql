-- +goose Up
-- Canned responses as Chatwoot has them: a reply saved under a short code,
-- unique in its account, gone with the account.
CREATE TABLE canned_responses (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    short_code TEXT   NOT NULL,
    content    TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (account_id, short_code)
);

-- +goose Down
DROP TABLE canned_responses;
