package e2e_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"

	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// The widget API as a web widget and a bot see it.

const (
	chromeOnMac      = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
	firefoxOnWindows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0"
)

// widgetSite is a web widget inbox of an env's account.
type widgetSite struct {
	e       *env
	inboxID int64
	token   string // website_token
}

// newWidgetSite makes a web widget inbox in the account.
func newWidgetSite(e *env) *widgetSite {
	e.t.Helper()
	v := e.call("POST", e.acc("/inboxes"), e.adminToken, `{"name":"Website","greeting_enabled":true,
		"greeting_message":"Hi there","enable_email_collect":true,
		"channel":{"type":"web_widget","website_url":"https://shop.test","widget_color":"#1f93ff",
		"welcome_title":"Hello","welcome_tagline":"We reply fast"}}`, 200).(map[string]any)
	return &widgetSite{e: e, inboxID: int64(v["id"].(float64)), token: v["website_token"].(string)}
}

// connect makes an account bot with the bot's URL and connects it to the
// widget inbox.
func (w *widgetSite) connect(b *bot) {
	e := w.e
	e.t.Helper()
	v := e.call("POST", e.acc("/agent_bots"), e.adminToken, fmt.Sprintf(`{"name":"Greeter","outgoing_url":%q}`, b.URL), 200).(map[string]any)
	b.token, b.id = v["access_token"].(string), int64(v["id"].(float64))
	e.call("POST", e.acc(fmt.Sprintf("/inboxes/%d/set_agent_bot", w.inboxID)), e.adminToken, fmt.Sprintf(`{"agent_bot":%d}`, b.id), 200)
}

// widgetResponse is an answer of the widget API.
type widgetResponse struct {
	status int
	header http.Header
	body   any
	raw    string
}

