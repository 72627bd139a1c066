package agent

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
)

// transcriptPages is how many pages of messages (of the app's 20) the
// conversation page shows at first; older ones load on scroll.
const transcriptPages = 3

// item is one entry of a transcript, as the page shows it.
type item struct {
	ID          int64
	Kind        string // customer, bot, person, activity
	Private     bool
	Sender      string
	BotID       int64 // the bot that sent it, for bots' messages
	UserID      int64 // the person who wrote it, for people's messages
	System      bool  // Baton's own message to the customer
	Text        string
	Blocks      []block // Text as the customer's widget shows it
	Time        time.Time
	ContentType string
	Choices     []string      // input_select: what the customer was offered
	Cards       []cardView    // cards: the cards the customer saw
	Articles    []articleView // article: the articles the customer was pointed to
	Fields      []fieldView   // form: what the form asked
	Asks        string        // input_email, input_csat: what the customer was asked for
	Answer      string        // what they answered
	Attachments []attachmentView
	Deleted     bool
	// UnreadStart, on the first message the person had not seen when the
	// page opened, says how many there are: the transcript marks where
	// they begin.
	UnreadStart string
}

// cardView is one card of a cards message, as the customer saw it.
type cardView struct {
	Title       string
	Description string
	Image       string // media_url, only when it is an http(s) URL
	Actions     []actionView
}

// actionView is a card's button. Only an http(s) link becomes a link in the
// page; any other uri (mailto:, tel:, or a javascript: stored before Baton
// checked links) is shown as text.
type actionView struct {
	Text    string
	URL     string // the link's http(s) uri
	Target  string // the uri as text, when it is not http(s)
	Payload string // a postback's payload
}

// articleView is one item of an article message.
type articleView struct {
	Title       string
	Description string
	URL         string // link, only when it is an http(s) URL
	Target      string // link as text, when it is not
}

// fieldView is one field of a form message, with the customer's answer.
type fieldView struct {
	Label    string
	Name     string
	Type     string
	Required bool
	Options  []string
	Value    string
	Answered bool
}

type attachmentView struct {
	Name    string
	URL     string
	IsImage bool
}

// handoffCard is what a person needs when a bot hands over.
type handoffCard struct {
	Title   string // who handed over, or asked
	Bot     string
	Reason  string
	Summary string
	At      time.Time
	Notes   []string
}

type conversationPage struct {
	base
	DisplayID int64
	URL       string
	Status    string
	Owner     string
	OwnerKind string
	OwnerKey  string // app.OwnerKey: the page's poll and its take over compare it
	Priority  string
	Labels    string
	LabelList []string
	// WaitingSince is when the customer's oldest message nobody has
	// answered came, while the conversation is not resolved.
	WaitingSince *time.Time
	Inbox        string
	Contact      *baton.Contact
	Name         string
	Attributes   []keyValue // the contact's custom attributes
	// ConvAttributes are the conversation's custom attributes: what the bot
	// or the pre-chat form collected (an order number, a plan).
	ConvAttributes []keyValue
	// ConvFields are the account's conversation attributes, as the side
	// panel's form edits them; ExtraAttributes the conversation's others,
	// which no definition names, shown as they are.
	ConvFields      []attributeField
	ExtraAttributes []keyValue
	Earlier         []row
	Items           []item
	OldestID        int64
	NewestID        int64
	HasOlder        bool
	Handoff         *handoffCard
	Agents          []*baton.AccountUser
	AssigneeID      int64
	Teams           []*baton.Team
	TeamID          int64
	BotOwned        bool
	OthersName      string // the person who has it, when that is someone else
	Resolved        bool
	Snoozed         bool
	// SnoozedUntil is when a snoozed conversation wakes; nil, when the
	// customer replies.
	SnoozedUntil *time.Time
	Priorities   []string
	Viewers      string // the others viewing the conversation
	// ContactClock is the contact's local time, when it is known.
	ContactClock *contactClock
}

