package app_test

import (
	"sync"
	"testing"

	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// TestOneConversationUnderConcurrency: a widget visitor's first messages
// sent at once start one conversation, not one each; an inbox locked to
// one conversation a contact gives a contact one, however many creates
// arrive at once. The rule is held by a lock, so it holds on PostgreSQL,
// where transactions run side by side.
func TestOneConversationUnderConcurrency(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s)
		const n = 20
		at := func(fn func() error) {
			t.Helper()
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for range n {
				wg.Go(func() { errs <- fn() })
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		count := func(contactID int64) int {
			t.Helper()
			cs, err := w.app.ContactConversations(w.admin, w.account.ID, contactID)
			if err != nil {
				t.Fatal(err)
			}
			return len(cs)
		}

		visitor, visitorContact := w.visitor(t)
		at(func() error {
			_, err := w.app.WidgetCreateMessage(visitor, app.WidgetMessageInput{Content: ptr("hello")})
			return err
		})
		if got := count(visitorContact.ID); got != 1 {
			t.Errorf("%d first messages at once from one visitor made %d conversations, want 1", n, got)
		}
		// Once it is resolved, in an inbox that takes no messages after
		// that, the next messages at once start one more.
		if _, err := w.app.UpdateInbox(w.admin, w.account.ID, w.widget.ID, app.InboxInput{AllowMessagesAfterResolved: ptr(false)}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.app.WidgetResolve(visitor); err != nil {
			t.Fatal(err)
		}
		at(func() error {
			_, err := w.app.WidgetCreateMessage(visitor, app.WidgetMessageInput{Content: ptr("again")})
			return err
		})
		if got := count(visitorContact.ID); got != 2 {
			t.Errorf("%d messages at once after the conversation was resolved made %d conversations in all, want 2", n, got)
		}

		if _, err := w.app.UpdateInbox(w.admin, w.account.ID, w.api.ID, app.InboxInput{LockToSingleConversation: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		c, _, err := w.app.PublicCreateContact(w.publicCaller(""), app.PublicContactInput{SourceID: "single"})
		if err != nil {
			t.Fatal(err)
		}
		at(func() error {
			_, err := w.app.PublicCreateConversation(w.publicCaller("single"), nil)
			return err
		})
		if got := count(c.ID); got != 1 {
			t.Errorf("%d creates at once in an inbox locked to one conversation made %d conversations, want 1", n, got)
		}
	})
}
