package baton

import "time"

// AgentBot is a web service that takes conversations in the inboxes it is
// connected to. A bot with no account is global: usable in every account.
type AgentBot struct {
	ID          int64
	AccountID   int64 // 0 for a global bot
	Name        string
	Description string
	// OutgoingURL is where events are posted, kept verbatim: bots carry
	// their configuration in its query string.
	OutgoingURL string
	BotConfig   map[string]any
	AvatarKey   string // the avatar's key in the file store, or ""

	// HandoffDeadline is how long a customer's message in a pending
	// conversation may wait for the bot before people take over.
	HandoffDeadline time.Duration
	// KeepPendingOnFailure keeps the bot's conversations pending when it
	// fails, instead of handing them to people.
	KeepPendingOnFailure bool
	// OpenWhileBreakerOpen makes new conversations in the bot's inboxes
	// start open while its circuit breaker is open.
	OpenWhileBreakerOpen bool
	// BreakerFailures counts the bot's consecutive failed attempts (the
	// endpoint down, not an event refused); BreakerOpenUntil is when its
	// open breaker lets a probe through.
	BreakerFailures  int
	BreakerOpenUntil time.Time

	CreatedAt time.Time
	UpdatedAt time.Time
}

// Global reports whether the bot belongs to no account.
func (b *AgentBot) Global() bool { return b.AccountID == 0 }

// BreakerOpen reports whether the bot's circuit breaker is open at now.
func (b *AgentBot) BreakerOpen(now time.Time) bool { return now.Before(b.BreakerOpenUntil) }

// DefaultHandoffDeadline is how long a customer waits for a failing bot.
const DefaultHandoffDeadline = 30 * time.Second

// MaxOutgoingURLLength is the longest outgoing URL accepted, as Chatwoot's.
const MaxOutgoingURLLength = 2048

// AgentBotInbox connects a bot to an inbox. An inbox has at most one.
type AgentBotInbox struct {
	ID         int64
	InboxID    int64
	AgentBotID int64
	AccountID  int64
	Active     bool
	CreatedAt  time.Time
	UpdatedAt  time.Time
}
