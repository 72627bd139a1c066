-- +goose Up
-- A message updates its conversation's last_activity_at and updated_at.
-- With last_activity_at in an index, every such update was a new row
-- version in each of the conversation's seven indexes; with no indexed
-- column changed, and room left in the page, PostgreSQL updates the row in
-- place (a HOT update) and touches no index. The conversation list still
-- finds an account's conversations of a status by the index; it sorts what
-- it finds, as its counts read them all anyway. The fillfactor applies to
-- pages written from now on; a table's existing full pages get the room
-- as their rows move (or after VACUUM FULL).
DROP INDEX conversations_account_activity;
CREATE INDEX conversations_account_status ON conversations (account_id, status);
ALTER TABLE conversations SET (fillfactor = 80);

-- +goose Down
ALTER TABLE conversations RESET (fillfactor);
DROP INDEX conversations_account_status;
CREATE INDEX conversations_account_activity ON conversations (account_id, status, last_activity_at);
