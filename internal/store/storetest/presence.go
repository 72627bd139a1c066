package storetest

import (
	"testing"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/store"
)

// testPresence: connections count per process, the last one going ends
// the user's presence there, and a process that stopped beating no longer
// counts, nor do its connections.
func testPresence(t *testing.T, s *store.Store) {
	ctx := t.Context()
	acc := newAccount(t, s)
	u, v := newUser(t, s, acc.ID), newUser(t, s, acc.ID)
	t0 := at.UnixMicro()
	connected := func(userID, liveSince int64) bool {
		t.Helper()
		ok, err := s.Read().Connected(ctx, userID, liveSince)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if connected(u.ID, 0) {
		t.Fatal("a user who never connected is connected")
	}
	write(t, s, func(q *store.Queries) error {
		if err := q.AddConnection(ctx, "p1", u.ID, t0); err != nil {
			return err
		}
		if err := q.AddConnection(ctx, "p1", u.ID, t0); err != nil { // a second tab
			return err
		}
		return q.AddConnection(ctx, "p2", v.ID, t0)
	})
	if !connected(u.ID, t0) || !connected(v.ID, t0) {
		t.Fatal("connected users are not connected")
	}
	live, err := s.Read().ConnectedUsers(ctx, []int64{u.ID, v.ID, v.ID + 1000}, t0)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "connected users", live, map[int64]bool{u.ID: true, v.ID: true})

	// One of two tabs closes: still there. The last closes: gone.
	write(t, s, func(q *store.Queries) error { return q.RemoveConnection(ctx, "p1", u.ID) })
	if !connected(u.ID, t0) {
		t.Error("a user with one tab left is not connected")
	}
	write(t, s, func(q *store.Queries) error { return q.RemoveConnection(ctx, "p1", u.ID) })
	if connected(u.ID, t0) {
		t.Error("a user whose last connection ended is connected")
	}
	// A closing that was never opened changes nothing.
	write(t, s, func(q *store.Queries) error { return q.RemoveConnection(ctx, "p9", u.ID) })

	// p2 dies: it stops beating while p1 goes on. v's connection on p2
	// stops counting once p2's last beat is older than liveSince.
	write(t, s, func(q *store.Queries) error { return q.Beat(ctx, "p1", "", t0+100) })
	if connected(v.ID, t0+50) {
		t.Error("the connection of a process that stopped beating still counts")
	}
	if !connected(v.ID, t0) {
		t.Error("the connection of a live process does not count")
	}
	// Forgetting dead processes forgets their connections.
	write(t, s, func(q *store.Queries) error { return q.PruneProcesses(ctx, t0+50) })
	if connected(v.ID, 0) {
		t.Error("a pruned process's connection still counts")
	}
	write(t, s, func(q *store.Queries) error { return q.AddConnection(ctx, "p1", v.ID, t0+200) })
	write(t, s, func(q *store.Queries) error { return q.EndProcess(ctx, "p1") })
	if connected(v.ID, 0) {
		t.Error("an ended process's connection still counts")
	}

	// A process that names the owner lock it holds counts while it holds
	// it. On PostgreSQL it is dead the moment the lock is free (killed),
	// however recent its last beat; SQLite has no such locks (one process
	// owns the file) and the beats alone tell. A connection added after
	// the beat keeps the lock's name.
	owner := unique("presence owner ")
	lock, err := s.HoldOwner(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	write(t, s, func(q *store.Queries) error { return q.Beat(ctx, "p3", owner, t0+300) })
	write(t, s, func(q *store.Queries) error { return q.AddConnection(ctx, "p3", u.ID, t0+300) })
	if !connected(u.ID, t0+300) {
		t.Error("the connection of a process that holds its lock does not count")
	}
	markDead := func() {
		t.Helper()
		write(t, s, func(q *store.Queries) error {
			_, err := q.MarkDeadProcesses(ctx, "p0")
			return err
		})
	}
	markDead()
	if !connected(u.ID, t0+300) {
		t.Error("the connection of a process that holds its lock does not count after a sweep")
	}
	lock.Release()
	// PostgreSQL frees the lock when the session's backend has seen its
	// connection close, a moment after.
	dies := s.Dialect() == "postgres"
	for deadline := time.Now().Add(5 * time.Second); dies && connected(u.ID, t0+300) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		markDead()
	}
	if got := connected(u.ID, t0+300); got == dies {
		t.Errorf("the lock of the connection's process is free: connected %v, want %v", got, !dies)
	}
	live, err = s.Read().ConnectedUsers(ctx, []int64{u.ID}, t0+300)
	if err != nil {
		t.Fatal(err)
	}
	if live[u.ID] == dies {
		t.Errorf("the lock of the connection's process is free: ConnectedUsers %v, want %v", live[u.ID], !dies)
	}
	write(t, s, func(q *store.Queries) error { return q.ForgetOtherProcesses(ctx, "p0") })
	if connected(u.ID, 0) {
		t.Error("a forgotten process's connection still counts")
	}

	// Availability is per account.
	write(t, s, func(q *store.Queries) error { return q.SetAvailability(ctx, acc.ID, u.ID, baton.Busy) })
	au, err := s.Read().FindAccountUser(ctx, acc.ID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if au.Availability != baton.Busy {
		t.Errorf("availability %v, want busy", au.Availability)
	}
	other := newAccount(t, s)
	err = s.Write(ctx, func(q *store.Queries) error { return q.SetAvailability(ctx, other.ID, u.ID, baton.Busy) })
	wantNotFound(t, "SetAvailability in an account the user is not in", err)
}
