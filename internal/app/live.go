package app

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"sync"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/auth"
	"github.com/batonhq/baton/internal/store"
)

// Live clients (/cable) hear of committed changes through the live event
// log: each change writes a row naming what happened in its own
// transaction, and after the commit each process's hub reads the rows,
// loads what they name with LiveEvents and renders them. Every event the
// use cases raise for bots (emitConversation, emitMessage) is written here
// too, whether or not a bot hears of it, so an event added later goes live
// by itself; the renderer decides what live clients are shown of it.

// LiveEvent is a committed event loaded for live clients, with who may
// hear of it. The audience is decided here, once: a contact hears only of
// their own conversation and never of private notes, activity messages or
// their own typing; an agent only of the inboxes they work and of the
// conversations assigned to them, administrators of the whole account;
// nobody of another account.
type LiveEvent struct {
	baton.Event // ID is the live event's id
	// Users are the users of the account who may hear of it.
	Users map[int64]bool
	// ContactInboxID is the contact inbox whose contact may hear of it; 0
	// for none.
	ContactInboxID int64
	// AssigneeChanged says a conversation event moved it to another
	// person (or to nobody).
	AssigneeChanged bool
	// Performer is the user or bot whose request made the change; nil for
	// a contact's, Baton's own, or one whose performer is gone.
	Performer *baton.Sender
	// MessageBefore is, for message.updated, the message before the
	// update (nil when not known): what changed is the renderer's to say.
	MessageBefore *baton.Message
	// Skipped says the event was not loaded, as nobody was listening: it
	// has its ids, name and time, nothing more.
	Skipped bool
}

// liveData is what a live event row holds beside its ids.
type liveData struct {
	// AssigneeChanged says the conversation changed hands.
	AssigneeChanged bool           `json:"assignee_changed,omitempty"`
	TypistID        int64          `json:"typist_id,omitempty"`
	TypistOf        string         `json:"typist_type,omitempty"`
	Private         bool           `json:"private,omitempty"`
	Contact         *baton.Contact `json:"contact,omitempty"` // a deleted contact, as it was
	// PerformerOf and PerformerID are who made the change, a user or a
	// bot (baton.SenderUser, baton.SenderAgentBot).
	PerformerOf string `json:"performer_type,omitempty"`
	PerformerID int64  `json:"performer_id,omitempty"`
	// EchoID is the echo id the request creating a message sent: it is
	// not stored with the message, and the creator's live clients match
	// their message by it.
	EchoID string `json:"echo_id,omitempty"`
	// Before is an updated message as it was, for what the update changed.
	Before *baton.Message `json:"message_before,omitempty"`
}

// liveSkipped are bot events that live clients have under another name:
// conversation_status_changed says all that these do.
var liveSkipped = map[string]bool{baton.EventConversationOpened: true, baton.EventConversationResolved: true,
	baton.EventWebwidgetTriggered: true}

// publish writes a live event in q's transaction; the hub is woken after
// the commit. The event's CreatedAt is the change's time where the caller
// has it (the log is pruned by it), else now.
func (a *App) publish(ctx context.Context, q *store.Queries, e *store.LiveEvent, d *liveData) error {
	if liveSkipped[e.Name] {
		return nil
	}
	if err := a.completeLive(ctx, e, d); err != nil {
		return err
	}
	if err := q.CreateLiveEvent(ctx, e); err != nil {
		return err
	}
	if a.onLive != nil {
		q.AfterCommit(a.onLive)
	}
	return nil
}

// completeLive sets what a live event holds beside its ids (d, and its
// performer) and its time, unless the caller did.
func (a *App) completeLive(ctx context.Context, e *store.LiveEvent, d *liveData) error {
	if e.Data == nil {
		b, err := liveDataOf(ctx, d)
		if err != nil {
			return err
		}
		e.Data = b
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = a.Now()
	}
	return nil
}

