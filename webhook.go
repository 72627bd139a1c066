package baton

import (
	"slices"
	"time"
)

// WebhookKind says what a webhook endpoint is for.
type WebhookKind int

// The kinds of webhook endpoints.
const (
	// WebhookAccount is an account webhook: an integration (n8n, Make, a
	// CRM) that hears the events it subscribes to, of every inbox of the
	// account or of one.
	WebhookAccount WebhookKind = 1
	// WebhookAPIInbox is an API channel inbox's webhook_url: the custom
	// channel that carries the team's and the bot's replies to the
	// customer. It hears what Chatwoot sends there, without subscriptions.
	WebhookAPIInbox WebhookKind = 2
)

// Events a webhook endpoint may hear, as Chatwoot names them.
const (
	EventConversationCreated   = "conversation_created"
	EventContactCreated        = "contact_created"
	EventContactUpdated        = "contact_updated"
	EventConversationTypingOn  = "conversation_typing_on"
	EventConversationTypingOff = "conversation_typing_off"
)

// WebhookEvents are the names an account webhook may subscribe to:
// Chatwoot's. conversation_opened and conversation_resolved are for bots
// only, as in Chatwoot.
var WebhookEvents = []string{
	EventConversationCreated, EventConversationStatusChanged, EventConversationUpdated,
	EventMessageCreated, EventMessageUpdated, EventWebwidgetTriggered,
	EventContactCreated, EventContactUpdated, EventConversationTypingOn, EventConversationTypingOff,
}

// apiInboxEvents are the events Chatwoot's webhook listener sends an API
// channel inbox's webhook_url: every event of its conversations that goes
// to account webhooks too (contact events have no inbox and do not).
var apiInboxEvents = []string{
	EventConversationCreated, EventConversationStatusChanged, EventConversationUpdated,
	EventMessageCreated, EventMessageUpdated, EventWebwidgetTriggered,
	EventConversationTypingOn, EventConversationTypingOff,
}

// Webhook is an endpoint that hears an account's events: a kind of
// delivery target beside bots, with the same lanes, retries, signatures
// and log, that never owns a conversation.
type Webhook struct {
	ID        int64
	AccountID int64
	// InboxID is, for an account webhook, the one inbox whose events it
	// hears (0: every inbox); for an API inbox's webhook, its inbox.
	InboxID       int64
	Kind          WebhookKind
	Name          string
	URL           string
	Subscriptions []string // account webhooks: the event names it hears

	BreakerFailures  int
	BreakerOpenUntil time.Time

	CreatedAt time.Time
	UpdatedAt time.Time
}

// MaxWebhookURLLength is the longest webhook URL accepted.
const MaxWebhookURLLength = MaxOutgoingURLLength

// Hears reports whether the endpoint is sent an event of an inbox (0 for
// events without one). private marks a private note's message events: an
// API inbox's channel never carries them to the customer.
func (w *Webhook) Hears(event string, inboxID int64, private bool) bool {
	switch w.Kind {
	case WebhookAccount:
		return (w.InboxID == 0 || w.InboxID == inboxID) && slices.Contains(w.Subscriptions, event)
	case WebhookAPIInbox:
		return w.InboxID == inboxID && inboxID != 0 && !private && slices.Contains(apiInboxEvents, event)
	}
	return false
}

// Target is the endpoint as a delivery target.
func (w *Webhook) Target() Target { return WebhookTarget(w.ID) }

// SettingAllowedPrivate is the account setting that lists the private
// hosts and ranges the account's targets (its own bots, its webhooks and
// its API inboxes' webhooks) may be reached at while
// --webhook-block-private refuses private addresses to everyone else. The
// account's administrators change it.
const SettingAllowedPrivate = "webhook_allowed_private"

// AllowedPrivate returns the account's allow-list of private hosts (names
// as target URLs spell them) and ranges (addresses or CIDR ranges).
func (a *Account) AllowedPrivate() []string {
	out := []string{}
	raw, _ := a.Settings[SettingAllowedPrivate].([]any)
	for _, v := range raw {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
