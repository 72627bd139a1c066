package app_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/auth"
	"github.com/batonhq/baton/internal/batontest"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// world is a test's account with an administrator, an agent and two inboxes.
type world struct {
	app     *app.App
	account *baton.Account
	admin   context.Context // acting as the administrator
	agent   context.Context // acting as an agent who is a member of no inbox
	api     *baton.Inbox
	widget  *baton.Inbox
	agentID int64
}

func ptr[T any](v T) *T { return &v }

// setup starts a batontest.World on the store, without its renderer (so
// no events are written), changed by configure, and makes the account.
func setup(t *testing.T, s *store.Store, configure ...func(*app.Config)) *world {
	t.Helper()
	bw := batontest.Start(t, batontest.Options{Store: s, App: func(c *app.Config) {
		c.Renderer = nil
		for _, f := range configure {
			f(c)
		}
	}})
	a := bw.App
	w := &world{app: a}
	var err error
	if w.account, err = a.CreateAccount(batontest.System(), app.AccountInput{Name: ptr("Acme")}); err != nil {
		t.Fatal(err)
	}
	w.admin = actAs(t, a, w.account.ID, fmt.Sprintf("admin%d@acme.test", w.account.ID), "administrator")
	w.agent = actAs(t, a, w.account.ID, fmt.Sprintf("agent%d@acme.test", w.account.ID), "agent")
	w.agentID = baton.ActorFromContext(w.agent).User.ID
	if w.api, err = a.CreateInbox(w.admin, w.account.ID, app.InboxInput{Name: ptr("API"), ChannelType: baton.ChannelAPI}); err != nil {
		t.Fatal(err)
	}
	if w.widget, err = a.CreateInbox(w.admin, w.account.ID, app.InboxInput{Name: ptr("Web"), ChannelType: baton.ChannelWebWidget}); err != nil {
		t.Fatal(err)
	}
	return w
}

// actAs makes a user in the account and returns a context acting as them,
// authenticated through their token as a request would be.
func actAs(t *testing.T, a *app.App, accountID int64, email, role string) context.Context {
	t.Helper()
	_, token, err := a.CreateUserInAccount(batontest.System(), accountID, app.UserInput{Name: ptr(email), Email: ptr(email), Password: ptr("password123")}, role)
	if err != nil {
		t.Fatal(err)
	}
	actor, err := a.Authenticate(context.Background(), token)
	if err != nil {
		t.Fatal(err)
	}
	return baton.NewContextWithActor(context.Background(), actor)
}

// publicCaller is the context of a customer of the API inbox calling the
// public API as sourceID (empty before they have a contact).
func (w *world) publicCaller(sourceID string) context.Context {
	return baton.NewContextWithCredential(context.Background(),
		baton.ContactCredential{InboxIdentifier: w.api.Identifier, SourceID: sourceID})
}

// visitor opens the web widget as a new visitor, and returns the context
// of their calls and the contact the widget made for them.
func (w *world) visitor(t *testing.T) (context.Context, *baton.Contact) {
	t.Helper()
	site := baton.NewContextWithCredential(context.Background(), baton.ContactCredential{WebsiteToken: w.widget.WebsiteToken})
	visit, err := w.app.WidgetConfig(site)
	if err != nil {
		t.Fatal(err)
	}
	return baton.NewContextWithCredential(context.Background(),
		baton.ContactCredential{WebsiteToken: w.widget.WebsiteToken, WidgetToken: visit.Token}), visit.Contact
}

// customer makes a contact in the API inbox and a conversation for them.
func (w *world) customer(t *testing.T, sourceID string) *baton.Conversation {
	t.Helper()
	if _, _, err := w.app.PublicCreateContact(w.publicCaller(""), app.PublicContactInput{SourceID: sourceID}); err != nil {
		t.Fatal(err)
	}
	c, err := w.app.PublicCreateConversation(w.publicCaller(sourceID), nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDisplayIDsCountPerAccount(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w1, w2 := setup(t, s), setup(t, s)
		for i, want := range []int64{1, 2, 3} {
			if c := w1.customer(t, "a"+string(rune('0'+i))); c.DisplayID != want {
				t.Fatalf("account 1 conversation %d: display id %d, want %d", i, c.DisplayID, want)
			}
		}
		if c := w2.customer(t, "b"); c.DisplayID != 1 {
			t.Fatalf("second account starts at %d, want 1", c.DisplayID)
		}
	})
}

