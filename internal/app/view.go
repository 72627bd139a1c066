package app

import (
	"context"
	"errors"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/store"
)

// loader fills in what views show beside a conversation or message,
// remembering what it already read so lists do not read a thing twice.
type loader struct {
	q         *store.Queries
	liveSince int64 // see App.liveSince: for the assignee's presence
	inboxes   map[int64]*baton.Inbox
	users     map[int64]*baton.User
	contacts  map[int64]*baton.Contact
	bots      map[int64]*baton.AgentBot
	// assignees are the memberships of the conversations' assignees, by
	// account and user, with Connected set; nil for a former member.
	assignees map[[2]int64]*baton.AccountUser
	// last, when set, is the last message of its conversation, known to
	// the caller (a message just written): conversation does not read it.
	last *baton.Message
	// around holds, by conversation id, what surround read beside a
	// conversation: conversation does not read it again.
	around map[int64]*store.Surroundings
}

// unreadLimit is how far a conversation's unread count is counted.
const unreadLimit = 10

// surround reads in one statement what an event's snapshot shows beside
// the conversation (store.Surroundings), the contact and contact inbox
// only when not known, and remembers it for conversation: the snapshot of
// one conversation, where a view of many reads each thing once instead.
func (l *loader) surround(ctx context.Context, c *baton.Conversation) (*store.Surroundings, error) {
	_, knowContact := l.contacts[c.ContactID]
	knowContactInbox := c.ContactInbox != nil && c.ContactInbox.ID == c.ContactInboxID
	s, err := l.q.FindSurroundings(ctx, c, !knowContact || !knowContactInbox, unreadLimit)
	if err != nil {
		return nil, err
	}
	l.remember(c, s)
	return s, nil
}

// remember keeps what surround reads, however it was read.
func (l *loader) remember(c *baton.Conversation, s *store.Surroundings) {
	l.inboxes[c.InboxID] = s.Inbox
	if s.Contact != nil {
		l.contacts[c.ContactID], c.ContactInbox = s.Contact, s.ContactInbox
	}
	if l.around == nil {
		l.around = map[int64]*store.Surroundings{}
	}
	l.around[c.ID] = s
}

// seed remembers the inbox and contact the conversation holds, when it
// holds them: read in the same transaction, they need not be read again.
func (l *loader) seed(c *baton.Conversation) {
	if c.Inbox != nil && c.Inbox.ID == c.InboxID {
		l.inboxes[c.InboxID] = c.Inbox
	}
	if c.Contact != nil && c.Contact.ID == c.ContactID {
		l.contacts[c.ContactID] = c.Contact
	}
}

// botsHearing is the package's botsHearing through the loader: each bot is
// read once, and remembered for the snapshot.
func (l *loader) botsHearing(ctx context.Context, link *baton.AgentBotInbox, assignedBotID int64) ([]*baton.AgentBot, error) {
	return findBotsHearing(link, assignedBotID, func(id int64) (*baton.AgentBot, error) {
		return l.bot(ctx, id)
	})
}

func newLoader(q *store.Queries, liveSince int64) *loader {
	return &loader{q: q, liveSince: liveSince, assignees: map[[2]int64]*baton.AccountUser{}, inboxes: map[int64]*baton.Inbox{}, users: map[int64]*baton.User{},
		contacts: map[int64]*baton.Contact{}, bots: map[int64]*baton.AgentBot{}}
}

// remembered returns m[id] when the loader has read it, and otherwise what
// find returns, remembered in m even when find fails: each is read once.
func remembered[T any](m map[int64]*T, id int64, find func() (*T, error)) (*T, error) {
	if v, ok := m[id]; ok {
		return v, nil
	}
	v, err := find()
	m[id] = v
	return v, err
}

func (l *loader) inbox(ctx context.Context, accountID, id int64) (*baton.Inbox, error) {
	return remembered(l.inboxes, id, func() (*baton.Inbox, error) {
		return l.q.FindInbox(ctx, accountID, id)
	})
}

func (l *loader) user(ctx context.Context, id int64) (*baton.User, error) {
	return remembered(l.users, id, func() (*baton.User, error) {
		u, err := l.q.FindUser(ctx, id)
		if errors.Is(err, baton.ErrNotFound) {
			err = nil // a deleted user is shown as no one
		}
		return u, err
	})
}

// assignee returns the user's membership of the account with whether they
// are connected, read once for a list of their conversations; nil when
// they are not a member.
func (l *loader) assignee(ctx context.Context, accountID, userID int64) (*baton.AccountUser, error) {
	key := [2]int64{accountID, userID}
	if au, ok := l.assignees[key]; ok {
		return au, nil
	}
	au, err := l.q.FindAccountUser(ctx, accountID, userID)
	if errors.Is(err, baton.ErrNotFound) {
		au, err = nil, nil
	} else if err == nil {
		au.Connected, err = l.q.Connected(ctx, userID, l.liveSince)
	}
	if err != nil {
		return nil, err
	}
	l.assignees[key] = au
	return au, nil
}

func (l *loader) contact(ctx context.Context, accountID, id int64) (*baton.Contact, error) {
	return remembered(l.contacts, id, func() (*baton.Contact, error) {
		return l.q.FindContact(ctx, accountID, id)
	})
}

