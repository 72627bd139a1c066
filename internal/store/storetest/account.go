package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/store"
)

func testAccount(t *testing.T, s *store.Store) {
	ctx := t.Context()
	a := &baton.Account{Name: "Acme", Locale: "pt_BR", Domain: "acme.test", SupportEmail: "help@acme.test",
		Status: baton.AccountActive, CustomAttributes: document(), Settings: map[string]any{"auto_resolve_after": 10.0},
		CreatedAt: at, UpdatedAt: at}
	write(t, s, func(q *store.Queries) error { return q.CreateAccount(ctx, a) })
	if a.ID == 0 {
		t.Fatal("CreateAccount set no id")
	}
	want := *a
	want.CreatedAt, want.UpdatedAt = stored(at), stored(at)
	got, err := s.Read().FindAccount(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "created account", got, &want)

	// Empty documents are stored as {} and come back as empty, not nil, maps.
	bare := &baton.Account{Name: "Bare", CreatedAt: at, UpdatedAt: at}
	write(t, s, func(q *store.Queries) error { return q.CreateAccount(ctx, bare) })
	if got, err := s.Read().FindAccount(ctx, bare.ID); err != nil {
		t.Fatal(err)
	} else if got.CustomAttributes == nil || len(got.CustomAttributes) != 0 || got.Settings == nil || len(got.Settings) != 0 {
		t.Errorf("bare account documents: %v %v, want empty maps", got.CustomAttributes, got.Settings)
	}

	later := at.Add(36*3600e9 + 1500)
	a.Name, a.Status, a.Settings, a.CustomAttributes, a.UpdatedAt = "Acme Inc", baton.AccountSuspended, map[string]any{}, map[string]any{"plan": "pro"}, later
	write(t, s, func(q *store.Queries) error { return q.UpdateAccount(ctx, a) })
	want = *a
	want.CreatedAt, want.UpdatedAt = stored(at), stored(later)
	got, err = s.Read().FindAccount(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "updated account", got, &want)

	missing := a.ID + bare.ID + 1000
	_, err = s.Read().FindAccount(ctx, missing)
	wantNotFound(t, "FindAccount of a missing id", err)
	if !errors.Is(err, baton.ErrNotFound) {
		t.Errorf("FindAccount of a missing id: %v is not baton.ErrNotFound", err)
	}
	err = s.Write(ctx, func(q *store.Queries) error {
		return q.UpdateAccount(ctx, &baton.Account{ID: missing, Name: "x"})
	})
	wantNotFound(t, "UpdateAccount of a missing id", err)

	write(t, s, func(q *store.Queries) error { return q.DeleteAccount(ctx, a.ID) })
	_, err = s.Read().FindAccount(ctx, a.ID)
	wantNotFound(t, "FindAccount after delete", err)
	err = s.Write(ctx, func(q *store.Queries) error { return q.DeleteAccount(ctx, a.ID) })
	wantNotFound(t, "DeleteAccount twice", err)
	if _, err := s.Read().FindAccount(ctx, bare.ID); err != nil {
		t.Errorf("the other account is gone: %v", err)
	}
}

