package e2e_test

import (
	"fmt"
	"testing"

	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// TestMessageSnapshotUnread: the conversation a bot hears of with each of
// a customer's messages counts that message among the unread ones, up to
// the limit, from the moment an agent last saw it.
func TestMessageSnapshotUnread(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := start(t, s)
		b := newBot(t, nil)
		e.connect(b, "")
		conv := e.customer("unread")
		unread := func(content string) any {
			t.Helper()
			e.say("unread", conv, content)
			return dig(b.next(t, incoming(content)), "conversation", "unread_count")
		}
		for i := 1; i <= 3; i++ {
			if got := unread(fmt.Sprintf("hello %d", i)); got != float64(i) {
				t.Errorf("message %d: unread_count %v, want %d", i, got, i)
			}
		}
		e.call("POST", e.convPath(conv)+"/update_last_seen", e.adminToken, "", 200)
		if got := unread("after the agent looked"); got != float64(1) {
			t.Errorf("after update_last_seen: unread_count %v, want 1", got)
		}
		for i := 2; i <= 12; i++ {
			e.say("unread", conv, fmt.Sprintf("more %d", i))
		}
		if got := unread("past the limit"); got != float64(10) {
			t.Errorf("13 unread: unread_count %v, want the limit, 10", got)
		}
	})
}
