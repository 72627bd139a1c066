-- +goose Up
-- A value sealed with the installation's secret key by the first process
-- that opened the database: a process whose key does not open it is
-- refused at start, even before any token exists (two processes started on
-- an empty database, each with a key of its own, would otherwise each seal
-- secrets the other cannot open).
CREATE TABLE key_check (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    sealed BLOB NOT NULL
);

-- +goose Down
DROP TABLE key_check;
