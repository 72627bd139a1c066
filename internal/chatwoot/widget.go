package chatwoot

import (
	"encoding/json"
	"maps"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
)

// The widget API, for web widget inboxes: ?website_token= names the inbox
// and the X-Auth-Token header (issued by POST /api/v1/widget/config) the
// visitor. JSON only; the widget page itself is served elsewhere.

// widgetConfigJSON is website_channel_config: Chatwoot's keys, with the
// inbox's greeting and e-mail collection settings the widget also needs.
type widgetConfigJSON struct {
	AllowMessagesAfterResolved bool               `json:"allow_messages_after_resolved"`
	APIHost                    string             `json:"api_host"`
	AuthToken                  string             `json:"auth_token"`
	AvatarURL                  string             `json:"avatar_url"`
	ChannelAvatarURL           string             `json:"channel_avatar_url"`
	CSATSurveyEnabled          bool               `json:"csat_survey_enabled"`
	CustomerCanRequestHuman    bool               `json:"customer_can_request_human"`
	DisableBranding            bool               `json:"disable_branding"`
	EnabledFeatures            []string           `json:"enabled_features"`
	EnableEmailCollect         bool               `json:"enable_email_collect"`
	GreetingEnabled            bool               `json:"greeting_enabled"`
	GreetingMessage            string             `json:"greeting_message"`
	Locale                     string             `json:"locale"`
	OutOfOfficeMessage         string             `json:"out_of_office_message"`
	Portal                     any                `json:"portal"`
	PreChatFormEnabled         bool               `json:"pre_chat_form_enabled"`
	PreChatFormOptions         preChatFormOptions `json:"pre_chat_form_options"`
	ReplyTime                  string             `json:"reply_time"`
	Timezone                   string             `json:"timezone"`
	UTCOffset                  string             `json:"utc_off_set"`
	WebsiteName                string             `json:"website_name"`
	WebsiteToken               string             `json:"website_token"`
	WebsiteURL                 string             `json:"website_url"`
	WelcomeTagline             string             `json:"welcome_tagline"`
	WelcomeTitle               string             `json:"welcome_title"`
	WidgetColor                string             `json:"widget_color"`
	WorkingHours               []workingHourJSON  `json:"working_hours"`
	WorkingHoursEnabled        bool               `json:"working_hours_enabled"`
	// OutOfOffice, beyond Chatwoot, is whether the inbox is outside its
	// working hours now, by the server's clock: Chatwoot's widget works it
	// out from working_hours and utc_off_set with the visitor's clock.
	OutOfOffice bool  `json:"out_of_office"`
	AccountID   int64 `json:"account_id"`
}

func (h *Handler) widgetConfigView(s *app.WidgetSession) map[string]any {
	i := s.Inbox
	locale := "en"
	if s.Account != nil && s.Account.Locale != "" {
		locale = s.Account.Locale
	}
	now := h.app.Now()
	cfg := widgetConfigJSON{AllowMessagesAfterResolved: i.AllowMessagesAfterResolved, AuthToken: s.Token,
		CustomerCanRequestHuman: i.CustomerCanRequestHuman,
		CSATSurveyEnabled:       i.CSATSurveyEnabled, EnabledFeatures: []string{}, EnableEmailCollect: i.EnableEmailCollect,
		GreetingEnabled: i.GreetingEnabled, GreetingMessage: i.GreetingMessage, Locale: locale,
		OutOfOfficeMessage: i.OutOfOfficeMessage, PreChatFormEnabled: i.PreChatFormEnabled,
		PreChatFormOptions: preChatFormView(i.PreChatForm), ReplyTime: "in_a_few_minutes",
		Timezone: i.Timezone, UTCOffset: utcOffset(i.Timezone, now), WebsiteName: i.Name, WebsiteToken: i.WebsiteToken,
		WebsiteURL: i.WebsiteURL, WelcomeTagline: i.WelcomeTagline, WelcomeTitle: i.WelcomeTitle,
		WidgetColor: i.Color(), WorkingHours: workingHoursView(i.WorkingHours), WorkingHoursEnabled: i.WorkingHoursEnabled,
		OutOfOffice: i.OutOfOffice(now), AccountID: i.AccountID}
	if h.publicURL != nil {
		cfg.APIHost = h.publicURL()
	}
	c := s.Contact.AsSeenByItself()
	return map[string]any{"website_channel_config": cfg,
		"contact": map[string]any{"id": c.ID, "name": c.Name, "email": nilIfEmpty(c.Email),
			"phone_number": nilIfEmpty(c.PhoneNumber), "identifier": nilIfEmpty(c.Identifier),
			"pubsub_token": s.ContactInbox.PubsubToken},
		// Chatwoot has the token only in website_channel_config; a client
		// that is not the widget finds it here and in the header too.
		"auth_token": s.Token}
}

