package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/store"
	"github.com/google/uuid"
)

// Renderer turns an event into the JSON body bots receive. The Chatwoot
// surface provides it: payloads are its wire format.
type Renderer interface {
	Render(e *baton.Event) ([]byte, error)
}

// eventBots returns the bots that hear of an inbox's events: the inbox's
// active bot and the bot the conversation is assigned to, each once, and
// only those with somewhere to send to.
func eventBots(ctx context.Context, q *store.Queries, inboxID, assignedBotID int64) ([]*baton.AgentBot, error) {
	l, err := inboxBot(ctx, q, inboxID)
	if err != nil {
		return nil, err
	}
	return botsHearing(ctx, q, l, assignedBotID)
}

// inboxBot returns the inbox's connection to a bot, or nil when it has none.
func inboxBot(ctx context.Context, q *store.Queries, inboxID int64) (*baton.AgentBotInbox, error) {
	l, err := q.InboxAgentBot(ctx, inboxID)
	if errors.Is(err, baton.ErrNotFound) {
		return nil, nil
	}
	return l, err
}

// botsHearing is eventBots for an inbox whose connection to a bot, l (nil
// for none), the caller has read already.
func botsHearing(ctx context.Context, q *store.Queries, l *baton.AgentBotInbox, assignedBotID int64) ([]*baton.AgentBot, error) {
	return findBotsHearing(l, assignedBotID, func(id int64) (*baton.AgentBot, error) {
		b, err := q.FindAgentBot(ctx, id)
		if errors.Is(err, baton.ErrNotFound) {
			return nil, nil
		}
		return b, err
	})
}

// findBotsHearing is botsHearing with each bot found by find, which
// returns nil for a bot that is gone.
func findBotsHearing(l *baton.AgentBotInbox, assignedBotID int64, find func(id int64) (*baton.AgentBot, error)) ([]*baton.AgentBot, error) {
	var bots []*baton.AgentBot
	ids := []int64{}
	if l != nil && l.Active {
		ids = append(ids, l.AgentBotID)
	}
	if assignedBotID != 0 && !slices.Contains(ids, assignedBotID) {
		ids = append(ids, assignedBotID)
	}
	for _, id := range ids {
		b, err := find(id)
		if err != nil {
			return nil, err
		}
		if b != nil && b.OutgoingURL != "" {
			bots = append(bots, b)
		}
	}
	return bots, nil
}

// botTakesNew reports whether new conversations start pending, the bot's:
// the inbox's connection to a bot, l (nil for none), is active, and the
// bot's circuit breaker is not open (or the bot wants its conversations
// even then).
func (a *App) botTakesNew(ctx context.Context, q *store.Queries, l *baton.AgentBotInbox) (bool, error) {
	if l == nil || !l.Active {
		return false, nil
	}
	b, err := q.FindAgentBot(ctx, l.AgentBotID)
	if err != nil {
		return false, err
	}
	return !(b.OpenWhileBreakerOpen && b.BreakerOpen(a.Now())), nil
}

// emitTo renders an event and writes it, with one delivery for each bot that
// hears of it, in the transaction of the change it reports. An event no
// bot hears of is not written. The delivery engine is woken after commit.
// The bots that hear of the event are found by the caller.
func (a *App) emitTo(ctx context.Context, q *store.Queries, e *baton.Event, bots []*baton.AgentBot, hooks []*baton.Webhook) (err error) {
	if len(bots)+len(hooks) == 0 || a.render == nil {
		return nil
	}
	if e.Account == nil {
		if e.Account, err = q.FindAccount(ctx, e.AccountID); err != nil {
			return err
		}
	}
	e.CreatedAt = a.Now()
	if e.Payload, err = a.render.Render(e); err != nil {
		return err
	}
	// Webhook endpoints only listen: their deliveries never hand a
	// conversation over, and their lanes are their own.
	ds := make([]*baton.Delivery, 0, len(hooks)+len(bots))
	for _, w := range hooks {
		ds = append(ds, &baton.Delivery{UUID: newDeliveryUUID(), Target: w.Target(), AccountID: e.AccountID,
			LaneID: eventLane(e), NextAttemptAt: e.CreatedAt, CreatedAt: e.CreatedAt})
	}
	// A customer's message to the bot of a pending conversation is the one
	// delivery whose failure hands the conversation to people.
	// Only the bot the conversation is with (the one assigned, else the
	// inbox's) can strand its customer.
	handoff := e.ByCustomer && e.Conversation != nil && e.Conversation.Status == baton.StatusPending
	owner := int64(0)
	if e.Conversation != nil {
		owner = e.Conversation.AssigneeAgentBotID
	}
	lane := eventLane(e)
	for _, b := range bots {
		ds = append(ds, &baton.Delivery{UUID: newDeliveryUUID(), Target: baton.BotTarget(b.ID), AccountID: e.AccountID,
			LaneID: lane, Handoff: handoff && (owner == 0 || owner == b.ID), NextAttemptAt: e.CreatedAt,
			CreatedAt: e.CreatedAt})
	}
	// The event and its deliveries: one statement on PostgreSQL. The
	// engines are woken for a delivery that heads its lane; one queued
	// behind another goes when the one before it is done.
	heads, err := q.CreateEventDeliveries(ctx, e, ds)
	if err != nil {
		return err
	}
	if heads && a.onEvent != nil {
		q.AfterCommit(a.onEvent)
	}
	return nil
}

