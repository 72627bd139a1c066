package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/store"
)

func testWriteRollback(t *testing.T, s *store.Store) {
	ctx := t.Context()
	a := &baton.Account{Name: "Rolled back", CreatedAt: at, UpdatedAt: at}
	var u *baton.User
	err := s.Write(ctx, func(q *store.Queries) error {
		if err := q.CreateAccount(ctx, a); err != nil {
			return err
		}
		u = &baton.User{Name: "Gone", Email: unique("gone") + "@example.com", CreatedAt: at, UpdatedAt: at}
		if err := q.CreateUser(ctx, u); err != nil {
			return err
		}
		// The transaction sees its own writes.
		if _, err := q.FindAccount(ctx, a.ID); err != nil {
			t.Errorf("FindAccount inside the transaction: %v", err)
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("Write returned %v, want the function's error", err)
	}
	_, err = s.Read().FindAccount(ctx, a.ID)
	wantNotFound(t, "FindAccount after rollback", err)
	_, err = s.Read().FindUserByEmail(ctx, u.Email)
	wantNotFound(t, "FindUserByEmail after rollback", err)
	for _, table := range []string{"accounts", "users"} {
		if n := count(t, s, `SELECT COUNT(*) FROM `+table); n != 0 {
			t.Errorf("%s has %d rows after a rolled back write", table, n)
		}
	}

	// A write that fails on a conflict half-way leaves nothing either.
	taken := newUser(t, s, 0)
	err = s.Write(ctx, func(q *store.Queries) error {
		if err := q.CreateAccount(ctx, &baton.Account{Name: "Half", CreatedAt: at, UpdatedAt: at}); err != nil {
			return err
		}
		return q.CreateUser(ctx, &baton.User{Name: "Twin", Email: taken.Email, CreatedAt: at, UpdatedAt: at})
	})
	wantCode(t, "a write with a taken e-mail", err, baton.ECONFLICT)
	if n := count(t, s, `SELECT COUNT(*) FROM accounts`); n != 0 {
		t.Errorf("accounts has %d rows after a failed write", n)
	}

	// The store still writes after rollbacks: the writer was given back.
	newAccount(t, s)
}

// testWriteConcurrent runs writes at once that commit, roll back and
// conflict: each keeps its own outcome, whatever the others do.
func testWriteConcurrent(t *testing.T, s *store.Store) {
	const writers = 21
	email := unique("shared") + "@example.com"
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			ctx := context.Background()
			errs[i] = s.Write(ctx, func(q *store.Queries) error {
				a := &baton.Account{Name: fmt.Sprintf("writer %d", i), CreatedAt: at, UpdatedAt: at}
				if err := q.CreateAccount(ctx, a); err != nil {
					return err
				}
				switch i % 3 {
				case 0:
					return errRollback
				case 1:
					return nil
				}
				return q.CreateUser(ctx, &baton.User{Name: a.Name, Email: email, CreatedAt: at, UpdatedAt: at})
			})
		})
	}
	wg.Wait()
	winners := 0
	for i, err := range errs {
		switch {
		case i%3 == 0 && !errors.Is(err, errRollback):
			t.Errorf("writer %d returned %v, want its own error", i, err)
		case i%3 == 1 && err != nil:
			t.Errorf("writer %d returned %v, want nil", i, err)
		case i%3 == 2 && err == nil:
			winners++
		case i%3 == 2:
			wantCode(t, fmt.Sprintf("writer %d with a taken e-mail", i), err, baton.ECONFLICT)
		}
	}
	if winners != 1 {
		t.Errorf("%d writers took the same e-mail, want 1", winners)
	}
	for i, err := range errs {
		n := count(t, s, `SELECT COUNT(*) FROM accounts WHERE name = $1`, fmt.Sprintf("writer %d", i))
		if want := map[bool]int{true: 1, false: 0}[err == nil]; n != want {
			t.Errorf("writer %d (returned %v) left %d accounts, want %d", i, err, n, want)
		}
	}
	if n := count(t, s, `SELECT COUNT(*) FROM users WHERE email = $1`, email); n != 1 {
		t.Errorf("%d users have the shared e-mail, want 1", n)
	}
}

