package store

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
)

// countKey is the context key of a statement count (CountStatements).
type countKey struct{}

// CountStatements returns a context under which the store counts the
// statements it runs, on the reader pool or in a write transaction, and a
// function that returns the count so far. On PostgreSQL the BEGIN and
// COMMIT of a write transaction are counted too, so the count is the
// round trips to the database; SQLite has none to count, and its group
// commit's shared BEGIN, savepoints and COMMIT are not. For tests and
// benchmarks: the number of statements a use case runs is part of its cost.
func CountStatements(ctx context.Context) (context.Context, func() int64) {
	n := &atomic.Int64{}
	return context.WithValue(ctx, countKey{}, n), n.Load
}

// count counts one statement run under ctx, if they are counted.
func count(ctx context.Context) {
	if n, ok := ctx.Value(countKey{}).(*atomic.Int64); ok {
		n.Add(1)
	}
}

// statements keeps one prepared statement per distinct SQL text of a pool;
// database/sql prepares it on each connection the first time it runs there.
// SQLite parses a statement's text every time it is run unprepared, and on
// the message hot path parsing cost more than running the statements did.
// (pgx caches prepared statements by itself, so PostgreSQL does without.)
// The writer's statements are prepared on the group commit's connection
// (connTx).
type statements struct {
	db conn
	mu sync.RWMutex
	m  map[string]*sql.Stmt
}

// conn is what statements are prepared on and queries run on: a pool
// (*sql.DB) or one of its connections (*sql.Conn, the group commit's).
type conn interface {
	dbtx
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// maxStatements bounds the cache: SQL built from filters and IN lists
// varies, and statements past the bound simply run unprepared.
const maxStatements = 256

func newStatements(db conn) *statements {
	return &statements{db: db, m: map[string]*sql.Stmt{}}
}

// prepare prepares query on its pool or connection and keeps it, unless the cache is
// full; it returns nil when it did not, and the caller runs query
// unprepared, which reports any error in it.
func (s *statements) prepare(ctx context.Context, query string) *sql.Stmt {
	if s == nil {
		return nil
	}
	s.mu.RLock()
	st, full := s.m[query], len(s.m) >= maxStatements
	s.mu.RUnlock()
	if st != nil || full {
		return st
	}
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.m[query]; old != nil {
		st.Close()
		return old
	}
	s.m[query] = st
	return st
}

// close closes the prepared statements.
func (s *statements) close() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for q, st := range s.m {
		st.Close()
		delete(s.m, q)
	}
}

// pool runs queries on a connection pool, or on one connection, prepared
// when it can. With detach, its queries do not end with the caller's
// context (the group commit's: one caller's context must not end a
// transaction others share).
type pool struct {
	db     conn
	stmts  *statements
	detach bool
}

// context is the context a query of the caller's runs in.
func (p pool) context(ctx context.Context) context.Context {
	count(ctx)
	if p.detach {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

func (p pool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx = p.context(ctx)
	if st := p.stmts.prepare(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return p.db.ExecContext(ctx, query, args...)
}

func (p pool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx = p.context(ctx)
	if st := p.stmts.prepare(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return p.db.QueryContext(ctx, query, args...)
}

func (p pool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	ctx = p.context(ctx)
	if st := p.stmts.prepare(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return p.db.QueryRowContext(ctx, query, args...)
}

// transaction runs queries in a database/sql transaction: PostgreSQL's
// (SQLite's group commit runs its own, connTx). A statement can wait there
// for a row lock, and the caller's context ends it.
type transaction struct {
	tx *sql.Tx
}

func (t *transaction) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	count(ctx)
	return t.tx.ExecContext(ctx, query, args...)
}

func (t *transaction) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	count(ctx)
	return t.tx.QueryContext(ctx, query, args...)
}

func (t *transaction) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	count(ctx)
	return t.tx.QueryRowContext(ctx, query, args...)
}
