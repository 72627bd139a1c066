package chatwoot

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/signature"
)

// Renderer renders event payloads exactly as Chatwoot's webhook_data shapes
// them (spec §2-§3): what bots written for Chatwoot parse.
type Renderer struct {
	PublicURL func() string // for attachment links
}

// Render returns the JSON body of an event.
func (r *Renderer) Render(e *baton.Event) ([]byte, error) {
	h := &Handler{publicURL: r.PublicURL}
	var v any
	switch e.Name {
	case baton.EventMessageCreated, baton.EventMessageUpdated:
		v = h.messageWebhook(e)
	case baton.EventConversationOpened, baton.EventConversationResolved, baton.EventConversationCreated:
		v = conversationEventWebhook{conversationWebhook: h.conversationWebhook(e.Account, e.Conversation), Event: e.Name}
	case baton.EventConversationStatusChanged, baton.EventConversationUpdated:
		changes := changedAttributes(e.Name, e.Change)
		v = conversationEventWebhook{conversationWebhook: h.conversationWebhook(e.Account, e.Conversation), Event: e.Name,
			ChangedAttributes: &changes}
	case baton.EventWebwidgetTriggered:
		v = h.widgetWebhook(e)
	case baton.EventContactCreated, baton.EventContactUpdated:
		v = contactEventWebhook(e)
	case baton.EventConversationTypingOn, baton.EventConversationTypingOff:
		v = typingWebhookJSON{Event: e.Name, User: senderWebhook(e.Account, e.Typist),
			Conversation: h.conversationWebhook(e.Account, e.Conversation), IsPrivate: e.Private}
	default:
		return nil, fmt.Errorf("render: unknown event %q", e.Name)
	}
	return json.Marshal(v)
}

// contactEventWebhookJSON is contact_created and contact_updated: the
// contact's webhook_data with the event and, for an update, the changes.
type contactEventWebhookJSON struct {
	contactWebhook
	Event             string           `json:"event"`
	ChangedAttributes []map[string]any `json:"changed_attributes,omitempty"`
}

// contactEventWebhook renders contact_created and contact_updated; the
// latter with the attributes that changed, as Chatwoot's previous_changes
// lists them: in the contacts table's column order, updated_at included.
func contactEventWebhook(e *baton.Event) contactEventWebhookJSON {
	c := e.Contact
	v := contactEventWebhookJSON{contactWebhook: contactWebhookView(e.Account, c), Event: e.Name}
	if b := e.ContactBefore; b != nil {
		add := func(attr string, before, after any) {
			if !reflect.DeepEqual(before, after) {
				v.ChangedAttributes = append(v.ChangedAttributes, map[string]any{attr: changeWebhook{Previous: before, Current: after}})
			}
		}
		add("name", b.Name, c.Name)
		add("email", nilIfEmpty(b.Email), nilIfEmpty(c.Email))
		add("phone_number", nilIfEmpty(b.PhoneNumber), nilIfEmpty(c.PhoneNumber))
		// An update that is an event always moved updated_at, as Rails'
		// timestamps do (an injected clock may not have).
		v.ChangedAttributes = append(v.ChangedAttributes, map[string]any{"updated_at": changeWebhook{Previous: iso(b.UpdatedAt), Current: iso(c.UpdatedAt)}})
		add("additional_attributes", jsonValue(objectOrEmpty(b.AdditionalAttributes)), jsonValue(objectOrEmpty(c.AdditionalAttributes)))
		add("identifier", nilIfEmpty(b.Identifier), nilIfEmpty(c.Identifier))
		add("custom_attributes", jsonValue(objectOrEmpty(b.CustomAttributes)), jsonValue(objectOrEmpty(c.CustomAttributes)))
		add("blocked", b.Blocked, c.Blocked)
	}
	return v
}