// liveDataOf is what a live event row holds beside its ids: d, with the
// performer, the user or bot of ctx whose request made the change; nil
// when there is nothing to hold.
func liveDataOf(ctx context.Context, d *liveData) ([]byte, error) {
	switch actor := baton.ActorFromContext(ctx); {
	case actor.Kind == baton.ActorUser && actor.User != nil:
		if d == nil {
			d = &liveData{}
		}
		d.PerformerOf, d.PerformerID = baton.SenderUser, actor.User.ID
	case actor.Kind == baton.ActorAgentBot && actor.Bot != nil:
		if d == nil {
			d = &liveData{}
		}
		d.PerformerOf, d.PerformerID = baton.SenderAgentBot, actor.Bot.ID
	}
	if d == nil {
		return nil, nil
	}
	return json.Marshal(d)
}

// publishConversation writes a conversation event for live clients.
func (a *App) publishConversation(ctx context.Context, q *store.Queries, name string, c *baton.Conversation, change *baton.ConversationChange) error {
	var d *liveData
	if change != nil && change.Before != nil && change.Before.AssigneeID != c.AssigneeID {
		d = &liveData{AssigneeChanged: true}
	}
	return a.publish(ctx, q, &store.LiveEvent{AccountID: c.AccountID, ConversationID: c.ID, Name: name,
		CreatedAt: c.UpdatedAt}, d)
}

// publishMessage writes a message event for live clients: every message,
// private notes and activity messages included (agents see them).
func (a *App) publishMessage(ctx context.Context, q *store.Queries, name string, m, before *baton.Message) error {
	e, err := a.liveMessage(ctx, name, m, before)
	if err != nil {
		return err
	}
	return a.publish(ctx, q, e, nil)
}

// liveMessage is the live event of a message, for publish or for a
// statement that writes it with another (store.TouchConversationLive),
// which then calls published. It carries the echo id of a new message, and
// an updated message as it was before (nil when not known).
func (a *App) liveMessage(ctx context.Context, name string, m, before *baton.Message) (*store.LiveEvent, error) {
	var d *liveData
	if name == baton.EventMessageCreated && m.EchoID != "" {
		d = &liveData{EchoID: m.EchoID}
	}
	if name == baton.EventMessageUpdated && before != nil {
		d = &liveData{Before: before}
	}
	b, err := liveDataOf(ctx, d)
	return &store.LiveEvent{AccountID: m.AccountID, ConversationID: m.ConversationID, MessageID: m.ID, Name: name,
		CreatedAt: m.UpdatedAt, Data: b}, err
}

// published wakes the hub after q's transaction commits: a live event was
// written in it.
func (a *App) published(q *store.Queries) {
	if a.onLive != nil {
		q.AfterCommit(a.onLive)
	}
}

// publishContact writes a contact event for live clients.
func (a *App) publishContact(ctx context.Context, q *store.Queries, name string, c *baton.Contact) error {
	var d *liveData
	if name == baton.EventContactDeleted {
		d = &liveData{Contact: c}
	}
	return a.publish(ctx, q, &store.LiveEvent{AccountID: c.AccountID, ContactID: c.ID, Name: name,
		CreatedAt: c.UpdatedAt}, d)
}

// publishTyping writes a typing indicator for live clients, and for the
// webhook endpoints that hear it. Typing is frequent, and webhooks seldom
// hear it: when none does, its live event is written alone, in one
// statement rather than a transaction (on PostgreSQL one round trip, not
// four with the endpoints' read); an endpoint made meanwhile misses that
// one indicator.
func (a *App) publishTyping(ctx context.Context, c *baton.Conversation, typistType string, typistID int64, on, private bool) error {
	name := baton.EventConversationTypingOff
	if on {
		name = baton.EventConversationTypingOn
	}
	e := &store.LiveEvent{AccountID: c.AccountID, ConversationID: c.ID, Name: name}
	d := &liveData{TypistOf: typistType, TypistID: typistID, Private: private}
	var hooks []*baton.Webhook
	if a.render != nil {
		var err error
		if hooks, err = webhooksHearing(ctx, a.store.Read(), c.AccountID, c.InboxID, name, false); err != nil {
			return err
		}
	}
	if len(hooks) == 0 {
		if err := a.completeLive(ctx, e, d); err != nil {
			return err
		}
		if err := a.store.CreateLiveEventAlone(ctx, e); err != nil {
			return err
		}
		if a.onLive != nil {
			a.onLive()
		}
		return nil
	}
	return a.store.Write(ctx, func(q *store.Queries) error {
		if err := a.publish(ctx, q, e, d); err != nil {
			return err
		}
		return a.emitTyping(ctx, q, name, c, typistType, typistID, private, hooks)
	})
}

