-- +goose Up
-- Fewer index entries a delivery, each written when it is queued and again
-- when its status changes. Pruning reads old succeeded deliveries, and its
-- index now holds succeeded deliveries only (written once, when one
-- succeeds). Stranded customers are looked for among pending handoff
-- deliveries, and that index now holds those alone. Each leads with
-- status, so that the planner takes it over deliveries_pending (status,
-- id): SQLite read every pending delivery once a second for the stranded
-- look.
DROP INDEX deliveries_due;
DROP INDEX deliveries_handoff;
CREATE INDEX deliveries_succeeded ON deliveries (status, next_attempt_at) WHERE status = 1;
CREATE INDEX deliveries_handoff ON deliveries (status, created_at) WHERE handoff AND status = 0;

-- +goose Down
DROP INDEX deliveries_handoff;
DROP INDEX deliveries_succeeded;
CREATE INDEX deliveries_handoff ON deliveries (handoff, status, created_at);
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
