package chatwoot

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
)

// conversationMetaJSON is the meta of a conversation view.
type conversationMetaJSON struct {
	Sender       contactJSON `json:"sender"`
	Channel      string      `json:"channel"`
	Assignee     any         `json:"assignee"`      // an agent, or a bot's push data
	AssigneeType any         `json:"assignee_type"` // "User", "AgentBot" or null, as newer Chatwoot
	Team         any         `json:"team"`
	HMACVerified bool        `json:"hmac_verified"`
}

// conversationJSON is a conversation as the Application API shows it.
type conversationJSON struct {
	Meta                   conversationMetaJSON `json:"meta"`
	ID                     int64                `json:"id"`
	Messages               []messagePush        `json:"messages"`
	AccountID              int64                `json:"account_id"`
	UUID                   string               `json:"uuid"`
	AdditionalAttributes   map[string]any       `json:"additional_attributes"`
	AgentLastSeenAt        int64                `json:"agent_last_seen_at"`
	AssigneeLastSeenAt     int64                `json:"assignee_last_seen_at"`
	CanReply               bool                 `json:"can_reply"`
	ContactLastSeenAt      int64                `json:"contact_last_seen_at"`
	CustomAttributes       map[string]any       `json:"custom_attributes"`
	InboxID                int64                `json:"inbox_id"`
	Labels                 []string             `json:"labels"`
	Muted                  bool                 `json:"muted"`
	SnoozedUntil           any                  `json:"snoozed_until"`
	Status                 string               `json:"status"`
	CreatedAt              int64                `json:"created_at"`
	UpdatedAt              float64              `json:"updated_at"`
	Timestamp              int64                `json:"timestamp"`
	FirstReplyCreatedAt    int64                `json:"first_reply_created_at"`
	UnreadCount            int                  `json:"unread_count"`
	LastNonActivityMessage *messagePush         `json:"last_non_activity_message"`
	LastActivityAt         int64                `json:"last_activity_at"`
	Priority               any                  `json:"priority"`
	WaitingSince           int64                `json:"waiting_since"`
	SLAPolicyID            any                  `json:"sla_policy_id"`
	Handoff                *handoffJSON         `json:"handoff"`
}

func (h *Handler) conversationView(c *baton.Conversation) conversationJSON {
	v := conversationJSON{ID: c.DisplayID, Messages: []messagePush{}, AccountID: c.AccountID, UUID: c.UUID,
		AdditionalAttributes: objectOrEmpty(c.AdditionalAttributes), AgentLastSeenAt: unixOrZero(c.AgentLastSeenAt),
		AssigneeLastSeenAt: unixOrZero(c.AssigneeLastSeenAt), CanReply: true,
		ContactLastSeenAt: unixOrZero(c.ContactLastSeenAt), CustomAttributes: objectOrEmpty(c.CustomAttributes),
		InboxID: c.InboxID, Labels: c.Labels, Muted: c.Muted, SnoozedUntil: isoOrNil(c.SnoozedUntil),
		Status: c.Status.String(), CreatedAt: unix(c.CreatedAt), UpdatedAt: unixFloat(c.UpdatedAt),
		Timestamp: unix(c.LastActivityAt), FirstReplyCreatedAt: unixOrZero(c.FirstReplyCreatedAt),
		UnreadCount: c.UnreadCount, LastActivityAt: unix(c.LastActivityAt), Priority: nilIfEmpty(c.Priority.String()),
		WaitingSince: unixOrZero(c.WaitingSince), Handoff: handoffView(c.Handoff)}
	if c.Team != nil {
		v.Meta.Team = teamView(c.Team)
	}
	if v.Labels == nil {
		v.Labels = []string{}
	}
	if c.Contact != nil {
		v.Meta.Sender = contactView(c.Contact)
	}
	if c.Inbox != nil {
		v.Meta.Channel = c.Inbox.ChannelType
	}
	switch {
	case c.Assignee != nil:
		v.Meta.Assignee = assigneeView(c)
		v.Meta.AssigneeType = "User"
	case c.AssigneeBot != nil:
		v.Meta.Assignee, v.Meta.AssigneeType = h.botPush(c.AssigneeBot), "AgentBot"
	}
	if c.ContactInbox != nil {
		v.Meta.HMACVerified = c.ContactInbox.HMACVerified
	}
	if c.LastMessage != nil {
		v.Messages = append(v.Messages, h.messagePushView(c, c.LastMessage))
	}
	// Private notes count here, as in Chatwoot's last_non_activity_message,
	// but not in messages, which webhooks and live clients show too.
	if c.LastNonActivityMessage != nil {
		m := h.messagePushView(c, c.LastNonActivityMessage)
		v.LastNonActivityMessage = &m
	}
	return v
}