// newDeliveryUUID returns a delivery's id: a time-ordered (version 7) UUID,
// so that the deliveries' unique index on it is written at its end, as
// their other indexes are, not at a random page of it each time (on SQLite
// every page a commit changes is written to the WAL, and again to the
// database at the checkpoint).
func newDeliveryUUID() string { return uuid.Must(uuid.NewV7()).String() }

// eventLane is the lane of an event's deliveries: its conversation's.
// Events without a conversation go in a lane of their account: a global
// bot's lanes of one account never hold back another's.
func eventLane(e *baton.Event) int64 {
	if e.ConversationID == 0 {
		return -e.AccountID
	}
	return e.ConversationID
}

// webhooksHearing returns the webhook endpoints that hear an event of an
// inbox; private marks a private note's message events.
func webhooksHearing(ctx context.Context, q *store.Queries, accountID, inboxID int64, event string, private bool) ([]*baton.Webhook, error) {
	all, err := q.InboxWebhooks(ctx, accountID, inboxID)
	if err != nil {
		return nil, err
	}
	var out []*baton.Webhook
	for _, w := range all {
		if w.Hears(event, inboxID, private) {
			out = append(out, w)
		}
	}
	return out, nil
}

// The bots that hear of an event are found before its snapshot is loaded:
// that takes several queries in the writer's transaction, which the events
// no bot hears of (most of them, on the customer message hot path) are
// spared. Without a renderer no event is written, and none is looked for.

// emitConversation reports a conversation event with the conversation as it
// is now, its relations loaded in the transaction.
// change is set for the events that report one.
func (a *App) emitConversation(ctx context.Context, q *store.Queries, name string, c *baton.Conversation, change *baton.ConversationChange) error {
	if err := a.publishConversation(ctx, q, name, c, change); err != nil {
		return err
	}
	if a.render == nil {
		return nil
	}
	bots, err := eventBots(ctx, q, c.InboxID, c.AssigneeAgentBotID)
	if err != nil {
		return err
	}
	hooks, err := webhooksHearing(ctx, q, c.AccountID, c.InboxID, name, false)
	if err != nil || len(bots)+len(hooks) == 0 {
		return err
	}
	snap := *c
	around, err := a.snapshotConversation(ctx, q, &snap)
	if err != nil {
		return err
	}
	return a.emitTo(ctx, q, &baton.Event{AccountID: c.AccountID, Account: around.Account, ConversationID: c.ID, Name: name,
		Conversation: &snap, Change: change}, bots, hooks)
}

// snapshotConversation loads c, a copy of the conversation, as a
// conversation event shows it, and returns what it read beside it.
func (a *App) snapshotConversation(ctx context.Context, q *store.Queries, c *baton.Conversation) (*store.Surroundings, error) {
	l := newLoader(q, a.liveSince())
	around, err := l.surround(ctx, c)
	if err != nil {
		return nil, err
	}
	return around, l.conversation(ctx, c)
}

