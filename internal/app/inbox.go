package app

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/auth"
	"github.com/batonhq/baton/internal/store"
)

// InboxInput holds the fields of an inbox create or update; nil fields are
// left as they are. ChannelType is read on create only.
type InboxInput struct {
	Name                       *string
	ChannelType                string // baton.ChannelAPI or baton.ChannelWebWidget
	WebhookURL                 *string
	HMACMandatory              *bool
	WebsiteURL                 *string
	WidgetColor                *string
	WelcomeTitle               *string
	WelcomeTagline             *string
	GreetingEnabled            *bool
	GreetingMessage            *string
	EnableEmailCollect         *bool
	CSATSurveyEnabled          *bool
	AllowMessagesAfterResolved *bool
	LockToSingleConversation   *bool
	EnableAutoAssignment       *bool
	WorkingHoursEnabled        *bool
	OutOfOfficeMessage         *string
	Timezone                   *string
	BotRepliesWhenOpen         *bool
	CustomerCanRequestHuman    *bool
	MaxAssignmentLimit         *int // 0 is no limit
	PreChatFormEnabled         *bool
	PreChatForm                *baton.PreChatForm
	// WorkingHours replaces the schedule's days it names, as Chatwoot's
	// update does; the others stay.
	WorkingHours []baton.WorkingHour
	// AllowedDomains replaces a web widget's allowed domains, written as
	// Chatwoot's allowed_domains (baton.ParseAllowedDomains); "" is none.
	// Other channels have none and ignore it, as Chatwoot's do.
	AllowedDomains *string
}

func (in InboxInput) apply(i *baton.Inbox) error {
	setString := func(dst *string, src *string) {
		if src != nil {
			*dst = strings.TrimSpace(*src)
		}
	}
	setBool := func(dst *bool, src *bool) {
		if src != nil {
			*dst = *src
		}
	}
	setString(&i.Name, in.Name)
	if i.Name == "" {
		return baton.Invalid("Name can't be blank", "name")
	}
	if len(i.Name) > 255 {
		return baton.Invalid("Name is too long (maximum is 255 characters)", "name")
	}
	setString(&i.WebhookURL, in.WebhookURL)
	if err := baton.TooLong("webhook_url", "Webhook url", i.WebhookURL, baton.MaxWebhookURLLength); err != nil {
		return err
	}
	if i.WebhookURL != "" && !validHTTPURL(i.WebhookURL) {
		return baton.Invalid("Webhook url is invalid", "webhook_url")
	}
	setBool(&i.HMACMandatory, in.HMACMandatory)
	setString(&i.WebsiteURL, in.WebsiteURL)
	setString(&i.WidgetColor, in.WidgetColor)
	setString(&i.WelcomeTitle, in.WelcomeTitle)
	setString(&i.WelcomeTagline, in.WelcomeTagline)
	setBool(&i.GreetingEnabled, in.GreetingEnabled)
	setString(&i.GreetingMessage, in.GreetingMessage)
	setBool(&i.EnableEmailCollect, in.EnableEmailCollect)
	setBool(&i.CSATSurveyEnabled, in.CSATSurveyEnabled)
	setBool(&i.AllowMessagesAfterResolved, in.AllowMessagesAfterResolved)
	setBool(&i.LockToSingleConversation, in.LockToSingleConversation)
	setBool(&i.EnableAutoAssignment, in.EnableAutoAssignment)
	setBool(&i.WorkingHoursEnabled, in.WorkingHoursEnabled)
	setString(&i.OutOfOfficeMessage, in.OutOfOfficeMessage)
	setString(&i.Timezone, in.Timezone)
	setBool(&i.BotRepliesWhenOpen, in.BotRepliesWhenOpen)
	setBool(&i.CustomerCanRequestHuman, in.CustomerCanRequestHuman)
	if in.MaxAssignmentLimit != nil {
		if *in.MaxAssignmentLimit < 0 || *in.MaxAssignmentLimit > 10000 {
			return baton.Invalid("Max assignment limit must be between 0 and 10000", "auto_assignment_config")
		}
		i.MaxAssignmentLimit = *in.MaxAssignmentLimit
	}
	if i.Timezone == "" {
		i.Timezone = "UTC"
	}
	if _, err := time.LoadLocation(i.Timezone); err != nil || len(i.Timezone) > 64 {
		return baton.Invalid("Timezone is not a known time zone (an IANA name such as Europe/Lisbon)", "timezone")
	}
	if err := baton.TooLong("out_of_office_message", "Out of office message", i.OutOfOfficeMessage, maxFormText); err != nil {
		return err
	}
	if in.AllowedDomains != nil && i.IsWebWidget() {
		d, err := baton.ParseAllowedDomains(*in.AllowedDomains)
		if err != nil {
			return err
		}
		i.AllowedDomains = d
	}
	setBool(&i.PreChatFormEnabled, in.PreChatFormEnabled)
	if in.PreChatForm != nil {
		f, err := checkPreChatForm(*in.PreChatForm)
		if err != nil {
			return err
		}
		i.PreChatForm = f
	}
	if in.WorkingHours != nil {
		w, err := mergeWorkingHours(i.WorkingHours, in.WorkingHours)
		if err != nil {
			return err
		}
		i.WorkingHours = w
	}
	return nil
}