type idNameWebhook struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// contactWebhook is a contact's webhook_data: no type key, as in Chatwoot.
type contactWebhook struct {
	Account              idNameWebhook  `json:"account"`
	AdditionalAttributes map[string]any `json:"additional_attributes"`
	Avatar               string         `json:"avatar"`
	CustomAttributes     map[string]any `json:"custom_attributes"`
	Email                any            `json:"email"`
	ID                   int64          `json:"id"`
	Identifier           any            `json:"identifier"`
	Name                 string         `json:"name"`
	PhoneNumber          any            `json:"phone_number"`
	Thumbnail            string         `json:"thumbnail"`
	Blocked              bool           `json:"blocked"`
}

func contactWebhookView(acc *baton.Account, c *baton.Contact) contactWebhook {
	return contactWebhook{Account: idNameWebhook{acc.ID, acc.Name}, AdditionalAttributes: objectOrEmpty(c.AdditionalAttributes),
		CustomAttributes: objectOrEmpty(c.CustomAttributes), Email: nilIfEmpty(c.Email), ID: c.ID,
		Identifier: nilIfEmpty(c.Identifier), Name: c.Name, PhoneNumber: nilIfEmpty(c.PhoneNumber), Blocked: c.Blocked}
}

type contactInboxWebhook struct {
	ID           int64  `json:"id"`
	ContactID    int64  `json:"contact_id"`
	InboxID      int64  `json:"inbox_id"`
	SourceID     string `json:"source_id"`
	CreatedAt    string `json:"created_at"`
	UpdatedAt    string `json:"updated_at"`
	HMACVerified bool   `json:"hmac_verified"`
	PubsubToken  string `json:"pubsub_token"`
}

// contactInboxWebhookView is a contact inbox as conversations' webhook_data
// and push_event_data show it.
func contactInboxWebhookView(ci *baton.ContactInbox) contactInboxWebhook {
	return contactInboxWebhook{ID: ci.ID, ContactID: ci.ContactID, InboxID: ci.InboxID, SourceID: ci.SourceID,
		CreatedAt: iso(ci.CreatedAt), UpdatedAt: iso(ci.UpdatedAt), HMACVerified: ci.HMACVerified, PubsubToken: ci.PubsubToken}
}

// metaWebhook is the meta of a conversation's webhook_data: its sender,
// assignee and team.
type metaWebhook struct {
	Sender       *contactPush `json:"sender"`
	Assignee     any          `json:"assignee"`
	AssigneeType any          `json:"assignee_type"`
	Team         any          `json:"team"`
	HMACVerified bool         `json:"hmac_verified"`
}

// conversationWebhook is a conversation's webhook_data (§2.1), with the
// account, as newer Chatwoot sends it.
type conversationWebhook struct {
	AdditionalAttributes map[string]any      `json:"additional_attributes"`
	CanReply             bool                `json:"can_reply"`
	Channel              string              `json:"channel"`
	ContactInbox         contactInboxWebhook `json:"contact_inbox"`
	ID                   int64               `json:"id"`
	InboxID              int64               `json:"inbox_id"`
	Messages             []messagePush       `json:"messages"`
	Labels               []string            `json:"labels"`
	Meta                 metaWebhook         `json:"meta"`
	Status               string              `json:"status"`
	CustomAttributes     map[string]any      `json:"custom_attributes"`
	SnoozedUntil         any                 `json:"snoozed_until"`
	UnreadCount          int                 `json:"unread_count"`
	FirstReplyCreatedAt  any                 `json:"first_reply_created_at"`
	Priority             any                 `json:"priority"`
	WaitingSince         int64               `json:"waiting_since"`
	AgentLastSeenAt      int64               `json:"agent_last_seen_at"`
	ContactLastSeenAt    int64               `json:"contact_last_seen_at"`
	LastActivityAt       int64               `json:"last_activity_at"`
	Timestamp            int64               `json:"timestamp"`
	CreatedAt            int64               `json:"created_at"`
	UpdatedAt            float64             `json:"updated_at"`
	Account              idNameWebhook       `json:"account"`
	Handoff              *handoffJSON        `json:"handoff"`
}