// request calls the widget API with the visitor's X-Auth-Token (when not
// empty) and a Chrome user agent; query is added to ?website_token=.
func (w *widgetSite) request(method, path, query, authToken, body string, header ...string) widgetResponse {
	t := w.e.t
	t.Helper()
	url := w.e.URL + "/api/v1/widget" + path + "?website_token=" + w.token + query
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", chromeOnMac)
	if authToken != "" {
		req.Header.Set("X-Auth-Token", authToken)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	out := widgetResponse{status: res.StatusCode, header: res.Header, raw: string(b)}
	if len(bytes.TrimSpace(b)) > 0 {
		if err := json.Unmarshal(b, &out.body); err != nil {
			t.Fatalf("%s %s: body is not JSON: %s", method, url, b)
		}
	}
	return out
}

// must calls the widget API and checks the status.
func (w *widgetSite) must(status int, method, path, query, authToken, body string, header ...string) widgetResponse {
	w.e.t.Helper()
	r := w.request(method, path, query, authToken, body, header...)
	if r.status != status {
		w.e.t.Fatalf("%s %s%s: status %d, want %d: %s", method, path, query, r.status, status, r.raw)
	}
	return r
}

// messages lists the visitor's messages with GET /messages and query, and
// checks the answer's shape: {"payload": [...], "meta": {...}}.
func (w *widgetSite) messages(query, authToken string) (list []any, meta map[string]any) {
	w.e.t.Helper()
	r := w.must(200, "GET", "/messages", query, authToken, "")
	body, _ := r.body.(map[string]any)
	list, okList := body["payload"].([]any)
	meta, okMeta := body["meta"].(map[string]any)
	if !okList || !okMeta || len(body) != 2 {
		w.e.t.Fatalf("GET /messages%s: %s, want {payload, meta}", query, r.raw)
	}
	return list, meta
}

// visit loads the widget config as a new visitor and returns the contact
// and the widget token.
func (w *widgetSite) visit() (map[string]any, string) {
	w.e.t.Helper()
	r := w.must(200, "POST", "/config", "", "", "")
	body := r.body.(map[string]any)
	token := body["auth_token"].(string)
	if r.header.Get("X-Auth-Token") != token || body["website_channel_config"].(map[string]any)["auth_token"] != token {
		w.e.t.Fatalf("the token is not the same in the header, the body and the config: %s / %s", r.header.Get("X-Auth-Token"), r.raw)
	}
	return body["contact"].(map[string]any), token
}

// TestWidget plays a visit: the widget loads, opens, the visitor writes to
// the bot and answers its question.
func TestWidget(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := start(t, s)
		site := newWidgetSite(e)
		b := newBot(t, nil)
		site.connect(b)

		// The widget loads: a new contact, and the same contact again with
		// the token.
		r := site.must(200, "POST", "/config", "", "", "")
		cfg := r.body.(map[string]any)
		ch := cfg["website_channel_config"].(map[string]any)
		for k, want := range map[string]any{"website_token": site.token, "website_url": "https://shop.test",
			"widget_color": "#1f93ff", "welcome_title": "Hello", "welcome_tagline": "We reply fast",
			"greeting_enabled": true, "greeting_message": "Hi there", "enable_email_collect": true,
			"csat_survey_enabled": false, "website_name": "Website", "account_id": float64(e.accountID)} {
			if ch[k] != want {
				t.Errorf("website_channel_config.%s = %#v, want %#v", k, ch[k], want)
			}
		}
		contact := cfg["contact"].(map[string]any)
		token := cfg["auth_token"].(string)
		if name, _ := contact["name"].(string); name == "" || contact["pubsub_token"] == "" || contact["email"] != nil {
			t.Fatalf("new contact %v", contact)
		}
		again := site.must(200, "POST", "/config", "", token, "").body.(map[string]any)
		if again["contact"].(map[string]any)["id"] != contact["id"] {
			t.Fatalf("config with the token made contact %v, want %v again", again["contact"], contact["id"])
		}
		token = again["auth_token"].(string) // a fresh token is as good
		other, otherToken := site.visit()
		if other["id"] == contact["id"] {
			t.Fatalf("config without a token reused contact %v", contact["id"])
		}

		// The widget opens: the bot hears of it.
		site.must(204, "POST", "/events", "&locale=fr", token,
			`{"name":"webwidget.triggered","event_info":{"initiated_at":{"timestamp":"Tue Jun 10 2025 12:00:00 GMT+0200"},"referer":"https://shop.test/checkout","widget_language":"forged"}}`,
			"Accept-Language", "de-CH,en;q=0.8")
		ev := b.next(t, is("webwidget_triggered"))
		info := ev["event_info"].(map[string]any)
		if info["referer"] != "https://shop.test/checkout" || info["initiated_at"].(map[string]any)["timestamp"] != "Tue Jun 10 2025 12:00:00 GMT+0200" {
			t.Errorf("event_info lost what the widget posted: %v", info)
		}
		if info["widget_language"] != "fr" || info["browser_language"] != "de" {
			t.Errorf("widget_language %v browser_language %v, want fr and de", info["widget_language"], info["browser_language"])
		}
		browser := info["browser"].(map[string]any)
		for k, want := range map[string]string{"browser_name": "Chrome", "browser_version": "126.0.0.0",
			"device_name": "Unknown", "platform_name": "macOS", "platform_version": "10.15.7"} {
			if browser[k] != want {
				t.Errorf("browser.%s = %v, want %s", k, browser[k], want)
			}
		}
		if ev["current_conversation"] != nil || ev["contact"].(map[string]any)["id"] != contact["id"] ||
			ev["inbox"].(map[string]any)["id"] != float64(site.inboxID) || ev["source_id"] == "" {
			t.Fatalf("webwidget_triggered %v", ev)
		}

		// The visitor writes: a new conversation, the bot's.
		if got := site.must(200, "GET", "/messages", "", token, "").raw; strings.TrimSpace(got) != `{"meta":{},"payload":[]}` {
			t.Fatalf("messages before the first: %s, want an empty payload and meta", got)
		}
		m := site.must(200, "POST", "/messages", "", token,
			`{"message":{"content":"Do you ship to Norway?","echo_id":"e-1","referer_url":"https://shop.test/cart","timestamp":"now","timezone":"Europe/Oslo"}}`,
			"Accept-Language", "nb-NO,nb;q=0.9,en;q=0.5").body.(map[string]any)
		if m["content"] != "Do you ship to Norway?" || m["message_type"] != float64(0) || m["echo_id"] != "e-1" {
			t.Fatalf("message %v", m)
		}
		// The create view of the widget spec (§3.5): the list item's keys
		// and inbox_id, private and source_id; in_reply_to always there.
		for k, want := range map[string]any{"inbox_id": float64(site.inboxID), "private": false, "source_id": nil} {
			if v, ok := m[k]; !ok || v != want {
				t.Errorf("created message %s = %#v (present %t), want %#v", k, v, ok, want)
			}
		}
		if attrs, ok := m["content_attributes"].(map[string]any); !ok || len(attrs) != 1 || attrs["in_reply_to"] != nil {
			t.Errorf("created message content_attributes %#v, want {\"in_reply_to\": null}", m["content_attributes"])
		} else if _, ok := attrs["in_reply_to"]; !ok {
			t.Errorf("created message content_attributes %#v lacks in_reply_to", attrs)
		}
		for _, k := range []string{"id", "conversation_id", "created_at", "sender"} {
			if _, ok := m[k]; !ok {
				t.Errorf("created message lacks %s: %v", k, m)
			}
		}
		ev = b.next(t, is("message_created", "incoming"))
		conv := ev["conversation"].(map[string]any)
		if conv["status"] != "pending" || conv["id"] != m["conversation_id"] || conv["channel"] != "Channel::WebWidget" {
			t.Fatalf("bot got conversation %v/%v (%v), want %v/pending", conv["id"], conv["status"], conv["channel"], m["conversation_id"])
		}
		if attrs := conv["additional_attributes"].(map[string]any); attrs["referer"] != "https://shop.test/cart" ||
			attrs["browser"].(map[string]any)["browser_name"] != "Chrome" || attrs["browser_language"] != "nb" ||
			attrs["initiated_at"].(map[string]any)["timestamp"] != "now" || attrs["timezone"] != "Europe/Oslo" {
			t.Errorf("conversation additional_attributes %v", attrs)
		}
		if ev["sender"].(map[string]any)["id"] != contact["id"] {
			t.Errorf("sender %v, want contact %v", ev["sender"], contact["id"])
		}
		// A second message goes to the same conversation, read with the
		// snapshot's surroundings (store.FindLatestMessageTarget): the bot
		// hears it counted among the unread, in its inbox.
		site.must(200, "POST", "/messages", "", token, `{"message":{"content":"And to Iceland?"}}`)
		ev = b.next(t, is("message_created", "incoming"))
		if ev["conversation"].(map[string]any)["id"] != m["conversation_id"] ||
			dig(ev, "conversation", "unread_count") != float64(2) || dig(ev, "inbox", "id") != float64(site.inboxID) {
			t.Errorf("second message: conversation %v, unread_count %v, inbox %v; want %v, 2, %d",
				dig(ev, "conversation", "id"), dig(ev, "conversation", "unread_count"), dig(ev, "inbox", "id"),
				m["conversation_id"], site.inboxID)
		}

		// The bot asks; the visitor reads and answers.
		convID := int64(conv["id"].(float64))
		q := e.call("POST", e.acc(fmt.Sprintf("/conversations/%d/messages", convID)), b.token,
			`{"content":"Pick a country","content_type":"input_select","content_attributes":{"items":[{"title":"Norway","value":"NO"},{"title":"Sweden","value":"SE"}]}}`, 200).(map[string]any)
		b.next(t, is("message_created", "outgoing"))
		list, meta := site.messages("", token)
		if seen, ok := meta["contact_last_seen_at"].(float64); !ok || seen != 0 {
			t.Errorf("meta %v, want contact_last_seen_at 0 before the visitor has seen the conversation", meta)
		}
		if len(list) != 3 || list[2].(map[string]any)["id"] != q["id"] || list[2].(map[string]any)["content_type"] != "input_select" {
			t.Fatalf("widget messages %v", list)
		}
		if older, _ := site.messages(fmt.Sprintf("&before=%v", q["id"]), token); len(older) != 2 {
			t.Fatalf("messages before the question: %v", older)
		}
		answered := site.must(200, "PATCH", fmt.Sprintf("/messages/%v", q["id"]), "", token,
			`{"message":{"submitted_values":[{"title":"Norway","value":"NO"}]}}`).body.(map[string]any)
		if sv := answered["content_attributes"].(map[string]any)["submitted_values"].([]any); len(sv) != 1 || sv[0].(map[string]any)["value"] != "NO" {
			t.Fatalf("answer %v", answered)
		}
		ev = b.next(t, is("message_updated"))
		if ev["id"] != q["id"] || ev["content"] != "Pick a country" || ev["message_type"] != "outgoing" {
			t.Fatalf("message_updated %v %v %v", ev["id"], ev["content"], ev["message_type"])
		}
		sv := ev["content_attributes"].(map[string]any)["submitted_values"].([]any)[0].(map[string]any)
		if sv["title"] != "Norway" || sv["value"] != "NO" {
			t.Fatalf("bot got submitted_values %v", ev["content_attributes"])
		}

		// Opening the widget again tells the bot of the conversation.
		site.must(204, "POST", "/events", "&locale=en", token, `{"name":"webwidget.triggered","event_info":{}}`)
		ev = b.next(t, is("webwidget_triggered"))
		if cur, ok := ev["current_conversation"].(map[string]any); !ok || cur["id"] != float64(convID) {
			t.Fatalf("current_conversation %v, want conversation %d", ev["current_conversation"], convID)
		}

		// An e-mail question identifies the visitor.
		email := e.call("POST", e.acc(fmt.Sprintf("/conversations/%d/messages", convID)), b.token,
			`{"content":"Your e-mail?","content_type":"input_email"}`, 200).(map[string]any)
		b.next(t, is("message_created", "outgoing"))
		site.must(200, "PATCH", fmt.Sprintf("/messages/%v", email["id"]), "", token, `{"contact":{"email":"Casey@Example.test"}}`)
		ev = b.next(t, is("message_updated"))
		if ev["content_attributes"].(map[string]any)["submitted_email"] != "casey@example.test" {
			t.Fatalf("bot got %v", ev["content_attributes"])
		}
		if got := site.must(200, "POST", "/config", "", token, "").body.(map[string]any)["contact"].(map[string]any); got["email"] != "casey@example.test" {
			t.Fatalf("contact after the e-mail answer %v", got)
		}

		// Another visitor gives the same e-mail: the answer is taken, the
		// e-mail stays the first contact's.
		m = site.must(200, "POST", "/messages", "", otherToken, `{"message":{"content":"Hello?"}}`).body.(map[string]any)
		b.next(t, is("message_created", "incoming"))
		email = e.call("POST", e.acc(fmt.Sprintf("/conversations/%v/messages", m["conversation_id"])), b.token,
			`{"content":"Your e-mail?","content_type":"input_email"}`, 200).(map[string]any)
		b.next(t, is("message_created", "outgoing"))
		site.must(200, "PATCH", fmt.Sprintf("/messages/%v", email["id"]), "", otherToken, `{"contact":{"email":"casey@example.test"}}`)
		ev = b.next(t, is("message_updated"))
		if ev["content_attributes"].(map[string]any)["submitted_email"] != "casey@example.test" {
			t.Fatalf("bot got %v", ev["content_attributes"])
		}
		if got := site.must(200, "POST", "/config", "", otherToken, "").body.(map[string]any)["contact"].(map[string]any); got["email"] != nil {
			t.Fatalf("the second contact took a known e-mail: %v", got)
		}
	})
}

