package chatwoot

import (
	"net/http"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
)

// channelRequest is the channel part of an inbox create or update.
type channelRequest struct {
	Type           string    `json:"type"`
	WebhookURL     *string   `json:"webhook_url"`
	HMACMandatory  *flexBool `json:"hmac_mandatory"`
	WebsiteURL     *string   `json:"website_url"`
	WidgetColor    *string   `json:"widget_color"`
	WelcomeTitle   *string   `json:"welcome_title"`
	WelcomeTagline *string   `json:"welcome_tagline"`
	// PreChatFormEnabled and PreChatFormOptions are the web widget's
	// pre-chat form, as Chatwoot's channel takes them.
	PreChatFormEnabled *flexBool           `json:"pre_chat_form_enabled"`
	PreChatFormOptions *preChatFormOptions `json:"pre_chat_form_options"`
	// AllowedDomains are the sites that may frame the web widget, separated
	// by commas; null clears them, as Rails writes nil.
	AllowedDomains clearableString `json:"allowed_domains"`
}

// preChatFormOptions is Chatwoot's pre_chat_form_options.
type preChatFormOptions struct {
	PreChatMessage string         `json:"pre_chat_message"`
	PreChatFields  []preChatField `json:"pre_chat_fields"`
	RequireEmail   *flexBool      `json:"require_email,omitempty"`
}

// preChatField is one field of pre_chat_form_options.
type preChatField struct {
	Name         string   `json:"name"`
	Label        string   `json:"label"`
	Type         string   `json:"type"`
	FieldType    string   `json:"field_type"`
	Required     flexBool `json:"required"`
	Enabled      flexBool `json:"enabled"`
	Placeholder  string   `json:"placeholder,omitempty"`
	Values       []string `json:"values,omitempty"`
	RegexPattern string   `json:"regex_pattern,omitempty"`
	RegexCue     string   `json:"regex_cue,omitempty"`
}

func (o preChatFormOptions) form() baton.PreChatForm {
	f := baton.PreChatForm{Message: o.PreChatMessage}
	for _, x := range o.PreChatFields {
		f.Fields = append(f.Fields, baton.PreChatField{Name: x.Name, Label: x.Label, Type: x.Type, FieldType: x.FieldType,
			Required: bool(x.Required), Enabled: bool(x.Enabled), Placeholder: x.Placeholder, Values: x.Values,
			RegexPattern: x.RegexPattern, RegexCue: x.RegexCue})
	}
	return f
}

func preChatFormView(f baton.PreChatForm) preChatFormOptions {
	o := preChatFormOptions{PreChatMessage: f.Message, PreChatFields: []preChatField{}}
	for _, x := range f.Fields {
		o.PreChatFields = append(o.PreChatFields, preChatField{Name: x.Name, Label: x.Label, Type: x.Type,
			FieldType: x.FieldType, Required: flexBool(x.Required), Enabled: flexBool(x.Enabled), Placeholder: x.Placeholder,
			Values: x.Values, RegexPattern: x.RegexPattern, RegexCue: x.RegexCue})
	}
	return o
}

// workingHourJSON is one day of Chatwoot's working_hours.
type workingHourJSON struct {
	DayOfWeek    flexInt  `json:"day_of_week"`
	ClosedAllDay flexBool `json:"closed_all_day"`
	OpenAllDay   flexBool `json:"open_all_day"`
	OpenHour     *flexInt `json:"open_hour"`
	OpenMinutes  *flexInt `json:"open_minutes"`
	CloseHour    *flexInt `json:"close_hour"`
	CloseMinutes *flexInt `json:"close_minutes"`
}

func intOr0(p *flexInt) int {
	if p == nil {
		return 0
	}
	return int(*p)
}

func flexIntPtr(v int) *flexInt {
	f := flexInt(v)
	return &f
}

// workingHoursView is an inbox's schedule as Chatwoot shows it: hours null
// on a day closed all day.
func workingHoursView(w []baton.WorkingHour) []workingHourJSON {
	out := make([]workingHourJSON, 0, len(w))
	for _, d := range w {
		j := workingHourJSON{DayOfWeek: flexInt(d.DayOfWeek), ClosedAllDay: flexBool(d.ClosedAllDay),
			OpenAllDay: flexBool(d.OpenAllDay)}
		if !d.ClosedAllDay {
			j.OpenHour, j.OpenMinutes = flexIntPtr(d.OpenHour), flexIntPtr(d.OpenMinutes)
			j.CloseHour, j.CloseMinutes = flexIntPtr(d.CloseHour), flexIntPtr(d.CloseMinutes)
		}
		out = append(out, j)
	}
	return out
}