// utcOffset is the inbox time zone's offset now, as Rails formats it
// ("+05:30"); UTC when the zone is unknown.
func utcOffset(zone string, now time.Time) string {
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "" {
		loc = time.UTC
	}
	return now.In(loc).Format("-07:00")
}

func (h *Handler) widgetConfig(w http.ResponseWriter, r *http.Request) error {
	s, err := h.app.WidgetConfig(r.Context())
	if err != nil {
		return err
	}
	w.Header().Set("X-Auth-Token", s.Token)
	return ok(w, h.widgetConfigView(s))
}

// widgetEventRequest is an event the widget raises.
type widgetEventRequest struct {
	Name      string         `json:"name"`
	EventInfo map[string]any `json:"event_info"`
}

// widgetEvent raises the widget's event to the inbox's bot, with what the
// widget posted and, over it, what the server sees, as Chatwoot merges them.
func (h *Handler) widgetEvent(w http.ResponseWriter, r *http.Request) error {
	var body widgetEventRequest
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	info := map[string]any{}
	for k, v := range body.EventInfo {
		info[k] = v
	}
	info["widget_language"] = nilIfEmpty(r.URL.Query().Get("locale"))
	info["browser_language"] = nilIfEmpty(browserLanguage(r.Header.Get("Accept-Language")))
	info["browser"] = parseUserAgent(r.Header.Get("User-Agent"))
	if err := h.app.WidgetTriggered(r.Context(), body.Name, info); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) widgetListMessages(w http.ResponseWriter, r *http.Request) error {
	before, err := queryID(r, "before")
	if err != nil {
		return err
	}
	after, err := queryID(r, "after")
	if err != nil {
		return err
	}
	ms, c, err := h.app.WidgetMessages(r.Context(), before, after)
	if err != nil {
		return err
	}
	// As Chatwoot's widget/messages/index.json.jbuilder: meta is {} when
	// the visitor has no conversation.
	meta := map[string]any{}
	if c != nil {
		meta["contact_last_seen_at"] = unixOrZero(c.ContactLastSeenAt)
	}
	return ok(w, map[string]any{"payload": h.publicMessageViews(ms), "meta": meta})
}

// widgetMessageRequest is a visitor's message.
type widgetMessageRequest struct {
	Message struct {
		Content    *string `json:"content"`
		EchoID     string  `json:"echo_id"`
		ReplyTo    flexInt `json:"reply_to"`
		RefererURL any     `json:"referer_url"`
		Timestamp  any     `json:"timestamp"`
		// Timezone is Baton's widget's, beyond Chatwoot's: the browser's
		// IANA time zone (Chatwoot's server ignores the key).
		Timezone any `json:"timezone"`
	} `json:"message"`
}

func (h *Handler) widgetCreateMessage(w http.ResponseWriter, r *http.Request) error {
	var body widgetMessageRequest
	files, closeFiles, err := h.decodeWithFiles(w, r, &body)
	if err != nil {
		return err
	}
	defer closeFiles()
	msg := body.Message
	m, err := h.app.WidgetCreateMessage(r.Context(), app.WidgetMessageInput{Content: msg.Content, EchoID: msg.EchoID,
		ReplyTo: int64(msg.ReplyTo), Visit: visitAttributes(r, msg.RefererURL, msg.Timestamp, msg.Timezone), Files: files})
	if err != nil {
		return err
	}
	return ok(w, h.widgetCreatedMessageView(m))
}

