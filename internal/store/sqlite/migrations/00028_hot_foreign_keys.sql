-- +goose Up
-- PostgreSQL's migration 00028 drops the foreign keys from messages, events
-- and deliveries to the rows they share (the account, inbox, bot and
-- webhook); SQLite keeps them (one writer: its checks take no lock on the
-- shared row) and gets the index through which an account's events of no
-- conversation are deleted with it (store.DeleteAccount).
CREATE INDEX events_account_alone ON events (account_id) WHERE conversation_id IS NULL;

-- +goose Down
DROP INDEX events_account_alone;
