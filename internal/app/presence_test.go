package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// TestPresenceKeeperBeatsBeforeStartReturns: a process names its owner lock
// before it serves, so that another process finds it dead by that lock
// however soon it is killed. Beaten later (the keeper's first beat ran in
// its goroutine), a process killed before that beat left its people online
// until PresenceTTL (TestCrashedProcessPeopleOffline failed so on a loaded
// machine).
func TestPresenceKeeperBeatsBeforeStartReturns(t *testing.T) {
	s := storetest.OpenPostgres(t) // SQLite has no owner locks: one process
	w := setup(t, s)
	k := w.app.NewPresenceKeeper(time.Hour, "an owner whose lock nobody holds")
	k.Start(context.Background())
	defer k.Stop()
	var dead int64
	if err := s.Write(t.Context(), func(q *store.Queries) (err error) {
		dead, err = q.MarkDeadProcesses(t.Context(), "another process")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if dead != 1 {
		t.Fatalf("processes found dead just after the keeper started: %d, want 1 (its own, whose lock is free)", dead)
	}
}