// widgetCreatedMessageJSON is the visitor's new message as Chatwoot's
// widget messages/create.json.jbuilder shows it: unlike the list's items,
// with inbox_id, private and source_id. content_type and echo_id are
// Baton's, for its widget, which shows the message from this answer.
type widgetCreatedMessageJSON struct {
	ID                int64            `json:"id"`
	Content           *string          `json:"content"`
	InboxID           int64            `json:"inbox_id"`
	ConversationID    int64            `json:"conversation_id"`
	MessageType       int              `json:"message_type"`
	ContentType       string           `json:"content_type"`
	CreatedAt         int64            `json:"created_at"`
	Private           bool             `json:"private"`
	SourceID          any              `json:"source_id"`
	ContentAttributes map[string]any   `json:"content_attributes"`
	Attachments       []attachmentJSON `json:"attachments,omitempty"`
	Sender            any              `json:"sender,omitempty"`
	EchoID            string           `json:"echo_id,omitempty"`
}

func (h *Handler) widgetCreatedMessageView(m *baton.Message) widgetCreatedMessageJSON {
	attrs := map[string]any{"in_reply_to": nil} // Chatwoot's widget always sets it
	maps.Copy(attrs, m.ContentAttributes)
	return widgetCreatedMessageJSON{ID: m.ID, Content: m.Content, InboxID: m.InboxID, ConversationID: m.ConversationDisplayID,
		MessageType: int(m.MessageType), ContentType: m.ContentType.String(), CreatedAt: unix(m.CreatedAt), Private: m.Private,
		SourceID: nilIfEmpty(m.SourceID), ContentAttributes: attrs, Attachments: h.namedAttachmentViews(m.Attachments),
		Sender: h.senderPush(m.Sender), EchoID: m.EchoID}
}

// widgetAnswerRequest is a visitor's answer to an interactive message: the
// e-mail of an input_email in contact, any other answer in message.
type widgetAnswerRequest struct {
	Contact struct {
		Email string `json:"email"`
	} `json:"contact"`
	Message struct {
		SubmittedValues any `json:"submitted_values"`
	} `json:"message"`
}

func (h *Handler) widgetUpdateMessage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var body widgetAnswerRequest
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	m, err := h.app.WidgetAnswer(r.Context(), id, app.Answer{
		SubmittedValues: body.Message.SubmittedValues, SubmittedEmail: body.Contact.Email})
	if err != nil {
		return err
	}
	return ok(w, h.publicMessageView(m))
}

// visitAttributes is what Chatwoot records of the visit as the
// additional_attributes of a conversation the widget starts: the browser,
// its language, the page and the visitor's clock, as the widget sent them.
// Beyond Chatwoot, timezone: the browser's IANA time zone when the widget
// sent one this server knows (anything else is left out, not refused: the
// message matters more), for the visitor's local time in the agent app.
func visitAttributes(r *http.Request, referer, timestamp, zone any) map[string]any {
	v := map[string]any{"browser": parseUserAgent(r.Header.Get("User-Agent")),
		"browser_language": nilIfEmpty(browserLanguage(r.Header.Get("Accept-Language"))),
		"referer":          referer, "initiated_at": map[string]any{"timestamp": timestamp}}
	if name, ok := zone.(string); ok {
		if _, known := baton.TimeZone(name); known {
			v["timezone"] = name
		}
	}
	return v
}

// browserLanguage is the language code of the most preferred language of
// an Accept-Language header ("en" of "en-US,en;q=0.9"), as Chatwoot's
// browser gem reports it; "" when there is none.
func browserLanguage(header string) string {
	type lang struct {
		code string
		q    float64
	}
	var langs []lang
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		tag = strings.TrimSpace(tag)
		if tag == "" || tag == "*" {
			continue
		}
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		// A language is letters, 2 to 8 of them (BCP 47's primary subtag);
		// anything else a client sends is not stored.
		code, _, _ := strings.Cut(tag, "-")
		if len(code) < 2 || len(code) > 8 || strings.IndexFunc(code, func(r rune) bool {
			return (r < 'a' || r > 'z') && (r < 'A' || r > 'Z')
		}) >= 0 {
			continue
		}
		langs = append(langs, lang{strings.ToLower(code), q})
	}
	sort.SliceStable(langs, func(i, j int) bool { return langs[i].q > langs[j].q })
	if len(langs) == 0 || langs[0].q <= 0 {
		return ""
	}
	return langs[0].code
}

