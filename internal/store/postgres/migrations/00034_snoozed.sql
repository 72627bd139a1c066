-- +goose Up
-- Snoozed conversations are woken when their time comes (store.DueSnoozed):
-- a look at the few that are snoozed, not at every conversation.
CREATE INDEX conversations_snoozed ON conversations (snoozed_until) WHERE status = 3;

-- +goose Down
DROP INDEX conversations_snoozed;
