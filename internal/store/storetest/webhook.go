package storetest

import (
	"testing"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/store"
)

// testWebhook: a webhook round-trips with its secret; an inbox has one API
// inbox webhook at most; InboxWebhooks finds the account's webhooks for
// every inbox and the inbox's own; another account's is not found.
func testWebhook(t *testing.T, s *store.Store) {
	ctx := t.Context()
	th := newThread(t, s)
	acc := th.account
	all := &baton.Webhook{AccountID: acc.ID, Kind: baton.WebhookAccount, Name: "n8n", URL: "https://hooks.test/a",
		Subscriptions: []string{"message_created"}, CreatedAt: at, UpdatedAt: at}
	write(t, s, func(q *store.Queries) error { return q.CreateWebhook(ctx, all, []byte("sealed")) })
	got, err := s.Read().FindWebhook(ctx, acc.ID, all.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := *all
	want.CreatedAt, want.UpdatedAt = stored(at), stored(at)
	same(t, "webhook", got, &want)
	secret, err := s.Read().WebhookSecret(ctx, all.ID)
	if err != nil || string(secret) != "sealed" {
		t.Fatalf("secret %q, %v", secret, err)
	}
	other := newAccount(t, s)
	_, err = s.Read().FindWebhook(ctx, other.ID, all.ID)
	wantNotFound(t, "FindWebhook of another account", err)

	other2 := newInbox(t, s, acc.ID)
	one := &baton.Webhook{AccountID: acc.ID, InboxID: other2.ID, Kind: baton.WebhookAccount, URL: "https://hooks.test/b",
		Subscriptions: []string{"message_updated"}, CreatedAt: at, UpdatedAt: at}
	channel := &baton.Webhook{AccountID: acc.ID, InboxID: th.inbox.ID, Kind: baton.WebhookAPIInbox, URL: "https://channel.test/",
		Subscriptions: []string{}, CreatedAt: at, UpdatedAt: at}
	write(t, s, func(q *store.Queries) error {
		if err := q.CreateWebhook(ctx, one, nil); err != nil {
			return err
		}
		return q.CreateWebhook(ctx, channel, nil)
	})
	err = s.Write(ctx, func(q *store.Queries) error {
		return q.CreateWebhook(ctx, &baton.Webhook{AccountID: acc.ID, InboxID: th.inbox.ID, Kind: baton.WebhookAPIInbox,
			URL: "https://second.test/", CreatedAt: at, UpdatedAt: at}, nil)
	})
	wantCode(t, "a second API inbox webhook of an inbox", err, baton.ECONFLICT)
	hooks, err := s.Read().InboxWebhooks(ctx, acc.ID, th.inbox.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(hooks) != 2 || hooks[0].ID != all.ID || hooks[1].ID != channel.ID {
		t.Fatalf("InboxWebhooks of the thread's inbox: %v", hooks)
	}
	found, err := s.Read().APIInboxWebhook(ctx, th.inbox.ID)
	if err != nil || found.ID != channel.ID {
		t.Fatalf("APIInboxWebhook: %v, %v", found, err)
	}

	one.URL, one.InboxID, one.Subscriptions, one.UpdatedAt = "https://hooks.test/c", 0, []string{"conversation_created"}, at.Add(time.Hour)
	write(t, s, func(q *store.Queries) error { return q.UpdateWebhook(ctx, one) })
	got, _ = s.Read().FindWebhook(ctx, acc.ID, one.ID)
	if got.URL != one.URL || got.InboxID != 0 || len(got.Subscriptions) != 1 || got.Subscriptions[0] != "conversation_created" {
		t.Fatalf("updated webhook %+v", got)
	}
	ws, err := s.Read().ListWebhooks(ctx, acc.ID)
	if err != nil || len(ws) != 3 {
		t.Fatalf("ListWebhooks: %d, %v", len(ws), err)
	}
	write(t, s, func(q *store.Queries) error { return q.DeleteWebhook(ctx, one.ID) })
	_, err = s.Read().FindWebhook(ctx, acc.ID, one.ID)
	wantNotFound(t, "a deleted webhook", err)
}

// testDeliveryTargets: a bot and a webhook with deliveries in the same
// conversation have lanes of their own, claimed side by side; each
// target's breaker holds back only its own lanes; a webhook's deliveries
// go with it.
func testDeliveryTargets(t *testing.T, s *store.Store) {
	ctx := t.Context()
	th := newThread(t, s)
	acc := th.account
	bot := &baton.AgentBot{AccountID: acc.ID, Name: "bot", OutgoingURL: "https://bot.test/", CreatedAt: at, UpdatedAt: at}
	hook := &baton.Webhook{AccountID: acc.ID, Kind: baton.WebhookAccount, URL: "https://hooks.test/",
		Subscriptions: []string{"message_created"}, CreatedAt: at, UpdatedAt: at}
	now := time.Now().UTC().Truncate(time.Microsecond)
	targets := []baton.Target{}
	write(t, s, func(q *store.Queries) error {
		if err := q.CreateAgentBot(ctx, bot, nil); err != nil {
			return err
		}
		if err := q.CreateWebhook(ctx, hook, nil); err != nil {
			return err
		}
		targets = append(targets, baton.BotTarget(bot.ID), hook.Target())
		for i := range 2 {
			e := &baton.Event{AccountID: acc.ID, ConversationID: th.conversation.ID, Name: baton.EventMessageCreated,
				Payload: []byte(`{}`), CreatedAt: now}
			if err := q.CreateEvent(ctx, e); err != nil {
				return err
			}
			for _, tg := range targets {
				d := &baton.Delivery{UUID: unique("d") + string(rune('a'+i)), EventID: e.ID, Target: tg, AccountID: acc.ID,
					LaneID: th.conversation.ID, NextAttemptAt: now, CreatedAt: now}
				if _, err := q.CreateDelivery(ctx, d); err != nil {
					return err
				}
			}
		}
		return nil
	})
	claim := func() []*baton.Delivery {
		t.Helper()
		var ds []*baton.Delivery
		write(t, s, func(q *store.Queries) (err error) {
			ds, err = q.ClaimDeliveries(ctx, "me", now, now.Add(time.Minute), 10)
			return err
		})
		return ds
	}
	ds := claim()
	if len(ds) != 2 || ds[0].Target == ds[1].Target {
		t.Fatalf("claimed %v, want one head of each target's lane", ds)
	}
	for _, d := range ds {
		if d.Target != targets[0] && d.Target != targets[1] {
			t.Fatalf("claimed a delivery of %v", d.Target)
		}
		write(t, s, func(q *store.Queries) error {
			_, err := q.RecordAttempt(ctx, "me", &baton.Attempt{DeliveryID: d.ID, AttemptedAt: now, StatusCode: 200},
				baton.DeliverySucceeded, now)
			return err
		})
	}
	// The webhook's breaker opens: only the bot's lane moves.
	write(t, s, func(q *store.Queries) error { return q.OpenBreaker(ctx, hook.Target(), now.Add(time.Hour)) })
	ds = claim()
	if len(ds) != 1 || ds[0].Target != targets[0] {
		t.Fatalf("with the webhook's breaker open, claimed %v", ds)
	}
	backlog, err := s.Read().DeliveryBacklog(ctx)
	if err != nil || backlog[targets[0]] != 1 || backlog[targets[1]] != 1 {
		t.Fatalf("backlog %v, %v", backlog, err)
	}
	breakers, err := s.Read().BreakersOpenUntil(ctx)
	if err != nil || !breakers[targets[1]].After(now) || breakers[targets[0]].After(now) {
		t.Fatalf("breakers %v, %v", breakers, err)
	}
	list, err := s.Read().ListDeliveries(ctx, hook.Target(), 10)
	if err != nil || len(list) != 2 || list[0].Target != hook.Target() {
		t.Fatalf("the webhook's deliveries: %v, %v", list, err)
	}
	write(t, s, func(q *store.Queries) error { return q.DeleteWebhook(ctx, hook.ID) })
	if list, _ := s.Read().ListDeliveries(ctx, hook.Target(), 10); len(list) != 0 {
		t.Fatalf("%d deliveries outlived their webhook", len(list))
	}
	if n := count(t, s, `SELECT COUNT(*) FROM lanes WHERE target = $1`, -hook.ID); n != 0 {
		t.Fatalf("%d lanes outlived their webhook", n)
	}
}