// testWritePanic panics inside a write: the panic reaches the caller,
// nothing is written, and the store writes afterwards.
func testWritePanic(t *testing.T, s *store.Store) {
	ctx := t.Context()
	a := &baton.Account{Name: "Panicked", CreatedAt: at, UpdatedAt: at}
	func() {
		defer func() {
			if v := recover(); v != "boom" {
				t.Errorf("recovered %v, want the function's panic", v)
			}
		}()
		_ = s.Write(ctx, func(q *store.Queries) error {
			if err := q.CreateAccount(ctx, a); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	if n := count(t, s, `SELECT COUNT(*) FROM accounts`); n != 0 {
		t.Errorf("accounts has %d rows after a write panicked", n)
	}
	// Were the transaction left open, the writer would wait forever; the
	// deadline turns that into a failure.
	stuck, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := s.Write(stuck, func(q *store.Queries) error {
		return q.CreateAccount(ctx, &baton.Account{Name: "After", CreatedAt: at, UpdatedAt: at})
	}); err != nil {
		t.Errorf("write after a panic: %v", err)
	}
}

// testWriteAfterDeadlock: two transactions that lock two rows in opposite
// orders deadlock on PostgreSQL, which ends one of them; Write runs that
// one again, and both succeed. SQLite, one writer at a time, never
// deadlocks (and the two could not wait for each other there).
func testWriteAfterDeadlock(t *testing.T, s *store.Store) {
	if s.Dialect() == "sqlite" {
		t.Skip("one writer at a time: no deadlock")
	}
	ctx := t.Context()
	th := newThread(t, s)
	other := newContactInbox(t, s, newContact(t, s, th.account.ID).ID, th.inbox.ID)
	rows := [2]int64{th.contactInbox.ID, other.ID}
	var runs [2]int
	var both sync.WaitGroup // each first run holds its first row
	both.Add(2)
	errs := make(chan error, 2)
	for i := range 2 {
		go func() {
			errs <- s.Write(ctx, func(q *store.Queries) error {
				runs[i]++
				if err := q.LockContactInbox(ctx, rows[i]); err != nil {
					return err
				}
				if runs[i] == 1 {
					both.Done()
					both.Wait()
				}
				return q.LockContactInbox(ctx, rows[1-i])
			})
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("a transaction of the two failed: %v", err)
		}
	}
	// One is the victim and runs again. Rarely, on a busy machine, the
	// victim's second run still takes its first row before the winner
	// wakes, and they deadlock once more: both then run twice.
	if runs[0]+runs[1] < 3 {
		t.Fatalf("the transactions ran %d and %d times, want one of them again", runs[0], runs[1])
	}
}

// testSearchFoldsLetters: the searches ignore the case of every letter
// LOWER knows, not of ASCII letters alone, on every connection (the
// reader's and the writer's): "émile" finds "Émile" and "ÉMILE",
// "österreich" "ÖSTERREICH", "σωκράτης" "Σωκράτης", "ПРИВЕТ" "привет".
// (Both databases lower a capital sigma to σ, never to a word's last ς:
// "ΣΩΚΡΆΤΗΣ" is found by "σωκράτη", not by "σωκράτης".) The contacts' search, the
// API's q (messages), the agent app's search by a contact's name and
// the canned responses' search all lower the text and the search with
// the database's LOWER.
func testSearchFoldsLetters(t *testing.T, s *store.Store) {
	ctx := t.Context()
	th := newThread(t, s)
	account := th.account.ID
	write(t, s, func(q *store.Queries) error {
		c := *th.contact
		c.Name, c.Email, c.Identifier, c.UpdatedAt = "ÉMILE Σωκράτης", "émile@österreich.test", "ПРИВЕТ-7", at
		return q.UpdateContact(ctx, &c)
	})
	newMessage(t, s, th.conversation, "Grüße aus ÖSTERREICH, ΣΩΚΡΆΤΗΣ sagt привет", nil)
	// Another conversation, its contact's and its messages' letters
	// only ASCII, is found by none of the searches.
	plain := newConversation(t, s, newContactInbox(t, s, newContact(t, s, account).ID, th.inbox.ID), account, nil)
	newMessage(t, s, plain, "Emile, osterreich, privet", nil)
	for _, c := range []struct {
		code, content string
	}{{"émile", "Bonjour"}, {"Gruss", "GRÜSSE AUS ÖSTERREICH"}, {"ascii", "Emile osterreich"}} {
		write(t, s, func(q *store.Queries) error {
			return q.CreateCannedResponse(ctx, &baton.CannedResponse{AccountID: account, ShortCode: c.code,
				Content: c.content, CreatedAt: at, UpdatedAt: at})
		})
	}

	for _, on := range []struct {
		name string
		run  func(fn func(q *store.Queries))
	}{
		{"reader", func(fn func(q *store.Queries)) { fn(s.Read()) }},
		{"writer", func(fn func(q *store.Queries)) {
			write(t, s, func(q *store.Queries) error { fn(q); return nil })
		}},
	} {
		on.run(func(q *store.Queries) {
			for _, search := range []string{"émile", "ÉMILE", "éMiLe", "σωκράτης", "ΣΩΚΡΆΤΗ", "@ÖSTERREICH", "привет"} {
				cs, total, err := q.ListContacts(ctx, store.ContactFilter{AccountID: account, Query: search, Limit: 10})
				if err != nil || total != 1 || len(cs) != 1 || cs[0].ID != th.contact.ID {
					t.Errorf("%s: contacts matching %q: %d of %d (%v), want contact %d", on.name, search, len(cs), total, err, th.contact.ID)
				}
				convs, err := q.ListConversations(ctx, store.ConversationFilter{AccountID: account,
					Search: store.ConversationSearch{Text: search}})
				if err != nil || len(convs) != 1 || convs[0].ID != th.conversation.ID {
					t.Errorf("%s: agent app's search %q: %v (%v), want conversation %d", on.name, search, conversationIDs(convs), err, th.conversation.ID)
				}
			}
			for _, search := range []string{"grüße aus österreich", "GRÜẞE", "σωκράτη", "ΣΩΚΡΆΤΗ", "ПРИВЕТ"} {
				convs, err := q.ListConversations(ctx, store.ConversationFilter{AccountID: account, Query: search})
				if err != nil || len(convs) != 1 || convs[0].ID != th.conversation.ID {
					t.Errorf("%s: conversations whose messages match %q: %v (%v), want conversation %d", on.name, search, conversationIDs(convs), err, th.conversation.ID)
				}
			}
			for search, want := range map[string][]string{"ÉMILE": {"émile"}, "Émile": {"émile"}, "grüsse aus österreich": {"Gruss"}, "ÖSTERREICH": {"Gruss"}} {
				cs, err := q.ListCannedResponses(ctx, account, search, 0)
				var got []string
				for _, c := range cs {
					got = append(got, c.ShortCode)
				}
				if err != nil || !slices.Equal(got, want) {
					t.Errorf("%s: canned responses matching %q: %q (%v), want %q", on.name, search, got, err, want)
				}
			}
		})
	}
}

// conversationIDs are the ids of the conversations, in order.
func conversationIDs(cs []*baton.Conversation) []int64 {
	var ids []int64
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	return ids
}
