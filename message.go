package baton

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
)

// MessageType says who a message is from, as Chatwoot numbers it.
type MessageType int

// Message types. Only incoming, outgoing and template messages are sent to
// bots; activity messages record what happened to a conversation.
const (
	MessageIncoming MessageType = 0
	MessageOutgoing MessageType = 1
	MessageActivity MessageType = 2
	MessageTemplate MessageType = 3
)

var messageTypeNames = [...]string{"incoming", "outgoing", "activity", "template"}

// String returns the wire name.
func (t MessageType) String() string {
	if t < 0 || int(t) >= len(messageTypeNames) {
		return "incoming"
	}
	return messageTypeNames[t]
}

// ParseMessageType reads a wire name.
func ParseMessageType(s string) (MessageType, bool) {
	for i, n := range messageTypeNames {
		if n == s {
			return MessageType(i), true
		}
	}
	return 0, false
}

// Sendable reports whether messages of this type are delivered to bots and
// webhooks.
func (t MessageType) Sendable() bool { return t != MessageActivity }

// ContentType is the kind of content a message carries.
type ContentType int

// Content types, numbered as Chatwoot numbers them.
const (
	ContentText          ContentType = 0
	ContentInputText     ContentType = 1
	ContentInputTextarea ContentType = 2
	ContentInputEmail    ContentType = 3
	ContentInputSelect   ContentType = 4
	ContentCards         ContentType = 5
	ContentForm          ContentType = 6
	ContentArticle       ContentType = 7
	ContentIncomingEmail ContentType = 8
	ContentInputCSAT     ContentType = 9
	ContentIntegrations  ContentType = 10
	ContentSticker       ContentType = 11
	ContentVoiceCall     ContentType = 12
)

var contentTypeNames = [...]string{"text", "input_text", "input_textarea", "input_email",
	"input_select", "cards", "form", "article", "incoming_email", "input_csat",
	"integrations", "sticker", "voice_call"}

// String returns the wire name.
func (c ContentType) String() string {
	if c < 0 || int(c) >= len(contentTypeNames) {
		return "text"
	}
	return contentTypeNames[c]
}

// ParseContentType reads a wire name.
func ParseContentType(s string) (ContentType, bool) {
	for i, n := range contentTypeNames {
		if n == s {
			return ContentType(i), true
		}
	}
	return 0, false
}

// Interactive reports whether a customer can answer a message of this type
// with submitted values.
func (c ContentType) Interactive() bool {
	switch c {
	case ContentInputSelect, ContentForm, ContentInputEmail, ContentInputCSAT, ContentCards,
		ContentInputText, ContentInputTextarea:
		return true
	}
	return false
}

// MessageStatus is a message's delivery state toward the customer.
type MessageStatus int

// Message statuses, numbered as Chatwoot numbers them.
const (
	MessageSent      MessageStatus = 0
	MessageDelivered MessageStatus = 1
	MessageRead      MessageStatus = 2
	MessageFailed    MessageStatus = 3
)

var messageStatusNames = [...]string{"sent", "delivered", "read", "failed"}

// String returns the wire name.
func (s MessageStatus) String() string {
	if s < 0 || int(s) >= len(messageStatusNames) {
		return "sent"
	}
	return messageStatusNames[s]
}

// Sender types, as Chatwoot names them.
const (
	SenderContact  = "Contact"
	SenderUser     = "User"
	SenderAgentBot = "AgentBot"
)

// MaxContentLength is the longest message content accepted, in characters.
const MaxContentLength = 150000

// Message is one entry of a conversation. ID is global across accounts.
type Message struct {
	ID                   int64
	AccountID            int64
	InboxID              int64
	ConversationID       int64
	MessageType          MessageType
	ContentType          ContentType
	Content              *string // nil for an attachment-only message
	ContentAttributes    map[string]any
	Private              bool
	Status               MessageStatus
	SourceID             string
	SenderType           string // "" when the message has no sender (system, template)
	SenderID             int64
	ExternalSourceIDs    map[string]any
	AdditionalAttributes map[string]any
	EchoID               string // not stored: echoed back to the creator
	CreatedAt            time.Time
	UpdatedAt            time.Time

	// Loaded with the message where a view needs them.
	ConversationDisplayID int64
	Attachments           []*Attachment
	Sender                *Sender
}

// Sender is who sent a message, resolved for display.
type Sender struct {
	Type    string
	User    *User
	Contact *Contact
	Bot     *AgentBot
}

// ValidateContent checks content length and the content attributes that
// interactive content types require, with the rules Chatwoot applies
// (unknown item keys, missing items, card items without actions) and a few
// more where Chatwoot would store something no client can show: item
// titles must be text and form field types must be known.
func ValidateContent(content *string, ct ContentType, attrs map[string]any) error {
	if content != nil && len([]rune(*content)) > MaxContentLength {
		return Invalid(fmt.Sprintf("Content is too long (maximum is %d characters)", MaxContentLength), "content")
	}
	var allowed []string
	switch ct {
	case ContentInputSelect:
		allowed = []string{"title", "value"}
	case ContentCards:
		allowed = []string{"title", "description", "media_url", "actions"}
	case ContentForm:
		allowed = []string{"type", "placeholder", "label", "name", "options", "default", "required", "pattern", "title", "pattern_error"}
	case ContentArticle:
		allowed = []string{"title", "description", "link"}
	case ContentInputCSAT, ContentInputEmail:
		// Their question is the content; the widget draws the rest, and
		// items would be stored for nothing.
		if _, ok := attrs["items"]; ok {
			return attrError(fmt.Sprintf("%s takes no items", ct))
		}
		return nil
	default:
		return nil
	}
	items, ok := attrs["items"].([]any)
	if !ok || len(items) == 0 {
		return attrError("At least one item is required.")
	}
	for i, raw := range items {
		item, ok := raw.(map[string]any)
		if !ok {
			return attrError("Items should be a hash.") // Chatwoot's words
		}
		if bad := unknownKeys(item, allowed); len(bad) > 0 {
			return attrError(fmt.Sprintf("contains invalid keys for items : %s", strings.Join(bad, ", ")))
		}
		if err := validateItem(ct, i, item); err != nil {
			return err
		}
	}
	return nil
}