func (h *Handler) conversationViews(cs []*baton.Conversation) []conversationJSON {
	out := make([]conversationJSON, 0, len(cs))
	for _, c := range cs {
		out = append(out, h.conversationView(c))
	}
	return out
}

// conversationPath reads the account and conversation ids of the path.
func conversationPath(r *http.Request) (int64, int64, error) {
	accountID, err := pathID(r, "account_id")
	if err != nil {
		return 0, 0, err
	}
	id, err := pathID(r, "conversation_id")
	return accountID, id, err
}

func listQuery(r *http.Request) (app.ConversationQuery, error) {
	q := r.URL.Query()
	page, _ := strconv.Atoi(q.Get("page"))
	inboxID, err := queryID(r, "inbox_id")
	if err != nil {
		return app.ConversationQuery{}, err
	}
	teamID, err := queryID(r, "team_id")
	cq := app.ConversationQuery{Status: q.Get("status"), AssigneeType: q.Get("assignee_type"), InboxID: inboxID,
		TeamID: teamID, Queue: q.Get("queue"), Query: q.Get("q"), Page: page}
	if cq.Query != "" && !q.Has("status") {
		// Chatwoot searches every status (it drops the status filter
		// when q is given); a status given beside q still narrows it.
		cq.Status = "all"
	}
	for _, l := range append(q["labels[]"], q["labels"]...) {
		for _, part := range strings.Split(l, ",") {
			if part = strings.TrimSpace(part); part != "" {
				cq.Labels = append(cq.Labels, part)
			}
		}
	}
	return cq, err
}

func countsView(c app.ConversationList) map[string]int {
	return map[string]int{"mine_count": c.Counts.Mine, "unassigned_count": c.Counts.Unassigned,
		"assigned_count": c.Counts.Assigned, "all_count": c.Counts.All}
}

// conversationList finds the conversations of the path's account that the
// query asks for: the list and its counts.
func (h *Handler) conversationList(r *http.Request) (*app.ConversationList, error) {
	accountID, err := pathID(r, "account_id")
	if err != nil {
		return nil, err
	}
	cq, err := listQuery(r)
	if err != nil {
		return nil, err
	}
	return h.app.Conversations(r.Context(), accountID, cq)
}

func (h *Handler) listConversations(w http.ResponseWriter, r *http.Request) error {
	list, err := h.conversationList(r)
	if err != nil {
		return err
	}
	return ok(w, map[string]any{"data": map[string]any{"meta": countsView(*list),
		"payload": h.conversationViews(list.Conversations)}})
}

// filterRequest is the body of Chatwoot's conversation and contact filters.
type filterRequest struct {
	Payload []struct {
		AttributeKey   string `json:"attribute_key"`
		FilterOperator string `json:"filter_operator"`
		Values         []any  `json:"values"`
		QueryOperator  string `json:"query_operator"`
	} `json:"payload"`
}

func (b filterRequest) inputs() []app.FilterInput {
	in := make([]app.FilterInput, len(b.Payload))
	for i, c := range b.Payload {
		in[i] = app.FilterInput{AttributeKey: c.AttributeKey, FilterOperator: c.FilterOperator, Values: c.Values,
			QueryOperator: c.QueryOperator}
	}
	return in
}

// filterConversations is Chatwoot's POST conversations/filter: the
// conversations the caller sees that meet the payload's conditions
// (app.FilterConversations), a page of them, with their counts.
func (h *Handler) filterConversations(w http.ResponseWriter, r *http.Request) error {
	accountID, err := pathID(r, "account_id")
	if err != nil {
		return err
	}
	page, err := queryInt(r, "page")
	if err != nil {
		return err
	}
	var body filterRequest
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	list, err := h.app.FilterConversations(r.Context(), accountID, body.inputs(), page)
	if err != nil {
		return err
	}
	return ok(w, map[string]any{"meta": countsView(*list), "payload": h.conversationViews(list.Conversations)})
}