// testAccountCascade deletes an account with something in every table and
// checks that its rows are gone and another account's are not.
func testAccountCascade(t *testing.T, s *store.Store) {
	ctx := t.Context()
	fill := func() (*thread, *baton.User) {
		th := newThread(t, s)
		u := newUser(t, s, th.account.ID)
		m := newMessage(t, s, th.conversation, "hello", nil)
		// An account bot's event and delivery: gone with the account
		// through the event, as the message through its conversation. And
		// an event of no conversation (a contact's), with its delivery.
		bot := baton.BotTarget(newAgentBot(t, s, th.account.ID))
		newDelivery(t, s, th.conversation, bot, at)
		alone := &baton.Event{AccountID: th.account.ID, Name: baton.EventContactCreated, Payload: []byte(`{}`), CreatedAt: at}
		write(t, s, func(q *store.Queries) error {
			_, err := q.CreateEventDeliveries(ctx, alone, []*baton.Delivery{{UUID: unique("delivery-"), Target: bot,
				AccountID: th.account.ID, LaneID: -th.contact.ID, NextAttemptAt: at, CreatedAt: at}})
			return err
		})
		write(t, s, func(q *store.Queries) error {
			if err := q.AddInboxMembers(ctx, th.inbox.ID, []int64{u.ID}, 1); err != nil {
				return err
			}
			return q.CreateAttachment(ctx, &baton.Attachment{MessageID: m.ID, AccountID: th.account.ID, FileType: baton.FileFile,
				FileName: "a.txt", ContentType: "text/plain", ByteSize: 1, StorageKey: unique("key"), CreatedAt: at})
		})
		return th, u
	}
	gone, goneUser := fill()
	kept, _ := fill()

	tables := []string{"account_users", "inboxes", "contacts", "conversations", "messages", "attachments", "events",
		"deliveries", "agent_bots"}
	counts := func(accountID int64) map[string]int {
		n := map[string]int{}
		for _, table := range tables {
			n[table] = count(t, s, `SELECT COUNT(*) FROM `+table+` WHERE account_id = $1`, accountID)
		}
		n["inbox_members"] = count(t, s, `SELECT COUNT(*) FROM inbox_members WHERE inbox_id IN
			(SELECT id FROM inboxes WHERE account_id = $1)`, accountID)
		n["contact_inboxes"] = count(t, s, `SELECT COUNT(*) FROM contact_inboxes WHERE contact_id IN
			(SELECT id FROM contacts WHERE account_id = $1)`, accountID)
		return n
	}
	full := map[string]int{"account_users": 1, "inboxes": 1, "contacts": 1, "conversations": 1, "messages": 1,
		"attachments": 1, "events": 2, "deliveries": 2, "agent_bots": 1, "inbox_members": 1, "contact_inboxes": 1}
	same(t, "rows before delete", counts(gone.account.ID), full)
	// The rows by id, so that a row whose account_id pointed elsewhere would show.
	ids := map[string]int64{"inboxes": gone.inbox.ID, "contacts": gone.contact.ID, "contact_inboxes": gone.contactInbox.ID,
		"conversations": gone.conversation.ID}

	write(t, s, func(q *store.Queries) error { return q.DeleteAccount(ctx, gone.account.ID) })

	empty := map[string]int{}
	for k := range full {
		empty[k] = 0
	}
	same(t, "rows of the deleted account", counts(gone.account.ID), empty)
	for table, id := range ids {
		if n := count(t, s, `SELECT COUNT(*) FROM `+table+` WHERE id = $1`, id); n != 0 {
			t.Errorf("%s row %d survived the delete of its account", table, id)
		}
	}
	same(t, "rows of the other account", counts(kept.account.ID), full)
	if _, err := s.Read().FindUser(ctx, goneUser.ID); err != nil {
		t.Errorf("a user outlives their account's delete: %v", err)
	}
}