// Bounds of the pre-chat form an administrator writes.
const (
	maxFormText     = 2000 // the form's message, the out-of-office message
	maxFormFields   = 30
	maxFieldText    = 255 // a label, a placeholder, a list choice, a cue, an answer
	maxFieldChoices = 100
)

var attributeKey = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// checkPreChatForm validates a pre-chat form and returns it tidied:
// trimmed texts, a label for every field.
func checkPreChatForm(f baton.PreChatForm) (baton.PreChatForm, error) {
	bad := func(format string, args ...any) (baton.PreChatForm, error) {
		return f, baton.Invalid("Pre chat form options "+fmt.Sprintf(format, args...), "pre_chat_form_options")
	}
	f.Message = strings.TrimSpace(f.Message)
	if len(f.Message) > maxFormText {
		return bad("pre_chat_message is too long (maximum is %d characters)", maxFormText)
	}
	if len(f.Fields) > maxFormFields {
		return bad("have more than %d fields", maxFormFields)
	}
	fields := make([]baton.PreChatField, len(f.Fields))
	seen := map[string]bool{}
	for n, x := range f.Fields {
		x.Name, x.Label, x.Type = strings.TrimSpace(x.Name), strings.TrimSpace(x.Label), strings.TrimSpace(x.Type)
		x.Placeholder, x.RegexCue = strings.TrimSpace(x.Placeholder), strings.TrimSpace(x.RegexCue)
		if !attributeKey.MatchString(x.Name) {
			return bad("field %d: name must be 1 to 64 letters, digits, '_', '.' or '-'", n+1)
		}
		if seen[x.Name] {
			return bad("field %q appears twice", x.Name)
		}
		seen[x.Name] = true
		switch x.FieldType {
		case baton.PreChatStandard:
			if x.Name != baton.PreChatEmail && x.Name != baton.PreChatName && x.Name != baton.PreChatPhone {
				return bad("field %q: a standard field is emailAddress, fullName or phoneNumber", x.Name)
			}
		case baton.PreChatContactAttribute, baton.PreChatConversationAttribute:
		default:
			return bad("field %q: field_type must be standard, contact_attribute or conversation_attribute", x.Name)
		}
		if x.Type == "" {
			x.Type = "text"
		}
		if !slices.Contains(baton.PreChatFieldTypes, x.Type) {
			return bad("field %q: type must be one of %s", x.Name, strings.Join(baton.PreChatFieldTypes, ", "))
		}
		if x.Label == "" {
			x.Label = x.Name
		}
		if len(x.Label) > maxFieldText || len(x.Placeholder) > maxFieldText || len(x.RegexCue) > maxFieldText ||
			len(x.RegexPattern) > maxFieldText {
			return bad("field %q: label, placeholder, regex_pattern and regex_cue are at most %d characters", x.Name, maxFieldText)
		}
		if x.RegexPattern != "" {
			if _, err := regexp.Compile(x.RegexPattern); err != nil {
				return bad("field %q: regex_pattern is not a valid regular expression", x.Name)
			}
		}
		if x.Type == "list" {
			if len(x.Values) == 0 || len(x.Values) > maxFieldChoices {
				return bad("field %q: a list has 1 to %d values", x.Name, maxFieldChoices)
			}
			for _, v := range x.Values {
				if strings.TrimSpace(v) == "" || len(v) > maxFieldText {
					return bad("field %q: a list value is blank or longer than %d characters", x.Name, maxFieldText)
				}
			}
		} else {
			x.Values = nil
		}
		fields[n] = x
	}
	f.Fields = fields
	if len(fields) == 0 {
		f.Fields = nil
	}
	return f, nil
}