func TestIncomingReopensResolved(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s)
		c := w.customer(t, "cust")
		if c.Status != baton.StatusOpen {
			t.Fatalf("new conversation is %s, want open", c.Status)
		}
		if _, err := w.app.ToggleStatus(w.admin, w.account.ID, c.DisplayID, app.StatusChange{Status: ptr("resolved")}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.app.PublicCreateMessage(w.publicCaller("cust"), c.DisplayID,
			app.PublicMessageInput{Content: ptr("hello again")}); err != nil {
			t.Fatal(err)
		}
		got, err := w.app.Conversation(w.admin, w.account.ID, c.DisplayID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != baton.StatusOpen {
			t.Fatalf("after an incoming message the conversation is %s, want open", got.Status)
		}
		page, err := w.app.Messages(w.admin, w.account.ID, c.DisplayID, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		var activities []string
		for _, m := range page.Messages {
			if m.MessageType == baton.MessageActivity {
				activities = append(activities, *m.Content)
			}
		}
		want := []string{fmt.Sprintf("Conversation was marked resolved by admin%d@acme.test", w.account.ID), "System reopened the conversation due to a new incoming message."}
		if len(activities) != 2 || activities[0] != want[0] || activities[1] != want[1] {
			t.Fatalf("activities %q, want %q", activities, want)
		}
	})
}

func TestAgentSeesOnlyTheirInboxes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s)
		c := w.customer(t, "cust")
		if _, err := w.app.Conversation(w.agent, w.account.ID, c.DisplayID); !errors.Is(err, baton.ErrNotFound) {
			t.Fatalf("agent outside the inbox: err %v, want not found", err)
		}
		if _, err := w.app.ChangeInboxMembers(w.admin, w.account.ID, w.api.ID, app.MembersAdd, []int64{w.agentID}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.app.Conversation(w.agent, w.account.ID, c.DisplayID); err != nil {
			t.Fatalf("agent in the inbox: %v", err)
		}
		if _, err := w.app.CreateInbox(w.agent, w.account.ID, app.InboxInput{Name: ptr("x"), ChannelType: baton.ChannelAPI}); !errors.Is(err, auth.ErrNotAuthorized) {
			t.Fatalf("agent creating an inbox: err %v, want unauthorized", err)
		}
	})
}

func TestAnotherAccountIsNotVisible(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w1, w2 := setup(t, s), setup(t, s)
		w1.customer(t, "cust")
		if _, err := w2.app.Conversation(w2.admin, w1.account.ID, 1); !errors.Is(err, auth.ErrNotAuthorized) {
			t.Fatalf("admin of another account: err %v, want unauthorized", err)
		}
		if _, err := w2.app.Inbox(w2.admin, w2.account.ID, w1.api.ID); !errors.Is(err, baton.ErrNotFound) {
			t.Fatalf("another account's inbox through one's own account: err %v, want not found", err)
		}
	})
}

// TestLockedInboxTakesTheMessage: creating a conversation in an inbox
// locked to one conversation a contact answers with the contact's last one,
// and the message given with the create goes there.
func TestLockedInboxTakesTheMessage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s)
		if _, err := w.app.UpdateInbox(w.admin, w.account.ID, w.api.ID, app.InboxInput{LockToSingleConversation: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		c := w.customer(t, "cust")
		got, err := w.app.CreateConversation(w.admin, w.account.ID, app.ConversationInput{InboxID: w.api.ID, SourceID: "cust",
			Message: &app.MessageInput{Content: ptr("second message")}})
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != c.ID {
			t.Fatalf("a locked inbox made a new conversation %d, want %d", got.DisplayID, c.DisplayID)
		}
		page, err := w.app.Messages(w.admin, w.account.ID, c.DisplayID, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range page.Messages {
			if m.Content != nil && *m.Content == "second message" {
				return
			}
		}
		t.Fatalf("the message given with the create is not in the conversation")
	})
}

// TestConcurrentChangesKeepBoth: two transactions that read a conversation
// and write it back must not undo each other (PostgreSQL runs them side by
// side; a read in a write locks the row).
func TestConcurrentChangesKeepBoth(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s)
		c := w.customer(t, "cust")
		ctx := context.Background()
		read, release := make(chan struct{}), make(chan struct{})
		errs := make(chan error, 2)
		go func() {
			errs <- s.Write(ctx, func(q *store.Queries) error {
				cv, err := q.FindConversation(ctx, w.account.ID, c.DisplayID)
				if err != nil {
					return err
				}
				close(read)
				<-release
				cv.Labels = []string{"vip"}
				return q.UpdateConversation(ctx, cv)
			})
		}()
		<-read
		go func() {
			errs <- s.Write(ctx, func(q *store.Queries) error {
				cv, err := q.FindConversation(ctx, w.account.ID, c.DisplayID)
				if err != nil {
					return err
				}
				cv.Status = baton.StatusResolved
				return q.UpdateConversation(ctx, cv)
			})
		}()
		// Give the second transaction the time to read, if it can, before
		// the first writes: without the lock it reads the old labels.
		time.Sleep(200 * time.Millisecond)
		close(release)
		for range 2 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Read().FindConversation(ctx, w.account.ID, c.DisplayID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != baton.StatusResolved || len(got.Labels) != 1 || got.Labels[0] != "vip" {
			t.Fatalf("status %s labels %v, want resolved and [vip]: one change undid the other", got.Status, got.Labels)
		}
	})
}

