package storetest

import (
	"testing"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/store"
)

// testMessageTarget checks the message hot path's lookups: the same
// conversation, contact inbox and contact as the separate reads, the
// inbox's bot, the flood guard's count, whether webhooks may hear, and the
// same refusals as FindPublicConversation.
func testMessageTarget(t *testing.T, s *store.Store) {
	ctx := t.Context()
	th := newThread(t, s)
	c := newConversation(t, s, th.contactInbox, th.account.ID, func(c *baton.Conversation) {
		c.Labels, c.CustomAttributes = []string{"vip"}, map[string]any{"order": "1042"}
	})
	for i := range 3 {
		newMessage(t, s, c, "hello", func(m *baton.Message) { m.CreatedAt = at.Add(time.Duration(i) * time.Second) })
	}
	// The flood minute began with the first message, at at, and holds all three.
	since := at.Add(-500 * time.Millisecond).UnixMicro()

	// targets reads both lookups in one write transaction, as the use
	// cases do, and checks what the transaction then remembers.
	targets := func(hooksRemembered bool) (pub, app *store.MessageTarget) {
		t.Helper()
		write(t, s, func(q *store.Queries) (err error) {
			if pub, err = q.FindPublicMessageTarget(ctx, th.inbox.Identifier, th.contactInbox.SourceID, c.DisplayID, since, 200, 0); err != nil {
				return err
			}
			if app, err = q.FindMessageTarget(ctx, th.account.ID, c.DisplayID, since, 200, 0); err != nil {
				return err
			}
			// Without webhooks the lookup says so, and InboxWebhooks
			// answers without a statement.
			counted, n := store.CountStatements(ctx)
			hooks, err := q.InboxWebhooks(counted, th.account.ID, th.inbox.ID)
			if err != nil {
				return err
			}
			if got := n() == 0; got != hooksRemembered {
				t.Errorf("InboxWebhooks ran %d statements after the lookup (webhooks %d)", n(), len(hooks))
			}
			return nil
		})
		return pub, app
	}
	pub, app := targets(true)
	want, err := s.Read().FindConversation(ctx, th.account.ID, c.DisplayID)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "conversation of the Application API's target", app.Conversation, want)
	withContact(t, s, th, want)
	same(t, "conversation of the public target", pub.Conversation, want)
	for _, got := range []*store.MessageTarget{pub, app} {
		if got.Bot != nil || got.AgentBot != nil || got.Recent != 3 {
			t.Errorf("target: bot %+v, %d recent messages; want none and 3", got.Bot, got.Recent)
		}
	}

	// A connected bot, active or not, and a webhook.
	bot := newAgentBot(t, s, th.account.ID)
	// Every column of the bot set, to check the outer join's reading.
	if _, err := s.DB().ExecContext(ctx, `UPDATE agent_bots SET description = 'd', outgoing_url = 'https://bot.test/x',
		bot_config = '{"k":"v"}', avatar_key = 'a.png', handoff_deadline_ms = 5000, keep_pending_on_failure = TRUE,
		open_while_breaker_open = FALSE, breaker_failures = 2, breaker_open_until = 123, created_at = 7, updated_at = 8
		WHERE id = $1`, bot); err != nil {
		t.Fatal(err)
	}
	link := &baton.AgentBotInbox{InboxID: th.inbox.ID, AgentBotID: bot, AccountID: th.account.ID, UpdatedAt: at}
	write(t, s, func(q *store.Queries) error { return q.ConnectAgentBot(ctx, link) })
	write(t, s, func(q *store.Queries) error {
		return q.CreateWebhook(ctx, &baton.Webhook{AccountID: th.account.ID, Kind: baton.WebhookAccount, Name: "All",
			URL: "https://example.com/hook", CreatedAt: at, UpdatedAt: at}, nil)
	})
	pub, app = targets(false)
	wantLink := &baton.AgentBotInbox{ID: link.ID, InboxID: th.inbox.ID, AgentBotID: bot, AccountID: th.account.ID}
	same(t, "inbox's bot, inactive", pub.Bot, wantLink)
	same(t, "inbox's bot, inactive (Application API)", app.Bot, wantLink)
	link.Active = true
	write(t, s, func(q *store.Queries) error {
		if err := q.DisconnectAgentBot(ctx, th.inbox.ID); err != nil {
			return err
		}
		return q.ConnectAgentBot(ctx, link)
	})
	pub, app = targets(false)
	wantLink = &baton.AgentBotInbox{ID: link.ID, InboxID: th.inbox.ID, AgentBotID: bot, AccountID: th.account.ID, Active: true}
	same(t, "inbox's bot, active", pub.Bot, wantLink)
	same(t, "inbox's bot, active (Application API)", app.Bot, wantLink)
	wantBot, err := s.Read().FindAgentBot(ctx, bot)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "inbox's agent bot", pub.AgentBot, wantBot)
	same(t, "inbox's agent bot (Application API)", app.AgentBot, wantBot)
	// With its surroundings: as FindSurroundings reads them, with a
	// latest handoff and an agent who saw the first message only.
	for i := range 2 {
		write(t, s, func(q *store.Queries) error {
			return q.CreateHandoff(ctx, &baton.Handoff{AccountID: th.account.ID, InboxID: th.inbox.ID,
				ConversationID: c.ID, AgentBotID: bot, Reason: []string{"reason 0", "reason 1"}[i], ByType: "AgentBot", ByID: bot,
				CreatedAt: at.Add(time.Duration(i) * time.Minute)})
		})
	}
	if _, err := s.DB().ExecContext(ctx, `UPDATE conversations SET agent_last_seen_at = $1 WHERE id = $2`,
		at.Add(500*time.Millisecond).UnixMicro(), c.ID); err != nil {
		t.Fatal(err)
	}
	seen, err := s.Read().FindConversation(ctx, th.account.ID, c.DisplayID)
	if err != nil {
		t.Fatal(err)
	}
	wantAround, err := s.Read().FindSurroundings(ctx, seen, true, 10)
	if err != nil {
		t.Fatal(err)
	}
	if wantAround.Unread != 2 || wantAround.Handoff == nil || wantAround.Handoff.Reason != "reason 1" {
		t.Fatalf("FindSurroundings: %d unread, handoff %+v; want 2 and the second", wantAround.Unread, wantAround.Handoff)
	}
	write(t, s, func(q *store.Queries) (err error) {
		if pub, err = q.FindPublicMessageTarget(ctx, th.inbox.Identifier, th.contactInbox.SourceID, c.DisplayID, since, 200, 10); err != nil {
			return err
		}
		app, err = q.FindMessageTarget(ctx, th.account.ID, c.DisplayID, since, 200, 10)
		return err
	})
	same(t, "surroundings read with the public target", pub.Around, wantAround)
	same(t, "surroundings read with the Application API's target", app.Around, wantAround)
	same(t, "conversation read with its surroundings", app.Conversation, seen)
	if pub.Recent != 3 || app.Recent != 3 || app.Bot == nil {
		t.Errorf("targets read with their surroundings: %d and %d recent, bot %+v", pub.Recent, app.Recent, app.Bot)
	}
	// The contact inbox's newest conversation (c, not th.conversation), as
	// the widget reads it: the same, without the contact.
	var latest, latestAround *store.MessageTarget
	write(t, s, func(q *store.Queries) (err error) {
		if latest, err = q.FindLatestMessageTarget(ctx, th.contactInbox.ID, since, 200, 0); err != nil {
			return err
		}
		latestAround, err = q.FindLatestMessageTarget(ctx, th.contactInbox.ID, since, 200, 10)
		return err
	})
	same(t, "conversation of the latest target", latest.Conversation, seen)
	same(t, "latest target's bot", latest.Bot, app.Bot)
	same(t, "latest target's agent bot", latest.AgentBot, app.AgentBot)
	if latest.Recent != 3 || latest.Around != nil {
		t.Errorf("latest target: %d recent, surroundings %+v; want 3 and none", latest.Recent, latest.Around)
	}
	wantAround.Contact, wantAround.ContactInbox = nil, nil
	same(t, "surroundings read with the latest target", latestAround.Around, wantAround)
	empty := newContactInbox(t, s, th.contact.ID, newInbox(t, s, th.account.ID).ID)
	err = s.Write(ctx, func(q *store.Queries) error {
		_, err := q.FindLatestMessageTarget(ctx, empty.ID, 0, 200, 10)
		return err
	})
	wantNotFound(t, "FindLatestMessageTarget of a contact inbox without conversations", err)
	write(t, s, func(q *store.Queries) (err error) {
		pub, err = q.FindPublicMessageTarget(ctx, th.inbox.Identifier, th.contactInbox.SourceID, c.DisplayID, since, 200, 1)
		return err
	})
	if pub.Around.Unread != 1 {
		t.Errorf("unread counted up to 1 of 2: %d", pub.Around.Unread)
	}

	// The count stops at its limit.
	write(t, s, func(q *store.Queries) (err error) {
		pub, err = q.FindPublicMessageTarget(ctx, th.inbox.Identifier, th.contactInbox.SourceID, c.DisplayID, 0, 2, 0)
		return err
	})
	if pub.Recent != 2 {
		t.Errorf("count up to 2 of 3 messages: %d", pub.Recent)
	}
	// A limit beyond 32 bits (--messages-per-minute takes any int).
	write(t, s, func(q *store.Queries) (err error) {
		pub, err = q.FindPublicMessageTarget(ctx, th.inbox.Identifier, th.contactInbox.SourceID, c.DisplayID, since, 1<<40, 0)
		return err
	})
	if pub.Recent != 3 {
		t.Errorf("count up to 2^40: %d, want 3", pub.Recent)
	}
	write(t, s, func(q *store.Queries) (err error) {
		n, err := q.FloodCount(ctx, c.ID, since, 1<<40)
		if n != 3 {
			t.Errorf("FloodCount up to 2^40: %d, want 3", n)
		}
		return err
	})
	// A minute that began before since is over.
	write(t, s, func(q *store.Queries) (err error) {
		pub, err = q.FindPublicMessageTarget(ctx, th.inbox.Identifier, th.contactInbox.SourceID, c.DisplayID, at.UnixMicro(), 200, 0)
		return err
	})
	if pub.Recent != 0 {
		t.Errorf("count of a minute that began at since: %d, want 0", pub.Recent)
	}

	// Another contact's conversation, another inbox's source id, another
	// account's conversation: not found, as FindPublicConversation.
	names, theirs, other := wrongPublicNames(t, s, th, c)
	for _, tt := range names {
		err := s.Write(ctx, func(q *store.Queries) error {
			_, err := q.FindPublicMessageTarget(ctx, tt.identifier, tt.source, tt.displayID, 0, 200, 10)
			return err
		})
		wantNotFound(t, "FindPublicMessageTarget of "+tt.what, err)
	}
	err = s.Write(ctx, func(q *store.Queries) error {
		_, err := q.FindMessageTarget(ctx, other.account.ID, theirs.DisplayID+1000, 0, 200, 10)
		return err
	})
	wantNotFound(t, "FindMessageTarget of a missing display id", err)
	// Another account's conversation 1 is its own, not this account's.
	write(t, s, func(q *store.Queries) error {
		got, err := q.FindMessageTarget(ctx, other.account.ID, 1, 0, 200, 10)
		if err == nil && got.Conversation.AccountID != other.account.ID {
			t.Errorf("FindMessageTarget in another account found account %d's", got.Conversation.AccountID)
		}
		return err
	})
}

