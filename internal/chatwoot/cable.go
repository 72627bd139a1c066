package chatwoot

import (
	"encoding/json"
	"reflect"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
)

// Cable renders live events as Chatwoot's ActionCable listener does (spec
// §4.3-§4.5): the event names, and for agents the push data of messages,
// conversations and contacts with the account id. A contact is not sent
// the agent payload Chatwoot sends the widget (browser details, the
// assignee, the contact inbox with its pubsub token, spec §7.19) but a
// contact-side slice with what the widget reads.
type Cable struct {
	PublicURL func() string // for attachment links
}

// Render returns the frames an event makes, each with its payload for
// agents and for the contact (nil where that audience gets nothing). An
// event live clients have no name for makes none.
func (r *Cable) Render(e *app.LiveEvent) ([]app.LivePayload, error) {
	h := &Handler{publicURL: r.PublicURL}
	var out []app.LivePayload
	add := func(name string, agent, contact any) error {
		p := app.LivePayload{Event: name}
		var err error
		if agent != nil {
			if p.Agent, err = json.Marshal(agent); err != nil {
				return err
			}
		}
		if contact != nil {
			if p.Contact, err = json.Marshal(contact); err != nil {
				return err
			}
		}
		out = append(out, p)
		return nil
	}
	c := e.Conversation
	var err error
	switch e.Name {
	case baton.EventMessageCreated, baton.EventMessageUpdated:
		name := "message.created"
		if e.Name == baton.EventMessageUpdated {
			name = "message.updated"
		}
		var changes map[string]any
		if e.Name == baton.EventMessageUpdated {
			changes = previousChanges(e.MessageBefore, e.Message)
		}
		agent := agentMessagePush{messagePush: h.messagePushView(c, e.Message), EchoID: e.Message.EchoID,
			AccountID: e.AccountID, PreviousChanges: changes}
		// Chatwoot writes activity messages in a job, where no one is the
		// performer.
		if e.Message.MessageType != baton.MessageActivity {
			agent.Performer = h.senderPush(e.Performer)
		}
		var contact any
		if !e.Message.Private && e.Message.MessageType != baton.MessageActivity {
			view := h.contactMessageView(c, e.Message)
			contact = view
			if changes != nil {
				contact = contactMessageUpdate{contactMessagePush: view, PreviousChanges: changes}
			}
		}
		err = add(name, agent, contact)
	case baton.EventConversationCreated, baton.EventConversationStatusChanged, baton.EventConversationUpdated:
		name := map[string]string{baton.EventConversationCreated: "conversation.created",
			baton.EventConversationStatusChanged: "conversation.status_changed",
			baton.EventConversationUpdated:       "conversation.updated"}[e.Name]
		// Chatwoot's job reads these conversations again when it sends
		// them, and they lose the performer; a new one keeps it.
		var agent any = h.conversationPushView(c)
		if e.Name == baton.EventConversationCreated {
			agent = cableConversation{conversationPush: h.conversationPushView(c), Performer: h.senderPush(e.Performer)}
		}
		if err = add(name, agent, contactConversationView(c)); err != nil {
			return nil, err
		}
		if e.AssigneeChanged {
			err = add("assignee.changed", h.conversationPushView(c), nil)
		}
	case baton.EventConversationRead:
		err = add("conversation.read", h.conversationPushView(c), nil)
	case baton.EventConversationTypingOn, baton.EventConversationTypingOff:
		name := "conversation.typing_on"
		if e.Name == baton.EventConversationTypingOff {
			name = "conversation.typing_off"
		}
		typist := h.senderPush(e.Typist)
		agent := typingPush{Conversation: h.conversationPushView(c), User: typist, IsPrivate: e.Private,
			AccountID: e.AccountID, Performer: h.senderPush(e.Performer)}
		var contact any
		if !e.Private {
			contact = typingPush{Conversation: contactConversationView(c), User: typist}
		}
		err = add(name, agent, contact)
	case baton.EventContactCreated, baton.EventContactUpdated, baton.EventContactDeleted:
		name := map[string]string{baton.EventContactCreated: "contact.created", baton.EventContactUpdated: "contact.updated",
			baton.EventContactDeleted: "contact.deleted"}[e.Name]
		err = add(name, agentContactPush{contactPush: contactPushView(e.Contact), AccountID: e.AccountID,
			Performer: h.senderPush(e.Performer)}, nil)
	}
	return out, err
}

