package baton

import (
	"net/netip"
	"slices"
	"strings"
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
// account's administrators change it, within what OperatorOnlyEntry
// leaves them.
const SettingAllowedPrivate = "webhook_allowed_private"

// operatorOnlyRanges hold the addresses of the machine Baton runs on and of
// clouds' metadata services, which hand out the machine's credentials:
// loopback, link-local (169.254.169.254 and fe80::), unspecified and "this
// network", multicast, the metadata addresses outside those (Alibaba's
// 100.100.100.200, AWS's IPv6 fd00:ec2::254), and the IPv6 ranges that
// carry an IPv4 address, which reach whatever address they carry.
var operatorOnlyRanges = []netip.Prefix{
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("224.0.0.0/3"),
	netip.MustParsePrefix("100.100.100.200/32"),
	netip.MustParsePrefix("::/96"),
	netip.MustParsePrefix("::ffff:0:0/96"),
	netip.MustParsePrefix("fe80::/10"),
	netip.MustParsePrefix("ff00::/8"),
	netip.MustParsePrefix("fd00:ec2::254/128"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("2002::/16"),
}

// OperatorOnlyEntry reports whether an allow-list entry would let the
// account's targets reach the machine Baton runs on or a cloud's metadata
// service: a range (an address or CIDR) holding any address of
// operatorOnlyRanges, or the name localhost. Only the operator (the
// command line, the Platform API) may put such an entry on an account's
// list; its administrators may allow the rest of the private networks.
func OperatorOnlyEntry(e string) bool {
	if p, ok := AllowPrefix(e); ok {
		return slices.ContainsFunc(operatorOnlyRanges, p.Overlaps)
	}
	e = strings.TrimSuffix(strings.ToLower(e), ".")
	return e == "localhost" || strings.HasSuffix(e, ".localhost")
}

// OperatorOnlyAddr reports whether an address is one of
// operatorOnlyRanges: a named host on an allow-list may resolve to any
// other private address, but reaches these only when a range on the list
// holds them.
func OperatorOnlyAddr(a netip.Addr) bool {
	a = a.Unmap()
	return !a.IsValid() || slices.ContainsFunc(operatorOnlyRanges, func(p netip.Prefix) bool { return p.Contains(a) })
}

// AllowPrefix returns the range an allow-list entry names, when it is an
// address or a CIDR range: masked, an IPv4-mapped address as IPv4.
func AllowPrefix(e string) (netip.Prefix, bool) {
	if p, err := netip.ParsePrefix(e); err == nil {
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), true
	}
	if a, err := netip.ParseAddr(e); err == nil {
		a = a.Unmap().WithZone("")
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	return netip.Prefix{}, false
}

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