func testNextDisplayID(t *testing.T, s *store.Store) {
	ctx := t.Context()
	a, b := newAccount(t, s), newAccount(t, s)
	var got []int64
	for _, id := range []int64{a.ID, a.ID, b.ID, a.ID} {
		write(t, s, func(q *store.Queries) error {
			n, err := q.NextDisplayID(ctx, id)
			got = append(got, n)
			return err
		})
	}
	same(t, "display ids of a, a, b, a", got, []int64{1, 2, 1, 3})

	// An id taken in a transaction that rolls back is not taken.
	err := s.Write(ctx, func(q *store.Queries) error {
		if _, err := q.NextDisplayID(ctx, b.ID); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("Write returned %v, want the function's error", err)
	}
	write(t, s, func(q *store.Queries) error {
		n, err := q.NextDisplayID(ctx, b.ID)
		if err == nil && n != 2 {
			t.Errorf("display id after a rolled back one: %d, want 2", n)
		}
		return err
	})

	err = s.Write(ctx, func(q *store.Queries) error {
		_, err := q.NextDisplayID(ctx, a.ID+b.ID+1000)
		return err
	})
	wantNotFound(t, "NextDisplayID of a missing account", err)
}

// testNextDisplayIDConcurrent takes display ids from many writers at once;
// none may be handed out twice.
func testNextDisplayIDConcurrent(t *testing.T, s *store.Store) {
	const writers = 20
	a := newAccount(t, s)
	ids := make([]int64, writers)
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			errs[i] = s.Write(context.Background(), func(q *store.Queries) (err error) {
				ids[i], err = q.NextDisplayID(context.Background(), a.ID)
				return err
			})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	slices.Sort(ids)
	want := make([]int64, writers)
	for i := range want {
		want[i] = int64(i + 1)
	}
	same(t, "display ids handed out", ids, want)
}

// testLockAccount: writers that lock the account before counting its
// webhooks and adding one below a limit never pass the limit together,
// and the lock changes nothing of the account (its next display id).
func testLockAccount(t *testing.T, s *store.Store) {
	const writers, limit = 20, 5
	ctx := t.Context()
	a := newAccount(t, s)
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			errs[i] = s.Write(ctx, func(q *store.Queries) error {
				if err := q.LockAccount(ctx, a.ID); err != nil {
					return err
				}
				all, err := q.ListWebhooks(ctx, a.ID)
				if err != nil || len(all) >= limit {
					return err
				}
				return q.CreateWebhook(ctx, &baton.Webhook{AccountID: a.ID, Kind: baton.WebhookAccount,
					URL: fmt.Sprintf("https://example.com/%d", i), CreatedAt: at, UpdatedAt: at}, []byte("sealed"))
			})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	all, err := s.Read().ListWebhooks(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != limit {
		t.Errorf("%d webhooks after %d writers under the lock, want %d", len(all), writers, limit)
	}
	write(t, s, func(q *store.Queries) error {
		id, err := q.NextDisplayID(ctx, a.ID)
		if err == nil && id != 1 {
			t.Errorf("next display id after the locks is %d, want 1", id)
		}
		return err
	})
}

// testAccountForCaller: the account read with a caller's standing in it.
// A user's role, not found for one who is not a member nor in an account
// that does not exist; a bot's inboxes in the account, by id, none in
// another account, and an account that does not exist not found.
func testAccountForCaller(t *testing.T, s *store.Store) {
	ctx := t.Context()
	acc, other := newAccount(t, s), newAccount(t, s)
	agent, stranger := newUser(t, s, acc.ID), newUser(t, s, other.ID)
	q := s.Read()
	got, role, err := q.FindAccountForUser(ctx, acc.ID, agent.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != acc.ID || got.Name != acc.Name || role != baton.RoleAgent {
		t.Errorf("account for its agent: %+v, role %v", got, role)
	}
	write(t, s, func(q *store.Queries) error {
		return q.AddAccountUser(ctx, &baton.AccountUser{AccountID: acc.ID, UserID: agent.ID, Role: baton.RoleAdministrator, CreatedAt: at})
	})
	if _, role, err := q.FindAccountForUser(ctx, acc.ID, agent.ID); err != nil || role != baton.RoleAdministrator {
		t.Errorf("account for its administrator: role %v, %v", role, err)
	}
	if _, _, err := q.FindAccountForUser(ctx, acc.ID, stranger.ID); !errors.Is(err, baton.ErrNotFound) {
		t.Errorf("account for a user not a member: %v, want not found", err)
	}
	if _, _, err := q.FindAccountForUser(ctx, other.ID+1000, agent.ID); !errors.Is(err, baton.ErrNotFound) {
		t.Errorf("an account that does not exist, for a user: %v, want not found", err)
	}

	bot := newAgentBot(t, s, acc.ID)
	first, second, elsewhere := newInbox(t, s, acc.ID), newInbox(t, s, acc.ID), newInbox(t, s, other.ID)
	got, ids, err := q.FindAccountForBot(ctx, acc.ID, bot)
	if err != nil || got.ID != acc.ID || len(ids) != 0 {
		t.Errorf("account for a bot connected nowhere: %+v, inboxes %v, %v", got, ids, err)
	}
	write(t, s, func(q *store.Queries) error {
		for _, i := range []*baton.Inbox{second, first, elsewhere} {
			if err := q.ConnectAgentBot(ctx, &baton.AgentBotInbox{InboxID: i.ID, AgentBotID: bot, AccountID: i.AccountID,
				Active: true, CreatedAt: at, UpdatedAt: at}); err != nil {
				return err
			}
		}
		return nil
	})
	got, ids, err = q.FindAccountForBot(ctx, acc.ID, bot)
	if err != nil || got.ID != acc.ID || got.Name != acc.Name {
		t.Fatalf("account for its bot: %+v, %v", got, err)
	}
	same(t, "the bot's inboxes in the account", ids, []int64{first.ID, second.ID})
	if _, ids, err := q.FindAccountForBot(ctx, other.ID, bot); err != nil || len(ids) != 1 || ids[0] != elsewhere.ID {
		t.Errorf("the bot's inboxes in the other account: %v, %v", ids, err)
	}
	if _, _, err := q.FindAccountForBot(ctx, other.ID+1000, bot); !errors.Is(err, baton.ErrNotFound) {
		t.Errorf("an account that does not exist, for a bot: %v, want not found", err)
	}
}
