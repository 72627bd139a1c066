package app_test

import (
	"context"
	"errors"
	"testing"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/auth"
	"github.com/batonhq/baton/internal/batontest"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// TestWidgetMessageStatements counts what a widget visitor's message into
// their conversation runs, in the steady state: the visitor (inbox,
// account, contact inbox, contact) is read in one statement
// (store.FindWidgetVisitor), and the conversation with the flood guard's
// count and the inbox's bot in another (store.FindLatestMessageTarget), as
// the public API reads it. Before: 10 statements on SQLite, 11 on
// PostgreSQL (BEGIN and COMMIT counted there).
func TestWidgetMessageStatements(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s)
		visitor, _ := w.visitor(t)
		var n func() int64
		var first *baton.Message
		for i := range 3 {
			var ctx context.Context
			ctx, n = store.CountStatements(visitor)
			m, err := w.app.WidgetCreateMessage(ctx, app.WidgetMessageInput{Content: ptr("hello")})
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				first = m
			} else if m.ConversationID != first.ConversationID {
				t.Fatalf("message %d went to conversation %d, the first to %d", i, m.ConversationID, first.ConversationID)
			}
		}
		// PostgreSQL: 6 before the message went in without a transaction
		// there, as the public API's does (WriteOptimistic).
		limit := map[string]int64{"sqlite": 5, "postgres": 3}[s.Dialect()]
		t.Logf("%s: a widget message in the steady state: %d statements", s.Dialect(), n())
		if n() > limit {
			t.Errorf("a widget message: %d statements, at most %d expected", n(), limit)
		}
	})
}

// TestWidgetSuspendedAccount: a visitor with a good token is refused once
// the widget's account is suspended, as every caller of a suspended account
// is, and served again once it is active.
func TestWidgetSuspendedAccount(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s)
		visitor, _ := w.visitor(t)
		say := func() error {
			_, err := w.app.WidgetCreateMessage(visitor, app.WidgetMessageInput{Content: ptr("hello")})
			return err
		}
		if err := say(); err != nil {
			t.Fatal(err)
		}
		status := func(s string) {
			t.Helper()
			if _, err := w.app.UpdateAccount(batontest.System(), w.account.ID, app.AccountInput{Status: ptr(s)}); err != nil {
				t.Fatal(err)
			}
		}
		status("suspended")
		if err := say(); !errors.Is(err, auth.ErrSuspended) {
			t.Errorf("a message to a suspended account's widget: %v, want %v", err, auth.ErrSuspended)
		}
		status("active")
		if err := say(); err != nil {
			t.Errorf("a message once the account is active again: %v", err)
		}
	})
}
