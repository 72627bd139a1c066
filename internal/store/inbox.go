package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strings"
	"sync"

	"github.com/batonhq/baton"
)

const inboxColumns = `id, account_id, name, channel_type, identifier, hmac_token, hmac_mandatory, webhook_url,
	website_token, website_url, widget_color, welcome_title, welcome_tagline, greeting_enabled, greeting_message,
	enable_email_collect, csat_survey_enabled, allow_messages_after_resolved, lock_to_single_conversation,
	enable_auto_assignment, working_hours_enabled, out_of_office_message, timezone, bot_replies_when_open,
	customer_can_request_human, max_assignment_limit, pre_chat_form_enabled, pre_chat_form_options, working_hours,
	allowed_domains, created_at, updated_at`

func scanInbox(row interface{ Scan(...any) error }) (*baton.Inbox, error) {
	var i baton.Inbox
	dest, finish := inboxDest(&i)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	finish()
	return &i, nil
}

// inboxDest returns where the inboxColumns of a row are scanned to, and the
// function that completes i once they are: in two steps, so that one row of
// a join can fill several records (see FindPublicConversation).
func inboxDest(i *baton.Inbox) ([]any, func()) {
	var identifier, websiteToken sql.NullString
	var created, updated int64
	var preChat, hours, domains string
	return []any{&i.ID, &i.AccountID, &i.Name, &i.ChannelType, &identifier, &i.HMACToken, &i.HMACMandatory,
			&i.WebhookURL, &websiteToken, &i.WebsiteURL, &i.WidgetColor, &i.WelcomeTitle, &i.WelcomeTagline,
			&i.GreetingEnabled, &i.GreetingMessage, &i.EnableEmailCollect, &i.CSATSurveyEnabled,
			&i.AllowMessagesAfterResolved, &i.LockToSingleConversation, &i.EnableAutoAssignment,
			&i.WorkingHoursEnabled, &i.OutOfOfficeMessage, &i.Timezone, &i.BotRepliesWhenOpen,
			&i.CustomerCanRequestHuman, &i.MaxAssignmentLimit, &i.PreChatFormEnabled, &preChat, &hours, &domains, &created, &updated},
		func() {
			i.PreChatForm, i.WorkingHours = preChatForms.get(preChat), workingHours.get(hours)
			i.Identifier, i.WebsiteToken = identifier.String, websiteToken.String
			i.AllowedDomains = splitDomains(domains)
			i.CreatedAt, i.UpdatedAt = fromMicros(created), fromMicros(updated)
		}
}

func inboxArgs(i *baton.Inbox) []any {
	return []any{i.Name, nullString(i.Identifier), i.HMACToken, i.HMACMandatory, i.WebhookURL,
		nullString(i.WebsiteToken), i.WebsiteURL, i.WidgetColor, i.WelcomeTitle, i.WelcomeTagline,
		i.GreetingEnabled, i.GreetingMessage, i.EnableEmailCollect, i.CSATSurveyEnabled,
		i.AllowMessagesAfterResolved, i.LockToSingleConversation, i.EnableAutoAssignment,
		i.WorkingHoursEnabled, i.OutOfOfficeMessage, i.Timezone, toMicros(i.UpdatedAt), i.BotRepliesWhenOpen,
		i.CustomerCanRequestHuman, i.MaxAssignmentLimit, i.PreChatFormEnabled, jsonPreChatForm(i.PreChatForm),
		jsonWorkingHours(i.WorkingHours), i.AllowedDomainsText()}
}

// splitDomains reads the allowed_domains column, written by
// Inbox.AllowedDomainsText: most inboxes have none, and are read without
// an allocation.
func splitDomains(s string) []string {
	if s == "" {
		return nil
	}
	var out []string
	for _, d := range strings.Split(s, ",") {
		if d = strings.TrimSpace(d); d != "" {
			out = append(out, d)
		}
	}
	return out
}

// CreateInbox inserts i and sets its id.
func (q *Queries) CreateInbox(ctx context.Context, i *baton.Inbox) error {
	args := append(inboxArgs(i), i.AccountID, i.ChannelType, toMicros(i.CreatedAt))
	err := q.db.QueryRowContext(ctx, `INSERT INTO inboxes (name, identifier, hmac_token, hmac_mandatory,
		webhook_url, website_token, website_url, widget_color, welcome_title, welcome_tagline, greeting_enabled,
		greeting_message, enable_email_collect, csat_survey_enabled, allow_messages_after_resolved,
		lock_to_single_conversation, enable_auto_assignment, working_hours_enabled, out_of_office_message,
		timezone, updated_at, bot_replies_when_open, customer_can_request_human, max_assignment_limit,
		pre_chat_form_enabled, pre_chat_form_options, working_hours, allowed_domains, account_id, channel_type, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22,
		$23, $24, $25, $26, $27, $28, $29, $30, $31)
		RETURNING id`, args...).Scan(&i.ID)
	return q.formatError(err, "inbox")
}