// The browsers and platforms parseUserAgent knows, most specific first:
// Edge and Chrome on iOS say "Safari" too, iPads say "Mac OS X".
var (
	browserPatterns = []struct {
		name string
		re   *regexp.Regexp
	}{
		{"Microsoft Edge", regexp.MustCompile(`\bEdg(?:e|A|iOS)?/([\d.]+)`)},
		{"Firefox", regexp.MustCompile(`\b(?:Firefox|FxiOS)/([\d.]+)`)},
		{"Chrome", regexp.MustCompile(`\b(?:Chrome|CriOS)/([\d.]+)`)},
		{"Safari", regexp.MustCompile(`\bVersion/([\d.]+).*\bSafari/`)},
	}
	platformPatterns = []struct {
		name string
		re   *regexp.Regexp
	}{
		{"iOS", regexp.MustCompile(`\b(?:iPhone|iPad|iPod)\b.*?\bOS ([\d_]+)`)},
		{"Android", regexp.MustCompile(`\bAndroid ?([\d.]*)`)},
		{"Windows", regexp.MustCompile(`\bWindows NT ([\d.]+)`)},
		{"macOS", regexp.MustCompile(`\bMac OS X ?([\d_.]*)`)},
		{"Linux", regexp.MustCompile(`\b(?:Linux|X11)()`)},
	}
	devicePattern = regexp.MustCompile(`\b(iPhone|iPad|iPod)\b`)
)

// parseUserAgent describes a browser as Chatwoot's event_info.browser and
// conversation additional_attributes.browser do. It knows the common
// browsers and platforms; anything else is reported as unknown, with
// version "0" as the browser gem has it.
func parseUserAgent(ua string) map[string]any {
	out := map[string]any{"browser_name": "Unknown Browser", "browser_version": "0", "device_name": "Unknown",
		"platform_name": "Unknown", "platform_version": "0"}
	for _, p := range browserPatterns {
		if m := p.re.FindStringSubmatch(ua); m != nil {
			out["browser_name"], out["browser_version"] = p.name, m[1]
			break
		}
	}
	for _, p := range platformPatterns {
		if m := p.re.FindStringSubmatch(ua); m != nil {
			version := strings.ReplaceAll(m[1], "_", ".")
			if version == "" {
				version = "0"
			}
			out["platform_name"], out["platform_version"] = p.name, version
			break
		}
	}
	if m := devicePattern.FindStringSubmatch(ua); m != nil {
		out["device_name"] = m[1]
	}
	return out
}

// widgetContactJSON is the visitor as GET /api/v1/widget/contact shows it:
// Chatwoot's flags, not the data itself.
type widgetContactJSON struct {
	ID              int64  `json:"id"`
	HasEmail        bool   `json:"has_email"`
	HasName         bool   `json:"has_name"`
	HasPhoneNumber  bool   `json:"has_phone_number"`
	Identifier      any    `json:"identifier"`
	WidgetAuthToken string `json:"widget_auth_token,omitempty"`
}

func widgetContactView(s *app.WidgetSession) widgetContactJSON {
	c := s.Contact.AsSeenByItself()
	return widgetContactJSON{ID: c.ID, HasEmail: c.Email != "", HasName: c.Name != "",
		HasPhoneNumber: c.PhoneNumber != "", Identifier: nilIfEmpty(c.Identifier), WidgetAuthToken: s.Token}
}

func (h *Handler) widgetShowContact(w http.ResponseWriter, r *http.Request) error {
	s, err := h.app.WidgetContact(r.Context())
	if err != nil {
		return err
	}
	return ok(w, widgetContactView(s))
}

// widgetContactRequest is PATCH contact and contact/set_user: setUser's
// fields, with the company details Chatwoot's SDK sends as additional
// attributes.
type widgetContactRequest struct {
	Identifier           *flexString    `json:"identifier"`
	IdentifierHash       string         `json:"identifier_hash"`
	Email                *string        `json:"email"`
	Name                 *string        `json:"name"`
	PhoneNumber          *string        `json:"phone_number"`
	AvatarURL            string         `json:"avatar_url"`
	CustomAttributes     map[string]any `json:"custom_attributes"`
	AdditionalAttributes map[string]any `json:"additional_attributes"`
}

