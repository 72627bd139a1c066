package chatwoot

import (
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/batonhq/baton/internal/app"
)

// The widget API, for web widget inboxes: ?website_token= names the inbox
// and the X-Auth-Token header (issued by POST /api/v1/widget/config) the
// visitor. JSON only; the widget page itself is served elsewhere.

// widgetConfigJSON is website_channel_config: Chatwoot's keys, with the
// inbox's greeting and e-mail collection settings the widget also needs.
type widgetConfigJSON struct {
	AllowMessagesAfterResolved bool           `json:"allow_messages_after_resolved"`
	APIHost                    string         `json:"api_host"`
	AuthToken                  string         `json:"auth_token"`
	AvatarURL                  string         `json:"avatar_url"`
	ChannelAvatarURL           string         `json:"channel_avatar_url"`
	CSATSurveyEnabled          bool           `json:"csat_survey_enabled"`
	DisableBranding            bool           `json:"disable_branding"`
	EnabledFeatures            []string       `json:"enabled_features"`
	EnableEmailCollect         bool           `json:"enable_email_collect"`
	GreetingEnabled            bool           `json:"greeting_enabled"`
	GreetingMessage            string         `json:"greeting_message"`
	Locale                     string         `json:"locale"`
	OutOfOfficeMessage         string         `json:"out_of_office_message"`
	Portal                     any            `json:"portal"`
	PreChatFormEnabled         bool           `json:"pre_chat_form_enabled"`
	PreChatFormOptions         map[string]any `json:"pre_chat_form_options"`
	ReplyTime                  string         `json:"reply_time"`
	Timezone                   string         `json:"timezone"`
	UTCOffset                  string         `json:"utc_off_set"`
	WebsiteName                string         `json:"website_name"`
	WebsiteToken               string         `json:"website_token"`
	WebsiteURL                 string         `json:"website_url"`
	WelcomeTagline             string         `json:"welcome_tagline"`
	WelcomeTitle               string         `json:"welcome_title"`
	WidgetColor                string         `json:"widget_color"`
	WorkingHours               []any          `json:"working_hours"`
	WorkingHoursEnabled        bool           `json:"working_hours_enabled"`
	AccountID                  int64          `json:"account_id"`
}

func (h *Handler) widgetConfigView(s *app.WidgetSession) map[string]any {
	i := s.Inbox
	locale := "en"
	if s.Account != nil && s.Account.Locale != "" {
		locale = s.Account.Locale
	}
	cfg := widgetConfigJSON{AllowMessagesAfterResolved: i.AllowMessagesAfterResolved, AuthToken: s.Token,
		CSATSurveyEnabled: i.CSATSurveyEnabled, EnabledFeatures: []string{}, EnableEmailCollect: i.EnableEmailCollect,
		GreetingEnabled: i.GreetingEnabled, GreetingMessage: i.GreetingMessage, Locale: locale,
		OutOfOfficeMessage: i.OutOfOfficeMessage, PreChatFormOptions: map[string]any{}, ReplyTime: "in_a_few_minutes",
		Timezone: i.Timezone, UTCOffset: utcOffset(i.Timezone), WebsiteName: i.Name, WebsiteToken: i.WebsiteToken,
		WebsiteURL: i.WebsiteURL, WelcomeTagline: i.WelcomeTagline, WelcomeTitle: i.WelcomeTitle,
		WidgetColor: i.WidgetColor, WorkingHours: []any{}, WorkingHoursEnabled: i.WorkingHoursEnabled, AccountID: i.AccountID}
	if h.publicURL != nil {
		cfg.APIHost = h.publicURL()
	}
	c := s.Contact
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
func utcOffset(zone string) string {
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "" {
		loc = time.UTC
	}
	return time.Now().In(loc).Format("-07:00")
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
	ms, err := h.app.WidgetMessages(r.Context(), before)
	if err != nil {
		return err
	}
	// A plain array, as Chatwoot's widget/messages/index.json.jbuilder.
	return ok(w, h.publicMessageViews(ms))
}

// widgetMessageRequest is a visitor's message.
type widgetMessageRequest struct {
	Message struct {
		Content    *string `json:"content"`
		EchoID     string  `json:"echo_id"`
		ReplyTo    flexInt `json:"reply_to"`
		RefererURL any     `json:"referer_url"`
		Timestamp  any     `json:"timestamp"`
	} `json:"message"`
}

func (h *Handler) widgetCreateMessage(w http.ResponseWriter, r *http.Request) error {
	var body widgetMessageRequest
	if err := h.decodeUpload(w, r, &body); err != nil {
		return err
	}
	files, closeFiles, err := uploadedFiles(r)
	if err != nil {
		return err
	}
	defer closeFiles()
	msg := body.Message
	// What Chatwoot records of the visit on a conversation the message starts.
	visit := map[string]any{"browser": parseUserAgent(r.Header.Get("User-Agent")), "referer": msg.RefererURL,
		"initiated_at": map[string]any{"timestamp": msg.Timestamp}}
	m, err := h.app.WidgetCreateMessage(r.Context(), app.WidgetMessageInput{
		Content: msg.Content, EchoID: msg.EchoID, ReplyTo: int64(msg.ReplyTo), Visit: visit, Files: files})
	if err != nil {
		return err
	}
	return ok(w, h.publicMessageView(m))
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
		code, _, _ := strings.Cut(tag, "-")
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