// RenderPresence renders presence.update: users (and, for agents,
// contacts) online, by id.
func (r *Cable) RenderPresence(accountID int64, users map[int64]string, contacts map[int64]bool) ([]byte, error) {
	v := presencePush{AccountID: accountID, Users: map[string]string{}}
	for id, s := range users {
		v.Users[idString(id)] = s
	}
	if contacts != nil {
		online := map[string]string{}
		for id := range contacts {
			online[idString(id)] = "online"
		}
		v.Contacts = online
	}
	return json.Marshal(v)
}

// presencePush is presence.update: who of the account is online.
type presencePush struct {
	AccountID int64             `json:"account_id"`
	Users     map[string]string `json:"users"`
	Contacts  any               `json:"contacts,omitempty"` // for agents only, even when empty
}

// The performer of an event (spec §4.3) is the user or bot whose request
// made it, as user or bot push data; left out when a contact or Baton
// made it, as Chatwoot does.

// agentMessagePush is message push data as agents receive it, with the echo
// id the creating request sent.
type agentMessagePush struct {
	messagePush
	EchoID          string         `json:"echo_id,omitempty"`
	AccountID       int64          `json:"account_id"`
	Performer       any            `json:"performer,omitempty"`
	PreviousChanges map[string]any `json:"previous_changes,omitempty"`
}

// contactMessageUpdate is message.updated for the contact: the message and
// what changed.
type contactMessageUpdate struct {
	contactMessagePush
	PreviousChanges map[string]any `json:"previous_changes,omitempty"`
}

// previousChanges is message.updated's previous_changes, as Rails'
// saved_changes: each column the update changed, with its value before and
// after, and always updated_at. Nil when the message before is not known.
func previousChanges(before, m *baton.Message) map[string]any {
	if before == nil {
		return nil
	}
	out := map[string]any{}
	add := func(column string, was, is any) {
		if !reflect.DeepEqual(was, is) {
			out[column] = []any{was, is}
		}
	}
	add("content", before.Content, m.Content)
	add("status", before.Status.String(), m.Status.String())
	add("content_type", before.ContentType.String(), m.ContentType.String())
	add("content_attributes", objectOrEmpty(before.ContentAttributes), objectOrEmpty(m.ContentAttributes))
	out["updated_at"] = []any{iso(before.UpdatedAt), iso(m.UpdatedAt)}
	return out
}

// cableConversation is conversation push data with its performer.
type cableConversation struct {
	conversationPush
	Performer any `json:"performer,omitempty"`
}

// agentContactPush is contact push data as agents receive it.
type agentContactPush struct {
	*contactPush
	AccountID int64 `json:"account_id"`
	Performer any   `json:"performer,omitempty"`
}

// typingPush is conversation.typing_on and _off.
type typingPush struct {
	Conversation any   `json:"conversation"`
	User         any   `json:"user"`
	IsPrivate    bool  `json:"is_private"`
	AccountID    int64 `json:"account_id,omitempty"`
	Performer    any   `json:"performer,omitempty"`
}

// conversationPush is a conversation's push_event_data as Chatwoot's
// EventDataPresenter builds it, with the account id, in its key order.
type conversationPush struct {
	AdditionalAttributes map[string]any       `json:"additional_attributes"`
	CanReply             bool                 `json:"can_reply"`
	Channel              string               `json:"channel"`
	ContactInbox         *contactInboxWebhook `json:"contact_inbox"`
	ID                   int64                `json:"id"`
	InboxID              int64                `json:"inbox_id"`
	Messages             []messagePush        `json:"messages"`
	Labels               []string             `json:"labels"`
	Meta                 conversationPushMeta `json:"meta"`
	Status               string               `json:"status"`
	CustomAttributes     map[string]any       `json:"custom_attributes"`
	SnoozedUntil         any                  `json:"snoozed_until"`
	UnreadCount          int                  `json:"unread_count"`
	FirstReplyCreatedAt  any                  `json:"first_reply_created_at"`
	Priority             any                  `json:"priority"`
	WaitingSince         int64                `json:"waiting_since"`
	AgentLastSeenAt      int64                `json:"agent_last_seen_at"`
	ContactLastSeenAt    int64                `json:"contact_last_seen_at"`
	LastActivityAt       int64                `json:"last_activity_at"`
	Timestamp            int64                `json:"timestamp"`
	CreatedAt            int64                `json:"created_at"`
	UpdatedAt            float64              `json:"updated_at"`
	AccountID            int64                `json:"account_id"`
}

type conversationPushMeta struct {
	Sender       *contactPush `json:"sender"`
	Assignee     *userPush    `json:"assignee"`
	Team         any          `json:"team"`
	HMACVerified bool         `json:"hmac_verified"`
}