// emitTyping reports a typing indicator to the webhook endpoints that hear
// it (account webhooks subscribed to it, and the API inbox's webhook), as
// Chatwoot's webhook listener does, with whether a private note is being
// written; never to bots, as Chatwoot's bot listener. The endpoints, hooks,
// are the caller's (publishTyping looks for them first, and writes nothing
// more when none hears it).
func (a *App) emitTyping(ctx context.Context, q *store.Queries, name string, c *baton.Conversation, typistType string, typistID int64, private bool, hooks []*baton.Webhook) error {
	l := newLoader(q, a.liveSince())
	typist := &baton.Sender{Type: typistType}
	var err error
	switch typistType {
	case baton.SenderUser:
		typist.User, err = l.user(ctx, typistID)
	case baton.SenderContact:
		typist.Contact, err = l.contact(ctx, c.AccountID, typistID)
	case baton.SenderAgentBot:
		typist.Bot, err = l.bot(ctx, typistID)
	}
	if err != nil {
		return err
	}
	snap := *c
	if err := l.conversation(ctx, &snap); err != nil {
		return err
	}
	return a.emitTo(ctx, q, &baton.Event{AccountID: c.AccountID, ConversationID: c.ID, Name: name,
		Conversation: &snap, Typist: typist, Private: private}, nil, hooks)
}

// Typing shows the caller (a user or a bot) typing in a conversation they
// may see, or stops showing it. A private note being written is shown to
// agents only.
func (a *App) Typing(ctx context.Context, accountID, displayID int64, status string, private bool) error {
	if status != "on" && status != "off" {
		return baton.Invalid("typing_status must be on or off", "typing_status")
	}
	q := a.store.Read()
	s, c, err := a.visibleConversation(ctx, q, accountID, displayID)
	if err != nil {
		return err
	}
	switch {
	case s.actor.User != nil:
		return a.publishTyping(ctx, c, baton.SenderUser, s.actor.User.ID, status == "on", private)
	case s.actor.Bot != nil:
		return a.publishTyping(ctx, c, baton.SenderAgentBot, s.actor.Bot.ID, status == "on", private)
	}
	return nil
}

// LastLiveEventID returns the id of the newest live event: where a hub
// starting now begins to read.
func (a *App) LastLiveEventID(ctx context.Context) (int64, error) {
	return a.store.Read().LastLiveEventID(ctx)
}

// LiveEventsSince loads up to limit live events after the id, and those
// among also (ids a reader read past: on PostgreSQL ids are taken in one
// order and committed in another), by id. It returns the ids of the rows
// read, loaded or not. An event of an account that want, when not nil,
// refuses is not loaded: it comes back Skipped, with its ids and name only
// (nobody is listening; LiveEventsByID loads it if somebody asks later).
func (a *App) LiveEventsSince(ctx context.Context, after int64, also []int64, limit int, want func(accountID int64) bool) ([]*LiveEvent, []int64, error) {
	rows, err := a.store.Read().LiveEventsSince(ctx, after, also, limit)
	if err != nil {
		return nil, nil, err
	}
	read := make([]int64, len(rows))
	for i, r := range rows {
		read[i] = r.ID
	}
	out, err := a.loadLive(ctx, rows, want)
	return out, read, err
}