// testEventDeliveries checks CreateEventDeliveries, TouchConversationLive
// and CreateMessageLive: what they write is what the separate statements
// write. CreateEventDeliveries and CreateDelivery report whether a
// delivery became its lane's head, and not for one queued behind a head.
func testEventDeliveries(t *testing.T, s *store.Store) {
	ctx := t.Context()
	th := newThread(t, s)
	bot := newAgentBot(t, s, th.account.ID)
	hook := &baton.Webhook{AccountID: th.account.ID, Kind: baton.WebhookAccount, Name: "All",
		URL: "https://example.com/hook", CreatedAt: at, UpdatedAt: at}
	write(t, s, func(q *store.Queries) error { return q.CreateWebhook(ctx, hook, nil) })
	e := &baton.Event{AccountID: th.account.ID, ConversationID: th.conversation.ID, Name: "message_created",
		Payload: []byte(`{"event":"message_created"}`), CreatedAt: at}
	ds := []*baton.Delivery{
		{UUID: unique("uuid"), Target: hook.Target(), AccountID: th.account.ID, LaneID: th.conversation.ID, NextAttemptAt: at, CreatedAt: at},
		{UUID: unique("uuid"), Target: baton.BotTarget(bot), AccountID: th.account.ID, LaneID: th.conversation.ID, Handoff: true, NextAttemptAt: at, CreatedAt: at},
	}
	var heads bool
	write(t, s, func(q *store.Queries) (err error) {
		heads, err = q.CreateEventDeliveries(ctx, e, ds)
		return err
	})
	if !heads {
		t.Error("CreateEventDeliveries of the first deliveries of two lanes: no head reported")
	}
	if e.ID == 0 {
		t.Fatal("CreateEventDeliveries set no event id")
	}
	for _, d := range ds {
		if d.ID == 0 || d.EventID != e.ID {
			t.Errorf("delivery %s: id %d, event %d (want %d)", d.UUID, d.ID, d.EventID, e.ID)
		}
		if n := count(t, s, `SELECT COUNT(*) FROM deliveries WHERE id = $1 AND uuid = $2 AND event_id = $3 AND target = $4
			AND lane_id = $5 AND handoff = $6 AND status = 0 AND next_attempt_at = $7`, d.ID, d.UUID, e.ID,
			map[bool]int64{true: -hook.ID, false: bot}[d.Target.Kind == baton.TargetWebhook], th.conversation.ID, d.Handoff,
			at.UnixMicro()); n != 1 {
			t.Errorf("delivery %s is not as written", d.UUID)
		}
		if n := count(t, s, `SELECT COUNT(*) FROM lanes WHERE lane_id = $1 AND head_id = $2`, th.conversation.ID, d.ID); n != 1 {
			t.Errorf("delivery %s heads no lane", d.UUID)
		}
	}
	if n := count(t, s, `SELECT COUNT(*) FROM events WHERE id = $1 AND name = 'message_created' AND conversation_id = $2`, e.ID, th.conversation.ID); n != 1 {
		t.Error("the event is not as written")
	}
	// Behind the heads: no head, by event or alone; in a lane of its own,
	// a head.
	next := &baton.Event{AccountID: th.account.ID, ConversationID: th.conversation.ID, Name: "message_created",
		Payload: []byte(`{}`), CreatedAt: at}
	write(t, s, func(q *store.Queries) (err error) {
		heads, err = q.CreateEventDeliveries(ctx, next, []*baton.Delivery{{UUID: unique("uuid"), Target: baton.BotTarget(bot),
			AccountID: th.account.ID, LaneID: th.conversation.ID, NextAttemptAt: at, CreatedAt: at}})
		return err
	})
	if heads {
		t.Error("CreateEventDeliveries of a delivery behind its lane's head reported a head")
	}
	for lane, want := range map[int64]bool{th.conversation.ID: false, -th.account.ID: true} {
		write(t, s, func(q *store.Queries) error {
			head, err := q.CreateDelivery(ctx, &baton.Delivery{UUID: unique("uuid"), EventID: next.ID, Target: baton.BotTarget(bot),
				AccountID: th.account.ID, LaneID: lane, NextAttemptAt: at, CreatedAt: at})
			if head != want {
				t.Errorf("CreateDelivery in lane %d: head %v, want %v", lane, head, want)
			}
			return err
		})
	}

	later := at.Add(time.Minute)
	live := &store.LiveEvent{AccountID: th.account.ID, ConversationID: th.conversation.ID, MessageID: 0,
		Name: "message_created", CreatedAt: later}
	write(t, s, func(q *store.Queries) error {
		return q.TouchConversationLive(ctx, th.conversation.ID, later.UnixMicro(), live)
	})
	if live.ID == 0 {
		t.Error("TouchConversationLive set no live event id")
	}
	got, err := s.Read().FindConversationByID(ctx, th.conversation.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.LastActivityAt.Equal(stored(later)) || !got.UpdatedAt.Equal(stored(later)) {
		t.Errorf("touched conversation: last activity %v, updated %v; want %v", got.LastActivityAt, got.UpdatedAt, later)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM live_events WHERE id = $1 AND conversation_id = $2 AND name = 'message_created'`,
		live.ID, th.conversation.ID); n != 1 {
		t.Error("the live event is not as written")
	}

	latest := later.Add(time.Minute)
	content := "Where is my order?"
	m := &baton.Message{AccountID: th.account.ID, InboxID: th.inbox.ID, ConversationID: th.conversation.ID,
		MessageType: baton.MessageIncoming, ContentType: baton.ContentText, Content: &content,
		SenderType: baton.SenderContact, SenderID: th.contact.ID, CreatedAt: latest, UpdatedAt: latest}
	live = &store.LiveEvent{AccountID: th.account.ID, ConversationID: th.conversation.ID, Name: "message.created",
		Data: []byte(`{"echo_id":"e1"}`), CreatedAt: latest}
	write(t, s, func(q *store.Queries) error {
		return q.CreateMessageLive(ctx, m, latest.UnixMicro(), live)
	})
	if m.ID == 0 || live.ID == 0 || live.MessageID != m.ID {
		t.Fatalf("CreateMessageLive: message %d, live event %d about message %d", m.ID, live.ID, live.MessageID)
	}
	written, err := s.Read().FindMessage(ctx, th.conversation.ID, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if written.Content == nil || *written.Content != content || written.SenderID != th.contact.ID || !written.CreatedAt.Equal(stored(latest)) {
		t.Errorf("CreateMessageLive wrote %+v", written)
	}
	if got, err = s.Read().FindConversationByID(ctx, th.conversation.ID); err != nil {
		t.Fatal(err)
	}
	if !got.LastActivityAt.Equal(stored(latest)) || !got.UpdatedAt.Equal(stored(latest)) {
		t.Errorf("conversation touched by CreateMessageLive: last activity %v, updated %v; want %v", got.LastActivityAt, got.UpdatedAt, latest)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM live_events WHERE id = $1 AND account_id = $2 AND conversation_id = $3
		AND message_id = $4 AND name = 'message.created' AND data = '{"echo_id":"e1"}' AND created_at = $5`,
		live.ID, th.account.ID, th.conversation.ID, m.ID, latest.UnixMicro()); n != 1 {
		t.Error("the message's live event is not as written")
	}
}
