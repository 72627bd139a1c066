-- +goose Up
-- A process names the owner lock it holds while it runs (its delivery
-- engine's, see store.OwnerLocker). Where the database has such locks
-- (PostgreSQL), a process whose lock is free died, and its connections stop
-- counting at once rather than when its beats grow old (PresenceTTL). Empty
-- where the process holds none: its beats alone tell.
ALTER TABLE presence_processes ADD COLUMN lock_owner TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE presence_processes DROP COLUMN lock_owner;