// LiveEventsByID loads the live events with the ids, in that order; want
// is as for LiveEventsSince.
func (a *App) LiveEventsByID(ctx context.Context, ids []int64, want func(accountID int64) bool) ([]*LiveEvent, error) {
	rows, err := a.store.Read().LiveEventsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	return a.loadLive(ctx, rows, want)
}

// PruneLiveEvents deletes the live events older than the window.
func (a *App) PruneLiveEvents(ctx context.Context, window time.Duration) error {
	return a.store.Write(ctx, func(q *store.Queries) error {
		_, err := q.PruneLiveEvents(ctx, a.Now().Add(-window))
		return err
	})
}

// loadLive loads rows for rendering. A row whose conversation, message or
// contact is gone by now is left out: there is nothing left to show. The
// rows of one call share what they load: a conversation many events name
// (a busy one, at a thousand messages a second) and its inbox's audience
// are read once, as they are now, after all the rows committed.
func (a *App) loadLive(ctx context.Context, rows []*store.LiveEvent, want func(accountID int64) bool) ([]*LiveEvent, error) {
	q := a.store.Read()
	b := &liveBatch{q: q, l: newLoader(q, a.liveSince()), convs: map[int64]liveConversation{}, audiences: map[[2]int64]map[int64]bool{}}
	if err := b.load(ctx, rows, want); err != nil {
		return nil, err
	}
	out := make([]*LiveEvent, 0, len(rows))
	for _, r := range rows {
		if r.Name == liveViewing {
			continue // for Viewing only, not for live clients
		}
		if want != nil && !want(r.AccountID) {
			out = append(out, &LiveEvent{Event: baton.Event{ID: r.ID, AccountID: r.AccountID,
				ConversationID: r.ConversationID, Name: r.Name, CreatedAt: r.CreatedAt}, Skipped: true})
			continue
		}
		e, err := a.loadLiveEvent(ctx, b, r)
		if baton.ErrorCode(err) == baton.ENOTFOUND {
			continue
		} else if err != nil {
			return out, err
		}
		if e != nil {
			out = append(out, e)
		}
	}
	return out, nil
}

// liveBatch is what one loadLive call has read.
type liveBatch struct {
	q         *store.Queries
	l         *loader
	convs     map[int64]liveConversation
	audiences map[[2]int64]map[int64]bool // by account and inbox
	// messages and attachments are those the batch's events name, read
	// in two statements for the batch (one and two an event before: at a
	// thousand messages a second, the hub fell seconds behind on them).
	messages    map[int64]*baton.Message
	attachments map[int64][]*baton.Attachment
}

