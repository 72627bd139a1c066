-- +goose Up
-- No foreign key from a row written with every message or delivery to a
-- row that all of them share: the account, the inbox, the bot, the
-- webhook. Each such key's check locks the shared row (FOR KEY SHARE), and
-- concurrent writers' locks on one row make PostgreSQL keep a multixact of
-- them in its header, rewritten by every new locker and looked up by every
-- reader of the row: measured, 10 % of the database's CPU a bot turn and
-- 12 % more turns a second without them (docs/performance.md, session 13).
-- What they cascaded goes another way:
--   messages: with their conversation (its key stays), which goes with its
--     account and inbox;
--   events: with their conversation; an account's events of no
--     conversation are deleted with the account (store.DeleteAccount,
--     through the index below);
--   deliveries: with their event (its key stays); a bot's or webhook's are
--     deleted with it (store.DeleteAgentBot, DeleteWebhook). A delivery
--     queued while its bot was deleted is parked by the engine as "bot not
--     found", where the key made the customer's message fail.
ALTER TABLE messages DROP CONSTRAINT IF EXISTS messages_account_id_fkey;
ALTER TABLE messages DROP CONSTRAINT IF EXISTS messages_inbox_id_fkey;
ALTER TABLE events DROP CONSTRAINT IF EXISTS events_account_id_fkey;
ALTER TABLE deliveries DROP CONSTRAINT IF EXISTS deliveries_account_id_fkey;
ALTER TABLE deliveries DROP CONSTRAINT IF EXISTS deliveries_agent_bot_id_fkey;
ALTER TABLE deliveries DROP CONSTRAINT IF EXISTS deliveries_webhook_id_fkey;
CREATE INDEX events_account_alone ON events (account_id) WHERE conversation_id IS NULL;

-- +goose Down
DROP INDEX events_account_alone;
ALTER TABLE deliveries ADD FOREIGN KEY (webhook_id) REFERENCES webhooks(id) ON DELETE CASCADE;
ALTER TABLE deliveries ADD FOREIGN KEY (agent_bot_id) REFERENCES agent_bots(id) ON DELETE CASCADE;
ALTER TABLE deliveries ADD FOREIGN KEY (account_id) REFERENCES accounts(id) ON DELETE CASCADE;
ALTER TABLE events ADD FOREIGN KEY (account_id) REFERENCES accounts(id) ON DELETE CASCADE;
ALTER TABLE messages ADD FOREIGN KEY (inbox_id) REFERENCES inboxes(id) ON DELETE CASCADE;
ALTER TABLE messages ADD FOREIGN KEY (account_id) REFERENCES accounts(id) ON DELETE CASCADE;