func (h *Handler) widgetUpdateContact(w http.ResponseWriter, r *http.Request) error {
	var body widgetContactRequest
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	in := app.WidgetContactInput{AvatarURL: body.AvatarURL}
	in.IdentifierHash = body.IdentifierHash
	if body.Identifier != nil {
		id := string(*body.Identifier)
		in.Identifier = &id
	}
	// Blank values leave the contact's as they are, as Chatwoot's identify.
	in.Email, in.Name, in.PhoneNumber = nonBlank(body.Email), nonBlank(body.Name), nonBlank(body.PhoneNumber)
	in.CustomAttributes, in.AdditionalAttributes = body.CustomAttributes, body.AdditionalAttributes
	s, err := h.app.WidgetUpdateContact(r.Context(), in)
	if err != nil {
		return err
	}
	return ok(w, widgetContactView(s))
}

func nonBlank(s *string) *string {
	if s == nil || strings.TrimSpace(*s) == "" {
		return nil
	}
	return s
}

func (h *Handler) widgetDestroyContactAttributes(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		CustomAttributes []string `json:"custom_attributes"`
	}
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	s, err := h.app.WidgetUpdateContact(r.Context(), app.WidgetContactInput{DeleteCustomAttributes: body.CustomAttributes})
	if err != nil {
		return err
	}
	return ok(w, widgetContactView(s))
}

// widgetConversationView is GET /api/v1/widget/conversations: Chatwoot's
// four keys, and, beyond Chatwoot, who has the conversation, so that the
// widget can say whether the customer talks to the bot or to a person.
func (h *Handler) widgetConversationView(c *baton.Conversation) map[string]any {
	if c == nil {
		return map[string]any{}
	}
	v := map[string]any{"id": c.DisplayID, "inbox_id": c.InboxID,
		"contact_last_seen_at": unixOrZero(c.ContactLastSeenAt), "status": c.Status.String(),
		"custom_attributes": objectOrEmpty(c.CustomAttributes), "labels": stringsOrEmpty(c.Labels),
		"assignee": nil, "agent_bot": nil}
	if u := c.Assignee; u != nil {
		v["assignee"] = map[string]any{"name": u.AvailableName()}
	}
	if b := c.AssigneeBot; b != nil {
		v["agent_bot"] = map[string]any{"name": b.Name}
	}
	return v
}

func stringsOrEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (h *Handler) widgetShowConversation(w http.ResponseWriter, r *http.Request) error {
	_, c, online, err := h.app.WidgetConversation(r.Context())
	if err != nil {
		return err
	}
	v := h.widgetConversationView(c)
	if c != nil {
		// Beyond Chatwoot: whether a person of the inbox is online now.
		v["people_online"] = online
	}
	return ok(w, v)
}

// widgetCreateConversation starts a new conversation with its first
// message: the pre-chat form's submit and "start a new conversation". The
// form's answers are checked against the inbox's pre-chat form and written
// to the contact and the conversation with the message, or none is.
func (h *Handler) widgetCreateConversation(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Contact struct {
			Name        *string `json:"name"`
			Email       *string `json:"email"`
			PhoneNumber *string `json:"phone_number"`
			// Beyond Chatwoot, whose widget sends them first with PATCH
			// contact: the form's contact attributes, so that the form is
			// written all or nothing.
			CustomAttributes map[string]any `json:"custom_attributes"`
		} `json:"contact"`
		Message struct {
			Content    *string `json:"content"`
			RefererURL any     `json:"referer_url"`
			Timestamp  any     `json:"timestamp"`
			Timezone   any     `json:"timezone"` // Baton's widget's, as for a message
		} `json:"message"`
		CustomAttributes map[string]any `json:"custom_attributes"`
	}
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	ct := body.Contact
	pre := &app.PreChatAnswers{Name: nonBlank(ct.Name), Email: nonBlank(ct.Email), PhoneNumber: nonBlank(ct.PhoneNumber),
		ContactAttributes: ct.CustomAttributes, ConversationAttributes: body.CustomAttributes}
	m, err := h.app.WidgetCreateMessage(r.Context(), app.WidgetMessageInput{Content: body.Message.Content,
		Visit: visitAttributes(r, body.Message.RefererURL, body.Message.Timestamp, body.Message.Timezone), NewConversation: true, PreChat: pre})
	if err != nil {
		return err
	}
	_, c, online, err := h.app.WidgetConversationOf(r.Context(), m.ConversationID)
	if err != nil {
		return err
	}
	v := h.widgetConversationView(c)
	v["people_online"] = online
	v["messages"] = []publicMessageJSON{h.publicMessageView(m)}
	return ok(w, v)
}

