-- +goose Up
-- The flood guard counts a conversation's messages by a minute kept on its
-- row: flood_at is when the minute began (the first message after the last
-- one ended), flood_count its messages so far. Every message already
-- updates its conversation's row; counting the last minute's messages
-- instead read one index entry a message (on PostgreSQL a heap visit too)
-- on every message, up to the limit. Existing conversations start a new
-- minute with their next message.
ALTER TABLE conversations ADD COLUMN flood_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN flood_count INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE conversations DROP COLUMN flood_count;
ALTER TABLE conversations DROP COLUMN flood_at;
