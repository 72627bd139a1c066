package app_test

import (
	"context"
	"testing"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// TestWidgetMessageStatements counts what a widget visitor's message into
// their conversation runs, in the steady state: the conversation is read
// with the flood guard's count and the inbox's bot in one statement
// (store.FindLatestMessageTarget), as the public API reads it. Before: 10
// statements on SQLite, 11 on PostgreSQL (BEGIN and COMMIT counted there).
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
		limit := map[string]int64{"sqlite": 8, "postgres": 9}[s.Dialect()]
		t.Logf("%s: a widget message in the steady state: %d statements", s.Dialect(), n())
		if n() > limit {
			t.Errorf("a widget message: %d statements, at most %d expected", n(), limit)
		}
	})
}