// contactClock is a contact's local time as the contact panel shows it:
// now in the contact's zone, which the page's script keeps current.
type contactClock struct {
	Text   string // now there, "Mon 15:04", until the script writes it in the reader's style
	Zone   string // the zone's IANA name; "" when only its offset is known
	Offset int    // minutes east of UTC, when only that is known
	Source string // where it comes from: the zone's name, or the browser's offset and zone
}

// browserClock finds the UTC offset, and the zone's name when it says
// one, in a browser's clock as Date.toString writes it, which Chatwoot's
// widget sends as initiated_at.timestamp: "Fri Sep 19 2025 10:00:00
// GMT+0200 (CEST)".
var browserClock = regexp.MustCompile(`GMT([+-])(\d{2})(\d{2})(?: \(([^()]{1,60})\))?`)

// contactClockOf is the contact's local time now: in the zone of the
// contact's additional_attributes.timezone (an IANA name) when it names
// one this server knows; else in the zone of the browser the conversation
// began in (the conversation's additional_attributes.timezone, which
// Baton's widget sends); else at the offset of that browser's clock (its
// initiated_at.timestamp, which Chatwoot's widget sends too; c may be
// nil); nil when none says.
func contactClockOf(now time.Time, contact *baton.Contact, c *baton.Conversation) *contactClock {
	if contact != nil {
		if name, _ := contact.AdditionalAttributes["timezone"].(string); name != "" {
			if loc, ok := baton.TimeZone(name); ok {
				return &contactClock{Text: now.In(loc).Format("Mon 15:04"), Zone: name, Source: name}
			}
		}
	}
	if c == nil {
		return nil
	}
	if name, _ := c.AdditionalAttributes["timezone"].(string); name != "" {
		if loc, ok := baton.TimeZone(name); ok {
			return &contactClock{Text: now.In(loc).Format("Mon 15:04"), Zone: name, Source: name + ", from their browser"}
		}
	}
	initiated, _ := c.AdditionalAttributes["initiated_at"].(map[string]any)
	stamp, _ := initiated["timestamp"].(string)
	m := browserClock.FindStringSubmatch(stamp)
	if m == nil {
		return nil
	}
	hours, _ := strconv.Atoi(m[2])
	minutes, _ := strconv.Atoi(m[3])
	offset := hours*60 + minutes
	if m[1] == "-" {
		offset = -offset
	}
	if minutes > 59 || offset > 14*60 || offset < -12*60 {
		return nil
	}
	source := fmt.Sprintf("GMT%s%s:%s", m[1], m[2], m[3])
	if m[4] != "" {
		source += " (" + m[4] + ")"
	}
	source += ", from their browser"
	return &contactClock{Text: now.In(time.FixedZone("", offset*60)).Format("Mon 15:04"), Offset: offset, Source: source}
}

type keyValue struct{ Key, Value string }

// transcript turns messages into items.
func (h *Handler) transcript(ms []*baton.Message) []item {
	out := make([]item, 0, len(ms))
	for _, m := range ms {
		it := item{ID: m.ID, Kind: senderKind(m), Private: m.Private, Time: m.CreatedAt,
			ContentType: m.ContentType.String()}
		if m.Content != nil {
			it.Text = *m.Content
		}
		if m.Sender != nil {
			switch {
			case m.Sender.Contact != nil:
				it.Sender = contactName(m.Sender.Contact)
			case m.Sender.User != nil:
				it.Sender, it.UserID = m.Sender.User.AvailableName(), m.Sender.User.ID
			case m.Sender.Bot != nil:
				it.Sender, it.BotID = m.Sender.Bot.Name, m.Sender.Bot.ID
			}
		}
		if fromBaton(m) {
			it.Sender, it.System = "Baton", true
		}
		if it.Sender == "" {
			switch it.Kind {
			case "customer":
				it.Sender = "Customer"
			case "bot":
				it.Sender = "Bot"
			case "person":
				it.Sender = "Team"
			}
		}
		if d, _ := m.ContentAttributes["deleted"].(bool); d {
			it.Deleted = true
		} else if it.Kind != "activity" {
			it.Blocks = markdown(it.Text)
		}
		interactive(&it, m)
		for _, a := range m.Attachments {
			it.Attachments = append(it.Attachments, attachmentView{Name: a.FileName,
				URL: h.publicURL() + "/attachments/" + itoa(a.ID) + "/" + a.StorageKey, IsImage: a.FileType == baton.FileImage})
		}
		out = append(out, it)
	}
	return out
}