// load reads the conversations the rows name, as loader.conversation reads
// one, and the messages they name and show, with their attachments: for the
// batch in a few statements, where each conversation took eight and each
// message two.
func (b *liveBatch) load(ctx context.Context, rows []*store.LiveEvent, want func(accountID int64) bool) error {
	var convIDs, msgIDs []int64
	for _, r := range rows {
		if r.ConversationID == 0 || r.Name == liveViewing || (want != nil && !want(r.AccountID)) {
			continue
		}
		if _, ok := b.convs[r.ConversationID]; !ok {
			b.convs[r.ConversationID] = liveConversation{err: baton.ErrNotFound}
			convIDs = append(convIDs, r.ConversationID)
		}
		if r.MessageID != 0 {
			msgIDs = append(msgIDs, r.MessageID)
		}
	}
	// The conversations and the events' messages are read at once: the
	// batch waits for one round trip, not three, before it goes out.
	var views map[int64]*store.ConversationView
	var viewsErr, messagesErr, attachmentsErr error
	var reads sync.WaitGroup
	reads.Go(func() { views, viewsErr = b.q.ListConversationViews(ctx, convIDs, unreadLimit) })
	reads.Go(func() { b.messages, messagesErr = b.q.FindMessagesByID(ctx, msgIDs) })
	reads.Go(func() { b.attachments, attachmentsErr = b.q.ListAttachments(ctx, msgIDs) })
	reads.Wait()
	if err := errors.Join(viewsErr, messagesErr, attachmentsErr); err != nil {
		return err
	}
	// A conversation's last message is most often one of the events';
	// the others, and the handoffs, are read after.
	var handoffIDs, lastIDs []int64
	for _, v := range views {
		if v.HandoffID != 0 {
			handoffIDs = append(handoffIDs, v.HandoffID)
		}
		if v.LastMessageID != 0 && b.messages[v.LastMessageID] == nil {
			lastIDs = append(lastIDs, v.LastMessageID)
		}
		b.l.contacts[v.Conversation.ContactID] = v.Conversation.Contact
		b.l.inboxes[v.Conversation.InboxID] = v.Conversation.Inbox
	}
	// These three are read at once too.
	var handoffs map[int64]*baton.Handoff
	var last map[int64]*baton.Message
	var lastAtts map[int64][]*baton.Attachment
	var handoffsErr, lastErr, lastAttsErr error
	reads.Go(func() { handoffs, handoffsErr = b.q.FindHandoffsByID(ctx, handoffIDs) })
	if len(lastIDs) > 0 {
		reads.Go(func() { last, lastErr = b.q.FindMessagesByID(ctx, lastIDs) })
		reads.Go(func() { lastAtts, lastAttsErr = b.q.ListAttachments(ctx, lastIDs) })
	}
	reads.Wait()
	if err := errors.Join(handoffsErr, lastErr, lastAttsErr); err != nil {
		return err
	}
	maps.Copy(b.messages, last)
	maps.Copy(b.attachments, lastAtts)
	for id, v := range views {
		c := v.Conversation
		if err := b.l.people(ctx, c); err != nil {
			b.convs[id] = liveConversation{err: err}
			continue
		}
		c.Handoff, c.UnreadCount = handoffs[v.HandoffID], v.Unread
		if v.LastMessageID != 0 {
			var err error
			if c.LastMessage, err = b.message(ctx, c, v.LastMessageID); err != nil {
				b.convs[id] = liveConversation{err: err}
				continue
			}
		}
		b.convs[id] = liveConversation{c: c}
	}
	return nil
}

// message returns, for one event, the conversation's message with the id as
// the batch read it, with its sender and attachments: a copy, as two events
// of a batch may name one message.
func (b *liveBatch) message(ctx context.Context, c *baton.Conversation, id int64) (*baton.Message, error) {
	read, ok := b.messages[id]
	if !ok || read.ConversationID != c.ID {
		return nil, baton.ErrNotFound
	}
	m := *read
	m.ConversationDisplayID, m.Attachments = c.DisplayID, b.attachments[id]
	return &m, b.l.sender(ctx, &m)
}

type liveConversation struct {
	c   *baton.Conversation
	err error
}

// conversation loads a conversation for rendering, once a batch.
func (b *liveBatch) conversation(ctx context.Context, accountID, id int64) (*baton.Conversation, error) {
	if lc, ok := b.convs[id]; ok {
		if lc.err == nil && lc.c.AccountID != accountID {
			return nil, baton.ErrNotFound
		}
		return lc.c, lc.err
	}
	c, err := b.q.FindConversationByID(ctx, id)
	if err == nil && c.AccountID != accountID {
		c, err = nil, baton.ErrNotFound
	}
	if err == nil {
		err = b.l.conversation(ctx, c)
	}
	if err != nil {
		c = nil
	}
	b.convs[id] = liveConversation{c, err}
	return c, err
}

