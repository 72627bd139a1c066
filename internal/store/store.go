package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/batonhq/baton"
)

// Dialect is what a database package supplies to the shared queries.
type Dialect interface {
	// Name is "sqlite" or "postgres".
	Name() string
	// IsUniqueViolation reports whether err is a unique-constraint failure.
	IsUniqueViolation(err error) bool
	// IsForeignKeyViolation reports whether err is a foreign-key failure.
	IsForeignKeyViolation(err error) bool
	// IsRetryable reports whether err ended a transaction that may simply
	// run again: a deadlock, or a serialization failure.
	IsRetryable(err error) bool
	// SkipLocked is the clause that makes a SELECT skip rows other
	// transactions have locked (" FOR UPDATE SKIP LOCKED"), or "" where one
	// writer at a time makes it needless (SQLite).
	SkipLocked() string
	// LockRows is the clause that locks the rows of the table with the alias
	// that a SELECT returns until the transaction ends (" FOR UPDATE OF
	// alias"), or "" where one writer at a time makes it needless (SQLite).
	LockRows(alias string) string
}

// Store is an open database. Create it with sqlite.Open or postgres.Open.
type Store struct {
	reader  *sql.DB
	writer  *sql.DB
	dialect Dialect
	// Prepared statements of the reader pool, on SQLite only (see
	// statements); the writer's are the group commit's (connTx).
	readStmts    *statements
	batch        *batch           // group commit, on SQLite only (see batch)
	quiet        *quietBatch      // quiet messages written together, on PostgreSQL only (CreateQuietMessage)
	optimistic   *optimisticBatch // optimistic writes made together, on PostgreSQL only (WriteOptimistic)
	lookups      *lookupBatch     // their lookups, read together
	transactions atomic.Int64
	writesEnded  atomic.Int64   // the group commit's transactions that have ended (SQLite)
	closers      []func() error // what the dialect runs beside the pools (OnClose)
}

// New wraps open connection pools. reader and writer may be the same pool
// (PostgreSQL); on SQLite every write transaction runs on one connection
// of the writer (see batch).
func New(reader, writer *sql.DB, d Dialect) *Store {
	s := &Store{reader: reader, writer: writer, dialect: d}
	if d.Name() == "sqlite" {
		s.readStmts = newStatements(reader)
		s.batch = newBatch()
	} else {
		s.quiet = newQuietBatch()
		s.optimistic = newOptimisticBatch()
		s.lookups = newLookupBatch()
	}
	return s
}

// Dialect returns the name of the database behind the store.
func (s *Store) Dialect() string { return s.dialect.Name() }

// Close stops what runs beside the pools (OnClose) and closes the pools.
func (s *Store) Close() error {
	var err error
	for _, c := range s.closers {
		err = errors.Join(err, c())
	}
	s.readStmts.close()
	if s.batch != nil {
		s.batch.close()
	}
	err = errors.Join(err, s.writer.Close())
	if s.reader != s.writer {
		err = errors.Join(err, s.reader.Close())
	}
	return err
}

// OnClose registers f to run when the store closes, before its pools do:
// for what a database package runs beside them (SQLite's checkpointer).
func (s *Store) OnClose(f func() error) { s.closers = append(s.closers, f) }

// LimitConnections caps the connections the store keeps to n. On
// PostgreSQL that is the one pool, which processes sharing a server must
// keep within its max_connections; on SQLite the reader pool (the writer
// stays one connection).
func (s *Store) LimitConnections(n int) {
	s.reader.SetMaxOpenConns(n)
	s.reader.SetMaxIdleConns(n)
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.reader.PingContext(ctx) }

// Read returns queries that run on the reader pool, outside any transaction.
func (s *Store) Read() *Queries {
	return &Queries{db: pool{db: s.reader, stmts: s.readStmts}, d: s.dialect}
}

// WriteTransactions returns how many write transactions the store has
// begun. With group commit (SQLite) Write calls that arrive together share
// one, so there are fewer of them than calls.
func (s *Store) WriteTransactions() int64 { return s.transactions.Load() }

