package baton

import "time"

// AgentBot is a web service that takes conversations in the inboxes it is
// connected to. A bot with no account is global: usable in every account.
type AgentBot struct {
	ID          int64
	AccountID   int64 // 0 for a global bot
	Name        string
	Description string
	OutgoingURL string
	BotConfig   map[string]any
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Global reports whether the bot belongs to no account.
func (b *AgentBot) Global() bool { return b.AccountID == 0 }
