package app_test

import (
	"testing"

	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/batontest"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// TestLiveAudienceAssignee: an agent hears of a conversation of an inbox
// they do not work once it is assigned to them, as they may open it then
// (the assignment, what follows), and not before; once they are no longer
// a member of the account, not at all.
func TestLiveAudienceAssignee(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s)
		c := w.customer(t, "far")
		last := func() int64 {
			t.Helper()
			id, err := w.app.LastLiveEventID(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		// heard says whether the agent may hear of each event of the
		// conversation after the id, and how many there were.
		heard := func(after int64) (all bool, none bool, n int) {
			t.Helper()
			evs, _, err := w.app.LiveEventsSince(t.Context(), after, nil, 1000, nil)
			if err != nil {
				t.Fatal(err)
			}
			all, none = true, true
			for _, e := range evs {
				if e.Conversation == nil || e.Conversation.ID != c.ID {
					continue
				}
				n++
				all = all && e.Users[w.agentID]
				none = none && !e.Users[w.agentID]
			}
			return all, none, n
		}
		before := last()
		if _, err := w.app.PublicCreateMessage(w.publicCaller("far"), c.DisplayID, app.PublicMessageInput{Content: ptr("hello?")}); err != nil {
			t.Fatal(err)
		}
		if _, none, n := heard(before); !none || n == 0 {
			t.Errorf("before the assignment, the agent of no inbox heard of %d events (none: %v)", n, none)
		}
		before = last()
		if _, err := w.app.Assign(w.admin, w.account.ID, c.DisplayID, w.agentID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.app.PublicCreateMessage(w.publicCaller("far"), c.DisplayID, app.PublicMessageInput{Content: ptr("still there?")}); err != nil {
			t.Fatal(err)
		}
		if all, _, n := heard(before); !all || n < 2 {
			t.Errorf("assigned to them, the agent heard of all of %d events: %v", n, all)
		}
		if _, err := w.app.Conversation(w.agent, w.account.ID, c.DisplayID); err != nil {
			t.Errorf("the agent may not open the conversation assigned to them: %v", err)
		}
		// No longer a member (nor its assignee): they hear of nothing.
		if err := w.app.RemoveAgent(w.admin, w.account.ID, w.agentID); err != nil {
			t.Fatal(err)
		}
		before = last()
		if _, err := w.app.PublicCreateMessage(w.publicCaller("far"), c.DisplayID, app.PublicMessageInput{Content: ptr("hello again")}); err != nil {
			t.Fatal(err)
		}
		// (Removing a member gives their conversations to nobody.)
		if got, err := w.app.Conversation(batontest.System(), w.account.ID, c.DisplayID); err != nil || got.AssigneeID != 0 {
			t.Fatalf("after the agent's removal the assignee is %v (%v)", got.AssigneeID, err)
		}
		if _, none, n := heard(before); !none || n == 0 {
			t.Errorf("removed from the account, the agent heard of %d events (none: %v)", n, none)
		}
	})
}

// TestDeletedUserLeavesNoPubsubToken: deleting a user deletes their pubsub
// token with them, in the same transaction; the row stayed behind, a
// credential of nobody that the live channel still looked up.
func TestDeletedUserLeavesNoPubsubToken(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s)
		if _, err := w.app.PubsubToken(w.agent); err != nil {
			t.Fatal(err)
		}
		tokens := func() (n int) {
			t.Helper()
			if err := s.DB().QueryRow(`SELECT COUNT(*) FROM access_tokens WHERE owner_id = $1 AND owner_type IN ('User', 'UserPubsub')`,
				w.agentID).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := tokens(); n != 2 {
			t.Fatalf("the user has %d tokens, want their API token and their pubsub token", n)
		}
		if err := w.app.DeleteUser(batontest.System(), w.agentID); err != nil {
			t.Fatal(err)
		}
		if n := tokens(); n != 0 {
			t.Fatalf("%d of the deleted user's tokens are left", n)
		}
	})
}