// WritesEnded returns how many of the group commit's transactions (SQLite)
// have ended, committed or rolled back: unlike WriteTransactions, which
// counts them as they begin, it never counts one whose commit is still to
// come. SQLite's checkpointer reads it to know whether a commit has ended
// since its last complete checkpoint.
func (s *Store) WritesEnded() int64 { return s.writesEnded.Load() }

// QueuedWrites returns how many Write calls wait for the writer, queued
// for group commit (SQLite); 0 where writes are not queued.
func (s *Store) QueuedWrites() int {
	if s.batch == nil {
		return 0
	}
	s.batch.mu.Lock()
	defer s.batch.mu.Unlock()
	return len(s.batch.pending)
}

// Write runs fn in one transaction on the writer and commits it when fn
// returns nil. Any error rolls everything back. Functions registered with
// Queries.AfterCommit run once the commit succeeded. On SQLite, concurrent
// calls may share one transaction, each keeping this meaning (see batch).
func (s *Store) Write(ctx context.Context, fn func(q *Queries) error) error {
	return s.write(ctx, fn, 0)
}

// writeAttempts bounds how often a transaction runs when PostgreSQL ends
// it as a deadlock's victim (or a serialization failure's).
const writeAttempts = 3

// write is Write, with an id reserved for the first message the
// transaction writes (see Queries.reserved); 0 for none. A transaction
// PostgreSQL chose as a deadlock's victim runs again: nothing of it was
// written, and the one it waited for has ended. Two requests that lock
// the same rows in another order (a widget visitor's new conversation and
// a label on their last one) both succeed, where one was a 500. The run
// again waits a few random milliseconds first: the one that won is woken
// when the victim ends, and a victim that began again at once could take
// the first row back before it and deadlock with it a second time.
func (s *Store) write(ctx context.Context, fn func(q *Queries) error, reserved int64) error {
	if s.batch != nil {
		return s.writeBatched(ctx, fn)
	}
	for attempt := 1; ; attempt++ {
		err := s.writeOnce(ctx, fn, reserved)
		if err == nil || attempt == writeAttempts || !s.dialect.IsRetryable(err) || ctx.Err() != nil {
			return err
		}
		wait := time.NewTimer(time.Duration(attempt) * (time.Millisecond + rand.N(4*time.Millisecond)))
		select {
		case <-ctx.Done():
			wait.Stop()
			return err
		case <-wait.C:
		}
	}
}

