package baton

import "time"

// Handoff reasons that Baton gives its own handoffs. Bots and people give
// any reason they like.
const (
	HandoffBotFailure      = "bot_failure"      // the bot did not answer its customer
	HandoffCustomerRequest = "customer_request" // the customer asked for a person
	HandoffAgentTakeover   = "agent_takeover"   // a person replied to the bot's conversation
)

// Limits of a handoff's texts.
const (
	HandoffReasonMax  = 255
	HandoffSummaryMax = 4000
)

// Handoff is one passing of a conversation from its bot to people: why,
// by whom, and to whom it was asked to go. The conversation JSON shows the
// latest.
type Handoff struct {
	ID             int64
	AccountID      int64
	InboxID        int64
	ConversationID int64
	AgentBotID     int64 // the bot that had the conversation, 0 for none
	Reason         string
	Summary        string
	ByType         string // a Sender* type, or "System"
	ByID           int64
	AssigneeID     int64 // requested, 0 for none
	TeamID         int64 // requested, 0 for none
	CustomerTold   bool  // the customer was told nobody is there
	FirstReplyAt   *time.Time
	CreatedAt      time.Time
}