func (h *Handler) conversationsMeta(w http.ResponseWriter, r *http.Request) error {
	list, err := h.conversationList(r)
	if err != nil {
		return err
	}
	return ok(w, map[string]any{"meta": countsView(*list)})
}

// conversationRequest is the body of a conversation create.
type conversationRequest struct {
	SourceID             string          `json:"source_id"`
	InboxID              flexInt         `json:"inbox_id"`
	ContactID            flexInt         `json:"contact_id"`
	AdditionalAttributes flexObject      `json:"additional_attributes"`
	CustomAttributes     flexObject      `json:"custom_attributes"`
	Status               string          `json:"status"`
	SnoozedUntil         flexTime        `json:"snoozed_until"`
	AssigneeID           flexInt         `json:"assignee_id"`
	TeamID               flexInt         `json:"team_id"`
	Message              *messageRequest `json:"message"`
}

func (h *Handler) createConversation(w http.ResponseWriter, r *http.Request) error {
	accountID, err := pathID(r, "account_id")
	if err != nil {
		return err
	}
	var body conversationRequest
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	in := app.ConversationInput{InboxID: int64(body.InboxID), ContactID: int64(body.ContactID),
		SourceID: body.SourceID, Status: body.Status, SnoozedUntil: body.SnoozedUntil.t,
		AssigneeID: int64(body.AssigneeID), TeamID: int64(body.TeamID), AdditionalAttributes: body.AdditionalAttributes,
		CustomAttributes: body.CustomAttributes}
	if body.Message != nil {
		m := body.Message.input()
		in.Message = &m
	}
	c, err := h.app.CreateConversation(r.Context(), accountID, in)
	if err != nil {
		return err
	}
	return ok(w, h.conversationView(c))
}

func (h *Handler) showConversation(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := conversationPath(r)
	if err != nil {
		return err
	}
	c, err := h.app.Conversation(r.Context(), accountID, id)
	if err != nil {
		return err
	}
	return ok(w, h.conversationView(c))
}

type updateConversationRequest struct {
	Priority             *string    `json:"priority"`
	AdditionalAttributes flexObject `json:"additional_attributes"`
}

func (h *Handler) updateConversation(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := conversationPath(r)
	if err != nil {
		return err
	}
	var body updateConversationRequest
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	c, err := h.app.UpdateConversation(r.Context(), accountID, id, app.UpdateConversationInput{
		Priority: body.Priority, AdditionalAttributes: body.AdditionalAttributes})
	if err != nil {
		return err
	}
	return ok(w, h.conversationView(c))
}

type toggleStatusRequest struct {
	Status       *string         `json:"status"`
	SnoozedUntil flexTime        `json:"snoozed_until"`
	Handoff      json.RawMessage `json:"handoff"`
}

func (h *Handler) toggleStatus(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := conversationPath(r)
	if err != nil {
		return err
	}
	var body toggleStatusRequest
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	if body.Status != nil && *body.Status == "" {
		body.Status = nil
	}
	handoff, err := handoffInput(body.Handoff)
	if err != nil {
		return err
	}
	c, err := h.app.ToggleStatus(r.Context(), accountID, id, app.StatusChange{Status: body.Status,
		SnoozedUntil: body.SnoozedUntil.t, Handoff: handoff})
	if err != nil {
		return err
	}
	return ok(w, map[string]any{"meta": map[string]any{}, "payload": map[string]any{"success": true,
		"conversation_id": c.DisplayID, "current_status": c.Status.String(), "snoozed_until": isoOrNil(c.SnoozedUntil)}})
}

type togglePriorityRequest struct {
	Priority *string `json:"priority"`
}

func (h *Handler) togglePriority(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := conversationPath(r)
	if err != nil {
		return err
	}
	var body togglePriorityRequest
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	p := ""
	if body.Priority != nil {
		p = *body.Priority
	}
	if _, err := h.app.TogglePriority(r.Context(), accountID, id, p); err != nil {
		return err
	}
	return empty(w)
}

type typingRequest struct {
	TypingStatus string   `json:"typing_status"`
	IsPrivate    flexBool `json:"is_private"`
}

// toggleTyping shows a user or bot typing to the other side of the
// conversation, through live updates.
func (h *Handler) toggleTyping(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := conversationPath(r)
	if err != nil {
		return err
	}
	var body typingRequest
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	if body.TypingStatus != "on" && body.TypingStatus != "off" {
		return baton.Invalid("typing_status must be on or off", "typing_status")
	}
	if err := h.app.Typing(r.Context(), accountID, id, body.TypingStatus, bool(body.IsPrivate)); err != nil {
		return err
	}
	return empty(w)
}