// inboxRequest is the body of an inbox create or update.
type inboxRequest struct {
	Name                       *string           `json:"name"`
	Channel                    channelRequest    `json:"channel"`
	GreetingEnabled            *flexBool         `json:"greeting_enabled"`
	GreetingMessage            *string           `json:"greeting_message"`
	EnableEmailCollect         *flexBool         `json:"enable_email_collect"`
	CSATSurveyEnabled          *flexBool         `json:"csat_survey_enabled"`
	AllowMessagesAfterResolved *flexBool         `json:"allow_messages_after_resolved"`
	LockToSingleConversation   *flexBool         `json:"lock_to_single_conversation"`
	EnableAutoAssignment       *flexBool         `json:"enable_auto_assignment"`
	WorkingHoursEnabled        *flexBool         `json:"working_hours_enabled"`
	OutOfOfficeMessage         *string           `json:"out_of_office_message"`
	Timezone                   *string           `json:"timezone"`
	WorkingHours               []workingHourJSON `json:"working_hours"`
	BotRepliesWhenOpen         *flexBool         `json:"bot_replies_when_open"`
	CustomerCanRequestHuman    *flexBool         `json:"customer_can_request_human"`
	AutoAssignmentConfig       *struct {
		MaxAssignmentLimit *flexInt `json:"max_assignment_limit"`
	} `json:"auto_assignment_config"`
}

func boolPtr(b *flexBool) *bool {
	if b == nil {
		return nil
	}
	v := bool(*b)
	return &v
}

func (b inboxRequest) input() app.InboxInput {
	in := app.InboxInput{Name: b.Name, WebhookURL: b.Channel.WebhookURL, HMACMandatory: boolPtr(b.Channel.HMACMandatory),
		WebsiteURL: b.Channel.WebsiteURL, WidgetColor: b.Channel.WidgetColor, WelcomeTitle: b.Channel.WelcomeTitle,
		WelcomeTagline: b.Channel.WelcomeTagline, GreetingEnabled: boolPtr(b.GreetingEnabled),
		GreetingMessage: b.GreetingMessage, EnableEmailCollect: boolPtr(b.EnableEmailCollect),
		CSATSurveyEnabled: boolPtr(b.CSATSurveyEnabled), AllowMessagesAfterResolved: boolPtr(b.AllowMessagesAfterResolved),
		LockToSingleConversation: boolPtr(b.LockToSingleConversation), EnableAutoAssignment: boolPtr(b.EnableAutoAssignment),
		WorkingHoursEnabled: boolPtr(b.WorkingHoursEnabled), OutOfOfficeMessage: b.OutOfOfficeMessage, Timezone: b.Timezone,
		BotRepliesWhenOpen: boolPtr(b.BotRepliesWhenOpen), CustomerCanRequestHuman: boolPtr(b.CustomerCanRequestHuman)}
	in.PreChatFormEnabled = boolPtr(b.Channel.PreChatFormEnabled)
	in.AllowedDomains = b.Channel.AllowedDomains.ptr()
	if o := b.Channel.PreChatFormOptions; o != nil {
		f := o.form()
		in.PreChatForm = &f
	}
	for _, d := range b.WorkingHours {
		in.WorkingHours = append(in.WorkingHours, baton.WorkingHour{DayOfWeek: int(d.DayOfWeek),
			ClosedAllDay: bool(d.ClosedAllDay), OpenAllDay: bool(d.OpenAllDay), OpenHour: intOr0(d.OpenHour),
			OpenMinutes: intOr0(d.OpenMinutes), CloseHour: intOr0(d.CloseHour), CloseMinutes: intOr0(d.CloseMinutes)})
	}
	if c := b.AutoAssignmentConfig; c != nil {
		n := 0
		if c.MaxAssignmentLimit != nil {
			n = int(*c.MaxAssignmentLimit)
		}
		in.MaxAssignmentLimit = &n
	}
	switch b.Channel.Type {
	case "api":
		in.ChannelType = baton.ChannelAPI
	case "web_widget":
		in.ChannelType = baton.ChannelWebWidget
	}
	return in
}

