-- +goose Up
-- The agent app's contacts, most recently active first (store.ListContacts
-- with ByActivity): read a page off the index instead of sorting every
-- contact of the account (21 ms a page at 100,000 contacts in SQLite).
CREATE INDEX contacts_account_activity ON contacts (account_id, last_activity_at DESC, id DESC);

-- +goose Down
DROP INDEX contacts_account_activity;
