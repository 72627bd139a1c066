package baton

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Channel types, as Chatwoot names them on the wire.
const (
	ChannelAPI       = "Channel::Api"
	ChannelWebWidget = "Channel::WebWidget"
)

// Inbox is where conversations arrive: an API channel, which customers'
// own code reaches through the public client API, or a web widget.
// Baton keeps the channel's settings on the inbox itself.
type Inbox struct {
	ID          int64
	AccountID   int64
	Name        string
	ChannelType string

	// Identifier is the API channel's public identifier, used in
	// /public/api/v1/inboxes/:inbox_identifier.
	Identifier    string
	HMACToken     string
	HMACMandatory bool
	WebhookURL    string

	// WebsiteToken identifies a web widget inbox to the widget API.
	WebsiteToken   string
	WebsiteURL     string
	WidgetColor    string
	WelcomeTitle   string
	WelcomeTagline string
	// AllowedDomains are the sites that may frame the web widget (its
	// /widget page), each a host source of a Content-Security-Policy
	// (ParseAllowedDomains); none lets any site frame it, as Chatwoot's
	// blank allowed_domains does.
	AllowedDomains []string

	GreetingEnabled            bool
	GreetingMessage            string
	EnableEmailCollect         bool
	CSATSurveyEnabled          bool
	AllowMessagesAfterResolved bool
	LockToSingleConversation   bool
	EnableAutoAssignment       bool
	WorkingHoursEnabled        bool
	OutOfOfficeMessage         string
	Timezone                   string
	// WorkingHours is the weekly schedule, one entry a day (Sunday is 0),
	// that WorkingHoursEnabled turns on.
	WorkingHours []WorkingHour

	// PreChatFormEnabled shows the web widget's pre-chat form, whose
	// fields PreChatForm holds.
	PreChatFormEnabled bool
	PreChatForm        PreChatForm

	// BotRepliesWhenOpen lets bots write publicly into conversations that
	// are people's (Chatwoot's behaviour); by default they may only leave
	// private notes there.
	BotRepliesWhenOpen bool
	// CustomerCanRequestHuman lets the customer hand a pending
	// conversation to people.
	CustomerCanRequestHuman bool
	// MaxAssignmentLimit caps the open conversations auto assignment gives
	// one agent in the inbox; 0 is no cap.
	MaxAssignmentLimit int

	CreatedAt time.Time
	UpdatedAt time.Time
}

// IsAPI reports whether the inbox is an API channel.
func (i *Inbox) IsAPI() bool { return i.ChannelType == ChannelAPI }

// IsWebWidget reports whether the inbox is a web widget.
func (i *Inbox) IsWebWidget() bool { return i.ChannelType == ChannelWebWidget }

// Bounds of a web widget's allowed domains. They are sent in a header of
// every widget page, and proxies refuse an answer whose headers outgrow
// their buffer (nginx's is 4 KiB by default).
const (
	MaxAllowedDomains      = 50
	MaxAllowedDomainsChars = 2000
)

// allowedDomain is a host source of CSP Level 3 without a path: an optional
// scheme, a host (a name, "*." and a name, or "*"), an optional port (digits
// or "*"). Nothing else may reach the header: no quote, semicolon, comma,
// space or control character.
var allowedDomain = regexp.MustCompile(`^(?:[A-Za-z][A-Za-z0-9+.-]*://)?` +
	`(?:\*|(?:\*\.)?[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.?)(?::(\*|[0-9]{1,5}))?$`)