// TestWidgetRefusals checks what the widget API refuses, and how it says so.
func TestWidgetRefusals(t *testing.T) {
	t.Parallel()
	e := start(t, storetest.OpenSQLite(t))
	site := newWidgetSite(e)
	elsewhere := newWidgetSite(e)
	_, token := site.visit()
	_, strangerToken := site.visit()
	_, elsewhereToken := elsewhere.visit()
	b := newBot(t, nil)
	site.connect(b)

	// The stranger's conversation, with a question of the bot.
	m := site.must(200, "POST", "/messages", "", strangerToken, `{"message":{"content":"hi"}}`).body.(map[string]any)
	q := e.call("POST", e.acc(fmt.Sprintf("/conversations/%v/messages", m["conversation_id"])), b.token,
		`{"content":"Pick","content_type":"input_select","content_attributes":{"items":[{"title":"A","value":"a"}]}}`, 200).(map[string]any)
	answer := `{"message":{"submitted_values":[{"title":"A","value":"a"}]}}`
	// The visitor's own text message, which is no question.
	own := site.must(200, "POST", "/messages", "", token, `{"message":{"content":"hello"}}`).body.(map[string]any)
	forged := token[:strings.LastIndex(token, ".")+1] + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

	tests := []struct {
		name                string
		method, path, query string
		websiteToken, auth  string
		body                string
		status              int
		error               string
	}{
		{"no token", "GET", "/messages", "", site.token, "", "", 401, "X-Auth-Token is missing"},
		{"garbage token", "GET", "/messages", "", site.token, "nope", "", 401, "X-Auth-Token is invalid: not a JSON web token"},
		{"forged signature", "POST", "/messages", "", site.token, forged, `{"message":{"content":"x"}}`, 401, "X-Auth-Token is invalid: bad signature"},
		{"token of another inbox", "POST", "/events", "", site.token, elsewhereToken, `{"name":"webwidget.triggered"}`, 401, "X-Auth-Token belongs to another inbox"},
		{"token of another inbox on config starts a new visit", "POST", "/config", "", site.token, elsewhereToken, "", 200, ""},
		{"no website_token", "GET", "/messages", "", "", token, "", 404, "website_token is missing"},
		{"unknown website_token", "POST", "/config", "", "nope", "", "", 404, "No web widget has this website_token"},
		{"malformed JSON", "POST", "/messages", "", site.token, token, `{"message":`, 400, "Malformed JSON"},
		{"content of the wrong type", "POST", "/messages", "", site.token, token, `{"message":{"content":5}}`, 400, "must be a string"},
		{"blank message", "POST", "/messages", "", site.token, token, `{"message":{"content":" "}}`, 422, "Content can't be blank"},
		{"unknown event", "POST", "/events", "", site.token, token, `{"name":"webwidget.closed"}`, 422, `Unknown event "webwidget.closed"`},
		{"event info too large", "POST", "/events", "", site.token, token,
			`{"name":"webwidget.triggered","event_info":{"referer":"https://shop.test/` + strings.Repeat("x", 9000) + `"}}`, 422, "Event info is too large"},
		{"bad before", "GET", "/messages", "&before=x", site.token, token, "", 400, "before must be a whole number"},
		{"unknown message", "PATCH", "/messages/999999", "", site.token, token, answer, 404, "Resource could not be found"},
		{"not a message id", "PATCH", "/messages/abc", "", site.token, token, answer, 404, "Resource could not be found"},
		{"another visitor's message", "PATCH", fmt.Sprintf("/messages/%v", q["id"]), "", site.token, token, answer, 404, "Resource could not be found"},
		{"a message of another inbox", "PATCH", fmt.Sprintf("/messages/%v", q["id"]), "", elsewhere.token, elsewhereToken, answer, 404, "Resource could not be found"},
		{"no question", "PATCH", fmt.Sprintf("/messages/%v", own["id"]), "", site.token, token, answer, 422, "is not a question"},
		{"not an option", "PATCH", fmt.Sprintf("/messages/%v", q["id"]), "", site.token, strangerToken,
			`{"message":{"submitted_values":[{"title":"B","value":"b"}]}}`, 422, "is not one of the options"},
	}
	t.Run("refusals", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				w := *site
				w.token = tt.websiteToken
				w.e = &env{World: e.World.With(t), t: t}
				r := w.request(tt.method, tt.path, tt.query, tt.auth, tt.body)
				if r.status != tt.status {
					t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.raw)
				}
				if tt.error == "" {
					return
				}
				msg, _ := r.body.(map[string]any)["error"].(string)
				if !strings.Contains(msg, tt.error) {
					t.Fatalf("error %q, want it to say %q", msg, tt.error)
				}
			})
		}
	})

	// The stranger's question is still unanswered.
	strangers, _ := site.messages("", strangerToken)
	for _, m := range strangers {
		if m.(map[string]any)["id"] == q["id"] && m.(map[string]any)["content_attributes"].(map[string]any)["submitted_values"] != nil {
			t.Fatalf("another visitor answered the stranger's question: %v", m)
		}
	}

	// One visitor's events are bounded: each is stored and sent on.
	_, eventer := site.visit()
	for range app.WidgetEventsPerMinute {
		site.must(204, "POST", "/events", "", eventer, `{"name":"webwidget.triggered","event_info":{}}`)
	}
	if r := site.request("POST", "/events", "", eventer, `{"name":"webwidget.triggered","event_info":{}}`); r.status != 429 {
		t.Fatalf("event %d of a minute: status %d, want 429: %s", app.WidgetEventsPerMinute+1, r.status, r.raw)
	}
	// The same answer again changes nothing and tells no one.
	for range 3 {
		site.must(200, "PATCH", fmt.Sprintf("/messages/%v", q["id"]), "", strangerToken, answer)
	}
	site.must(200, "POST", "/messages", "", strangerToken, `{"message":{"content":"after the answers"}}`)
	b.next(t, func(ev map[string]any) bool {
		return ev["event"] == "message_created" && ev["content"] == "after the answers"
	})
	updates := 0
	b.Mu.Lock()
	for _, ev := range b.Events {
		if ev["event"] == "message_updated" && ev["id"] == q["id"] {
			updates++
		}
	}
	b.Mu.Unlock()
	if updates != 1 {
		t.Fatalf("three same answers told the bot %d times, want once", updates)
	}
}

