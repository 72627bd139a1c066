package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/postgres"
	"github.com/batonhq/baton/internal/store/storetest"
)

// listening is a store and a Listener on its schema whose wake-ups arrive
// on wakes.
type listening struct {
	store     *store.Store
	announcer *postgres.Announcer // this process's, as baton serve's announces its commits
	wakes     chan struct{}
	listened  chan struct{}
	bot       *baton.AgentBot
	account   *baton.Account
}

func startListening(t *testing.T, url string) *listening {
	t.Helper()
	ctx := t.Context()
	s, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	b := &listening{store: s, announcer: postgres.NewAnnouncer(s.DB(), nil), wakes: make(chan struct{}, 100),
		listened: make(chan struct{}, 10)}
	b.announcer.Start(ctx)
	t.Cleanup(b.announcer.Stop)
	now := time.Now()
	b.account = &baton.Account{Name: "Acme", CreatedAt: now, UpdatedAt: now}
	b.bot = &baton.AgentBot{Name: "Helper", OutgoingURL: "http://127.0.0.1:1/", CreatedAt: now, UpdatedAt: now}
	if err := s.Write(ctx, func(q *store.Queries) error {
		if err := q.CreateAccount(ctx, b.account); err != nil {
			return err
		}
		b.bot.AccountID = b.account.ID
		return q.CreateAgentBot(ctx, b.bot, nil)
	}); err != nil {
		t.Fatal(err)
	}
	l := postgres.NewListener(url, func() {
		select {
		case b.wakes <- struct{}{}:
		default:
		}
	}, nil)
	l.MinBackoff = 10 * time.Millisecond
	l.OnListen = func() { b.listened <- struct{}{} }
	l.Start(context.Background())
	t.Cleanup(l.Stop)
	b.waitListening(t)
	return b
}

// waitListening waits until the listener listens, and drops the wake-up
// it gives then.
func (b *listening) waitListening(t *testing.T) {
	t.Helper()
	select {
	case <-b.listened:
	case <-time.After(10 * time.Second):
		t.Fatal("the listener did not start listening")
	}
	b.drain()
}

func (b *listening) drain() {
	for {
		select {
		case <-b.wakes:
		default:
			return
		}
	}
}

// deliver writes an event and its delivery in one transaction; with fail
// the transaction is rolled back.
func (b *listening) deliver(t *testing.T, fail bool) {
	t.Helper()
	ctx := t.Context()
	errRollback := errors.New("rolled back")
	err := b.store.Write(ctx, func(q *store.Queries) error {
		now := time.Now()
		e := &baton.Event{AccountID: b.account.ID, Name: baton.EventMessageCreated, Payload: []byte(`{}`), CreatedAt: now}
		if err := q.CreateEvent(ctx, e); err != nil {
			return err
		}
		d := &baton.Delivery{UUID: now.Format(time.RFC3339Nano), EventID: e.ID, Target: baton.BotTarget(b.bot.ID),
			AccountID: b.account.ID, NextAttemptAt: now, CreatedAt: now}
		if _, err := q.CreateDelivery(ctx, d); err != nil {
			return err
		}
		if d.ID == 0 {
			t.Error("CreateDelivery did not set the delivery's id")
		}
		// As the app does: announced once committed, never before.
		q.AfterCommit(b.announcer.Deliveries)
		if fail {
			return errRollback
		}
		return nil
	})
	if fail != errors.Is(err, errRollback) {
		t.Fatalf("write: %v", err)
	}
}

func (b *listening) woken(wait time.Duration) bool {
	select {
	case <-b.wakes:
		return true
	case <-time.After(wait):
		return false
	}
}

// TestListenerWakes: a committed delivery, announced after its commit,
// wakes the listener of its schema at once; a rolled-back one, or one in
// another schema, does not.
func TestListenerWakes(t *testing.T) {
	t.Parallel()
	skipWithoutDatabase(t)
	b := startListening(t, storetest.PostgresURL(t))
	other := startListening(t, storetest.PostgresURL(t))

	b.deliver(t, true)
	if b.woken(300 * time.Millisecond) {
		t.Error("a rolled-back delivery woke the listener")
	}
	b.deliver(t, false)
	if !b.woken(5 * time.Second) {
		t.Fatal("a committed delivery did not wake the listener")
	}
	if other.woken(300 * time.Millisecond) {
		t.Error("a delivery in another schema woke the listener")
	}
}

// TestListenerReconnects: when its connection is killed the listener
// connects again, wakes the engine for what it may have missed, and goes on
// waking it.
func TestListenerReconnects(t *testing.T) {
	t.Parallel()
	skipWithoutDatabase(t)
	// A name of its own for the listener's connection, so that only it is
	// killed, not the listeners of tests running beside this one.
	name := fmt.Sprintf("baton listener test %d", time.Now().UnixNano())
	url := storetest.PostgresURL(t) + "&application_name=" + strings.ReplaceAll(name, " ", "%20")
	b := startListening(t, url)
	var killed sql.NullBool
	if err := b.store.DB().QueryRowContext(t.Context(), `SELECT bool_or(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = $1 AND query LIKE 'LISTEN%'`, name).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if !killed.Bool {
		t.Fatal("found no listener connection to kill")
	}
	select {
	case <-b.listened:
	case <-time.After(10 * time.Second):
		t.Fatal("the listener did not listen again")
	}
	if !b.woken(time.Second) {
		t.Error("the listener did not wake the engine after listening again")
	}
	b.drain()
	b.deliver(t, false)
	if !b.woken(5 * time.Second) {
		t.Fatal("a committed delivery did not wake the listener after it connected again")
	}
}