// ParseAllowedDomains reads a web widget's allowed domains as Chatwoot's
// allowed_domains holds them: entries separated by commas, each trimmed,
// blank ones skipped ("*.acme.test, acme.test"). Each entry is a host
// source of a Content-Security-Policy: a host or "*." and a host, with an
// optional scheme and port ("https://shop.acme.test:8443"); a final "/" is
// dropped. Anything else, more than MaxAllowedDomains entries or more than
// MaxAllowedDomainsChars characters, is an EINVALID error on
// allowed_domains that says which.
func ParseAllowedDomains(s string) ([]string, error) {
	if len(s) > MaxAllowedDomainsChars {
		return nil, Invalid(fmt.Sprintf("Allowed domains is too long (maximum is %d characters)", MaxAllowedDomainsChars), "allowed_domains")
	}
	var out []string
	for _, d := range strings.Split(s, ",") {
		d = strings.TrimSpace(d)
		if d == "" {
			continue
		}
		host := strings.TrimSuffix(d, "/")
		m := allowedDomain.FindStringSubmatch(host)
		if m != nil && m[1] != "" && m[1] != "*" {
			if port, _ := strconv.Atoi(m[1]); port < 1 || port > 65535 {
				m = nil
			}
		}
		if m == nil {
			shown := d
			if len(shown) > 64 {
				shown = shown[:64] + "…"
			}
			return nil, Invalid(fmt.Sprintf("Allowed domains has %q, which is not a domain: write a host such as "+
				"acme.test or *.acme.test, optionally with a scheme (https://) and a port (:8443), and separate "+
				"domains with commas", shown), "allowed_domains")
		}
		out = append(out, host)
	}
	if len(out) > MaxAllowedDomains {
		return nil, Invalid(fmt.Sprintf("Allowed domains has %d domains (maximum is %d)", len(out), MaxAllowedDomains), "allowed_domains")
	}
	return out, nil
}

// AllowedDomainsText is the inbox's allowed domains as Chatwoot's
// allowed_domains shows them: separated by commas, "" for none.
func (i *Inbox) AllowedDomainsText() string { return strings.Join(i.AllowedDomains, ", ") }

// DefaultWidgetColor is a web widget's colour when none is set, Chatwoot's.
const DefaultWidgetColor = "#1f93ff"

// Color is the web widget's colour: WidgetColor, or DefaultWidgetColor for
// an inbox that has none (made without one before it was defaulted).
func (i *Inbox) Color() string {
	if i.WidgetColor == "" {
		return DefaultWidgetColor
	}
	return i.WidgetColor
}

// WidgetScript is the script a site pastes to show the web widget of the
// inbox whose website token it is, served from baseURL: Chatwoot's snippet,
// which loads baseURL's /packs/js/sdk.js and runs it.
func WidgetScript(baseURL, websiteToken string) string {
	u, _ := json.Marshal(baseURL)
	t, _ := json.Marshal(websiteToken)
	return fmt.Sprintf(`<script>
  (function(d,t) {
    var BASE_URL=%s;
    var g=d.createElement(t),s=d.getElementsByTagName(t)[0];
    g.src=BASE_URL+"/packs/js/sdk.js";
    g.async=true;
    s.parentNode.insertBefore(g,s);
    g.onload=function(){
      window.chatwootSDK.run({
        websiteToken: %s,
        baseUrl: BASE_URL
      })
    }
  })(document,"script");
</script>`, u, t)
}

// WorkingHour is one day of an inbox's weekly schedule, as Chatwoot keeps
// it: closed all day, open all day, or open from OpenHour:OpenMinutes to
// CloseHour:CloseMinutes in the inbox's time zone.
type WorkingHour struct {
	DayOfWeek    int // 0 is Sunday
	ClosedAllDay bool
	OpenAllDay   bool
	OpenHour     int
	OpenMinutes  int
	CloseHour    int
	CloseMinutes int
}

// DefaultWorkingHours is the schedule a new inbox gets, Chatwoot's:
// Monday to Friday 09:00 to 17:00, closed at the weekend.
func DefaultWorkingHours() []WorkingHour {
	out := make([]WorkingHour, 7)
	for d := range out {
		out[d] = WorkingHour{DayOfWeek: d, OpenHour: 9, CloseHour: 17}
		if d == 0 || d == 6 {
			out[d] = WorkingHour{DayOfWeek: d, ClosedAllDay: true}
		}
	}
	return out
}

