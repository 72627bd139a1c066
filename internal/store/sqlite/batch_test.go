package sqlite_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// TestConcurrentWritesKeepTheirOwnOutcome checks group commit: writes that
// run at once share a SQLite transaction (counted), yet each keeps its changes
// exactly when its function succeeded, sees its AfterCommit run only then,
// and a panic reaches its own caller.
func TestConcurrentWritesKeepTheirOwnOutcome(t *testing.T) {
	t.Parallel()
	s := storetest.OpenSQLite(t)
	ctx := t.Context()
	errRefused := errors.New("refused")
	const n = 60
	// The first write holds the writer a moment, so that the others queue
	// and run together.
	release, holding := make(chan struct{}), make(chan struct{})
	go func() {
		_ = s.Write(ctx, func(q *store.Queries) error {
			close(holding)
			<-release
			return nil
		})
	}()
	<-holding
	var wg sync.WaitGroup
	errs := make([]error, n)
	panics := make([]any, n)
	committed := make([]bool, n)
	for i := range n {
		wg.Go(func() {
			defer func() { panics[i] = recover() }()
			errs[i] = s.Write(ctx, func(q *store.Queries) error {
				now := time.Now()
				if err := q.CreateAccount(ctx, &baton.Account{Name: fmt.Sprint("w", i), CreatedAt: now, UpdatedAt: now}); err != nil {
					return err
				}
				q.AfterCommit(func() { committed[i] = true })
				switch {
				case i%5 == 1:
					return errRefused
				case i%10 == 2:
					panic(fmt.Sprint("panic ", i))
				}
				return nil
			})
		})
	}
	// All wait before the writer is released, however slow the machine.
	for deadline := time.Now().Add(10 * time.Second); s.QueuedWrites() < n && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	before := s.WriteTransactions()
	close(release)
	wg.Wait()
	// The writes queued behind the first and ran together: far fewer
	// transactions than writes (without group commit, one each).
	if tx := s.WriteTransactions() - before; tx > n/4 {
		t.Errorf("%d writes took %d transactions: they were not batched", n, tx)
	}

	names := map[string]bool{}
	rows, err := s.DB().QueryContext(ctx, `SELECT name FROM accounts`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		names[name] = true
	}
	for i := range n {
		wantPanic := i%10 == 2
		wantErr := i%5 == 1
		ok := !wantPanic && !wantErr
		switch {
		case wantPanic && panics[i] != fmt.Sprint("panic ", i):
			t.Errorf("write %d: panic %v, want its own", i, panics[i])
		case !wantPanic && panics[i] != nil:
			t.Errorf("write %d: panic %v", i, panics[i])
		case wantErr && !errors.Is(errs[i], errRefused):
			t.Errorf("write %d: error %v, want %v", i, errs[i], errRefused)
		case ok && errs[i] != nil:
			t.Errorf("write %d: error %v", i, errs[i])
		}
		if got := names[fmt.Sprint("w", i)]; got != ok {
			t.Errorf("write %d: account stored = %v, want %v", i, got, ok)
		}
		if committed[i] != ok {
			t.Errorf("write %d: AfterCommit ran = %v, want %v", i, committed[i], ok)
		}
	}
}