// mergeWorkingHours returns have with the days of set replaced.
func mergeWorkingHours(have, set []baton.WorkingHour) ([]baton.WorkingHour, error) {
	bad := func(format string, args ...any) ([]baton.WorkingHour, error) {
		return nil, baton.Invalid("Working hours "+fmt.Sprintf(format, args...), "working_hours")
	}
	out := slices.Clone(have)
	seen := map[int]bool{}
	for _, d := range set {
		if d.DayOfWeek < 0 || d.DayOfWeek > 6 {
			return bad("day_of_week must be 0 (Sunday) to 6 (Saturday)")
		}
		if seen[d.DayOfWeek] {
			return bad("name day %d twice", d.DayOfWeek)
		}
		seen[d.DayOfWeek] = true
		switch {
		case d.ClosedAllDay:
			d = baton.WorkingHour{DayOfWeek: d.DayOfWeek, ClosedAllDay: true}
		case d.OpenAllDay:
			d = baton.WorkingHour{DayOfWeek: d.DayOfWeek, OpenAllDay: true, CloseHour: 23, CloseMinutes: 59}
		default:
			if d.OpenHour < 0 || d.OpenHour > 23 || d.CloseHour < 0 || d.CloseHour > 23 ||
				d.OpenMinutes < 0 || d.OpenMinutes > 59 || d.CloseMinutes < 0 || d.CloseMinutes > 59 {
				return bad("of day %d: hours are 0 to 23 and minutes 0 to 59", d.DayOfWeek)
			}
			if d.CloseHour*60+d.CloseMinutes <= d.OpenHour*60+d.OpenMinutes {
				return bad("of day %d: closing time should be after opening time", d.DayOfWeek)
			}
		}
		i := slices.IndexFunc(out, func(x baton.WorkingHour) bool { return x.DayOfWeek == d.DayOfWeek })
		if i < 0 {
			out = append(out, d)
		} else {
			out[i] = d
		}
	}
	slices.SortFunc(out, func(a, b baton.WorkingHour) int { return a.DayOfWeek - b.DayOfWeek })
	return out, nil
}

func validHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// CreateInbox makes an API-channel or web-widget inbox. Administrators only.
func (a *App) CreateInbox(ctx context.Context, accountID int64, in InboxInput) (*baton.Inbox, error) {
	now := a.Now()
	i := &baton.Inbox{AccountID: accountID, ChannelType: in.ChannelType, EnableEmailCollect: true,
		AllowMessagesAfterResolved: true, EnableAutoAssignment: true, CustomerCanRequestHuman: true,
		WorkingHours: baton.DefaultWorkingHours(), PreChatForm: baton.DefaultPreChatForm(), CreatedAt: now, UpdatedAt: now}
	switch in.ChannelType {
	case baton.ChannelAPI:
		i.Identifier, i.HMACToken = auth.RandomString(24), auth.RandomString(24)
	case baton.ChannelWebWidget:
		i.WebsiteToken, i.HMACToken = auth.RandomString(24), auth.RandomString(24)
	default:
		return nil, baton.Invalid("Channel type must be api or web_widget", "channel")
	}
	if err := in.apply(i); err != nil {
		return nil, err
	}
	if i.IsWebWidget() && i.WidgetColor == "" {
		i.WidgetColor = baton.DefaultWidgetColor
	}
	if i.ChannelType == baton.ChannelAPI {
		if err := a.vetWebhookURL(ctx, accountID, in.WebhookURL, "webhook_url"); err != nil {
			return nil, err
		}
	}
	err := a.store.Write(ctx, func(q *store.Queries) error {
		if err := a.adminOf(ctx, q, accountID); err != nil {
			return err
		}
		if err := q.CreateInbox(ctx, i); err != nil {
			return err
		}
		return a.syncInboxWebhook(ctx, q, i)
	})
	return i, err
}