type customAttributesRequest struct {
	CustomAttributes flexObject `json:"custom_attributes"`
}

func (h *Handler) setCustomAttributes(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := conversationPath(r)
	if err != nil {
		return err
	}
	var body customAttributesRequest
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	c, err := h.app.SetCustomAttributes(r.Context(), accountID, id, body.CustomAttributes)
	if err != nil {
		return err
	}
	return ok(w, map[string]any{"custom_attributes": objectOrEmpty(c.CustomAttributes)})
}

func (h *Handler) updateLastSeen(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := conversationPath(r)
	if err != nil {
		return err
	}
	c, err := h.app.MarkSeen(r.Context(), accountID, id)
	if err != nil {
		return err
	}
	return ok(w, map[string]any{"id": c.DisplayID, "agent_last_seen_at": unixOrZero(c.AgentLastSeenAt)})
}

// markUnread is Chatwoot's unread: the conversation is unread again from
// its newest incoming message. Chatwoot's dashboard reads
// agent_last_seen_at and unread_count from the answer.
func (h *Handler) markUnread(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := conversationPath(r)
	if err != nil {
		return err
	}
	c, err := h.app.MarkUnread(r.Context(), accountID, id)
	if err != nil {
		return err
	}
	return ok(w, map[string]any{"id": c.DisplayID, "agent_last_seen_at": unixOrZero(c.AgentLastSeenAt),
		"unread_count": c.UnreadCount})
}

func (h *Handler) listLabels(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := conversationPath(r)
	if err != nil {
		return err
	}
	c, err := h.app.Conversation(r.Context(), accountID, id)
	if err != nil {
		return err
	}
	return ok(w, map[string]any{"payload": c.Labels})
}

type labelsRequest struct {
	Labels []string `json:"labels"`
}

func (h *Handler) setLabels(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := conversationPath(r)
	if err != nil {
		return err
	}
	var body labelsRequest
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	c, err := h.app.SetLabels(r.Context(), accountID, id, body.Labels)
	if err != nil {
		return err
	}
	return ok(w, map[string]any{"payload": c.Labels})
}

type assignmentRequest struct {
	AssigneeID   json.RawMessage `json:"assignee_id"`
	AssigneeType string          `json:"assignee_type"`
	TeamID       *flexInt        `json:"team_id"`
}

// assign sets the assignee: a user, or with assignee_type AgentBot a bot;
// assignee_id null unassigns. The body is the assignee, or null.
func (h *Handler) assign(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := conversationPath(r)
	if err != nil {
		return err
	}
	var body assignmentRequest
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	if body.AssigneeID == nil && body.TeamID != nil {
		c, err := h.app.SetTeam(r.Context(), accountID, id, int64(*body.TeamID))
		if err != nil || c.Team == nil {
			return errOrNull(w, err)
		}
		return ok(w, teamView(c.Team))
	}
	if body.AssigneeID == nil {
		return ok(w, nil)
	}
	var assignee flexInt
	if err := json.Unmarshal(body.AssigneeID, &assignee); err != nil {
		return baton.Errorf(baton.EBADREQUEST, "Field assignee_id must be a number or null")
	}
	switch body.AssigneeType {
	case "AgentBot":
		if assignee == 0 {
			return baton.Invalid("assignee_id is required for a bot", "assignee_id")
		}
		_, bot, err := h.app.AssignBot(r.Context(), accountID, id, int64(assignee))
		if err != nil {
			return err
		}
		v := h.agentBotView(&app.AgentBotView{Bot: bot})
		return ok(w, map[string]any{"id": v.ID, "name": v.Name, "description": v.Description, "thumbnail": v.Thumbnail,
			"outgoing_url": v.OutgoingURL, "bot_type": v.BotType, "assignee_type": "AgentBot"})
	case "", "User":
	default:
		return baton.Invalid("assignee_type must be User or AgentBot", "assignee_type")
	}
	c, err := h.app.Assign(r.Context(), accountID, id, int64(assignee))
	if err != nil {
		return err
	}
	if c.Assignee == nil {
		return ok(w, nil)
	}
	return ok(w, assigneeView(c))
}