// interactive fills in what an interactive message showed the customer
// (choices, cards, articles or a form's fields) and the answer they gave,
// all as plain text for the template to escape; links are kept only when
// they are http(s).
func interactive(it *item, m *baton.Message) {
	attrs := m.ContentAttributes
	items := attrItems(attrs)
	switch m.ContentType {
	case baton.ContentCards:
		for _, c := range items {
			card := cardView{Title: text(c["title"]), Description: text(c["description"]), Image: webURL(c["media_url"])}
			actions, _ := c["actions"].([]any)
			for _, raw := range actions {
				a, _ := raw.(map[string]any)
				if a == nil {
					continue
				}
				v := actionView{Text: text(a["text"]), URL: webURL(a["uri"]), Payload: text(a["payload"])}
				if v.URL == "" {
					v.Target = text(a["uri"])
				}
				if v.Text == "" {
					v.Text = v.URL
				}
				card.Actions = append(card.Actions, v)
			}
			it.Cards = append(it.Cards, card)
		}
	case baton.ContentArticle:
		for _, a := range items {
			v := articleView{Title: text(a["title"]), Description: text(a["description"]), URL: webURL(a["link"])}
			if v.URL == "" {
				v.Target = text(a["link"])
			}
			it.Articles = append(it.Articles, v)
		}
	case baton.ContentForm:
		for _, f := range items {
			v := fieldView{Label: text(f["label"]), Name: text(f["name"]), Type: text(f["type"])}
			v.Required, _ = f["required"].(bool)
			if v.Type == "" {
				v.Type = "text"
			}
			options, _ := f["options"].([]any)
			for _, o := range options {
				s := text(o)
				if om, ok := o.(map[string]any); ok {
					s = cmp.Or(text(om["label"]), text(om["value"]))
				}
				if s != "" {
					v.Options = append(v.Options, s)
				}
			}
			it.Fields = append(it.Fields, v)
		}
	case baton.ContentInputEmail:
		it.Asks = "Asked for an e-mail address."
	case baton.ContentInputCSAT:
		it.Asks = "Asked to rate the conversation."
	default:
		for _, c := range items {
			for _, k := range []string{"title", "label", "name"} {
				if s := text(c[k]); s != "" {
					it.Choices = append(it.Choices, s)
					break
				}
			}
		}
	}
	it.Answer = answer(attrs, it.Fields)
}