// inboxJSON is an inbox as the Application API shows it.
type inboxJSON struct {
	ID                         int64               `json:"id"`
	AvatarURL                  string              `json:"avatar_url"`
	ChannelID                  int64               `json:"channel_id"`
	Name                       string              `json:"name"`
	ChannelType                string              `json:"channel_type"`
	GreetingEnabled            bool                `json:"greeting_enabled"`
	GreetingMessage            string              `json:"greeting_message"`
	WorkingHoursEnabled        bool                `json:"working_hours_enabled"`
	EnableEmailCollect         bool                `json:"enable_email_collect"`
	CSATSurveyEnabled          bool                `json:"csat_survey_enabled"`
	EnableAutoAssignment       bool                `json:"enable_auto_assignment"`
	OutOfOfficeMessage         string              `json:"out_of_office_message"`
	WorkingHours               []workingHourJSON   `json:"working_hours"`
	Timezone                   string              `json:"timezone"`
	AllowMessagesAfterResolved bool                `json:"allow_messages_after_resolved"`
	LockToSingleConversation   bool                `json:"lock_to_single_conversation"`
	AllowedDomains             any                 `json:"allowed_domains"`
	WidgetColor                any                 `json:"widget_color"`
	WebsiteURL                 string              `json:"website_url,omitempty"`
	WelcomeTitle               any                 `json:"welcome_title"`
	WelcomeTagline             any                 `json:"welcome_tagline"`
	WebWidgetScript            string              `json:"web_widget_script,omitempty"`
	WebsiteToken               string              `json:"website_token,omitempty"`
	HMACMandatory              bool                `json:"hmac_mandatory"`
	HMACToken                  string              `json:"hmac_token,omitempty"`
	WebhookURL                 *string             `json:"webhook_url,omitempty"`
	InboxIdentifier            string              `json:"inbox_identifier,omitempty"`
	SelectedFeatureFlags       []string            `json:"selected_feature_flags,omitempty"`
	PreChatFormEnabled         *bool               `json:"pre_chat_form_enabled,omitempty"`
	PreChatFormOptions         *preChatFormOptions `json:"pre_chat_form_options,omitempty"`
	AutoAssignmentConfig       map[string]any      `json:"auto_assignment_config"`
	// Beyond Chatwoot: the handoff's settings (docs/webhooks.md).
	BotRepliesWhenOpen      bool `json:"bot_replies_when_open"`
	CustomerCanRequestHuman bool `json:"customer_can_request_human"`
}

// inboxView shows an inbox; the HMAC token only to administrators. The web
// widget's allowed_domains, widget_color, welcome_title and welcome_tagline
// are null for other channels, as Chatwoot's channel.try has them.
func (h *Handler) inboxView(i *baton.Inbox, admin bool) inboxJSON {
	v := inboxJSON{ID: i.ID, ChannelID: i.ID, Name: i.Name, ChannelType: i.ChannelType,
		GreetingEnabled: i.GreetingEnabled, GreetingMessage: i.GreetingMessage, WorkingHoursEnabled: i.WorkingHoursEnabled,
		EnableEmailCollect: i.EnableEmailCollect, CSATSurveyEnabled: i.CSATSurveyEnabled,
		EnableAutoAssignment: i.EnableAutoAssignment, OutOfOfficeMessage: i.OutOfOfficeMessage, WorkingHours: workingHoursView(i.WorkingHours),
		Timezone: i.Timezone, AllowMessagesAfterResolved: i.AllowMessagesAfterResolved,
		LockToSingleConversation: i.LockToSingleConversation, HMACMandatory: i.HMACMandatory,
		AutoAssignmentConfig: map[string]any{}, BotRepliesWhenOpen: i.BotRepliesWhenOpen,
		CustomerCanRequestHuman: i.CustomerCanRequestHuman}
	if i.MaxAssignmentLimit > 0 {
		v.AutoAssignmentConfig["max_assignment_limit"] = i.MaxAssignmentLimit
	}
	if admin {
		v.HMACToken = i.HMACToken
	}
	switch {
	case i.IsAPI():
		url := i.WebhookURL
		v.WebhookURL, v.InboxIdentifier = &url, i.Identifier
	case i.IsWebWidget():
		v.WidgetColor, v.WebsiteURL, v.WebsiteToken = i.Color(), i.WebsiteURL, i.WebsiteToken
		v.WelcomeTitle, v.WelcomeTagline = i.WelcomeTitle, i.WelcomeTagline
		v.AllowedDomains = i.AllowedDomainsText()
		v.SelectedFeatureFlags = []string{}
		v.WebWidgetScript = baton.WidgetScript(h.publicURL(), i.WebsiteToken)
		enabled, form := i.PreChatFormEnabled, preChatFormView(i.PreChatForm)
		v.PreChatFormEnabled, v.PreChatFormOptions = &enabled, &form
	}
	return v
}

