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
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Global reports whether the bot belongs to no account.
func (b *AgentBot) Global() bool { return b.AccountID == 0 }

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