// attrItems returns content_attributes.items, skipping what is not an object.
func attrItems(attrs map[string]any) []map[string]any {
	raw, _ := attrs["items"].([]any)
	out := make([]map[string]any, 0, len(raw))
	for _, r := range raw {
		if m, ok := r.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// answer returns the customer's answer as plain text. A form's values go
// next to its fields instead, when they name them.
func answer(attrs map[string]any, fields []fieldView) string {
	if e, ok := attrs["submitted_email"].(string); ok && e != "" {
		return e
	}
	switch v := attrs["submitted_values"].(type) {
	case []any:
		byName := map[string]int{}
		for i, f := range fields {
			byName[f.Name] = i
		}
		var parts []string
		for _, raw := range v {
			it, ok := raw.(map[string]any)
			if !ok {
				continue
			}
			title, _ := it["title"].(string)
			value := text(it["value"])
			name, named := it["name"].(string)
			if i, ok := byName[name]; ok && named && title == "" {
				fields[i].Value, fields[i].Answered = value, true
				continue
			}
			switch {
			case named && title == "":
				parts = append(parts, name+": "+value)
			case title != "":
				parts = append(parts, title)
			default:
				parts = append(parts, value)
			}
		}
		return strings.Join(parts, ", ")
	case map[string]any:
		if r, ok := v["csat_survey_response"].(map[string]any); ok {
			a := fmt.Sprintf("Rated %v", r["rating"])
			if f, _ := r["feedback_message"].(string); f != "" {
				a += ": " + f
			}
			return a
		}
	}
	return ""
}

// text returns a JSON value as text: a string as it is, a number or a
// boolean as written, anything else as "".
func text(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

// webURL returns v when it is an absolute http or https URL, and "" for
// anything else (javascript:, data:, mailto:, a relative path): only these
// become links or images in the page.
func webURL(v any) string {
	s, _ := v.(string)
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.String()
}

// reasons are the readable forms of the handoff reasons Baton gives.
var reasons = map[string]string{
	baton.HandoffBotFailure:      "The bot did not answer the customer.",
	baton.HandoffCustomerRequest: "The customer asked for a person.",
	baton.HandoffAgentTakeover:   "A person took the conversation over from the bot.",
}

// reasonText is a handoff's reason as people read it: Baton's own reasons
// in words, a bot's as it gave it.
func reasonText(reason string) string {
	if r, ok := reasons[reason]; ok {
		return r
	}
	return reason
}

// handoffFrom builds the card of the conversation's latest handoff: its
// reason and summary, when, the bot, and the bot's private notes up to it
// (what it collected) from the transcript shown.
func handoffFrom(c *baton.Conversation, items []item) *handoffCard {
	h := c.Handoff
	if h == nil || c.Status == baton.StatusPending {
		return nil
	}
	card := &handoffCard{Reason: reasonText(h.Reason), Summary: h.Summary, At: h.CreatedAt}
	if card.Reason == "" {
		card.Reason = "The bot handed the conversation to people without saying why."
	}
	for _, it := range items {
		if it.Kind != "bot" || it.Time.After(h.CreatedAt) || (h.AgentBotID != 0 && it.BotID != h.AgentBotID) {
			continue
		}
		card.Bot = it.Sender
		if it.Private && len(card.Notes) < 20 {
			card.Notes = append(card.Notes, it.Text)
		}
	}
	if len(card.Notes) > 20 {
		card.Notes = card.Notes[len(card.Notes)-20:]
	}
	bot := card.Bot
	if bot == "" {
		bot = "the bot"
	}
	switch h.Reason {
	case baton.HandoffCustomerRequest:
		card.Title = "The customer asked for a person"
	case baton.HandoffAgentTakeover:
		card.Title = "Taken over from " + bot
	case baton.HandoffBotFailure:
		card.Title = "Handed over: " + bot + " did not answer"
	default:
		card.Title = "Handed over by " + bot
	}
	return card
}

func (h *Handler) showConversation(w http.ResponseWriter, r *http.Request) {
	b, _ := baseFrom(r)
	accountID, err := pathID(r, "account_id")
	if err == nil {
		_, err = pathID(r, "id")
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	id, _ := pathID(r, "id")
	ctx := r.Context()
	page, err := h.app.Messages(ctx, accountID, id, 0, 0)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	c, ms := page.Conversation, page.Messages
	// The person has seen it: its unread count starts again from here.
	if _, err := h.app.MarkSeen(ctx, accountID, id); err != nil {
		h.fail(w, r, err)
		return
	}
	hasOlder := len(ms) == 20
	for n := 1; n < transcriptPages && hasOlder; n++ {
		older, err := h.app.Messages(ctx, accountID, id, ms[0].ID, 0)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		ms = append(older.Messages, ms...)
		hasOlder = len(older.Messages) == 20
	}
	agents, err := h.app.Agents(ctx, accountID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p := conversationPage{base: b, DisplayID: c.DisplayID, URL: accountPath(accountID, "/conversations/"+itoa(c.DisplayID)),
		Status: c.Status.String(), Priority: c.Priority.String(), Labels: strings.Join(c.Labels, ", "),
		Contact: c.Contact, Name: contactName(c.Contact), Items: h.transcript(ms), HasOlder: hasOlder,
		Agents: agents, AssigneeID: c.AssigneeID, BotOwned: c.Status == baton.StatusPending,
		Resolved: c.Status == baton.StatusResolved, Snoozed: c.Status == baton.StatusSnoozed, SnoozedUntil: c.SnoozedUntil,
		Priorities: []string{"", "low", "medium", "high", "urgent"}}
	p.Owner, p.OwnerKind = owner(c)
	p.OwnerKey = app.OwnerKey(c)
	p.LabelList = c.Labels
	if c.Status != baton.StatusResolved {
		p.WaitingSince = c.WaitingSince
	}
	if c.Assignee != nil && b.User != nil && c.Assignee.ID != b.User.ID && c.Status == baton.StatusOpen {
		p.OthersName = c.Assignee.AvailableName()
	}
	if p.Teams, _, err = h.app.Teams(ctx, accountID); err != nil {
		h.fail(w, r, err)
		return
	}
	p.TeamID = c.TeamID
	if c.Inbox != nil {
		p.Inbox = c.Inbox.Name
	}
	if len(ms) > 0 {
		p.OldestID, p.NewestID = ms[0].ID, ms[len(ms)-1].ID
	}
	p.Handoff = handoffFrom(c, p.Items)
	markUnread(p.Items, ms, c.AgentLastSeenAt, hasOlder)
	p.ConvFields = h.attributeFields(r, accountID, baton.AttributeOfConversation, c.CustomAttributes)
	extra := maps.Clone(c.CustomAttributes)
	for _, f := range p.ConvFields {
		delete(extra, f.Key)
	}
	p.ConvAttributes = attributes(c.CustomAttributes, fieldNames(p.ConvFields))
	p.ExtraAttributes = attributes(extra, nil)
	if c.Contact != nil {
		p.Attributes = attributes(c.Contact.CustomAttributes, h.attributeNames(r, accountID, baton.AttributeOfContact))
		if earlier, err := h.app.ContactConversations(ctx, accountID, c.Contact.ID); err == nil {
			now := h.now()
			for _, e := range earlier {
				if e.DisplayID != c.DisplayID {
					p.Earlier = append(p.Earlier, rowOf(now, accountID, e))
				}
			}
		}
	}
	p.ContactClock = contactClockOf(h.now(), c.Contact, c)
	p.Viewers = h.viewers(ctx, accountID, c.DisplayID)
	p.Title = p.Name + " · #" + itoa(c.DisplayID)
	p.Section = "conversations"
	h.render(w, http.StatusOK, "conversation", p)
}

// markUnread marks, in the items of the messages ms, where the messages
// the agent side had not seen begin: the first incoming message created
// after seen (all of them when never seen), as the queues count unread.
// Its label counts the unread messages shown; when the transcript may hold
// older ones above the window (none of the window's messages before the
// first is one that was seen, and there are older), it says so.
func markUnread(items []item, ms []*baton.Message, seen *time.Time, hasOlder bool) {
	first, n := -1, 0
	for i, m := range ms {
		if m.MessageType != baton.MessageIncoming || (seen != nil && !m.CreatedAt.After(*seen)) {
			continue
		}
		if first < 0 {
			first = i
		}
		n++
	}
	if first < 0 {
		return
	}
	label := strconv.Itoa(n) + " unread messages"
	if n == 1 {
		label = "1 unread message"
	}
	if hasOlder && (seen == nil || !slices.ContainsFunc(ms[:first], func(m *baton.Message) bool { return !m.CreatedAt.After(*seen) })) {
		label += ", and perhaps more above"
	}
	items[first].UnreadStart = label
}

// attributes lists custom attributes, each named by its definition's
// display name in names, else by its key, each value as its text, or as
// JSON when it is not text: Go's own printing showed an order's total of
// 1500000 as 1.5e+06, a null as <nil> and an object as map[…].
func attributes(m map[string]any, names map[string]string) []keyValue {
	out := make([]keyValue, 0, len(m))
	for k, v := range m {
		s, ok := v.(string)
		if !ok {
			b, _ := json.Marshal(v)
			s = string(b)
		}
		if name := names[k]; name != "" {
			k = name
		}
		out = append(out, keyValue{Key: k, Value: s})
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].Key) < strings.ToLower(out[j].Key) })
	return out
}

// messagesFragment is the script's way to fetch older messages (before=)
// or newer ones (after=) as rendered transcript items.
func (h *Handler) messagesFragment(w http.ResponseWriter, r *http.Request) {
	accountID, id, err := conversationPath(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	before, err := formID(r, "before")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	after, err := formID(r, "after")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	page, err := h.app.Messages(r.Context(), accountID, id, before, after)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	c := page.Conversation
	if after != 0 && len(page.Messages) > 0 {
		// New messages reached the open page: they are seen.
		if _, err := h.app.MarkSeen(r.Context(), accountID, id); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	w.Header().Set("X-Conversation-Status", c.Status.String())
	w.Header().Set("X-Conversation-Owner", app.OwnerKey(c))
	w.Header().Set("X-Has-More", fmt.Sprint(len(page.Messages) == 20))
	if after != 0 || before == 0 { // the page's poll, not a scroll back
		w.Header().Set("X-Viewers", url.PathEscape(h.viewers(r.Context(), accountID, c.DisplayID)))
	}
	h.renderFragment(w, "conversation", "items", h.transcript(page.Messages))
}

// reply posts a message or, with private_note set, a private note, with
// any attached files.
func (h *Handler) reply(w http.ResponseWriter, r *http.Request) {
	accountID, id, err := conversationPath(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := r.ParseMultipartForm(1 << 20); err != nil && err != http.ErrNotMultipart {
		h.fail(w, r, baton.Errorf(baton.ETOOLARGE, "The files are too large."))
		return
	}
	// Forms send a textarea's line ends as CRLF; messages keep LF.
	content := strings.TrimRight(strings.ReplaceAll(r.FormValue("content"), "\r\n", "\n"), " \t\n")
	in := app.MessageInput{Private: r.FormValue("private_note") != ""}
	if content != "" {
		in.Content = &content
	}
	if r.MultipartForm != nil {
		for _, fh := range r.MultipartForm.File["attachments"] {
			f, err := fh.Open()
			if err != nil {
				h.fail(w, r, err)
				return
			}
			defer f.Close()
			in.Files = append(in.Files, app.FileInput{Name: fh.Filename, ContentType: fh.Header.Get("Content-Type"), Body: f})
		}
	}
	if in.Content == nil && len(in.Files) == 0 {
		h.fail(w, r, baton.Invalid("Write a reply or attach a file.", "content"))
		return
	}
	// A person answering a conversation the bot holds takes it over: the
	// app's rule, which the page announces before sending.
	if _, err := h.app.CreateMessage(r.Context(), accountID, id, in); err != nil {
		h.fail(w, r, err)
		return
	}
	h.done(w, r, accountPath(accountID, "/conversations/"+itoa(id)))
}

// attributeNames are the display names of the account's custom attributes
// of the model, by key; none when they cannot be read, the keys showing
// then.
func (h *Handler) attributeNames(r *http.Request, accountID int64, model int) map[string]string {
	cs, err := h.app.CustomAttributes(r.Context(), accountID, model)
	if err != nil {
		return nil
	}
	names := make(map[string]string, len(cs))
	for _, c := range cs {
		names[c.Key] = c.DisplayName
	}
	return names
}