// TestPublicIdentities: the public API tells no one whether an e-mail or
// identifier is the account's already, and an identifier someone claimed
// without proof goes to the one who proves it.
func TestPublicIdentities(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s)
		ctx := w.publicCaller("")
		if _, _, err := w.app.PublicCreateContact(ctx, app.PublicContactInput{SourceID: "casey",
			ContactInput: app.ContactInput{Email: ptr("casey@example.com")}}); err != nil {
			t.Fatal(err)
		}
		// Someone else gives the same e-mail: no error, no e-mail.
		other, _, err := w.app.PublicCreateContact(ctx, app.PublicContactInput{SourceID: "mallory",
			ContactInput: app.ContactInput{Email: ptr("casey@example.com"), Identifier: ptr("user-42")}})
		if err != nil {
			t.Fatalf("a taken e-mail: %v, want the contact made without it", err)
		}
		// The contact sees the e-mail as asked for, as a claim; the
		// stored contact goes without it.
		if other.Email != "" || other.AsSeenByItself().Email != "casey@example.com" {
			t.Fatalf("the contact has e-mail %q and sees %q, want none and the one asked for", other.Email, other.AsSeenByItself().Email)
		}
		if other, _, err = w.app.Contact(w.admin, w.account.ID, other.ID); err != nil {
			t.Fatal(err)
		}
		if other.Email != "" || other.Identifier != "user-42" {
			t.Fatalf("the new contact has e-mail %q identifier %q, want none and user-42", other.Email, other.Identifier)
		}
		// The real user-42 comes with the inbox's HMAC: the unverified claim
		// is taken back, and they get a contact of their own.
		hash := auth.IdentifierHash(w.api.HMACToken, "user-42")
		real, ci, err := w.app.PublicCreateContact(ctx, app.PublicContactInput{SourceID: "real-42",
			IdentifierHash: hash, ContactInput: app.ContactInput{Identifier: ptr("user-42")}})
		if err != nil {
			t.Fatal(err)
		}
		if real.ID == other.ID || real.Identifier != "user-42" || !ci.HMACVerified {
			t.Fatalf("verified user-42 is contact %d (the claimant is %d), identifier %q, verified %v", real.ID, other.ID, real.Identifier, ci.HMACVerified)
		}
		// A verified identity does not change without a hash.
		if _, err := w.app.PublicUpdateContact(w.publicCaller("real-42"), app.PublicContactInput{
			ContactInput: app.ContactInput{Identifier: ptr("someone-else")}}); !errors.Is(err, auth.ErrNotAuthorized) {
			t.Fatalf("changing a verified identifier without a hash: err %v, want unauthorized", err)
		}
	})
}

// TestContactActivityToTheMinute: a customer's messages move their
// contact's last activity, at most once a minute.
func TestContactActivityToTheMinute(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		clock := batontest.NewClock(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC))
		w := setup(t, s, func(c *app.Config) {
			c.Now = clock.Now
		})
		advance := clock.Add
		c := w.customer(t, "cust")
		ctx := context.Background()
		lastActivity := func() time.Time {
			k, err := s.Read().FindContact(ctx, w.account.ID, c.ContactID)
			if err != nil || k.LastActivityAt == nil {
				t.Fatalf("contact: %v, last activity %v", err, k)
			}
			return *k.LastActivityAt
		}
		say := func() {
			if _, err := w.app.PublicCreateMessage(w.publicCaller("cust"), c.DisplayID,
				app.PublicMessageInput{Content: ptr("hi")}); err != nil {
				t.Fatal(err)
			}
		}
		say()
		first := lastActivity()
		advance(30 * time.Second)
		say()
		if got := lastActivity(); !got.Equal(first) {
			t.Fatalf("30 s later the last activity moved to %s", got)
		}
		advance(31 * time.Second)
		say()
		if got := lastActivity(); !got.After(first) {
			t.Fatalf("a minute later the last activity is still %s", got)
		}
	})
}