func (h *Handler) conversationWebhook(acc *baton.Account, c *baton.Conversation) conversationWebhook {
	v := conversationWebhook{AdditionalAttributes: objectOrEmpty(c.AdditionalAttributes), CanReply: true,
		ID: c.DisplayID, InboxID: c.InboxID, Messages: []messagePush{}, Labels: c.Labels, Status: c.Status.String(),
		CustomAttributes: objectOrEmpty(c.CustomAttributes), SnoozedUntil: isoOrNil(c.SnoozedUntil),
		UnreadCount: c.UnreadCount, FirstReplyCreatedAt: isoOrNil(c.FirstReplyCreatedAt),
		Priority: nilIfEmpty(c.Priority.String()), WaitingSince: unixOrZero(c.WaitingSince),
		AgentLastSeenAt: unixOrZero(c.AgentLastSeenAt), ContactLastSeenAt: unixOrZero(c.ContactLastSeenAt),
		LastActivityAt: unix(c.LastActivityAt), Timestamp: unix(c.LastActivityAt), CreatedAt: unix(c.CreatedAt),
		UpdatedAt: unixFloat(c.UpdatedAt), Account: idNameWebhook{acc.ID, acc.Name}, Handoff: handoffView(c.Handoff)}
	if c.Team != nil {
		v.Meta.Team = teamView(c.Team)
	}
	if v.Labels == nil {
		v.Labels = []string{}
	}
	if c.Inbox != nil {
		v.Channel = c.Inbox.ChannelType
	}
	if ci := c.ContactInbox; ci != nil {
		v.ContactInbox = contactInboxWebhookView(ci)
		v.Meta.HMACVerified = ci.HMACVerified
	}
	v.Meta.Sender = contactPushView(c.Contact)
	switch {
	case c.Assignee != nil:
		v.Meta.Assignee, v.Meta.AssigneeType = assigneePushView(c), "User"
	case c.AssigneeBot != nil:
		v.Meta.Assignee, v.Meta.AssigneeType = h.botPush(c.AssigneeBot), "AgentBot"
	}
	if c.LastMessage != nil {
		v.Messages = append(v.Messages, h.messagePushView(c, c.LastMessage))
	}
	return v
}

// conversationEventWebhook is a conversation event's body.
type conversationEventWebhook struct {
	conversationWebhook
	Event             string            `json:"event"`
	ChangedAttributes *[]map[string]any `json:"changed_attributes,omitempty"`
}

// changedAttributes is Chatwoot's list of single-key changes, or null: the status alone for conversation_status_changed, and for
// conversation_updated the attributes Chatwoot reports, in its order and
// formats.
func changedAttributes(event string, ch *baton.ConversationChange) []map[string]any {
	if ch == nil {
		return nil
	}
	prev, c := ch.Before, ch.After
	var out []map[string]any
	add := func(attr string, before, after any) {
		if !reflect.DeepEqual(before, after) {
			out = append(out, map[string]any{attr: changeWebhook{Previous: before, Current: after}})
		}
	}
	if event == baton.EventConversationStatusChanged {
		return []map[string]any{{"status": changeWebhook{Previous: prev.Status.String(), Current: c.Status.String()}}}
	}
	add("assignee_id", nilIfZero(prev.AssigneeID), nilIfZero(c.AssigneeID))
	add("assignee_agent_bot_id", nilIfZero(prev.AssigneeAgentBotID), nilIfZero(c.AssigneeAgentBotID))
	add("team_id", nilIfZero(prev.TeamID), nilIfZero(c.TeamID))
	add("status", prev.Status.String(), c.Status.String())
	add("snoozed_until", isoOrNil(prev.SnoozedUntil), isoOrNil(c.SnoozedUntil))
	add("custom_attributes", jsonValue(objectOrEmpty(prev.CustomAttributes)), jsonValue(objectOrEmpty(c.CustomAttributes)))
	// No labels is [], not null, as Chatwoot reports it.
	add("label_list", jsonValue(append([]string{}, prev.Labels...)), jsonValue(append([]string{}, c.Labels...)))
	add("waiting_since", isoOrNil(prev.WaitingSince), isoOrNil(c.WaitingSince))
	add("first_reply_created_at", isoOrNil(prev.FirstReplyCreatedAt), isoOrNil(c.FirstReplyCreatedAt))
	add("priority", nilIfEmpty(prev.Priority.String()), nilIfEmpty(c.Priority.String()))
	add("conversation_language", prev.AdditionalAttributes["conversation_language"], c.AdditionalAttributes["conversation_language"])
	return out
}

