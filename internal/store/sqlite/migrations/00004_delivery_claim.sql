-- +goose Up
-- Pending deliveries in id order, for claiming lane heads without visiting
-- (and sorting) the whole backlog on every claim (store.ClaimDeliveries).
CREATE INDEX deliveries_pending ON deliveries (status, id);

-- +goose Down
DROP INDEX deliveries_pending;