func (h *Handler) listInboxes(w http.ResponseWriter, r *http.Request) error {
	accountID, err := pathID(r, "account_id")
	if err != nil {
		return err
	}
	inboxes, err := h.app.Inboxes(r.Context(), accountID)
	if err != nil {
		return err
	}
	admin := h.app.IsAdmin(r.Context(), accountID)
	out := make([]inboxJSON, 0, len(inboxes))
	for _, i := range inboxes {
		out = append(out, h.inboxView(i, admin))
	}
	return ok(w, map[string]any{"payload": out})
}

func (h *Handler) createInbox(w http.ResponseWriter, r *http.Request) error {
	accountID, err := pathID(r, "account_id")
	if err != nil {
		return err
	}
	var body inboxRequest
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	i, err := h.app.CreateInbox(r.Context(), accountID, body.input())
	if err != nil {
		return err
	}
	return ok(w, h.inboxView(i, true))
}

func (h *Handler) showInbox(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := accountAndID(r)
	if err != nil {
		return err
	}
	i, err := h.app.Inbox(r.Context(), accountID, id)
	if err != nil {
		return err
	}
	return ok(w, h.inboxView(i, h.app.IsAdmin(r.Context(), accountID)))
}

func (h *Handler) updateInbox(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := accountAndID(r)
	if err != nil {
		return err
	}
	var body inboxRequest
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	i, err := h.app.UpdateInbox(r.Context(), accountID, id, body.input())
	if err != nil {
		return err
	}
	return ok(w, h.inboxView(i, true))
}

func (h *Handler) deleteInbox(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := accountAndID(r)
	if err != nil {
		return err
	}
	if err := h.app.DeleteInbox(r.Context(), accountID, id); err != nil {
		return err
	}
	return empty(w)
}

func accountAndID(r *http.Request) (int64, int64, error) {
	accountID, err := pathID(r, "account_id")
	if err != nil {
		return 0, 0, err
	}
	id, err := pathID(r, "id")
	return accountID, id, err
}

func (h *Handler) listInboxMembers(w http.ResponseWriter, r *http.Request) error {
	accountID, id, err := accountAndID(r)
	if err != nil {
		return err
	}
	aus, err := h.app.InboxMembers(r.Context(), accountID, id)
	if err != nil {
		return err
	}
	return ok(w, map[string]any{"payload": agentViews(aus)})
}

func agentViews(aus []*baton.AccountUser) []agentJSON {
	out := make([]agentJSON, 0, len(aus))
	for _, au := range aus {
		out = append(out, agentView(au))
	}
	return out
}

type inboxMembersRequest struct {
	InboxID flexInt   `json:"inbox_id"`
	UserIDs []flexInt `json:"user_ids"`
}

func (h *Handler) changeInboxMembers(how string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		accountID, err := pathID(r, "account_id")
		if err != nil {
			return err
		}
		var body inboxMembersRequest
		if err := h.decode(w, r, &body); err != nil {
			return err
		}
		if body.InboxID == 0 {
			return baton.Invalid("inbox_id is required", "inbox_id")
		}
		ids := make([]int64, 0, len(body.UserIDs))
		for _, id := range body.UserIDs {
			ids = append(ids, int64(id))
		}
		aus, err := h.app.ChangeInboxMembers(r.Context(), accountID, int64(body.InboxID), how, ids)
		if err != nil {
			return err
		}
		return ok(w, map[string]any{"payload": agentViews(aus)})
	}
}