// jsonValue normalizes a document (numbers as float64) so that equal
// documents compare equal whatever their Go types.
func jsonValue(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

// changeWebhook is one attribute's change, its keys in Chatwoot's order.
type changeWebhook struct {
	Previous any `json:"previous_value"`
	Current  any `json:"current_value"`
}

// messageWebhook is a message's webhook_data (§2.3) with the event name.
type messageWebhook struct {
	Account              idNameWebhook       `json:"account"`
	AdditionalAttributes map[string]any      `json:"additional_attributes"`
	ContentAttributes    map[string]any      `json:"content_attributes"`
	ContentType          string              `json:"content_type"`
	Content              *string             `json:"content"`
	Conversation         conversationWebhook `json:"conversation"`
	CreatedAt            string              `json:"created_at"`
	ID                   int64               `json:"id"`
	Inbox                idNameWebhook       `json:"inbox"`
	MessageType          string              `json:"message_type"`
	Private              bool                `json:"private"`
	Sender               any                 `json:"sender"`
	SourceID             any                 `json:"source_id"`
	Attachments          []attachmentJSON    `json:"attachments,omitempty"`
	Event                string              `json:"event"`
}

func (h *Handler) messageWebhook(e *baton.Event) messageWebhook {
	m, c := e.Message, e.Conversation
	v := messageWebhook{Account: idNameWebhook{e.Account.ID, e.Account.Name}, AdditionalAttributes: objectOrEmpty(m.AdditionalAttributes),
		ContentAttributes: objectOrEmpty(m.ContentAttributes), ContentType: m.ContentType.String(), Content: m.Content,
		Conversation: h.conversationWebhook(e.Account, c), CreatedAt: iso(m.CreatedAt), ID: m.ID,
		MessageType: m.MessageType.String(), Private: m.Private, SourceID: nilIfEmpty(m.SourceID),
		Attachments: h.attachmentViews(m.Attachments), Event: e.Name}
	if c.Inbox != nil {
		v.Inbox = idNameWebhook{c.Inbox.ID, c.Inbox.Name}
	}
	if s := senderWebhook(e.Account, m.Sender); s != nil {
		v.Sender = s
	}
	return v
}

// senderWebhook is a sender's webhook_data: a contact's, a user's or a
// bot's; nil for none.
func senderWebhook(acc *baton.Account, s *baton.Sender) any {
	switch {
	case s == nil:
	case s.Contact != nil:
		return contactWebhookView(acc, s.Contact)
	case s.User != nil:
		return userWebhook{ID: s.User.ID, Name: s.User.Name, Email: s.User.Email, Type: "user"}
	case s.Bot != nil:
		return botWebhook{ID: s.Bot.ID, Name: s.Bot.Name, Type: "agent_bot"}
	}
	return nil
}

// typingWebhookJSON is conversation_typing_on and _off's body, as
// Chatwoot's webhook listener builds it: the typist's webhook_data, the
// conversation's, and whether a private note is being written.
type typingWebhookJSON struct {
	Event        string              `json:"event"`
	User         any                 `json:"user"`
	Conversation conversationWebhook `json:"conversation"`
	IsPrivate    bool                `json:"is_private"`
}

// widgetWebhook is webwidget_triggered's body: the contact inbox's
// webhook_data with what the widget said of the visit.
func (h *Handler) widgetWebhook(e *baton.Event) map[string]any {
	var current any
	if e.Conversation != nil {
		current = h.conversationWebhook(e.Account, e.Conversation)
	}
	return map[string]any{"id": e.ContactInbox.ID, "contact": contactWebhookView(e.Account, e.Contact),
		"inbox": idNameWebhook{e.Inbox.ID, e.Inbox.Name}, "account": idNameWebhook{e.Account.ID, e.Account.Name},
		"current_conversation": current, "source_id": e.ContactInbox.SourceID, "event": e.Name,
		"event_info": objectOrEmpty(e.EventInfo)}
}

// userWebhook is a user's webhook_data, the sender of their messages.
type userWebhook struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
	Type  string `json:"type"`
}

