-- +goose Up
-- A message updates its conversation's last_activity_at and updated_at.
-- With last_activity_at in an index, every such update moved the row's
-- entry in it. The conversation list still finds an account's
-- conversations of a status by the index; it sorts what it finds, as its
-- counts read them all anyway. (On PostgreSQL this makes the update a HOT
-- one, which touches no index at all.)
DROP INDEX conversations_account_activity;
CREATE INDEX conversations_account_status ON conversations (account_id, status);

-- +goose Down
DROP INDEX conversations_account_status;
CREATE INDEX conversations_account_activity ON conversations (account_id, status, last_activity_at);
