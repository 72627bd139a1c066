package agent

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/batonhq/baton"
)

// renderItems renders messages as the transcript does, from content
// attributes written as JSON (decoded as they come from the store). The
// app refuses a javascript: link today; these render what could be stored
// anyway (before the check, or by an import), straight, as the page would.
func renderItems(t *testing.T, ms ...*baton.Message) string {
	t.Helper()
	h := New(Config{})
	var b strings.Builder
	if err := h.pages["conversation"].ExecuteTemplate(&b, "items", h.transcript(ms)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func botMessage(t *testing.T, id int64, ct baton.ContentType, content, attrs string) *baton.Message {
	t.Helper()
	m := &baton.Message{ID: id, MessageType: baton.MessageOutgoing, SenderType: baton.SenderAgentBot, ContentType: ct,
		Content: &content, CreatedAt: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
	if err := json.Unmarshal([]byte(attrs), &m.ContentAttributes); err != nil {
		t.Fatal(err)
	}
	return m
}

// urlAttrs finds every href and src in HTML.
var urlAttrs = regexp.MustCompile(`\s(href|src)="([^"]*)"`)

func TestTranscriptCardsAndArticles(t *testing.T) {
	t.Parallel()
	html := renderItems(t,
		botMessage(t, 1, baton.ContentCards, "Here are your parcels", `{"items": [
			{"title": "Parcel <img src=x onerror=alert(1)>", "description": "Arrives <b>Friday</b>",
			 "media_url": "https://cdn.example.com/parcel.png",
			 "actions": [
				{"type": "link", "text": "Track it", "uri": "https://track.example.com/p/1?a=1&b=2"},
				{"type": "link", "text": "Run me", "uri": "javascript:alert(document.cookie)"},
				{"type": "link", "text": "Sneaky", "uri": " JaVa\tScRiPt:alert(1)"},
				{"type": "link", "text": "Call us", "uri": "tel:+3512345678"},
				{"type": "postback", "text": "Cancel \"it\"", "payload": "CANCEL_1"}]},
			{"title": "Second card", "media_url": "javascript:alert(2)",
			 "actions": [{"type": "link", "text": "Data", "uri": "data:text/html,<script>alert(3)</script>"}]},
			{"title": "Third card", "media_url": "http://cdn.example.com/third.png",
			 "actions": [{"type": "postback", "text": "Yes", "payload": "YES"}]}]}`),
		botMessage(t, 2, baton.ContentArticle, "Read these", `{"items": [
			{"title": "Returns <policy>", "description": "How to send it back", "link": "https://help.example.com/returns"},
			{"title": "Bad link", "description": "Never a link", "link": "javascript:alert(4)"}]}`))

	for _, want := range []string{
		// Each card's title, description and actions, escaped.
		`<strong class="card-title">Parcel &lt;img src=x onerror=alert(1)&gt;</strong>`,
		`<p class="card-description">Arrives &lt;b&gt;Friday&lt;/b&gt;</p>`,
		`<img class="card-image" src="https://cdn.example.com/parcel.png" alt="Parcel &lt;img src=x onerror=alert(1)&gt;" loading="lazy" referrerpolicy="no-referrer">`,
		`<img class="card-image" src="http://cdn.example.com/third.png" alt="Third card"`,
		`<a href="https://track.example.com/p/1?a=1&amp;b=2" rel="noopener noreferrer" target="_blank">Track it</a>`,
		// Any other scheme is text, not a link.
		`<span class="card-action">Run me</span> <span class="muted">(link: <code>javascript:alert(document.cookie)</code>)</span>`,
		`<span class="card-action">Call us</span> <span class="muted">(link: <code>tel:&#43;3512345678</code>)</span>`,
		`<span class="card-action">Data</span>`,
		`<span class="card-action">Cancel &#34;it&#34;</span> <span class="muted">(button: <code>CANCEL_1</code>)</span>`,
		// Articles: linked titles (only http(s)) and descriptions.
		`<a href="https://help.example.com/returns" rel="noopener noreferrer" target="_blank">Returns &lt;policy&gt;</a><p class="article-description">How to send it back</p>`,
		`<strong>Bad link</strong> <span class="muted">(link: <code>javascript:alert(4)</code>)</span><p class="article-description">Never a link</p>`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("the transcript lacks\n%s\nin\n%s", want, html)
		}
	}
	// Nothing the bot wrote became markup, and every link and image the
	// page has is one of the http(s) ones.
	for _, bad := range []string{"<img src=x", "<b>", "<script", "<policy>"} {
		if strings.Contains(html, bad) {
			t.Errorf("the transcript has %q unescaped", bad)
		}
	}
	allowed := map[string]bool{
		"https://cdn.example.com/parcel.png": true, "http://cdn.example.com/third.png": true,
		"https://track.example.com/p/1?a=1&amp;b=2": true, "https://help.example.com/returns": true,
	}
	found := urlAttrs.FindAllStringSubmatch(html, -1)
	for _, m := range found {
		if !allowed[m[2]] {
			t.Errorf("the transcript has %s=%q", m[1], m[2])
		}
	}
	if len(found) != len(allowed) {
		t.Errorf("the transcript has %d links and images, want %d", len(found), len(allowed))
	}
}

func TestTranscriptFormAndQuestions(t *testing.T) {
	t.Parallel()
	html := renderItems(t,
		botMessage(t, 1, baton.ContentForm, "A few details", `{"items": [
			{"name": "order", "label": "Order <number>", "type": "text", "required": true},
			{"name": "size", "label": "Size", "type": "select", "options": [{"label": "Small", "value": "s"}, {"label": "Large", "value": "l"}]},
			{"name": "note", "label": "Note", "type": "text_area"}],
			"submitted_values": [{"name": "order", "value": "A-1 <b>"}, {"name": "size", "value": "l"}]}`),
		botMessage(t, 2, baton.ContentInputEmail, "Your e-mail?", `{"submitted_email": "ivy@example.com"}`),
		botMessage(t, 3, baton.ContentInputCSAT, "How did we do?",
			`{"submitted_values": {"csat_survey_response": {"rating": 4, "feedback_message": "Quick <3"}}}`),
		botMessage(t, 4, baton.ContentInputEmail, "And your other e-mail?", `{}`))
	for _, want := range []string{
		`<span class="muted">Form asked:</span>`,
		`<li>Order &lt;number&gt; <span class="muted">(text, required)</span>: <strong>A-1 &lt;b&gt;</strong></li>`,
		`<li>Size <span class="muted">(select: Small, Large)</span>: <strong>l</strong></li>`,
		`<li>Note <span class="muted">(text_area)</span></li>`,
		`<p class="interactive muted">Asked for an e-mail address.</p>`,
		`Customer answered: <strong>ivy@example.com</strong>`,
		`<p class="interactive muted">Asked to rate the conversation.</p>`,
		`Customer answered: <strong>Rated 4: Quick &lt;3</strong>`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("the transcript lacks\n%s\nin\n%s", want, html)
		}
	}
	// A form's answers are shown at their fields, not again as a line.
	if n := strings.Count(html, "Customer answered:"); n != 2 {
		t.Errorf("%d answer lines, want 2 (the e-mail and the rating)", n)
	}
}

// TestHandoffCardTitle: the handoff card says who handed over, or that
// the customer asked or a person took over, not always "by the bot".
func TestHandoffCardTitle(t *testing.T) {
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	items := []item{{Kind: "bot", Sender: "Order Bot", Time: at.Add(-time.Minute)}}
	for reason, want := range map[string]string{
		baton.HandoffCustomerRequest: "The customer asked for a person",
		baton.HandoffAgentTakeover:   "Taken over from Order Bot",
		baton.HandoffBotFailure:      "Handed over: Order Bot did not answer",
		"refund_request":             "Handed over by Order Bot",
	} {
		c := &baton.Conversation{Status: baton.StatusOpen, Handoff: &baton.Handoff{Reason: reason, CreatedAt: at}}
		if got := handoffFrom(c, items).Title; got != want {
			t.Errorf("reason %q: title %q, want %q", reason, got, want)
		}
	}
}

// TestUnreadStart: the transcript marks the first incoming message made
// after the agent side last looked (all, never having looked), counting
// the unread ones shown, and says there may be more above when none of
// the shown messages before it was seen and older ones exist. Outgoing
// messages, notes and activities are never unread.
func TestUnreadStart(t *testing.T) {
	t.Parallel()
	at := time.Date(2025, 1, 2, 3, 0, 0, 0, time.UTC)
	msg := func(minute int, typ baton.MessageType) *baton.Message {
		return &baton.Message{ID: int64(minute), MessageType: typ, CreatedAt: at.Add(time.Duration(minute) * time.Minute)}
	}
	in, out, act := baton.MessageIncoming, baton.MessageOutgoing, baton.MessageActivity
	ms := []*baton.Message{msg(1, in), msg(2, out), msg(3, in), msg(4, act), msg(5, out), msg(6, in), msg(7, in)}
	seenAt := func(minute int) *time.Time { t := at.Add(time.Duration(minute) * time.Minute); return &t }
	for _, tc := range []struct {
		name     string
		seen     *time.Time
		hasOlder bool
		at       int64 // the id of the message marked, or 0
		label    string
	}{
		{"seen after the last", seenAt(8), false, 0, ""},
		{"seen at the last", seenAt(7), true, 0, ""},
		{"seen before a note and an activity", seenAt(3), false, 6, "2 unread messages"},
		{"one", seenAt(6), false, 7, "1 unread message"},
		{"between, with older", seenAt(2), true, 3, "3 unread messages"},
		{"never seen", nil, false, 1, "4 unread messages"},
		{"never seen, with older", nil, true, 1, "4 unread messages, and perhaps more above"},
		{"seen before the window", seenAt(0), true, 1, "4 unread messages, and perhaps more above"},
	} {
		items := make([]item, len(ms))
		for i, m := range ms {
			items[i].ID = m.ID
		}
		markUnread(items, ms, tc.seen, tc.hasOlder)
		var marked []string
		for _, it := range items {
			if it.UnreadStart != "" {
				marked = append(marked, it.UnreadStart)
				if it.ID != tc.at || it.UnreadStart != tc.label {
					t.Errorf("%s: message %d marked %q, want message %d %q", tc.name, it.ID, it.UnreadStart, tc.at, tc.label)
				}
			}
		}
		if len(marked) > 1 || (len(marked) == 0) != (tc.at == 0) {
			t.Errorf("%s: marked %q, want %q on message %d", tc.name, marked, tc.label, tc.at)
		}
	}
	// Rendered: a list item of its own before the message, its words text.
	h := New(Config{})
	items := h.transcript(ms)
	markUnread(items, ms, seenAt(5), false)
	var b strings.Builder
	if err := h.pages["conversation"].ExecuteTemplate(&b, "items", items); err != nil {
		t.Fatal(err)
	}
	if got := b.String(); !strings.Contains(got, `<li class="unread-start" id="unread-start"><span>2 unread messages</span></li>
<li class="msg msg-customer" data-id="6">`) {
		t.Errorf("the transcript:\n%s", got)
	}
}

// TestContactClock: the contact's local time comes from the contact's
// timezone when it names a zone, else from the zone of the browser the
// conversation began in, else from the offset of that browser's clock, and is not shown when neither says
// (or says nonsense).
func TestContactClock(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 1, 6, 12, 30, 0, 0, time.UTC) // a Monday
	contact := func(zone any) *baton.Contact {
		return &baton.Contact{AdditionalAttributes: map[string]any{"timezone": zone}}
	}
	began := func(stamp any) *baton.Conversation {
		return &baton.Conversation{AdditionalAttributes: map[string]any{"initiated_at": map[string]any{"timestamp": stamp}}}
	}
	browsed := func(zone, stamp any) *baton.Conversation {
		return &baton.Conversation{AdditionalAttributes: map[string]any{"timezone": zone, "initiated_at": map[string]any{"timestamp": stamp}}}
	}
	none := &baton.Conversation{}
	for _, tc := range []struct {
		name    string
		contact *baton.Contact
		conv    *baton.Conversation
		want    *contactClock
	}{
		{"a zone", contact("Asia/Tokyo"), none, &contactClock{Text: "Mon 21:30", Zone: "Asia/Tokyo", Source: "Asia/Tokyo"}},
		{"a zone over the browser", contact("America/New_York"), began("Mon Jan 06 2025 10:00:00 GMT+0530 (India Standard Time)"),
			&contactClock{Text: "Mon 07:30", Zone: "America/New_York", Source: "America/New_York"}},
		{"the browser's", nil, began("Mon Jan 06 2025 10:00:00 GMT+0530 (India Standard Time)"),
			&contactClock{Text: "Mon 18:00", Offset: 330, Source: "GMT+05:30 (India Standard Time), from their browser"}},
		{"the browser's, west, no name", contact("Not/AZone"), began("Sun Jan 05 2025 20:00:00 GMT-1000"),
			&contactClock{Text: "Mon 02:30", Offset: -600, Source: "GMT-10:00, from their browser"}},
		{"the browser's zone over its offset", nil, browsed("Asia/Kolkata", "Mon Jan 06 2025 10:00:00 GMT+0100"),
			&contactClock{Text: "Mon 18:00", Zone: "Asia/Kolkata", Source: "Asia/Kolkata, from their browser"}},
		{"the contact's zone over the browser's", contact("Asia/Tokyo"), browsed("Asia/Kolkata", nil),
			&contactClock{Text: "Mon 21:30", Zone: "Asia/Tokyo", Source: "Asia/Tokyo"}},
		{"a browser's zone that is none: its offset", nil, browsed("Mars/Olympus", "Sun Jan 05 2025 20:00:00 GMT-1000"),
			&contactClock{Text: "Mon 02:30", Offset: -600, Source: "GMT-10:00, from their browser"}},
		{"the server's zone is not the browser's", nil, browsed("Local", nil), nil},
		{"the server's zone is not the contact's", contact("Local"), none, nil},
		{"a path", contact("../../etc/passwd"), none, nil},
		{"not a string", contact(9), began(12345), nil},
		{"an offset past any zone's", nil, began("Mon Jan 06 2025 10:00:00 GMT+1500"), nil},
		{"nothing", nil, none, nil},
	} {
		got := contactClockOf(now, tc.contact, tc.conv)
		if (got == nil) != (tc.want == nil) || got != nil && *got != *tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}