// botWebhook is a bot's webhook_data, the sender of its messages.
type botWebhook struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Type string `json:"type"`
}

// botPushJSON is a bot's push_event_data.
type botPushJSON struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	AvatarURL string `json:"avatar_url"`
	Type      string `json:"type"`
}

// botPush is a bot's push_event_data.
func (h *Handler) botPush(b *baton.AgentBot) botPushJSON {
	return botPushJSON{ID: b.ID, Name: b.Name, AvatarURL: h.avatarURL(b), Type: "agent_bot"}
}

// avatarURL is the link to a bot's avatar, or "" as Chatwoot has it when
// there is none.
func (h *Handler) avatarURL(b *baton.AgentBot) string {
	if b.AvatarKey == "" {
		return ""
	}
	return h.publicURL() + "/" + b.AvatarKey
}

// The account webhooks API (Chatwoot's /api/v1/accounts/:id/webhooks), with
// Baton's additions: the signing secret and its reset, the API inboxes'
// webhooks in the list, the delivery log, and the account's allow-list of
// private hosts (docs/webhooks.md).

// webhookRequest is the body of a webhook create or update: Chatwoot's,
// under "webhook", or the same keys at the top level.
type webhookRequest struct {
	Webhook *webhookFields `json:"webhook"`
	webhookFields
}

type webhookFields struct {
	Name          *string         `json:"name"`
	URL           *string         `json:"url"`
	Subscriptions *[]string       `json:"subscriptions"`
	InboxID       json.RawMessage `json:"inbox_id"` // absent: unchanged; null or 0: every inbox
}

func (h *Handler) webhookInput(w http.ResponseWriter, r *http.Request) (app.WebhookInput, error) {
	var body webhookRequest
	if err := h.decode(w, r, &body); err != nil {
		return app.WebhookInput{}, err
	}
	f := body.webhookFields
	if body.Webhook != nil {
		f = *body.Webhook
	}
	in := app.WebhookInput{Name: f.Name, URL: f.URL, Subscriptions: f.Subscriptions}
	if len(f.InboxID) > 0 {
		var id flexInt
		if s := strings.TrimSpace(string(f.InboxID)); s != "null" && s != `""` {
			if err := json.Unmarshal(f.InboxID, &id); err != nil || id < 0 {
				return app.WebhookInput{}, baton.Invalid("Inbox id must be a number", "inbox_id")
			}
		}
		n := int64(id)
		in.InboxID = &n
	}
	return in, nil
}

// webhookJSON is a webhook as Chatwoot's API shows it, with its secret.
type webhookJSON struct {
	ID            int64    `json:"id"`
	Name          string   `json:"name"`
	URL           string   `json:"url"`
	AccountID     int64    `json:"account_id"`
	Subscriptions []string `json:"subscriptions"`
	Inbox         any      `json:"inbox"`
	WebhookType   string   `json:"webhook_type"` // account_type, or api_inbox_type for an API inbox's webhook_url
	Secret        string   `json:"secret,omitempty"`
	WebhookSecret string   `json:"webhook_secret,omitempty"` // the secret as Standard Webhooks libraries take it
}

