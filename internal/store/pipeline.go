package store

import (
	"context"
	"database/sql"
)

// Piped is a statement sent in a pipeline (see pipeliner): its SQL, its
// arguments, and what reads its rows (nil for a statement whose rows, if
// any, are not read).
type Piped struct {
	SQL  string
	Args []any
	Read func(r Rows) error
}

// Rows are a piped statement's rows, read as database/sql's are.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// pipeliner is a dialect that sends several statements to the database
// at once, in one round trip, run there as one transaction in which each
// statement sees what committed before it began (PostgreSQL's pipeline,
// in READ COMMITTED). A statement that fails rolls the transaction back,
// and the statements after it do not run.
type pipeliner interface {
	Pipeline(ctx context.Context, db *sql.DB, ps []Piped) error
}

// pipelines reports whether the dialect sends statements in pipelines.
func (s *Store) pipelines() bool {
	_, ok := s.dialect.(pipeliner)
	return ok
}

// pipeline runs ps in one round trip, on a dialect that pipelines.
func (s *Store) pipeline(ctx context.Context, ps []Piped) error {
	count(ctx)
	s.transactions.Add(1)
	return s.dialect.(pipeliner).Pipeline(ctx, s.writer, ps)
}
