package baton

import "time"

// Names of reporting events: the facts Chatwoot's account reports count and
// average, under Chatwoot's names for them.
const (
	// ReportFirstResponse is a person's first public reply in a
	// conversation. It starts when the conversation became people's: its
	// latest handoff (a take-over included) or reopening, else its
	// creation.
	ReportFirstResponse = "first_response"
	// ReportReplyTime is a person's later public reply that ended a
	// customer's wait; it starts when the wait began.
	ReportReplyTime = "reply_time"
	// ReportResolved is a conversation resolved; it starts as a first
	// response does.
	ReportResolved = "conversation_resolved"
	// ReportOpened is a resolved conversation opened again.
	ReportOpened = "conversation_opened"
	// ReportAssigned is a conversation given to a person.
	ReportAssigned = "conversation_assigned"
)

// ReportingEvent is one fact of the reports, written in the transaction of
// the change it reports. Its value is CreatedAt - StartedAt.
type ReportingEvent struct {
	ID             int64
	AccountID      int64
	InboxID        int64
	ConversationID int64
	// UserID is the person it belongs to: who replied, who resolved the
	// conversation (else its assignee), who was given it; 0 for nobody.
	UserID    int64
	Name      string
	StartedAt time.Time
	CreatedAt time.Time
	// BusinessValue is its value counted only within its inbox's working
	// hours, as they were when it was written (Inbox.WorkingTime):
	// Chatwoot's value_in_business_hours.
	BusinessValue time.Duration
}