func webhookView(v *app.WebhookView) webhookJSON {
	wh := v.Webhook
	j := webhookJSON{ID: wh.ID, Name: wh.Name, URL: wh.URL, AccountID: wh.AccountID,
		Subscriptions: append([]string{}, wh.Subscriptions...), WebhookType: "account_type", Secret: v.Secret}
	if wh.Kind == baton.WebhookAPIInbox {
		j.WebhookType = "api_inbox_type"
	}
	if wh.InboxID != 0 {
		j.Inbox = map[string]any{"id": wh.InboxID}
	}
	if v.Secret != "" {
		j.WebhookSecret = signature.StandardSecret(v.Secret)
	}
	return j
}

func (h *Handler) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	accountID, err := pathID(r, "account_id")
	if err != nil {
		return err
	}
	vs, err := h.app.Webhooks(r.Context(), accountID)
	if err != nil {
		return err
	}
	out := make([]webhookJSON, 0, len(vs))
	for _, v := range vs {
		out = append(out, webhookView(v))
	}
	return ok(w, map[string]any{"payload": map[string]any{"webhooks": out}})
}

func (h *Handler) createWebhook(w http.ResponseWriter, r *http.Request) error {
	accountID, err := pathID(r, "account_id")
	if err != nil {
		return err
	}
	in, err := h.webhookInput(w, r)
	if err != nil {
		return err
	}
	v, err := h.app.CreateWebhook(r.Context(), accountID, in)
	if err != nil {
		return err
	}
	return ok(w, map[string]any{"payload": map[string]any{"webhook": webhookView(v)}})
}

func (h *Handler) updateWebhook(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := accountAndID(r)
	if err != nil {
		return err
	}
	in, err := h.webhookInput(w, r)
	if err != nil {
		return err
	}
	v, err := h.app.UpdateWebhook(r.Context(), accountID, id, in)
	if err != nil {
		return err
	}
	return ok(w, map[string]any{"payload": map[string]any{"webhook": webhookView(v)}})
}

func (h *Handler) resetWebhookSecret(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := accountAndID(r)
	if err != nil {
		return err
	}
	v, err := h.app.ResetWebhookSecret(r.Context(), accountID, id)
	if err != nil {
		return err
	}
	return ok(w, map[string]any{"payload": map[string]any{"webhook": webhookView(v)}})
}

func (h *Handler) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := accountAndID(r)
	if err != nil {
		return err
	}
	if err := h.app.DeleteWebhook(r.Context(), accountID, id); err != nil {
		return err
	}
	return ok(w, map[string]any{})
}

// allowedPrivateRequest is the body that replaces the account's allow-list
// of private hosts and ranges.
type allowedPrivateRequest struct {
	AllowedPrivate []string `json:"allowed_private"`
}

func (h *Handler) showAllowedPrivate(w http.ResponseWriter, r *http.Request) error {
	accountID, err := pathID(r, "account_id")
	if err != nil {
		return err
	}
	list, err := h.app.AllowedPrivate(r.Context(), accountID)
	if err != nil {
		return err
	}
	return ok(w, allowedPrivateRequest{AllowedPrivate: list})
}

func (h *Handler) setAllowedPrivate(w http.ResponseWriter, r *http.Request) error {
	accountID, err := pathID(r, "account_id")
	if err != nil {
		return err
	}
	var body allowedPrivateRequest
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	list, err := h.app.SetAllowedPrivate(r.Context(), accountID, body.AllowedPrivate)
	if err != nil {
		return err
	}
	return ok(w, allowedPrivateRequest{AllowedPrivate: list})
}