// UpdateInbox writes the settings of i.
func (q *Queries) UpdateInbox(ctx context.Context, i *baton.Inbox) error {
	args := append(inboxArgs(i), i.ID, i.AccountID)
	res, err := q.db.ExecContext(ctx, `UPDATE inboxes SET name = $1, identifier = $2, hmac_token = $3,
		hmac_mandatory = $4, webhook_url = $5, website_token = $6, website_url = $7, widget_color = $8,
		welcome_title = $9, welcome_tagline = $10, greeting_enabled = $11, greeting_message = $12,
		enable_email_collect = $13, csat_survey_enabled = $14, allow_messages_after_resolved = $15,
		lock_to_single_conversation = $16, enable_auto_assignment = $17, working_hours_enabled = $18,
		out_of_office_message = $19, timezone = $20, updated_at = $21, bot_replies_when_open = $22,
		customer_can_request_human = $23, max_assignment_limit = $24, pre_chat_form_enabled = $25,
		pre_chat_form_options = $26, working_hours = $27, allowed_domains = $28 WHERE id = $29 AND account_id = $30`, args...)
	return q.mustAffect(res, err, "inbox")
}

// DeleteInbox deletes an inbox of the account and everything in it.
func (q *Queries) DeleteInbox(ctx context.Context, accountID, id int64) error {
	res, err := q.db.ExecContext(ctx, `DELETE FROM inboxes WHERE id = $1 AND account_id = $2`, id, accountID)
	return q.mustAffect(res, err, "inbox")
}

// FindInbox returns the inbox with the id in the account.
func (q *Queries) FindInbox(ctx context.Context, accountID, id int64) (*baton.Inbox, error) {
	i, err := scanInbox(q.db.QueryRowContext(ctx, `SELECT `+inboxColumns+` FROM inboxes WHERE id = $1 AND account_id = $2`, id, accountID))
	return i, q.formatError(err, "inbox")
}

// FindInboxByIdentifier returns the API inbox with the public identifier.
func (q *Queries) FindInboxByIdentifier(ctx context.Context, identifier string) (*baton.Inbox, error) {
	i, err := scanInbox(q.db.QueryRowContext(ctx, `SELECT `+inboxColumns+` FROM inboxes WHERE identifier = $1`, identifier))
	return i, q.formatError(err, "inbox")
}

// FindInboxByWebsiteToken returns the web widget inbox with the token.
func (q *Queries) FindInboxByWebsiteToken(ctx context.Context, token string) (*baton.Inbox, error) {
	i, err := scanInbox(q.db.QueryRowContext(ctx, `SELECT `+inboxColumns+` FROM inboxes WHERE website_token = $1`, token))
	return i, q.formatError(err, "inbox")
}

// ListInboxes returns the inboxes of the account by id; with userID set,
// only those the user is a member of.
func (q *Queries) ListInboxes(ctx context.Context, accountID, userID int64) ([]*baton.Inbox, error) {
	query, args := `SELECT `+inboxColumns+` FROM inboxes WHERE account_id = $1 ORDER BY id`, []any{accountID}
	if userID != 0 {
		query = `SELECT ` + inboxColumns + ` FROM inboxes WHERE account_id = $1
			AND id IN (SELECT inbox_id FROM inbox_members WHERE user_id = $2) ORDER BY id`
		args = append(args, userID)
	}
	return queryAll(ctx, q, "inbox", query, scanInbox, args...)
}

// SetInboxMembers replaces the members of an inbox.
func (q *Queries) SetInboxMembers(ctx context.Context, inboxID int64, userIDs []int64, now int64) error {
	if _, err := q.db.ExecContext(ctx, `DELETE FROM inbox_members WHERE inbox_id = $1`, inboxID); err != nil {
		return q.formatError(err, "inbox member")
	}
	return q.AddInboxMembers(ctx, inboxID, userIDs, now)
}