func (h *Handler) conversationPushView(c *baton.Conversation) conversationPush {
	v := conversationPush{AdditionalAttributes: objectOrEmpty(c.AdditionalAttributes), CanReply: true, ID: c.DisplayID,
		InboxID: c.InboxID, Messages: []messagePush{}, Labels: c.Labels, Status: c.Status.String(),
		CustomAttributes: objectOrEmpty(c.CustomAttributes), SnoozedUntil: isoOrNil(c.SnoozedUntil),
		UnreadCount: c.UnreadCount, FirstReplyCreatedAt: isoOrNil(c.FirstReplyCreatedAt),
		Priority: nilIfEmpty(c.Priority.String()), WaitingSince: unixOrZero(c.WaitingSince),
		AgentLastSeenAt: unixOrZero(c.AgentLastSeenAt), ContactLastSeenAt: unixOrZero(c.ContactLastSeenAt),
		LastActivityAt: unix(c.LastActivityAt), Timestamp: unix(c.LastActivityAt), CreatedAt: unix(c.CreatedAt),
		UpdatedAt: unixFloat(c.UpdatedAt), AccountID: c.AccountID}
	if v.Labels == nil {
		v.Labels = []string{}
	}
	if c.Inbox != nil {
		v.Channel = c.Inbox.ChannelType
	}
	if ci := c.ContactInbox; ci != nil {
		civ := contactInboxWebhookView(ci)
		v.ContactInbox = &civ
		v.Meta.HMACVerified = ci.HMACVerified
	}
	v.Meta.Sender = contactPushView(c.Contact)
	v.Meta.Assignee = assigneePushView(c)
	if m := c.LastMessage; m != nil && !m.Private && m.MessageType != baton.MessageActivity {
		v.Messages = append(v.Messages, h.messagePushView(c, m))
	}
	return v
}

// contactConversationPush is what a contact is told of their conversation:
// what the widget reads, and nothing of the agents' side.
type contactConversationPush struct {
	ID                int64   `json:"id"`
	InboxID           int64   `json:"inbox_id"`
	Status            string  `json:"status"`
	AgentLastSeenAt   int64   `json:"agent_last_seen_at"`
	ContactLastSeenAt int64   `json:"contact_last_seen_at"`
	LastActivityAt    int64   `json:"last_activity_at"`
	CreatedAt         int64   `json:"created_at"`
	UpdatedAt         float64 `json:"updated_at"`
}

func contactConversationView(c *baton.Conversation) contactConversationPush {
	return contactConversationPush{ID: c.DisplayID, InboxID: c.InboxID, Status: c.Status.String(),
		AgentLastSeenAt: unixOrZero(c.AgentLastSeenAt), ContactLastSeenAt: unixOrZero(c.ContactLastSeenAt),
		LastActivityAt: unix(c.LastActivityAt), CreatedAt: unix(c.CreatedAt), UpdatedAt: unixFloat(c.UpdatedAt)}
}

// contactMessagePush is a message as its contact is told of it: Chatwoot's
// message push data without the conversation's agent-side details.
type contactMessagePush struct {
	ID                int64            `json:"id"`
	Content           *string          `json:"content"`
	InboxID           int64            `json:"inbox_id"`
	ConversationID    int64            `json:"conversation_id"`
	MessageType       int              `json:"message_type"`
	CreatedAt         int64            `json:"created_at"`
	UpdatedAt         string           `json:"updated_at"`
	Private           bool             `json:"private"`
	Status            string           `json:"status"`
	ContentType       string           `json:"content_type"`
	ContentAttributes map[string]any   `json:"content_attributes"`
	SenderType        any              `json:"sender_type"`
	SenderID          any              `json:"sender_id"`
	Sender            any              `json:"sender,omitempty"`
	Attachments       []attachmentJSON `json:"attachments,omitempty"`
	EchoID            string           `json:"echo_id,omitempty"`
}

func (h *Handler) contactMessageView(c *baton.Conversation, m *baton.Message) contactMessagePush {
	v := contactMessagePush{ID: m.ID, Content: m.Content, InboxID: m.InboxID, ConversationID: c.DisplayID,
		MessageType: int(m.MessageType), CreatedAt: unix(m.CreatedAt), UpdatedAt: iso(m.UpdatedAt), Private: m.Private,
		Status: m.Status.String(), ContentType: m.ContentType.String(), ContentAttributes: objectOrEmpty(m.ContentAttributes),
		SenderType: nilIfEmpty(m.SenderType), Sender: h.senderPush(m.Sender), Attachments: h.namedAttachmentViews(m.Attachments),
		EchoID: m.EchoID}
	if m.SenderType != "" {
		v.SenderID = m.SenderID
	}
	return v
}