// audience returns the users who may hear of an inbox's events (of the
// account's, for inbox 0), once a batch. The map is shared: copy it to
// change it.
func (b *liveBatch) audience(ctx context.Context, accountID, inboxID int64) (map[int64]bool, error) {
	k := [2]int64{accountID, inboxID}
	if u, ok := b.audiences[k]; ok {
		return u, nil
	}
	ids, err := b.q.InboxAudience(ctx, accountID, inboxID)
	if err != nil {
		return nil, err
	}
	u := make(map[int64]bool, len(ids))
	for _, id := range ids {
		u[id] = true
	}
	b.audiences[k] = u
	return u, nil
}

func (a *App) loadLiveEvent(ctx context.Context, b *liveBatch, r *store.LiveEvent) (*LiveEvent, error) {
	if r.Name == liveViewing {
		return nil, nil // for Viewing only, not for live clients
	}
	var d liveData
	if len(r.Data) > 0 {
		if err := json.Unmarshal(r.Data, &d); err != nil {
			return nil, err
		}
	}
	e := &LiveEvent{Event: baton.Event{ID: r.ID, AccountID: r.AccountID, ConversationID: r.ConversationID,
		Name: r.Name, CreatedAt: r.CreatedAt, Private: d.Private}}
	e.AssigneeChanged = d.AssigneeChanged
	q, l := b.q, b.l
	inboxID := int64(0)
	if r.ConversationID != 0 {
		c, err := b.conversation(ctx, r.AccountID, r.ConversationID)
		if err != nil {
			return nil, err
		}
		e.Conversation, inboxID, e.ContactInboxID = c, c.InboxID, c.ContactInboxID
		if r.MessageID != 0 {
			m, err := b.message(ctx, c, r.MessageID)
			if err != nil {
				return nil, err
			}
			m.EchoID = d.EchoID
			e.Message, e.MessageBefore = m, d.Before
			if m.Private || m.MessageType == baton.MessageActivity {
				e.ContactInboxID = 0
			}
		}
	}
	switch {
	case d.Contact != nil:
		e.Contact = d.Contact
	case r.ContactID != 0:
		c, err := q.FindContact(ctx, r.AccountID, r.ContactID)
		if err != nil {
			return nil, err
		}
		e.Contact = c
	}
	switch r.Name {
	case baton.EventConversationRead, baton.EventContactCreated, baton.EventContactUpdated, baton.EventContactDeleted,
		baton.EventPresenceUpdate:
		e.ContactInboxID = 0 // agents only
	}
	users, err := b.audience(ctx, r.AccountID, inboxID)
	if err != nil {
		return nil, err
	}
	// A conversation's assignee sees it outside their inboxes
	// (seesConversation), so hears of it too, while a member.
	if c := e.Conversation; c != nil && c.AssigneeID != 0 && !users[c.AssigneeID] {
		members, err := b.audience(ctx, r.AccountID, 0)
		if err != nil {
			return nil, err
		}
		if members[c.AssigneeID] {
			users = maps.Clone(users)
			users[c.AssigneeID] = true
		}
	}
	e.Users = users
	switch d.PerformerOf {
	case baton.SenderUser:
		if u, err := l.user(ctx, d.PerformerID); err != nil {
			return nil, err
		} else if u != nil {
			e.Performer = &baton.Sender{Type: baton.SenderUser, User: u}
		}
	case baton.SenderAgentBot:
		if b, err := l.bot(ctx, d.PerformerID); err != nil {
			return nil, err
		} else if b != nil {
			e.Performer = &baton.Sender{Type: baton.SenderAgentBot, Bot: b}
		}
	}
	if d.TypistOf != "" {
		if e.Conversation == nil {
			return nil, baton.ErrNotFound
		}
		if e.Private {
			e.ContactInboxID = 0
		}
		s := &baton.Sender{Type: d.TypistOf}
		switch d.TypistOf {
		case baton.SenderUser:
			if s.User, err = l.user(ctx, d.TypistID); err != nil || s.User == nil {
				return nil, baton.ErrNotFound
			}
			e.Users = maps.Clone(users)
			delete(e.Users, d.TypistID) // never back to the typist
		case baton.SenderAgentBot:
			if s.Bot, err = l.bot(ctx, d.TypistID); err != nil || s.Bot == nil {
				return nil, baton.ErrNotFound
			}
		case baton.SenderContact:
			s.Contact = e.Conversation.Contact
			e.ContactInboxID = 0 // never back to the typist
		}
		e.Typist = s
	}
	return e, nil
}