// AddInboxMembers adds users to an inbox; present members stay.
func (q *Queries) AddInboxMembers(ctx context.Context, inboxID int64, userIDs []int64, now int64) error {
	for _, id := range userIDs {
		if _, err := q.db.ExecContext(ctx, `INSERT INTO inbox_members (inbox_id, user_id, created_at)
			VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, inboxID, id, now); err != nil {
			return q.formatError(err, "inbox member")
		}
	}
	return nil
}

// RemoveInboxMembers removes users from an inbox.
func (q *Queries) RemoveInboxMembers(ctx context.Context, inboxID int64, userIDs []int64) error {
	for _, id := range userIDs {
		if _, err := q.db.ExecContext(ctx, `DELETE FROM inbox_members WHERE inbox_id = $1 AND user_id = $2`, inboxID, id); err != nil {
			return q.formatError(err, "inbox member")
		}
	}
	return nil
}

// ListInboxMemberIDs returns the user ids of an inbox's members.
func (q *Queries) ListInboxMemberIDs(ctx context.Context, inboxID int64) ([]int64, error) {
	return q.queryIDs(ctx, "inbox member", `SELECT user_id FROM inbox_members WHERE inbox_id = $1 ORDER BY user_id`, inboxID)
}

// IsInboxMember reports whether the user is a member of the inbox.
func (q *Queries) IsInboxMember(ctx context.Context, inboxID, userID int64) (bool, error) {
	var n int
	err := q.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM inbox_members WHERE inbox_id = $1 AND user_id = $2`, inboxID, userID).Scan(&n)
	return n > 0, q.formatError(err, "inbox member")
}

// FindInboxByID returns the inbox with the id, in any account: for the
// command line, which acts as the system.
func (q *Queries) FindInboxByID(ctx context.Context, id int64) (*baton.Inbox, error) {
	i, err := scanInbox(q.db.QueryRowContext(ctx, `SELECT `+inboxColumns+` FROM inboxes WHERE id = $1`, id))
	return i, q.formatError(err, "inbox")
}

// The pre-chat form and the schedule are stored in Chatwoot's wire shape.

type preChatFieldDoc struct {
	Name         string   `json:"name"`
	Label        string   `json:"label"`
	Type         string   `json:"type"`
	FieldType    string   `json:"field_type"`
	Required     bool     `json:"required"`
	Enabled      bool     `json:"enabled"`
	Placeholder  string   `json:"placeholder,omitempty"`
	Values       []string `json:"values,omitempty"`
	RegexPattern string   `json:"regex_pattern,omitempty"`
	RegexCue     string   `json:"regex_cue,omitempty"`
}

type preChatFormDoc struct {
	Message string            `json:"pre_chat_message"`
	Fields  []preChatFieldDoc `json:"pre_chat_fields"`
}

func jsonPreChatForm(f baton.PreChatForm) string {
	d := preChatFormDoc{Message: f.Message, Fields: make([]preChatFieldDoc, len(f.Fields))}
	for n, x := range f.Fields {
		d.Fields[n] = preChatFieldDoc(x)
	}
	b, _ := json.Marshal(d)
	return string(b)
}

func parsePreChatForm(s string) baton.PreChatForm {
	var d preChatFormDoc
	if s == "" || json.Unmarshal([]byte(s), &d) != nil {
		return baton.DefaultPreChatForm()
	}
	f := baton.PreChatForm{Message: d.Message}
	for _, x := range d.Fields {
		f.Fields = append(f.Fields, baton.PreChatField(x))
	}
	return f
}

type workingHourDoc struct {
	DayOfWeek    int  `json:"day_of_week"`
	ClosedAllDay bool `json:"closed_all_day"`
	OpenAllDay   bool `json:"open_all_day"`
	OpenHour     int  `json:"open_hour"`
	OpenMinutes  int  `json:"open_minutes"`
	CloseHour    int  `json:"close_hour"`
	CloseMinutes int  `json:"close_minutes"`
}

func jsonWorkingHours(w []baton.WorkingHour) string {
	d := make([]workingHourDoc, len(w))
	for n, x := range w {
		d[n] = workingHourDoc(x)
	}
	b, _ := json.Marshal(d)
	return string(b)
}

func parseWorkingHours(s string) []baton.WorkingHour {
	var d []workingHourDoc
	if s == "" || json.Unmarshal([]byte(s), &d) != nil {
		return baton.DefaultWorkingHours()
	}
	var w []baton.WorkingHour
	for _, x := range d {
		w = append(w, baton.WorkingHour(x))
	}
	return w
}

// parsedDocs remembers documents parsed from their text, and gives each
// caller a copy of its own. An inbox's pre-chat form and schedule are read
// with the inbox on the message hot path (the snapshot of every event a bot
// hears), where decoding them cost more than reading the row did; they
// rarely change, and few inboxes differ.
type parsedDocs[T any] struct {
	parse func(string) T
	clone func(T) T
	mu    sync.Mutex
	m     map[string]T
}

// maxParsedDocs bounds each cache; past it, the cache starts again.
const maxParsedDocs = 256

func (p *parsedDocs[T]) get(s string) T {
	p.mu.Lock()
	v, ok := p.m[s]
	p.mu.Unlock()
	if !ok {
		v = p.parse(s)
		p.mu.Lock()
		if p.m == nil || len(p.m) >= maxParsedDocs {
			p.m = map[string]T{}
		}
		p.m[s] = v
		p.mu.Unlock()
	}
	return p.clone(v)
}

var (
	preChatForms = &parsedDocs[baton.PreChatForm]{parse: parsePreChatForm, clone: func(f baton.PreChatForm) baton.PreChatForm {
		f.Fields = slices.Clone(f.Fields)
		for n := range f.Fields {
			f.Fields[n].Values = slices.Clone(f.Fields[n].Values)
		}
		return f
	}}
	workingHours = &parsedDocs[[]baton.WorkingHour]{parse: parseWorkingHours, clone: slices.Clone[[]baton.WorkingHour]}
)
