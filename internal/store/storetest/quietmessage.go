package storetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/store"
)

// quietWorld is an inbox with conversations where a customer's message is
// a quiet one (store.CreateQuietMessage): open and waiting, no bot, no
// webhook, the contact active now.
type quietWorld struct {
	inbox *baton.Inbox
	cis   []*baton.ContactInbox
	convs []*baton.Conversation
}

func newQuietWorld(t *testing.T, s *store.Store, n int) *quietWorld {
	t.Helper()
	account := newAccount(t, s)
	w := &quietWorld{inbox: newInbox(t, s, account.ID)}
	now := time.Now()
	for range n {
		contact := &baton.Contact{AccountID: account.ID, Name: unique("Contact "), LastActivityAt: &now, CreatedAt: at, UpdatedAt: at}
		write(t, s, func(q *store.Queries) error { return q.CreateContact(t.Context(), contact) })
		ci := newContactInbox(t, s, contact.ID, w.inbox.ID)
		w.cis = append(w.cis, ci)
		w.convs = append(w.convs, newConversation(t, s, ci, account.ID, func(c *baton.Conversation) { c.WaitingSince = &now }))
	}
	return w
}

// say writes a quiet message with the content into conversation k.
func (w *quietWorld) say(ctx context.Context, s *store.Store, k int, content string) (ok bool, err error) {
	m := &baton.Message{MessageType: baton.MessageIncoming, Content: &content, SenderType: baton.SenderContact,
		CreatedAt: time.Now(), UpdatedAt: time.Now()}
	_, ok, err = s.CreateQuietMessage(ctx, store.QuietMessage{InboxIdentifier: w.inbox.Identifier,
		SourceID: w.cis[k].SourceID, DisplayID: w.convs[k].DisplayID, Message: m,
		Live: &store.LiveEvent{Name: baton.EventMessageCreated}, FloodLimit: 1 << 40})
	return ok, err
}

// written counts the messages of the world's account.
func (w *quietWorld) written(t *testing.T, s *store.Store) int {
	t.Helper()
	var n int
	if err := s.DB().QueryRowContext(t.Context(), `SELECT count(*) FROM messages WHERE account_id = $1`,
		w.inbox.AccountID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// QuietMessagesAcrossStores writes quiet messages (store.CreateQuietMessage)
// into the same conversations in crossing orders through two stores on one
// database, as two processes of a scaled-out deployment do: their
// statements write several conversations each, and two that waited for
// each other's locks would wait until the database ended one with an error
// (a deadlock). None may fail: each message is written, once, or handed
// back as not written (ok false, for the caller's transaction to write),
// and many are written (two thirds and more, seen here).
func QuietMessagesAcrossStores(t *testing.T, a, b *store.Store) {
	t.Helper()
	const convs, writers, each = 6, 24, 10
	w := newQuietWorld(t, a, convs)
	var wg sync.WaitGroup
	var quiet atomic.Int64
	errs := make(chan error, writers*each)
	for n := range writers {
		s := []*store.Store{a, b}[n%2]
		wg.Go(func() {
			for i := range each {
				ok, err := w.say(t.Context(), s, (n*7+i*(1+n%5))%convs, fmt.Sprint(n, "-", i))
				if err != nil {
					errs <- err
				} else if ok {
					quiet.Add(1)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := w.written(t, a); int64(n) != quiet.Load() || n < writers*each/4 {
		t.Fatalf("%d messages written, %d said written, of %d", n, quiet.Load(), writers*each)
	}
}

// QuietMessageSkipsLocked holds one conversation's row locked in a
// transaction, as a transaction writing there does (PostgreSQL): a quiet
// message to another conversation is written without waiting for it, and
// one to the locked conversation is handed back at once, not written, for
// the caller's transaction to wait for the lock on its own. A statement
// that waited would hold up the messages of every conversation.
func QuietMessageSkipsLocked(t *testing.T, s *store.Store) {
	t.Helper()
	w := newQuietWorld(t, s, 2)
	tx, err := s.DB().BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(t.Context(), `SELECT id FROM conversations WHERE id = $1 FOR UPDATE`, w.convs[0].ID); err != nil {
		t.Fatal(err)
	}
	type result struct {
		ok  bool
		err error
	}
	for k, want := range []bool{false, true} {
		done := make(chan result, 1)
		go func() {
			ok, err := w.say(t.Context(), s, k, fmt.Sprint("to ", k))
			done <- result{ok, err}
		}()
		select {
		case r := <-done:
			if r.err != nil || r.ok != want {
				t.Fatalf("a quiet message to conversation %d (locked: %t): ok %t, err %v; want ok %t", k, k == 0, r.ok, r.err, want)
			}
		case <-time.After(5 * time.Second):
			tx.Rollback() // lets the statement end
			t.Fatalf("a quiet message to conversation %d (locked: %t) waited for the lock", k, k == 0)
		}
	}
	if n := w.written(t, s); n != 1 {
		t.Fatalf("%d messages written, want 1", n)
	}
}