// TestWidgetAttachment: the widget sends a file as Chatwoot's widget does,
// a multipart form with nested keys (message[content],
// message[attachments][]); the bot gets the message with its attachment.
func TestWidgetAttachment(t *testing.T) {
	t.Parallel()
	e := start(t, storetest.OpenSQLite(t))
	site := newWidgetSite(e)
	b := newBot(t, nil)
	site.connect(b)
	_, token := site.visit()

	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("message[content]", "my receipt")
	_ = mw.WriteField("message[echo_id]", "echo-1")
	_ = mw.WriteField("message[timezone]", "America/Sao_Paulo")
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="message[attachments][]"; filename="receipt.png"`)
	h.Set("Content-Type", "image/png")
	part, _ := mw.CreatePart(h)
	png := []byte("\x89PNG\r\n\x1a\nnot really a picture")
	_, _ = part.Write(png)
	_ = mw.Close()
	req, err := http.NewRequest("POST", e.URL+"/api/v1/widget/messages?website_token="+site.token, &buf)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("X-Auth-Token", token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("widget message with a file: %d %s", res.StatusCode, body)
	}
	ev := b.next(t, is("message_created", "incoming"))
	atts, _ := ev["attachments"].([]any)
	if ev["content"] != "my receipt" || len(atts) != 1 {
		t.Fatalf("the bot got content %v with %d attachments", ev["content"], len(atts))
	}
	if zone := ev["conversation"].(map[string]any)["additional_attributes"].(map[string]any)["timezone"]; zone != "America/Sao_Paulo" {
		t.Errorf("the conversation a file started has the time zone %v", zone)
	}
	res, err = http.Get(atts[0].(map[string]any)["data_url"].(string))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !bytes.Equal(data, png) {
		t.Fatalf("the attachment's bytes differ")
	}
}

// TestWidgetNewConversationsAtOnce: a visitor who starts several
// conversations at once is answered, for each, with the conversation that
// request started, not with whichever is the latest by then.
func TestWidgetNewConversationsAtOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := start(t, s)
		site := newWidgetSite(e)
		_, token := site.visit()
		n := app.WidgetConversationsPerHour // as many as a visitor may start
		type answer struct {
			id, messageConversation any
			err                     error
		}
		answers := make(chan answer, n)
		for i := range n {
			go func() {
				req, _ := http.NewRequest("POST", e.URL+"/api/v1/widget/conversations?website_token="+site.token,
					strings.NewReader(fmt.Sprintf(`{"message":{"content":"start %d"}}`, i)))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Auth-Token", token)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					answers <- answer{err: err}
					return
				}
				defer res.Body.Close()
				var v map[string]any
				if err := json.NewDecoder(res.Body).Decode(&v); err != nil || res.StatusCode != 200 {
					answers <- answer{err: fmt.Errorf("status %d: %v %v", res.StatusCode, v, err)}
					return
				}
				answers <- answer{id: v["id"], messageConversation: v["messages"].([]any)[0].(map[string]any)["conversation_id"]}
			}()
		}
		seen := map[any]bool{}
		for range n {
			a := <-answers
			if a.err != nil {
				t.Fatal(a.err)
			}
			if a.id != a.messageConversation {
				t.Errorf("answered conversation %v with a message of conversation %v", a.id, a.messageConversation)
			}
			seen[a.id] = true
		}
		if len(seen) != n {
			t.Errorf("%d new conversations were answered as %d", n, len(seen))
		}
	})
}
