package app_test

import (
	"cmp"
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

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

// TestWidgetUpdateLastSeen: the visitor's latest conversation gets their
// last seen time, and nothing else of it changes, in two statements (the
// visitor, then the update) where a transaction that read the conversation
// to write it back took three (five on PostgreSQL, BEGIN and COMMIT
// counted); a visitor without a conversation marks nothing.
func TestWidgetUpdateLastSeen(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s)
		visitor, contact := w.visitor(t)
		if err := w.app.WidgetUpdateLastSeen(visitor); err != nil {
			t.Fatalf("a visitor without a conversation: %v", err)
		}
		latest := func() *baton.Conversation {
			t.Helper()
			cs, err := w.app.ContactConversations(w.admin, w.account.ID, contact.ID)
			if err != nil || len(cs) == 0 {
				t.Fatalf("the visitor's conversations: %v, %v", cs, err)
			}
			return slices.MaxFunc(cs, func(a, b *baton.Conversation) int { return cmp.Compare(a.ID, b.ID) })
		}
		if _, err := w.app.WidgetCreateMessage(visitor, app.WidgetMessageInput{Content: ptr("hello")}); err != nil {
			t.Fatal(err)
		}
		before := latest()
		if before.ContactLastSeenAt != nil {
			t.Fatalf("a new conversation is seen at %v", before.ContactLastSeenAt)
		}
		ctx, n := store.CountStatements(visitor)
		if err := w.app.WidgetUpdateLastSeen(ctx); err != nil {
			t.Fatal(err)
		}
		if n() > 2 {
			t.Errorf("marking the conversation seen ran %d statements, at most 2 expected", n())
		}
		after := latest()
		if after.ID != before.ID || after.ContactLastSeenAt == nil {
			t.Fatalf("conversation %d is seen at %v, want conversation %d marked", after.ID, after.ContactLastSeenAt, before.ID)
		}
		after.ContactLastSeenAt = nil
		if !reflect.DeepEqual(after, before) {
			t.Errorf("marking seen changed more than the time:\n%+v\n%+v", before, after)
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

// TestFileAccept: the file picker's list names every kind of file the
// server takes, the prefixed families by their extensions.
func TestFileAccept(t *testing.T) {
	t.Parallel()
	got := strings.Split(app.FileAccept(), ",")
	for _, item := range got {
		if item == "" {
			t.Fatalf("FileAccept %q has an empty item: a prefix without extensions", app.FileAccept())
		}
	}
	for _, want := range []string{"image/*", "video/*", "application/pdf", ".docx", ".odt"} {
		if !slices.Contains(got, want) {
			t.Errorf("FileAccept %q lacks %s", app.FileAccept(), want)
		}
	}
}

// TestWidgetConversationsLimited: a widget visitor starts at most
// WidgetConversationsPerHour conversations an hour, however they start
// them ("Start a new conversation", or a message after their first); past
// it they are refused while their messages into the current conversation
// go in, and an hour later they start one again. Another visitor is not
// held up. One visitor started conversations as fast as the server
// answered, each in the agents' queues and sent to the bot.
func TestWidgetConversationsLimited(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		clock := batontest.NewWallClock()
		w := setup(t, s, func(c *app.Config) { c.Now = clock.Now })
		visitor, _ := w.visitor(t)
		start := func(ctx context.Context) error {
			_, err := w.app.WidgetCreateMessage(ctx, app.WidgetMessageInput{Content: ptr("hello"), NewConversation: true})
			return err
		}
		for i := range app.WidgetConversationsPerHour {
			if err := start(visitor); err != nil {
				t.Fatalf("conversation %d: %v", i+1, err)
			}
		}
		if err := start(visitor); !errors.Is(err, &baton.Error{Code: baton.ERATELIMIT}) {
			t.Fatalf("one conversation more within the hour: %v, want rate limited", err)
		}
		if _, err := w.app.WidgetCreateMessage(visitor, app.WidgetMessageInput{Content: ptr("still here")}); err != nil {
			t.Fatalf("a message into the current conversation: %v", err)
		}
		other, _ := w.visitor(t)
		if err := start(other); err != nil {
			t.Fatalf("another visitor: %v", err)
		}
		clock.Add(time.Hour)
		if err := start(visitor); err != nil {
			t.Fatalf("an hour later: %v", err)
		}
	})
}
