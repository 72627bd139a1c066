-- +goose Up
-- custom_filters are the filters people save in an account, as Chatwoot's:
-- a person's own, named, of conversations, contacts or reports, the query
-- the filter's JSON body.
CREATE TABLE custom_filters (
    id          BIGSERIAL PRIMARY KEY,
    account_id  BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    user_id     BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name        TEXT   NOT NULL,
    filter_type TEXT   NOT NULL,
    query       JSONB NOT NULL DEFAULT '{}',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX custom_filters_owner ON custom_filters (account_id, user_id);

-- +goose Down
DROP TABLE custom_filters;