// writeOnce runs fn in a transaction, once.
func (s *Store) writeOnce(ctx context.Context, fn func(q *Queries) error, reserved int64) error {
	s.transactions.Add(1)
	count(ctx) // BEGIN
	tx, err := s.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	t := &transaction{tx: tx}
	// A panic in fn must not leave the transaction open: it would keep its
	// locks, and conn.Close would wait for it forever. After a commit the
	// rollback does nothing.
	defer func() { _ = tx.Rollback() }()
	q := &Queries{db: t, d: s.dialect, afterCommit: &[]func(){}, reserved: reserved}
	if err := withLast(q, fn); err != nil {
		_ = tx.Rollback()
		return err
	}
	if q.async {
		count(ctx)
		if _, err := tx.ExecContext(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
	}
	count(ctx) // COMMIT
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	for _, f := range *q.afterCommit {
		f()
	}
	return nil
}

// withLast runs fn, then what it put off with Last, in order.
func withLast(q *Queries, fn func(q *Queries) error) error {
	q.last = &[]func() error{}
	if err := fn(q); err != nil {
		return err
	}
	for i := 0; i < len(*q.last); i++ {
		if err := (*q.last)[i](); err != nil {
			return err
		}
	}
	return nil
}

// Last puts f off until the rest of the transaction's work is done, before
// its commit: for what must be written after it (a message whose events
// follow those of the change that caused it). Its error is the
// transaction's. Outside a transaction f runs at once.
func (q *Queries) Last(f func() error) error {
	if q.last == nil {
		return f()
	}
	*q.last = append(*q.last, f)
	return nil
}

// writeAlone runs fn, whose one statement is a transaction of its own: on
// SQLite through the group commit (Write), on PostgreSQL on the pool,
// without BEGIN and COMMIT: one round trip where a transaction took three.
func (s *Store) writeAlone(ctx context.Context, fn func(q *Queries) error) error {
	if s.batch != nil {
		return s.Write(ctx, fn)
	}
	s.transactions.Add(1)
	return fn(s.Read())
}

// DB returns the writer pool, for the few callers (migrations, tests) that
// need the raw connection.
func (s *Store) DB() *sql.DB { return s.writer }

type dbtx interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Queries runs the shared SQL on the reader pool or inside a write
// transaction.
type Queries struct {
	db          dbtx
	d           Dialect
	afterCommit *[]func() // nil outside a transaction

	// optimistic, in WriteOptimistic: what it read and holds back.
	optimistic *optimistic
	// reserved is an id reserved for the first message the transaction
	// writes (an optimistic write's, which it writes instead), 0 for none.
	reserved int64

	// async: AsyncCommit was called and not yet asked of PostgreSQL.
	async bool

	// last holds what the transaction's caller put off until the rest of
	// its work is done (Last); nil outside a transaction.
	last *[]func() error

	// webhooks remembers InboxWebhooks within a transaction: one change
	// raises several events of one inbox (a customer's message: the
	// message and the conversation's update), and each asks. Writes to
	// webhooks forget it.
	webhooks map[[2]int64][]*baton.Webhook
}

// lock returns the clause that locks what a SELECT of the table with the
// alias returns, inside a write transaction; outside one, nothing. A read
// in a write that the write then changes must lock: on PostgreSQL two
// transactions reading the same conversation would otherwise each write
// back their copy, and the last would undo the first.
func (q *Queries) lock(alias string) string {
	if q.afterCommit == nil || q.optimistic != nil {
		return ""
	}
	return q.d.LockRows(alias)
}

// AfterCommit registers f to run after the transaction commits; outside a
// transaction f runs at once. Live notifications go out this way, never
// before the change they announce is durable.
func (q *Queries) AfterCommit(f func()) {
	if q.afterCommit == nil {
		f()
		return
	}
	*q.afterCommit = append(*q.afterCommit, f)
}

// AsyncCommit lets the transaction's commit return before its changes
// reach the disk (PostgreSQL's synchronous_commit off, for this
// transaction alone), sparing it the wait for a flush: for changes whose
// loss in a crash of the database costs a repeat and nothing else, such as
// a claim's leases. Other transactions see them at once, and the next
// commit that waits for its flush flushes them too. On SQLite it does
// nothing: commits there already share one flush (group commit).
//
// On PostgreSQL it costs no round trip of its own where a statement of the
// transaction can carry it (asyncCommit); else Write sets it before the
// commit.
func (q *Queries) AsyncCommit(ctx context.Context) error {
	if q.afterCommit == nil || q.d.Name() != "postgres" {
		return nil
	}
	q.async = true
	return nil
}

// asyncCommit is the condition that makes the statement whose rows it is
// checked on ask, once, for AsyncCommit, while the transaction still has
// to: it is true either way. The statement's caller calls asked once a row
// was returned, when the condition was checked.
func (q *Queries) asyncCommit() string {
	if !q.async {
		return ""
	}
	return ` AND ` + asyncCommitCondition
}

// asyncCommitCondition, true, asks PostgreSQL for AsyncCommit from inside a
// statement of the transaction, or of a statement that is its own.
const asyncCommitCondition = `set_config('synchronous_commit', 'off', true) <> ''`

// asked records that a statement with asyncCommit returned a row.
func (q *Queries) asked() { q.async = false }

// formatError turns driver errors into domain errors: no rows is not
// found, a unique violation is a conflict. Other errors are wrapped.
func (q *Queries) formatError(err error, what string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return baton.ErrNotFound
	case q.d.IsUniqueViolation(err):
		return &baton.Error{Code: baton.ECONFLICT, Message: what + " has already been taken"}
	case q.d.IsForeignKeyViolation(err):
		return baton.ErrNotFound
	}
	var be *baton.Error
	if errors.As(err, &be) {
		return err
	}
	return fmt.Errorf("%s: %w", what, err)
}

// Times are stored as unix microseconds.

func toMicros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

