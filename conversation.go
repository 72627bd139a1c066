package baton

import "time"

// Status is where a conversation stands, and so whose it is: pending
// conversations are the bot's, open ones are people's.
type Status int

// Conversation statuses, numbered as Chatwoot numbers them.
const (
	StatusOpen     Status = 0
	StatusResolved Status = 1
	StatusPending  Status = 2
	StatusSnoozed  Status = 3
)

var statusNames = [...]string{"open", "resolved", "pending", "snoozed"}

// String returns the wire name.
func (s Status) String() string {
	if s < 0 || int(s) >= len(statusNames) {
		return "open"
	}
	return statusNames[s]
}

// ParseStatus reads a wire name.
func ParseStatus(s string) (Status, bool) {
	for i, n := range statusNames {
		if n == s {
			return Status(i), true
		}
	}
	return 0, false
}

// Priority is a conversation's priority; PriorityNone is no priority (null).
type Priority int

// Priorities. Chatwoot numbers them from 0 with null for none; Baton keeps
// none as -1 so the zero value is not a priority by accident.
const (
	PriorityNone   Priority = -1
	PriorityLow    Priority = 0
	PriorityMedium Priority = 1
	PriorityHigh   Priority = 2
	PriorityUrgent Priority = 3
)

var priorityNames = [...]string{"low", "medium", "high", "urgent"}

// String returns the wire name, or "" for none.
func (p Priority) String() string {
	if p < 0 || int(p) >= len(priorityNames) {
		return ""
	}
	return priorityNames[p]
}

// ParsePriority reads a wire name; "" is none.
func ParsePriority(s string) (Priority, bool) {
	if s == "" {
		return PriorityNone, true
	}
	for i, n := range priorityNames {
		if n == s {
			return Priority(i), true
		}
	}
	return 0, false
}

// Conversation is a thread between a contact and the account in one inbox.
// DisplayID is its public id, counted per account from 1; ID is internal.
type Conversation struct {
	ID                   int64
	AccountID            int64
	InboxID              int64
	DisplayID            int64
	ContactID            int64
	ContactInboxID       int64
	UUID                 string
	Status               Status
	Priority             Priority
	AssigneeID           int64 // 0 when unassigned
	AssigneeAgentBotID   int64 // 0 when not assigned to a bot
	TeamID               int64
	SnoozedUntil         *time.Time
	AdditionalAttributes map[string]any
	CustomAttributes     map[string]any
	Labels               []string
	Muted                bool
	AgentLastSeenAt      *time.Time
	AssigneeLastSeenAt   *time.Time
	ContactLastSeenAt    *time.Time
	FirstReplyCreatedAt  *time.Time
	WaitingSince         *time.Time
	LastActivityAt       time.Time
	CreatedAt            time.Time
	UpdatedAt            time.Time

	// Loaded with the conversation where a view needs them.
	Inbox        *Inbox
	Contact      *Contact
	ContactInbox *ContactInbox
	Assignee     *User
	AssigneeBot  *AgentBot
	AssigneeRole Role // the assignee's role in the account
	// AssigneeStatus is the assignee's availability as the team sees it
	// (AccountUser.AvailabilityStatus): offline without a live connection.
	AssigneeStatus Availability
	Team           *Team
	Handoff        *Handoff // the latest handoff, nil before any
	LastMessage    *Message // the latest message that is neither activity nor private
	// LastNonActivityMessage is the latest message that is not an
	// activity, private notes included: Chatwoot's last_non_activity_message.
	LastNonActivityMessage *Message
	UnreadCount            int
}

// StatusOnIncoming is the status a conversation moves to when its contact
// writes (Chatwoot §1.7): snoozed goes to people; resolved goes to the bot
// when the inbox has an active bot, else to people. Other statuses stay.
func StatusOnIncoming(current Status, inboxHasActiveBot bool) Status {
	switch current {
	case StatusSnoozed:
		return StatusOpen
	case StatusResolved:
		if inboxHasActiveBot {
			return StatusPending
		}
		return StatusOpen
	}
	return current
}

// StatusAtCreation is the status a new conversation starts with (Chatwoot
// §1.7): resolved for a blocked contact, pending when the inbox has an active
// bot, else what the caller asked for, open by default.
func StatusAtCreation(requested *Status, contactBlocked, inboxHasActiveBot bool) Status {
	switch {
	case contactBlocked:
		return StatusResolved
	case inboxHasActiveBot:
		return StatusPending
	case requested != nil:
		return *requested
	}
	return StatusOpen
}