// emitConversationCreated reports conversation_created, just after the
// conversation is written: to webhook endpoints only, as Chatwoot's
// webhook listener does (a bot hears of a conversation by its events).
func (a *App) emitConversationCreated(ctx context.Context, q *store.Queries, c *baton.Conversation) error {
	if err := a.publishConversation(ctx, q, baton.EventConversationCreated, c, nil); err != nil {
		return err
	}
	if a.render == nil {
		return nil
	}
	hooks, err := webhooksHearing(ctx, q, c.AccountID, c.InboxID, baton.EventConversationCreated, false)
	if err != nil || len(hooks) == 0 {
		return err
	}
	snap := *c
	around, err := a.snapshotConversation(ctx, q, &snap)
	if err != nil {
		return err
	}
	return a.emitTo(ctx, q, &baton.Event{AccountID: c.AccountID, Account: around.Account, ConversationID: c.ID,
		Name: baton.EventConversationCreated, Conversation: &snap}, nil, hooks)
}

// emitContact reports contact_created (before nil) or contact_updated:
// to account webhooks for every inbox only, as Chatwoot's webhook listener
// does (a contact belongs to no one inbox). An update that changed nothing
// Chatwoot reports is not an event.
func (a *App) emitContact(ctx context.Context, q *store.Queries, before, c *baton.Contact) error {
	if a.render == nil {
		return nil
	}
	name := baton.EventContactCreated
	if before != nil {
		name = baton.EventContactUpdated
		if !contactChanged(before, c) {
			return nil
		}
	}
	hooks, err := webhooksHearing(ctx, q, c.AccountID, 0, name, false)
	if err != nil || len(hooks) == 0 {
		return err
	}
	snap := *c
	return a.emitTo(ctx, q, &baton.Event{AccountID: c.AccountID, Name: name, Contact: &snap, ContactBefore: before}, nil, hooks)
}

// contactChanged reports whether an attribute contact_updated reports
// changed.
func contactChanged(before, c *baton.Contact) bool {
	return before.Name != c.Name || before.Email != c.Email || before.PhoneNumber != c.PhoneNumber ||
		before.Identifier != c.Identifier || before.Blocked != c.Blocked ||
		!sameDocument(before.AdditionalAttributes, c.AdditionalAttributes) ||
		!sameDocument(before.CustomAttributes, c.CustomAttributes)
}

// emitMessage reports a message event, for the messages bots receive;
// before is an updated message as it was (nil for a new one).
func (a *App) emitMessage(ctx context.Context, q *store.Queries, name string, c *baton.Conversation, m, before *baton.Message) error {
	if err := a.publishMessage(ctx, q, name, m, before); err != nil {
		return err
	}
	if !m.MessageType.Sendable() || a.render == nil {
		return nil
	}
	l, err := inboxBot(ctx, q, c.InboxID)
	if err != nil {
		return err
	}
	return a.emitMessageHeard(ctx, q, name, c, m, l, false, false, nil)
}

// emitMessageTo is emitMessage for a conversation whose inbox's connection
// to a bot, link (nil for none), the caller has read already: addMessage
// needs it before, for the status a customer's message leads to. byCustomer
// says the customer did what the event reports (baton.Event.ByCustomer);
// k, when not nil, is what the caller read already.
func (a *App) emitMessageTo(ctx context.Context, q *store.Queries, name string, c *baton.Conversation, m *baton.Message, link *baton.AgentBotInbox, byCustomer bool, k *known) error {
	return a.emitMessageHeard(ctx, q, name, c, m, link, byCustomer, true, k)
}