// Inboxes lists the account's inboxes the caller works.
func (a *App) Inboxes(ctx context.Context, accountID int64) ([]*baton.Inbox, error) {
	q := a.store.Read()
	s, err := a.accountScope(ctx, q, accountID)
	if err != nil {
		return nil, err
	}
	return q.ListInboxes(ctx, accountID, s.inboxMember())
}

// Inbox returns an inbox of the account the caller works.
func (a *App) Inbox(ctx context.Context, accountID, id int64) (*baton.Inbox, error) {
	_, i, err := a.workedInbox(ctx, a.store.Read(), accountID, id)
	return i, err
}

// workedInbox resolves the caller's scope in the account and finds an inbox
// of it they work: any other is not found.
func (a *App) workedInbox(ctx context.Context, q *store.Queries, accountID, inboxID int64) (*scope, *baton.Inbox, error) {
	s, err := a.accountScope(ctx, q, accountID)
	if err != nil {
		return nil, nil, err
	}
	i, err := s.inbox(ctx, q, inboxID)
	if err != nil {
		return nil, nil, err
	}
	return s, i, nil
}

// UpdateInbox changes an inbox's settings. Administrators only.
func (a *App) UpdateInbox(ctx context.Context, accountID, id int64, in InboxInput) (*baton.Inbox, error) {
	if err := a.vetWebhookURL(ctx, accountID, in.WebhookURL, "webhook_url"); err != nil {
		return nil, err
	}
	var i *baton.Inbox
	err := a.store.Write(ctx, func(q *store.Queries) (err error) {
		s, err := a.accountScope(ctx, q, accountID)
		if err != nil {
			return err
		}
		if i, err = q.FindInbox(ctx, accountID, id); err != nil {
			return err
		}
		if err := s.admin(); err != nil {
			return err
		}
		if err := in.apply(i); err != nil {
			return err
		}
		i.UpdatedAt = a.Now()
		if err := q.UpdateInbox(ctx, i); err != nil {
			return err
		}
		return a.syncInboxWebhook(ctx, q, i)
	})
	return i, err
}

// DeleteInbox deletes an inbox with its conversations. Administrators only.
func (a *App) DeleteInbox(ctx context.Context, accountID, id int64) error {
	var keys []string
	err := a.store.Write(ctx, func(q *store.Queries) (err error) {
		if err := a.adminOf(ctx, q, accountID); err != nil {
			return err
		}
		if keys, err = q.StorageKeysOfInbox(ctx, accountID, id); err != nil {
			return err
		}
		return q.DeleteInbox(ctx, accountID, id)
	})
	if err == nil {
		a.removeFiles(keys, "a deleted inbox")
	}
	return err
}

// Agents lists the account's members.
func (a *App) Agents(ctx context.Context, accountID int64) ([]*baton.AccountUser, error) {
	q := a.store.Read()
	if _, err := a.accountScope(ctx, q, accountID); err != nil {
		return nil, err
	}
	aus, err := q.ListAccountUsers(ctx, accountID)
	if err != nil {
		return nil, err
	}
	return aus, a.withPresence(ctx, q, aus)
}

// InboxMembers lists the members of an inbox.
func (a *App) InboxMembers(ctx context.Context, accountID, inboxID int64) ([]*baton.AccountUser, error) {
	q := a.store.Read()
	if _, _, err := a.workedInbox(ctx, q, accountID, inboxID); err != nil {
		return nil, err
	}
	return a.inboxMembers(ctx, q, accountID, inboxID)
}