// Subscriber is who a live subscription listens as: a contact, by the
// pubsub token of one of their contact inboxes, or a user of an account.
type Subscriber struct {
	AccountID      int64
	UserID         int64 // a user; 0 for a contact
	ContactID      int64 // a contact; 0 for a user
	ContactInboxID int64
	InboxID        int64 // a contact's inbox
}

// SubscribeContact resolves a contact inbox's pubsub token. An unknown
// token is not found; one of a suspended account is refused.
func (a *App) SubscribeContact(ctx context.Context, token string) (*Subscriber, error) {
	if token == "" {
		return nil, baton.ErrNotFound
	}
	q := a.store.Read()
	ci, err := q.FindContactInboxByPubsubToken(ctx, token)
	if err != nil {
		return nil, err
	}
	inbox, err := q.FindInboxByID(ctx, ci.InboxID)
	if err != nil {
		return nil, err
	}
	if err := unsuspended(ctx, q, inbox.AccountID); err != nil {
		return nil, err
	}
	return &Subscriber{AccountID: inbox.AccountID, ContactID: ci.ContactID, ContactInboxID: ci.ID, InboxID: inbox.ID}, nil
}

// unsuspended refuses a live subscription to a suspended account, as its
// API and its widget are refused.
func unsuspended(ctx context.Context, q *store.Queries, accountID int64) error {
	acc, err := q.FindAccount(ctx, accountID)
	if err != nil {
		return err
	}
	if acc.Status == baton.AccountSuspended {
		return auth.ErrSuspended
	}
	return nil
}

// ownerUserPubsub is the access_tokens owner type of users' pubsub tokens:
// found by hash like any token, but never accepted as an API token
// (Authenticate knows nothing of the type).
const ownerUserPubsub = "UserPubsub"

// SubscribeUser resolves a user's pubsub token in one of their accounts.
// A wrong token, another user's id, or an account the user is not in are
// all not found; a suspended account is refused.
func (a *App) SubscribeUser(ctx context.Context, token string, accountID, userID int64) (*Subscriber, error) {
	if token == "" {
		return nil, baton.ErrNotFound
	}
	q := a.store.Read()
	t, err := q.FindAccessTokenByHash(ctx, auth.HashToken(token))
	if err != nil {
		return nil, err
	}
	if t.OwnerType != ownerUserPubsub || t.OwnerID != userID {
		return nil, baton.ErrNotFound
	}
	if _, err := q.FindAccountUser(ctx, accountID, userID); err != nil {
		return nil, err
	}
	if err := unsuspended(ctx, q, accountID); err != nil {
		return nil, err
	}
	return &Subscriber{AccountID: accountID, UserID: userID}, nil
}

// userPubsubToken returns the user's pubsub token, made on first use.
func (a *App) userPubsubToken(ctx context.Context, userID int64) (string, error) {
	if t, err := a.token(ctx, a.store.Read(), ownerUserPubsub, userID); baton.ErrorCode(err) != baton.ENOTFOUND {
		return t, err
	}
	var token string
	err := a.store.Write(ctx, func(q *store.Queries) error {
		// Another request may have made it meanwhile.
		if t, err := a.token(ctx, q, ownerUserPubsub, userID); baton.ErrorCode(err) != baton.ENOTFOUND {
			token = t
			return err
		}
		token = auth.NewToken()
		return q.SetAccessToken(ctx, store.AccessToken{OwnerType: ownerUserPubsub, OwnerID: userID,
			Hash: auth.HashToken(token), Sealed: a.key.Seal(token)}, a.Now())
	})
	return token, err
}