// emitMessageHeard is emitMessageTo; live says whether live clients are
// told too (emitMessage told them already).
func (a *App) emitMessageHeard(ctx context.Context, q *store.Queries, name string, c *baton.Conversation, m *baton.Message, link *baton.AgentBotInbox, byCustomer, live bool, k *known) error {
	if live {
		if err := a.publishMessage(ctx, q, name, m, k.before()); err != nil {
			return err
		}
	}
	if !m.MessageType.Sendable() || a.render == nil {
		return nil
	}
	if k == nil {
		k = &known{}
	}
	// The message's sender, when a bot or a person, was read with the
	// caller's token: the snapshot shows it as read there.
	l := newLoader(q, a.liveSince())
	actor := baton.ActorFromContext(ctx)
	if actor.Bot != nil {
		l.bots[actor.Bot.ID] = actor.Bot
	}
	if actor.User != nil {
		l.users[actor.User.ID] = actor.User
	}
	if k.target != nil && k.target.AgentBot != nil {
		l.bots[k.target.AgentBot.ID] = k.target.AgentBot // the inbox's, read in the transaction
	}
	bots, err := l.botsHearing(ctx, link, c.AssigneeAgentBotID)
	if err != nil {
		return err
	}
	hooks, err := webhooksHearing(ctx, q, c.AccountID, c.InboxID, name, m.Private)
	if err != nil || len(bots)+len(hooks) == 0 {
		return err
	}
	k.heard = true
	// The snapshot is built from what the transaction read already: the
	// conversation's inbox, contact and contact inbox when the caller has
	// them, its surroundings when the lookup read them, the bots just
	// found, and a message just written, which is the conversation's last
	// (unless private or an activity) and has no attachments but those it
	// holds.
	snap := *c
	l.seed(&snap)
	around := k.surroundings(m)
	if around != nil {
		l.remember(&snap, around)
	} else if around, err = l.surround(ctx, &snap); err != nil {
		return err
	}
	msg := *m
	if k.fresh {
		if err := l.sender(ctx, &msg); err != nil {
			return err
		}
		msg.ConversationDisplayID = c.DisplayID
		if !msg.Private && msg.MessageType != baton.MessageActivity {
			l.last = &msg
		}
	}
	if err := l.conversation(ctx, &snap); err != nil {
		return err
	}
	if !k.fresh {
		if err := l.messages(ctx, &snap, []*baton.Message{&msg}); err != nil {
			return err
		}
	}
	return a.emitTo(ctx, q, &baton.Event{AccountID: c.AccountID, Account: around.Account, ConversationID: c.ID, Name: name,
		Conversation: &snap, Message: &msg, ByCustomer: byCustomer}, bots, hooks)
}

// snapshot copies a conversation before a change, so that the change can be
// told from what it was.
func snapshot(c *baton.Conversation) *baton.Conversation {
	prev := *c
	prev.AdditionalAttributes = maps.Clone(c.AdditionalAttributes)
	prev.CustomAttributes = maps.Clone(c.CustomAttributes)
	prev.Labels = slices.Clone(c.Labels)
	return &prev
}

// saveChanged runs change, which changes c, and saves c with
// saveConversation against a snapshot taken before.
func (a *App) saveChanged(ctx context.Context, q *store.Queries, c *baton.Conversation, change func() error) error {
	prev := snapshot(c)
	if err := change(); err != nil {
		return err
	}
	return a.saveConversation(ctx, q, prev, c)
}

// saveConversation writes a changed conversation and raises the events its
// change implies, as Chatwoot does: conversation_opened or
// conversation_resolved and conversation_status_changed when the status
// moved, then conversation_updated with the changed attributes.
func (a *App) saveConversation(ctx context.Context, q *store.Queries, prev, c *baton.Conversation) error {
	c.UpdatedAt = a.Now()
	if err := q.UpdateConversation(ctx, c); err != nil {
		return err
	}
	if !conversationChanged(prev, c) {
		return nil
	}
	if err := a.recordChange(ctx, q, prev, c); err != nil {
		return err
	}
	// A conversation resolved while its bot had it counts for the bot's
	// resolution rate (see BotMetrics).
	if prev.Status == baton.StatusPending && c.Status == baton.StatusResolved {
		bot, err := owningBot(ctx, q, prev)
		if err != nil {
			return err
		}
		if err := q.CreateBotResolution(ctx, c.AccountID, c.InboxID, c.ID, bot, c.UpdatedAt.UnixMicro()); err != nil {
			return err
		}
	}
	change := &baton.ConversationChange{Before: prev, After: c}
	if prev.Status != c.Status {
		switch c.Status {
		case baton.StatusOpen:
			if err := a.emitConversation(ctx, q, baton.EventConversationOpened, c, nil); err != nil {
				return err
			}
		case baton.StatusResolved:
			if err := a.emitConversation(ctx, q, baton.EventConversationResolved, c, nil); err != nil {
				return err
			}
		}
		if err := a.emitConversation(ctx, q, baton.EventConversationStatusChanged, c, change); err != nil {
			return err
		}
	}
	// The bot that just lost the conversation hears of it too.
	if prev.AssigneeAgentBotID != 0 && prev.AssigneeAgentBotID != c.AssigneeAgentBotID {
		was := *c
		was.AssigneeAgentBotID = prev.AssigneeAgentBotID
		return a.emitConversation(ctx, q, baton.EventConversationUpdated, &was, change)
	}
	return a.emitConversation(ctx, q, baton.EventConversationUpdated, c, change)
}