// widgetToggleStatus is the widget's "End conversation" (GET, as Chatwoot's
// widget calls it, or POST without a status) and, beyond Chatwoot, its
// "Talk to a person": POST with {"status": "open"}.
func (h *Handler) widgetToggleStatus(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Status string `json:"status"`
	}
	if r.Method == http.MethodPost && r.ContentLength != 0 {
		if err := h.decode(w, r, &body); err != nil {
			return err
		}
	}
	var c *baton.Conversation
	var err error
	switch body.Status {
	case "", "resolved":
		c, err = h.app.WidgetResolve(r.Context())
	case "open":
		c, err = h.app.WidgetRequestHuman(r.Context())
	default:
		err = baton.Invalid("status must be resolved or open", "status")
	}
	if err != nil {
		return err
	}
	return ok(w, h.widgetConversationView(c))
}

func (h *Handler) widgetToggleTyping(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		TypingStatus string `json:"typing_status"`
	}
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	if err := h.app.WidgetTyping(r.Context(), body.TypingStatus); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (h *Handler) widgetUpdateLastSeen(w http.ResponseWriter, r *http.Request) error {
	if err := h.app.WidgetUpdateLastSeen(r.Context()); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (h *Handler) widgetSetConversationAttributes(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		CustomAttributes map[string]any `json:"custom_attributes"`
	}
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	if _, err := h.app.WidgetConversationAttributes(r.Context(), body.CustomAttributes, nil); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) widgetDestroyConversationAttributes(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		CustomAttribute []string `json:"custom_attribute"`
	}
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	c, err := h.app.WidgetConversationAttributes(r.Context(), nil, body.CustomAttribute)
	if err != nil {
		return err
	}
	return ok(w, h.widgetConversationView(c))
}

func (h *Handler) widgetAddLabel(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Label string `json:"label"`
	}
	if err := h.decode(w, r, &body); err != nil {
		return err
	}
	if _, err := h.app.WidgetLabel(r.Context(), body.Label, true); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) widgetRemoveLabel(w http.ResponseWriter, r *http.Request) error {
	if _, err := h.app.WidgetLabel(r.Context(), r.PathValue("label"), false); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// flexString is a string that a client may send as a JSON number too:
// setUser's identifier is either.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return typeError(b, "")
	}
	*f = flexString(n.String())
	return nil
}

// widgetInboxMembers is the team the widget shows: Chatwoot's four keys
// of each member of the inbox, nothing more (no e-mail).
func (h *Handler) widgetInboxMembers(w http.ResponseWriter, r *http.Request) error {
	aus, err := h.app.WidgetInboxMembers(r.Context())
	if err != nil {
		return err
	}
	out := make([]map[string]any, 0, len(aus))
	for _, au := range aus {
		out = append(out, map[string]any{"id": au.User.ID, "name": au.User.AvailableName(), "avatar_url": "",
			"availability_status": au.AvailabilityStatus().String()})
	}
	return ok(w, map[string]any{"payload": out})
}

// widgetCampaigns answers Chatwoot's widget that there are no campaigns:
// Baton has none, as Chatwoot answers without its campaigns feature. The
// token is still checked, so an unknown one is 404.
func (h *Handler) widgetCampaigns(w http.ResponseWriter, r *http.Request) error {
	if _, err := h.app.WidgetInbox(r.Context()); err != nil {
		return err
	}
	return ok(w, []any{})
}
