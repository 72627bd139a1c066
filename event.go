package baton

import "time"

// Event names, as bots receive them in the "event" key.
const (
	EventMessageCreated            = "message_created"
	EventMessageUpdated            = "message_updated"
	EventConversationOpened        = "conversation_opened"
	EventConversationResolved      = "conversation_resolved"
	EventConversationStatusChanged = "conversation_status_changed"
	EventConversationUpdated       = "conversation_updated"
	EventWebwidgetTriggered        = "webwidget_triggered"
)

// Event names that only live clients (/cable) hear of; bots do not.
const (
	EventConversationRead = "conversation_read"
	EventContactDeleted   = "contact_deleted"
	EventPresenceUpdate   = "presence_update"
	// EventAccountSuspended is heard by the live channel itself, never
	// sent: the account's live subscriptions end.
	EventAccountSuspended = "account_suspended"
	// EventAccountDeleted is heard by the live channel itself, never
	// sent: the deleted account's live subscriptions end, as a suspended
	// one's.
	EventAccountDeleted = "account_deleted"
)

// ConversationChange is a conversation before and after a change, for the
// events that report one; the renderer names what differs in its dialect.
type ConversationChange struct {
	Before, After *Conversation
}

// Event is something that happened that bots hear of. It carries what its
// payload is rendered from, loaded at the moment it happened; the payload
// is stored with the event, so a bot receives the conversation as it was.
type Event struct {
	ID             int64
	AccountID      int64
	ConversationID int64 // internal id; 0 for events without a conversation
	Name           string
	CreatedAt      time.Time

	Account      *Account
	Conversation *Conversation // with its relations loaded
	Message      *Message      // for message events, with sender and attachments
	ContactInbox *ContactInbox // for webwidget_triggered
	Contact      *Contact      // for webwidget_triggered and the contact events
	// ContactBefore is the contact before the change contact_updated
	// reports.
	ContactBefore *Contact
	Inbox         *Inbox              // for webwidget_triggered
	Change        *ConversationChange // for conversation_updated and conversation_status_changed
	EventInfo     map[string]any
	// Typist and Private are a typing indicator's: who types, and whether
	// it is a private note being written (the contact is not told).
	Typist  *Sender
	Private bool
	// ByCustomer marks what the customer did: their message, or their
	// answer to an interactive one. Only these hand a pending conversation
	// to people when its bot cannot take them.
	ByCustomer bool

	Payload []byte
}

// BotEvent is an event as a bot pulls it: with the state of its latest
// delivery to that bot.
type BotEvent struct {
	ID             int64
	Name           string
	DisplayID      int64 // the conversation's display id; 0 for none
	DeliveryStatus DeliveryStatus
	Payload        []byte
	CreatedAt      time.Time
}