// conversationChanged reports whether an attribute changed that
// conversation_updated reports; the renderer names them in its dialect.
func conversationChanged(prev, c *baton.Conversation) bool {
	return prev.AssigneeID != c.AssigneeID || prev.AssigneeAgentBotID != c.AssigneeAgentBotID ||
		prev.TeamID != c.TeamID || prev.Status != c.Status || prev.Priority != c.Priority ||
		!sameMillisecond(prev.SnoozedUntil, c.SnoozedUntil) || !sameMillisecond(prev.WaitingSince, c.WaitingSince) ||
		!sameMillisecond(prev.FirstReplyCreatedAt, c.FirstReplyCreatedAt) ||
		!slices.Equal(prev.Labels, c.Labels) || !sameDocument(prev.CustomAttributes, c.CustomAttributes) ||
		!reflect.DeepEqual(prev.AdditionalAttributes["conversation_language"], c.AdditionalAttributes["conversation_language"])
}

// sameMillisecond reports whether two optional times are equal to the
// millisecond, the precision changes are reported with.
func sameMillisecond(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Truncate(time.Millisecond).Equal(b.Truncate(time.Millisecond))
}

// sameDocument reports whether two documents are equal as JSON, whatever
// the Go types of their numbers.
func sameDocument(a, b map[string]any) bool {
	x, _ := json.Marshal(orEmpty(a))
	y, _ := json.Marshal(orEmpty(b))
	return string(x) == string(y)
}

// WidgetEventTriggered is the one event the widget raises: the visitor
// opened the widget. Bots receive it as webwidget_triggered.
const WidgetEventTriggered = "webwidget.triggered"

// MaxEventInfoBytes bounds a widget event's event_info, as JSON: the
// widget sends a few short fields (its language, the page, when it
// opened), and the event is stored and sent to bots and webhooks.
// WidgetEventsPerMinute bounds one visitor's events: the widget raises one
// each time it is opened.
const (
	MaxEventInfoBytes     = 8 << 10
	WidgetEventsPerMinute = 30
)

// WidgetTriggered raises webwidget_triggered to the inbox's bot: the
// visitor opened the widget. info is what the widget said of the visit,
// with what the server saw (language, browser) already merged in. The
// event has no conversation of its own, so it travels in the bot's lane of
// conversation-less events; current_conversation in its payload is the
// visitor's latest conversation, if any.
func (a *App) WidgetTriggered(ctx context.Context, name string, info map[string]any) error {
	if raw, err := json.Marshal(info); err != nil || len(raw) > MaxEventInfoBytes {
		return baton.Invalid(fmt.Sprintf("Event info is too large (at most %d bytes of JSON)", MaxEventInfoBytes), "event_info")
	}
	return a.store.Write(ctx, func(q *store.Queries) error {
		w, err := a.widgetSession(ctx, q)
		if err != nil {
			return err
		}
		if name != WidgetEventTriggered {
			return baton.Invalid(fmt.Sprintf("Unknown event %q: the widget raises only %s", name, WidgetEventTriggered), "name")
		}
		if !a.widgetEvents.take(w.ContactInbox.ID, a.now(), WidgetEventsPerMinute) {
			return &baton.Error{Code: baton.ERATELIMIT, Message: "Too many widget events, try again later"}
		}
		// Chatwoot tells only the inbox's own bot, never a conversation's
		// assigned bot; loading the conversation is spared when it has none.
		bots, err := eventBots(ctx, q, w.Inbox.ID, 0)
		if err != nil || a.render == nil {
			return err
		}
		hooks, err := webhooksHearing(ctx, q, w.Inbox.AccountID, w.Inbox.ID, baton.EventWebwidgetTriggered, false)
		if err != nil || len(bots)+len(hooks) == 0 {
			return err
		}
		c, err := q.LastConversationOf(ctx, w.ContactInbox.ID)
		if errors.Is(err, baton.ErrNotFound) {
			c, err = nil, nil
		} else if err == nil {
			err = newLoader(q, a.liveSince()).conversation(ctx, c)
		}
		if err != nil {
			return err
		}
		return a.emitTo(ctx, q, &baton.Event{AccountID: w.Inbox.AccountID, Account: w.Account, Name: baton.EventWebwidgetTriggered,
			ContactInbox: w.ContactInbox, Contact: w.Contact, Inbox: w.Inbox, Conversation: c,
			EventInfo: orEmpty(info)}, bots, hooks)
	})
}