// WidgetInboxMembers lists the members of the web widget inbox the
// context's website token names, with their presence: the team the widget
// shows. No visitor token is needed, as in Chatwoot.
func (a *App) WidgetInboxMembers(ctx context.Context) ([]*baton.AccountUser, error) {
	q := a.store.Read()
	_, inbox, err := widgetInbox(ctx, q, baton.CredentialFromContext(ctx).WebsiteToken)
	if err != nil {
		return nil, err
	}
	return a.inboxMembers(ctx, q, inbox.AccountID, inbox.ID)
}

func (a *App) inboxMembers(ctx context.Context, q *store.Queries, accountID, inboxID int64) ([]*baton.AccountUser, error) {
	ids, err := q.ListInboxMemberIDs(ctx, inboxID)
	if err != nil {
		return nil, err
	}
	all, err := q.ListAccountUsers(ctx, accountID)
	if err != nil {
		return nil, err
	}
	var out []*baton.AccountUser
	for _, au := range all {
		for _, id := range ids {
			if au.UserID == id {
				out = append(out, au)
			}
		}
	}
	return out, a.withPresence(ctx, q, out)
}

// Inbox member changes.
const (
	MembersAdd     = "add"
	MembersReplace = "replace"
	MembersRemove  = "remove"
)

// ChangeInboxMembers adds, replaces or removes inbox members. Every user must
// be a member of the account. Administrators only.
func (a *App) ChangeInboxMembers(ctx context.Context, accountID, inboxID int64, how string, userIDs []int64) ([]*baton.AccountUser, error) {
	err := a.store.Write(ctx, func(q *store.Queries) error {
		if err := a.adminOf(ctx, q, accountID); err != nil {
			return err
		}
		if _, err := q.FindInbox(ctx, accountID, inboxID); err != nil {
			return err
		}
		for _, id := range userIDs {
			if _, err := q.FindAccountUser(ctx, accountID, id); errors.Is(err, baton.ErrNotFound) {
				return baton.Invalid("User "+itoa(id)+" is not a member of the account", "user_ids")
			} else if err != nil {
				return err
			}
		}
		now := a.Now().UnixMicro()
		switch how {
		case MembersAdd:
			return q.AddInboxMembers(ctx, inboxID, userIDs, now)
		case MembersReplace:
			return q.SetInboxMembers(ctx, inboxID, userIDs, now)
		case MembersRemove:
			return q.RemoveInboxMembers(ctx, inboxID, userIDs)
		}
		return baton.Invalid("unknown change to inbox members")
	})
	if err != nil {
		return nil, err
	}
	return a.InboxMembers(ctx, accountID, inboxID)
}

// PublicInbox returns the API inbox the context's credential names.
func (a *App) PublicInbox(ctx context.Context) (*baton.Inbox, error) {
	return a.store.Read().FindInboxByIdentifier(ctx, baton.CredentialFromContext(ctx).InboxIdentifier)
}

// WidgetInbox returns the web widget inbox the context's website token
// names: what the widget page needs to exist.
func (a *App) WidgetInbox(ctx context.Context) (*baton.Inbox, error) {
	_, inbox, err := widgetInbox(ctx, a.store.Read(), baton.CredentialFromContext(ctx).WebsiteToken)
	return inbox, err
}

// PreChatAnswers are a visitor's answers to the pre-chat form: the
// standard fields, and the contact's and the conversation's custom
// attributes.
type PreChatAnswers struct {
	Name, Email, PhoneNumber *string
	ContactAttributes        map[string]any
	ConversationAttributes   map[string]any
}

var datePattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// checkPreChat checks answers against the inbox's pre-chat form, when it
// is on: each required field answered (a standard one may instead be known
// already), each answer of its field's type, within bounds; numbers and
// checkboxes sent as text become numbers and booleans. Attributes the form
// does not ask for are left as they are. The first problem is returned as
// an EINVALID error naming the field's label.
func checkPreChat(inbox *baton.Inbox, c *baton.Contact, ans *PreChatAnswers) error {
	if !inbox.PreChatFormEnabled {
		return nil
	}
	for _, f := range inbox.PreChatForm.EnabledFields() {
		var v any
		var known bool
		var put func(any)
		switch f.FieldType {
		case baton.PreChatStandard:
			var p **string
			switch f.Name {
			case baton.PreChatEmail:
				p, known = &ans.Email, c.Email != ""
			case baton.PreChatName:
				// As Chatwoot's form, which does not ask a visitor it knows.
				p, known = &ans.Name, c.Identifier != "" || c.Email != "" || c.PhoneNumber != ""
			case baton.PreChatPhone:
				p, known = &ans.PhoneNumber, c.PhoneNumber != ""
			}
			if *p != nil {
				v = **p
			}
			put = func(x any) { s := fmt.Sprint(x); *p = &s }
		case baton.PreChatContactAttribute:
			v = ans.ContactAttributes[f.Name]
			_, known = c.CustomAttributes[f.Name]
			put = func(x any) {
				if ans.ContactAttributes == nil {
					ans.ContactAttributes = map[string]any{}
				}
				ans.ContactAttributes[f.Name] = x
			}
		case baton.PreChatConversationAttribute:
			v = ans.ConversationAttributes[f.Name]
			put = func(x any) {
				if ans.ConversationAttributes == nil {
					ans.ConversationAttributes = map[string]any{}
				}
				ans.ConversationAttributes[f.Name] = x
			}
		}
		if s, ok := v.(string); ok && strings.TrimSpace(s) == "" || v == nil {
			if f.Required && !known {
				return baton.Invalid(f.Label+" is required", f.Name)
			}
			continue
		}
		x, err := preChatValue(f, v)
		if err != nil {
			return err
		}
		put(x)
	}
	return nil
}

// preChatValue checks one answer against its field's type and returns it
// as it is stored.
func preChatValue(f baton.PreChatField, v any) (any, error) {
	invalid := func(what string) (any, error) { return nil, baton.Invalid(f.Label+" "+what, f.Name) }
	if f.Type == "checkbox" {
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			if x == "true" || x == "false" {
				return x == "true", nil
			}
		}
		return invalid("must be true or false")
	}
	var s string
	switch x := v.(type) {
	case string:
		s = strings.TrimSpace(x)
	case float64:
		s = strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return invalid("must be text")
	}
	if len(s) > maxFieldText {
		return invalid(fmt.Sprintf("is too long (maximum is %d characters)", maxFieldText))
	}
	if f.Name == baton.PreChatEmail || f.Type == "email" {
		if !baton.ValidEmail(baton.NormalizeEmail(s)) {
			return invalid("is not a valid e-mail address")
		}
		return s, nil
	}
	if f.Name == baton.PreChatPhone || f.Type == "phone" {
		if !phonePattern.MatchString(s) {
			return invalid("should be in e164 format, such as +351912345678")
		}
		return s, nil
	}
	switch f.Type {
	case "number":
		n, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(n, 0) || math.IsNaN(n) {
			return invalid("must be a number")
		}
		return n, nil
	case "date":
		if _, err := time.Parse(time.DateOnly, s); err != nil || !datePattern.MatchString(s) {
			return invalid("must be a date, such as 2026-01-31")
		}
	case "link":
		if !validHTTPURL(s) {
			return invalid("must be a web address (http or https)")
		}
	case "list":
		if !slices.Contains(f.Values, s) {
			return invalid("must be one of " + strings.Join(f.Values, ", "))
		}
	}
	if f.RegexPattern != "" {
		if re, err := regexp.Compile(`^(?:` + f.RegexPattern + `)$`); err == nil && !re.MatchString(s) {
			if f.RegexCue != "" {
				return invalid("is not valid: " + f.RegexCue)
			}
			return invalid("is not valid")
		}
	}
	return s, nil
}
