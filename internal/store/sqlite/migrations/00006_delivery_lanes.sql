-- +goose Up
-- One row per lane (bot and conversation) with deliveries pending: its head
-- (the oldest pending delivery), when the head's next attempt is due, and
-- the lease of the process sending it. A claim reads only the lanes it
-- claims, whatever the backlog behind them, instead of finding each lane's
-- head among all pending deliveries (which PostgreSQL's planner could not
-- estimate, and so read and sorted the whole backlog on every claim).
-- store.CreateDelivery and store.RecordAttempt keep it; a lane without
-- pending deliveries has no row. Leases move here from deliveries.
CREATE TABLE lanes (
    agent_bot_id    BIGINT NOT NULL REFERENCES agent_bots(id) ON DELETE CASCADE,
    lane_id         BIGINT NOT NULL,
    head_id         BIGINT NOT NULL UNIQUE REFERENCES deliveries(id) ON DELETE CASCADE,
    next_attempt_at BIGINT NOT NULL,
    lease_owner     TEXT   NOT NULL DEFAULT '',
    lease_until     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (agent_bot_id, lane_id)
);
INSERT INTO lanes (agent_bot_id, lane_id, head_id, next_attempt_at, lease_owner, lease_until)
SELECT d.agent_bot_id, d.lane_id, d.id, d.next_attempt_at, d.lease_owner, d.lease_until
FROM deliveries d
WHERE d.status = 0 AND d.id = (SELECT MIN(h.id) FROM deliveries h
    WHERE h.agent_bot_id = d.agent_bot_id AND h.lane_id = d.lane_id AND h.status = 0);
ALTER TABLE deliveries DROP COLUMN lease_owner;
ALTER TABLE deliveries DROP COLUMN lease_until;

-- +goose Down
ALTER TABLE deliveries ADD COLUMN lease_owner TEXT NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;
UPDATE deliveries SET lease_owner = (SELECT l.lease_owner FROM lanes l WHERE l.head_id = deliveries.id),
    lease_until = (SELECT l.lease_until FROM lanes l WHERE l.head_id = deliveries.id)
WHERE id IN (SELECT head_id FROM lanes);
DROP TABLE lanes;