func (l *loader) bot(ctx context.Context, id int64) (*baton.AgentBot, error) {
	return remembered(l.bots, id, func() (*baton.AgentBot, error) {
		b, err := l.q.FindAgentBot(ctx, id)
		if errors.Is(err, baton.ErrNotFound) {
			err = nil
		}
		return b, err
	})
}

// conversation loads the conversation's inbox, contact, contact inbox,
// assignee, team, latest handoff, last message and unread count.
func (l *loader) conversation(ctx context.Context, c *baton.Conversation) error {
	if err := l.people(ctx, c); err != nil {
		return err
	}
	return l.latest(ctx, c)
}

// people loads the conversation's inbox, contact, contact inbox, assignee
// and team.
func (l *loader) people(ctx context.Context, c *baton.Conversation) error {
	var err error
	if c.Inbox, err = l.inbox(ctx, c.AccountID, c.InboxID); err != nil {
		return err
	}
	if c.Contact, err = l.contact(ctx, c.AccountID, c.ContactID); err != nil {
		return err
	}
	if c.ContactInbox == nil || c.ContactInbox.ID != c.ContactInboxID {
		if c.ContactInbox, err = l.q.FindContactInbox(ctx, c.ContactInboxID); err != nil {
			return err
		}
	}
	c.Assignee, c.AssigneeBot = nil, nil
	if c.AssigneeAgentBotID != 0 {
		if c.AssigneeBot, err = l.bot(ctx, c.AssigneeAgentBotID); err != nil {
			return err
		}
	}
	if c.AssigneeID != 0 {
		if c.Assignee, err = l.user(ctx, c.AssigneeID); err != nil {
			return err
		}
		// The assignee's role, for the agent JSON, and availability as the
		// team sees it; a former member is an agent, offline.
		c.AssigneeRole, c.AssigneeStatus = baton.RoleAgent, baton.Offline
		au, err := l.assignee(ctx, c.AccountID, c.AssigneeID)
		if err != nil {
			return err
		}
		if au != nil {
			c.AssigneeRole, c.AssigneeStatus = au.Role, au.AvailabilityStatus()
		}
	}
	c.Team = nil
	if c.TeamID != 0 {
		if c.Team, err = l.q.FindTeam(ctx, c.AccountID, c.TeamID); baton.ErrorCode(err) == baton.ENOTFOUND {
			c.Team, err = nil, nil
		} else if err != nil {
			return err
		}
	}
	return nil
}

// latest loads the conversation's latest handoff, last message and unread
// count.
func (l *loader) latest(ctx context.Context, c *baton.Conversation) error {
	var err error
	around := l.around[c.ID]
	if around != nil {
		c.Handoff = around.Handoff
	} else if c.Handoff, err = l.q.LatestHandoff(ctx, c.ID); baton.ErrorCode(err) == baton.ENOTFOUND {
		c.Handoff = nil
	} else if err != nil {
		return err
	}
	if l.last != nil && l.last.ConversationID == c.ID {
		// Just written, it is the newest message of all.
		c.LastMessage, c.LastNonActivityMessage = l.last, l.last
	} else if c.LastMessage, c.LastNonActivityMessage, err = l.q.LastMessages(ctx, c.ID); err != nil {
		return err
	} else if ms := lastMessages(c); len(ms) > 0 {
		if err := l.messages(ctx, c, ms); err != nil {
			return err
		}
	}
	if around != nil {
		c.UnreadCount = around.Unread
		return nil
	}
	var since int64
	if c.AgentLastSeenAt != nil {
		since = c.AgentLastSeenAt.UnixMicro()
	}
	c.UnreadCount, err = l.q.CountIncomingSince(ctx, c.ID, since, unreadLimit)
	return err
}

// lastMessages is the conversation's last message and last non-activity
// message, each once.
func lastMessages(c *baton.Conversation) []*baton.Message {
	var ms []*baton.Message
	if c.LastMessage != nil {
		ms = append(ms, c.LastMessage)
	}
	if m := c.LastNonActivityMessage; m != nil && m != c.LastMessage {
		ms = append(ms, m)
	}
	return ms
}

// messages loads the senders and attachments of messages of one conversation.
func (l *loader) messages(ctx context.Context, c *baton.Conversation, ms []*baton.Message) error {
	ids := make([]int64, 0, len(ms))
	for _, m := range ms {
		m.ConversationDisplayID = c.DisplayID
		ids = append(ids, m.ID)
		if err := l.sender(ctx, m); err != nil {
			return err
		}
	}
	atts, err := l.q.ListAttachments(ctx, ids)
	if err != nil {
		return err
	}
	for _, m := range ms {
		m.Attachments = atts[m.ID]
	}
	return nil
}

func (l *loader) sender(ctx context.Context, m *baton.Message) error {
	var err error
	s := &baton.Sender{Type: m.SenderType}
	switch m.SenderType {
	case baton.SenderContact:
		s.Contact, err = l.contact(ctx, m.AccountID, m.SenderID)
		if errors.Is(err, baton.ErrNotFound) {
			s, err = nil, nil
		}
	case baton.SenderUser:
		if s.User, err = l.user(ctx, m.SenderID); s.User == nil {
			s = nil
		}
	case baton.SenderAgentBot:
		if s.Bot, err = l.bot(ctx, m.SenderID); s.Bot == nil {
			s = nil
		}
	default:
		s = nil
	}
	m.Sender = s
	return err
}
