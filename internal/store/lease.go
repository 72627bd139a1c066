package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"sync"
	"time"

	"github.com/batonhq/baton"
)

// Leases and the processes that hold them. A lane leased to a process that
// died would otherwise wait for the lease to run out (the delivery timeout
// and 30 s). Where the dialect is an OwnerLocker (PostgreSQL), every engine
// holds a session lock named for its lease owner for as long as it runs;
// the database frees it the moment the process's connection dies, and a
// lane leased to an owner whose lock is free is taken over at once. On
// SQLite one process owns the database file and frees every lease at start
// (ReleaseAllLeases).

// OwnerLocker is a Dialect with session locks named by a text.
type OwnerLocker interface {
	// LockOwner is a statement that takes the session lock of the owner
	// in $1, waiting for it.
	LockOwner() string
	// OwnerFree is an SQL condition that holds when no session holds the
	// lock of the owner the expression names.
	OwnerFree(expr string) string
	// OwnerHeld is an SQL condition that holds when a session holds the
	// lock of the owner the expression names; it takes no lock.
	OwnerHeld(expr string) string
}

// HasOwnerLocks reports whether the dialect has owner locks (PostgreSQL).
func (s *Store) HasOwnerLocks() bool {
	_, ok := s.dialect.(OwnerLocker)
	return ok
}

// OwnerLock is the session lock an engine holds while it runs.
type OwnerLock struct {
	db    *sql.DB
	owner string
	query string
	mu    sync.Mutex
	conn  *sql.Conn // nil where the dialect has no such locks, or after a failure
}

// HoldOwner returns the owner's lock, taken on a connection of its own.
// Where the dialect has no such locks, it holds nothing.
func (s *Store) HoldOwner(ctx context.Context, owner string) (*OwnerLock, error) {
	l := &OwnerLock{db: s.writer, owner: owner}
	if ol, ok := s.dialect.(OwnerLocker); ok {
		l.query = ol.LockOwner()
	}
	return l, l.Check(ctx)
}

// Check makes sure the lock is still held: when its connection has died,
// the database has freed the lock, and Check takes it again on a new
// connection. Other processes may have taken over the owner's lanes
// meanwhile; RecordAttempt then only logs the owner's attempts.
func (l *OwnerLock) Check(ctx context.Context) error {
	if l == nil || l.query == "" {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn != nil {
		if err := l.conn.PingContext(ctx); err == nil {
			return nil
		}
		l.conn.Close()
		l.conn = nil
	}
	conn, err := l.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("owner lock: %w", err)
	}
	if _, err := conn.ExecContext(ctx, l.query, l.owner); err != nil {
		conn.Close()
		return fmt.Errorf("owner lock: %w", err)
	}
	l.conn = conn
	return nil
}

// Release frees the lock and its connection.
func (l *OwnerLock) Release() {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn != nil {
		// Closing a connection that database/sql would reuse does not end
		// its session, nor free the lock: ErrBadConn makes it discard the
		// connection instead.
		_ = l.conn.Raw(func(any) error { return driver.ErrBadConn })
		l.conn.Close()
		l.conn = nil
	}
}

// TakeOverLanes frees the leases of owners other than self whose lock is
// free: processes that died. It returns how many lanes it freed. Where the
// dialect has no owner locks, it does nothing.
//
// It skips the lanes another transaction holds (a customer's message being
// queued on them) and leaves them to the next call: waiting for them, it
// would hold the lanes it had already locked, and a transaction queueing on
// two of them in the other order would deadlock with it, and one of the two
// would fail (measured: a customer's message refused).
func (q *Queries) TakeOverLanes(ctx context.Context, self string, now time.Time) (int64, error) {
	ol, ok := q.d.(OwnerLocker)
	if !ok {
		return 0, nil
	}
	res, err := q.db.ExecContext(ctx, q.updateLanes(`lease_owner = '', lease_until = 0`,
		`SELECT d.head_id FROM lanes d WHERE d.lease_owner <> '' AND d.lease_owner <> $1
			AND d.lease_until > $2 AND `+ol.OwnerFree("d.lease_owner")+q.d.SkipLocked()), self, toMicros(now))
	if err != nil {
		return 0, q.formatError(err, "delivery lane")
	}
	return res.RowsAffected()
}

// deleteTargetDeliveries deletes the target's deliveries, and by cascade
// their attempts and lanes, before a delete of the target: on PostgreSQL
// no foreign key leads from a delivery to its target (migration 00028).
// The target's lanes are locked first: the engine records an attempt lane
// first, then delivery, and a delete that took them the other way round
// deadlocked with it (a webhook's removal failed with a 500 on
// PostgreSQL). Taking the lanes first, the delete waits for the attempt
// being recorded, or the attempt for the delete.
func (q *Queries) deleteTargetDeliveries(ctx context.Context, t baton.Target) error {
	if lock := q.lock("l"); lock != "" { // SQLite has one writer
		if _, err := q.queryIDs(ctx, "delivery lane", `SELECT l.head_id FROM lanes l WHERE l.target = $1 ORDER BY l.head_id`+lock,
			targetKey(t)); err != nil {
			return err
		}
	}
	_, err := q.db.ExecContext(ctx, `DELETE FROM deliveries WHERE target = $1`, targetKey(t))
	return q.formatError(err, "delivery")
}
