-- +goose Up
-- custom_attributes define the custom attributes of an account's
-- conversations (model 0) or contacts (model 1), as Chatwoot's
-- custom_attribute_definitions: a key unique in the account and model, the
-- name and display type people see it by, a list's choices (a JSON array),
-- a pattern and its cue.
CREATE TABLE custom_attributes (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id    BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    attribute_key TEXT   NOT NULL,
    display_name  TEXT   NOT NULL,
    display_type  TEXT   NOT NULL,
    description   TEXT   NOT NULL DEFAULT '',
    model         INTEGER NOT NULL,
    attribute_values TEXT NOT NULL DEFAULT '[]',
    regex_pattern TEXT   NOT NULL DEFAULT '',
    regex_cue     TEXT   NOT NULL DEFAULT '',
    default_value TEXT   NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    UNIQUE (account_id, model, attribute_key)
);

-- +goose Down
DROP TABLE custom_attributes;