func validateItem(ct ContentType, i int, item map[string]any) error {
	switch ct {
	case ContentInputSelect:
		if t, ok := item["title"]; ok && !isString(t) {
			return attrError(fmt.Sprintf("item %d has a title that is %s, not text", i+1, jsonType(t)))
		}
		if s, ok := item["title"].(string); !ok || strings.TrimSpace(s) == "" {
			return attrError(fmt.Sprintf("item %d needs a title", i+1))
		}
		if v, ok := item["value"]; ok && !isScalar(v) {
			return attrError(fmt.Sprintf("item %d has a value that is not text or a number", i+1))
		}
	case ContentCards:
		if err := checkLink(i, "media_url", item["media_url"]); err != nil {
			return err
		}
		actions, ok := item["actions"].([]any)
		if !ok || len(actions) == 0 {
			return attrError("contains items missing actions")
		}
		for _, a := range actions {
			action, ok := a.(map[string]any)
			if !ok {
				return attrError(fmt.Sprintf("item %d has an action that is %s, not an object", i+1, jsonType(a)))
			}
			if err := checkLink(i, "uri", action["uri"]); err != nil {
				return err
			}
			if bad := unknownKeys(action, []string{"text", "type", "payload", "uri"}); len(bad) > 0 {
				return attrError(fmt.Sprintf("contains invalid keys for actions: %s", strings.Join(bad, ", ")))
			}
			if t, ok := action["type"].(string); ok && t != "link" && t != "postback" {
				return attrError(fmt.Sprintf("contains an action of unknown type %q (link or postback)", t))
			}
			if action["type"] == "link" {
				if u, _ := action["uri"].(string); strings.TrimSpace(u) == "" {
					return attrError(fmt.Sprintf("item %d has a link action without a uri", i+1))
				}
			}
		}
	case ContentForm:
		if t, ok := item["type"]; ok {
			switch t {
			case "text", "text_area", "email", "select":
			default:
				return attrError(fmt.Sprintf("item %d has an unknown field type (text, text_area, email or select)", i+1))
			}
		}
		if n, ok := item["name"].(string); !ok || n == "" {
			return attrError(fmt.Sprintf("item %d needs a name", i+1))
		}
		if o, ok := item["options"]; ok && o != nil {
			if _, ok := o.([]any); !ok {
				return attrError(fmt.Sprintf("item %d has options that are %s, not a list", i+1, jsonType(o)))
			}
		}
		if o, _ := item["options"].([]any); item["type"] == "select" && len(o) == 0 {
			return attrError(fmt.Sprintf("item %d is a select field without options", i+1))
		}
		if r, ok := item["required"]; ok && r != nil {
			if _, ok := r.(bool); !ok {
				return attrError(fmt.Sprintf("item %d has required that is %s, not true or false", i+1, jsonType(r)))
			}
		}
	case ContentArticle:
		if err := checkLink(i, "link", item["link"]); err != nil {
			return err
		}
	}
	return nil
}

// linkSchemes are the schemes a link in interactive content may have:
// clients render these links, and javascript:, data: or vbscript: would
// run in the page of whoever clicks.
var linkSchemes = []string{"http", "https", "mailto", "tel"}

// checkLink refuses a link that is not text, or whose scheme is not one of
// linkSchemes. Browsers ignore spaces and control characters in a scheme
// ("java\tscript:"), so the check does too. A link without a scheme is
// relative, and harmless.
func checkLink(i int, key string, v any) error {
	if v == nil {
		return nil
	}
	s, ok := v.(string)
	if !ok {
		return attrError(fmt.Sprintf("item %d has a %s that is %s, not text", i+1, key, jsonType(v)))
	}
	squeezed := strings.Map(func(r rune) rune {
		if r <= ' ' || r == 0x7f {
			return -1
		}
		return unicode.ToLower(r)
	}, s)
	scheme, _, found := strings.Cut(squeezed, ":")
	if !found || strings.ContainsAny(scheme, "/?#") || slices.Contains(linkSchemes, scheme) {
		return nil
	}
	return attrError(fmt.Sprintf("item %d has a %s with the scheme %q (http, https, mailto or tel)", i+1, key, scheme))
}

func isString(v any) bool {
	_, ok := v.(string)
	return ok
}

// jsonType names the JSON type of a decoded value, as errors show it.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "text"
	case bool:
		return "true or false"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return "a number"
}

func attrError(msg string) error {
	return Invalid("Content attributes "+msg, "content_attributes")
}

func unknownKeys(m map[string]any, allowed []string) []string {
	var bad []string
	for k := range m {
		found := false
		for _, a := range allowed {
			if k == a {
				found = true
				break
			}
		}
		if !found {
			bad = append(bad, k)
		}
	}
	sort.Strings(bad)
	return bad
}

func isScalar(v any) bool {
	switch v.(type) {
	case string, float64, bool, nil, int, int64:
		return true
	}
	return false
}
