-- +goose Up
-- Attempts the bot refused (an answer that is neither success nor an
-- outage), counted apart from outages: an event refused after an outage
-- still gets its quick retries, and an outage still its whole schedule.
ALTER TABLE deliveries ADD COLUMN refusals INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE deliveries DROP COLUMN refusals;
