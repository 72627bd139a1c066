package store

import (
	"context"

	"github.com/batonhq/baton"
)

// Presence is kept per process: each process beats (Beat) and counts its
// users' live connections; a process whose last beat is older than the
// caller's liveSince is dead, and its connections no longer count. Nothing
// has to clean up after a process that died. Where the dialect has owner
// locks (PostgreSQL), a process that names the lock it holds (Beat's
// lockOwner) is dead the moment that lock is free, whatever its beats say:
// MarkDeadProcesses, which every process runs every few seconds, takes its
// beat back, so that a process killed does not keep its people online, and
// given handoffs, until its beats grow old. (Reading pg_locks in every
// presence query instead cost PostgreSQL 0.1-0.3 ms a process row.)

// Beat records that the process is alive at the time. lockOwner, when not
// empty, names the owner lock the process holds while it runs (see
// HoldOwner).
func (q *Queries) Beat(ctx context.Context, processID, lockOwner string, at int64) error {
	_, err := q.db.ExecContext(ctx, `INSERT INTO presence_processes (process_id, seen_at, lock_owner) VALUES ($1, $2, $3)
		ON CONFLICT (process_id) DO UPDATE SET seen_at = excluded.seen_at, lock_owner = excluded.lock_owner`,
		processID, at, lockOwner)
	return q.formatError(err, "presence")
}

// liveProcess is the condition that the process row aliased pp is alive:
// it beat at or after the parameter liveSince names.
func (q *Queries) liveProcess(liveSince string) string { return `pp.seen_at >= ` + liveSince }

// MarkDeadProcesses takes back the beats of the processes, other than self,
// whose owner lock is free: they died. It returns how many it found. A live
// process found so (its lock's connection lost for a moment) counts again
// at its next beat. Where the dialect has no owner locks it does nothing.
func (q *Queries) MarkDeadProcesses(ctx context.Context, self string) (int64, error) {
	ol, ok := q.d.(OwnerLocker)
	if !ok {
		return 0, nil
	}
	res, err := q.db.ExecContext(ctx, `UPDATE presence_processes SET seen_at = 0
		WHERE lock_owner <> '' AND process_id <> $1 AND seen_at > 0 AND NOT `+ol.OwnerHeld("lock_owner"), self)
	if err != nil {
		return 0, q.formatError(err, "presence")
	}
	return res.RowsAffected()
}

// AddConnection counts one more live connection of the user on the process,
// which beats with it.
func (q *Queries) AddConnection(ctx context.Context, processID string, userID, at int64) error {
	if _, err := q.db.ExecContext(ctx, `INSERT INTO presence_processes (process_id, seen_at) VALUES ($1, $2)
		ON CONFLICT (process_id) DO UPDATE SET seen_at = excluded.seen_at`, processID, at); err != nil {
		return q.formatError(err, "presence")
	}
	_, err := q.db.ExecContext(ctx, `INSERT INTO presence_connections (process_id, user_id, connections, since)
		VALUES ($1, $2, 1, $3) ON CONFLICT (process_id, user_id)
		DO UPDATE SET connections = presence_connections.connections + 1`, processID, userID, at)
	return q.formatError(err, "presence")
}

// RemoveConnection counts one live connection of the user on the process
// less; the last one removes the row.
func (q *Queries) RemoveConnection(ctx context.Context, processID string, userID int64) error {
	if _, err := q.db.ExecContext(ctx, `UPDATE presence_connections SET connections = connections - 1
		WHERE process_id = $1 AND user_id = $2`, processID, userID); err != nil {
		return q.formatError(err, "presence")
	}
	_, err := q.db.ExecContext(ctx, `DELETE FROM presence_connections
		WHERE process_id = $1 AND user_id = $2 AND connections <= 0`, processID, userID)
	return q.formatError(err, "presence")
}

// EndProcess forgets a process and its connections: a process stopping
// cleanly says so rather than waiting to be found dead.
func (q *Queries) EndProcess(ctx context.Context, processID string) error {
	_, err := q.db.ExecContext(ctx, `DELETE FROM presence_processes WHERE process_id = $1`, processID)
	return q.formatError(err, "presence")
}

// ForgetOtherProcesses forgets every process but self: for a process that
// knows it is the only one (SQLite), starting after one that died.
func (q *Queries) ForgetOtherProcesses(ctx context.Context, self string) error {
	_, err := q.db.ExecContext(ctx, `DELETE FROM presence_processes WHERE process_id <> $1`, self)
	return q.formatError(err, "presence")
}

// PruneProcesses forgets the processes dead since before the time.
func (q *Queries) PruneProcesses(ctx context.Context, before int64) error {
	_, err := q.db.ExecContext(ctx, `DELETE FROM presence_processes WHERE seen_at < $1`, before)
	return q.formatError(err, "presence")
}

// Connected reports whether the user has a live connection on a live
// process (one that beat at or after liveSince, and holds its lock).
func (q *Queries) Connected(ctx context.Context, userID, liveSince int64) (bool, error) {
	var n int
	err := q.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM presence_connections pc
		JOIN presence_processes pp ON pp.process_id = pc.process_id
		WHERE pc.user_id = $1 AND `+q.liveProcess("$2"), userID, liveSince).Scan(&n)
	return n > 0, q.formatError(err, "presence")
}

// ConnectedUsers returns the users, of those given, with a live connection.
func (q *Queries) ConnectedUsers(ctx context.Context, userIDs []int64, liveSince int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if len(userIDs) == 0 {
		return out, nil
	}
	in, args := q.inIDs(` AND pc.user_id IN `, userIDs, 2)
	ids, err := q.queryIDs(ctx, "presence", `SELECT DISTINCT pc.user_id FROM presence_connections pc
		JOIN presence_processes pp ON pp.process_id = pc.process_id
		WHERE `+q.liveProcess("$1")+in, append([]any{liveSince}, args...)...)
	for _, id := range ids {
		out[id] = true
	}
	return out, err
}

// SetAvailability sets the user's availability in the account.
func (q *Queries) SetAvailability(ctx context.Context, accountID, userID int64, a baton.Availability) error {
	res, err := q.db.ExecContext(ctx, `UPDATE account_users SET availability = $1 WHERE account_id = $2 AND user_id = $3`,
		a, accountID, userID)
	return q.mustAffect(res, err, "account user")
}