// WorkingTime is how much of [from, to) falls within the inbox's working
// hours, in its time zone (summer time included): all of it when working
// hours are off. A day the schedule does not list, or whose hours close
// before they open, is closed; an unknown time zone is taken as UTC, as
// OutOfOffice does.
func (i *Inbox) WorkingTime(from, to time.Time) time.Duration {
	if !to.After(from) {
		return 0
	}
	if !i.WorkingHoursEnabled {
		return to.Sub(from)
	}
	loc, err := time.LoadLocation(i.Timezone)
	if err != nil || i.Timezone == "" {
		loc = time.UTC
	}
	days := map[time.Weekday]WorkingHour{}
	for _, d := range i.WorkingHours {
		if d.DayOfWeek >= 0 && d.DayOfWeek <= 6 {
			days[time.Weekday(d.DayOfWeek)] = d
		}
	}
	var total time.Duration
	f := from.In(loc)
	for day := time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, loc); day.Before(to); day = day.AddDate(0, 0, 1) {
		d, ok := days[day.Weekday()]
		if !ok || d.ClosedAllDay {
			continue
		}
		open, close := day, day.AddDate(0, 0, 1)
		if !d.OpenAllDay {
			y, m, n := day.Date()
			open = time.Date(y, m, n, d.OpenHour, d.OpenMinutes, 0, 0, loc)
			close = time.Date(y, m, n, d.CloseHour, d.CloseMinutes, 0, 0, loc)
		}
		if open.Before(from) {
			open = from
		}
		if close.After(to) {
			close = to
		}
		if close.After(open) {
			total += close.Sub(open)
		}
	}
	return total
}

// OutOfOffice reports whether t falls outside the inbox's working hours:
// never when working hours are off. A day the schedule does not list is
// closed, as Chatwoot treats a day without its row. An unknown time zone is
// taken as UTC.
func (i *Inbox) OutOfOffice(t time.Time) bool {
	if !i.WorkingHoursEnabled {
		return false
	}
	loc, err := time.LoadLocation(i.Timezone)
	if err != nil || i.Timezone == "" {
		loc = time.UTC
	}
	t = t.In(loc)
	for _, d := range i.WorkingHours {
		if d.DayOfWeek != int(t.Weekday()) {
			continue
		}
		if d.ClosedAllDay {
			return true
		}
		if d.OpenAllDay {
			return false
		}
		m := t.Hour()*60 + t.Minute()
		return m < d.OpenHour*60+d.OpenMinutes || m >= d.CloseHour*60+d.CloseMinutes
	}
	return true
}

// PreChatForm is what the web widget asks a visitor before their first
// message: Chatwoot's pre_chat_form_options.
type PreChatForm struct {
	Message string // shown above the fields
	Fields  []PreChatField
}

// Where a pre-chat field's answer goes.
const (
	// PreChatStandard fields are the contact's own: PreChatEmail,
	// PreChatName or PreChatPhone.
	PreChatStandard = "standard"
	// PreChatContactAttribute fields set a custom attribute of the contact.
	PreChatContactAttribute = "contact_attribute"
	// PreChatConversationAttribute fields set a custom attribute of the
	// conversation the form starts.
	PreChatConversationAttribute = "conversation_attribute"
)

// The names of the standard pre-chat fields, Chatwoot's.
const (
	PreChatEmail = "emailAddress"
	PreChatName  = "fullName"
	PreChatPhone = "phoneNumber"
)

// PreChatField is one question of the pre-chat form.
type PreChatField struct {
	Name        string // the attribute key, or a standard field's name
	Label       string
	Type        string // text, email, number, phone, date, link, list, checkbox
	FieldType   string // PreChatStandard, PreChatContactAttribute or PreChatConversationAttribute
	Required    bool
	Enabled     bool
	Placeholder string
	Values      []string // a list's choices
	// RegexPattern, when set, is what a text answer must match, and
	// RegexCue what the visitor is told when it does not.
	RegexPattern string
	RegexCue     string
}

// PreChatFieldTypes are the answer types a pre-chat field may have.
var PreChatFieldTypes = []string{"text", "email", "number", "phone", "date", "link", "list", "checkbox"}

// DefaultPreChatForm is the form an inbox has until one is set, Chatwoot's:
// e-mail, name and phone, all off.
func DefaultPreChatForm() PreChatForm {
	return PreChatForm{Message: "Share your queries or comments here.", Fields: []PreChatField{
		{Name: PreChatEmail, Label: "Email Id", Type: "email", FieldType: PreChatStandard, Required: true},
		{Name: PreChatName, Label: "Full name", Type: "text", FieldType: PreChatStandard},
		{Name: PreChatPhone, Label: "Phone number", Type: "text", FieldType: PreChatStandard},
	}}
}

// EnabledFields are the fields the form shows.
func (f PreChatForm) EnabledFields() []PreChatField {
	var out []PreChatField
	for _, x := range f.Fields {
		if x.Enabled {
			out = append(out, x)
		}
	}
	return out
}