// insertContact inserts a new contact and tells live clients.
func (a *App) insertContact(ctx context.Context, q *store.Queries, c *baton.Contact) error {
	if err := q.CreateContact(ctx, c); err != nil {
		return err
	}
	return a.publishContact(ctx, q, baton.EventContactCreated, c)
}

// saveContact writes a changed contact and tells live clients.
func (a *App) saveContact(ctx context.Context, q *store.Queries, c *baton.Contact) error {
	if err := q.UpdateContact(ctx, c); err != nil {
		return err
	}
	return a.publishContact(ctx, q, baton.EventContactUpdated, c)
}

// PubsubToken returns the calling user's pubsub token, which subscribes
// their live connections (GET /api/v1/profile shows it); it is made on
// first use.
func (a *App) PubsubToken(ctx context.Context) (string, error) {
	actor := baton.ActorFromContext(ctx)
	if actor.Kind != baton.ActorUser {
		return "", auth.ErrInvalidToken
	}
	return a.userPubsubToken(ctx, actor.User.ID)
}

// LivePayload is one frame a live event makes: its name on the wire and
// the data for agents and for the contact, rendered (nil where that
// audience gets nothing).
type LivePayload struct {
	Event   string
	Agent   []byte
	Contact []byte
}

// AccountPresence returns the account's users who are there, by id, with
// the availability the team sees (online or busy; offline while they have
// no live connection on a live process, so those are left out).
func (a *App) AccountPresence(ctx context.Context, accountID int64) (map[int64]string, error) {
	q := a.store.Read()
	aus, err := q.ListAccountUsers(ctx, accountID)
	if err != nil {
		return nil, err
	}
	if err := a.withPresence(ctx, q, aus); err != nil {
		return nil, err
	}
	out := map[int64]string{}
	for _, au := range aus {
		if s := au.AvailabilityStatus(); s != baton.Offline {
			out[au.UserID] = s.String()
		}
	}
	return out, nil
}

// membershipEnded tells the account's live clients, in q's transaction
// that ended someone's membership, that who is there changed: the hubs
// then end the live subscriptions of users no longer in the account (a
// presence event's audience is its members), which heard of its presence
// for as long as they stayed connected.
func (a *App) membershipEnded(ctx context.Context, q *store.Queries, accountID int64) error {
	return a.publish(ctx, q, &store.LiveEvent{AccountID: accountID, Name: baton.EventPresenceUpdate}, nil)
}

// accountSuspended tells every process, in q's transaction that suspended
// the account, to end the account's live subscriptions, its users' and its
// contacts': they are refused from then on (SubscribeUser,
// SubscribeContact), and those made before kept hearing of the account.
func (a *App) accountSuspended(ctx context.Context, q *store.Queries, accountID int64) error {
	return a.publish(ctx, q, &store.LiveEvent{AccountID: accountID, Name: baton.EventAccountSuspended}, nil)
}

// accountDeleted tells every process, in q's transaction that deleted the
// account, to end the account's live subscriptions, as accountSuspended
// does: new ones are refused, the account being gone, and those made
// before kept hearing of it.
func (a *App) accountDeleted(ctx context.Context, q *store.Queries, accountID int64) error {
	return a.publish(ctx, q, &store.LiveEvent{AccountID: accountID, Name: baton.EventAccountDeleted}, nil)
}

// PublishPresence tells the live clients of the user's accounts, on every
// process, that who is there changed.
func (a *App) PublishPresence(ctx context.Context, userID int64) error {
	aus, err := a.store.Read().ListUserAccounts(ctx, userID)
	if err != nil {
		return err
	}
	return a.store.Write(ctx, func(q *store.Queries) error {
		for _, au := range aus {
			if err := a.publish(ctx, q, &store.LiveEvent{AccountID: au.AccountID, Name: baton.EventPresenceUpdate}, nil); err != nil {
				return err
			}
		}
		return nil
	})
}