func toNullMicros(t *time.Time) sql.NullInt64 {
	if t == nil || t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

func fromNullMicros(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromMicros(n.Int64)
	return &t
}

func nullString(s string) sql.NullString {
	return sql.NullString{String: s, Valid: s != ""}
}

func nullInt(i int64) sql.NullInt64 {
	return sql.NullInt64{Int64: i, Valid: i != 0}
}

// JSON documents are stored as text; nil maps are stored as {}.

func jsonObject(m map[string]any) string {
	if len(m) == 0 {
		return "{}"
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "{}"
	}
	return string(b)
}

// parseObject and parseStrings skip the decoder for the empty documents
// most rows hold: each conversation and contact read on the message hot
// path has several.
func parseObject(s string) map[string]any {
	m := map[string]any{}
	if s != "" && s != "{}" {
		_ = json.Unmarshal([]byte(s), &m)
	}
	return m
}

func jsonStrings(v []string) string {
	if len(v) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func parseStrings(s string) []string {
	v := []string{}
	if s != "" && s != "[]" {
		_ = json.Unmarshal([]byte(s), &v)
	}
	return v
}

func itoa(i int) string { return strconv.Itoa(i) }

// rowScanner is what the scan functions read a row from: a *sql.Row or the
// current row of *sql.Rows.
type rowScanner = interface{ Scan(...any) error }

// inIDs completes query, which ends in "IN ", with the ids as one
// parameter, $first, and returns the arguments to go after the query's
// first-1 others: one statement text whatever the count of ids, so that it
// is parsed, planned and prepared once, not once a count (PostgreSQL plans
// each text anew, the drivers keep each prepared on every connection, and
// SQLite's claim spent half its time parsing). On PostgreSQL the ids are
// an array, "= ANY($first)"; on SQLite a JSON array read by json_each.
func (q *Queries) inIDs(query string, ids []int64, first int) (string, []any) {
	param := "$" + itoa(first)
	if q.d.Name() == "postgres" {
		return strings.TrimSuffix(query, "IN ") + "= ANY(" + param + ")", []any{ids}
	}
	b := make([]byte, 0, 2+len(ids)*8)
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return query + "(SELECT value FROM json_each(" + param + "))", []any{string(append(b, ']'))}
}

// queryByID runs a query that ends in "IN " for the ids and returns its
// rows by the id key gives them; ids not found are left out.
func queryByID[T any](ctx context.Context, q *Queries, what, query string, ids []int64, scan func(rowScanner) (T, error), key func(T) int64) (map[int64]T, error) {
	out := make(map[int64]T, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	query, args := q.inIDs(query, ids, 1)
	vs, err := queryAll(ctx, q, what, query, scan, args...)
	for _, v := range vs {
		out[key(v)] = v
	}
	return out, err
}

// queryAll runs a query and returns its rows, in order, each read by scan.
// The query's error is formatted as what's; scan's error is returned as it is.
func queryAll[T any](ctx context.Context, q *Queries, what, query string, scan func(rowScanner) (T, error), args ...any) ([]T, error) {
	rows, err := q.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, q.formatError(err, what)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// insert runs an INSERT of one row that takes a new id, and returns the id.
// On SQLite the id is the result's last insert rowid, not a RETURNING
// clause: a statement that returns rows costs the driver the reading of
// each column's name and type and database/sql a cursor, on the inserts
// every message makes. PostgreSQL has no such id, and the insert returns it.
func (q *Queries) insert(ctx context.Context, query string, args ...any) (int64, error) {
	if q.d.Name() == "postgres" {
		var id int64
		err := q.db.QueryRowContext(ctx, query+` RETURNING id`, args...).Scan(&id)
		return id, err
	}
	res, err := q.db.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// queryIDs runs a query that selects one id column and returns the ids.
func (q *Queries) queryIDs(ctx context.Context, what, query string, args ...any) ([]int64, error) {
	return queryAll(ctx, q, what, query, scanInt64, args...)
}

// scanInt64 reads a row of one integer column.
func scanInt64(row rowScanner) (int64, error) {
	var v int64
	err := row.Scan(&v)
	return v, err
}

// scanString reads a row of one text column.
func scanString(row rowScanner) (string, error) {
	var v string
	err := row.Scan(&v)
	return v, err
}
