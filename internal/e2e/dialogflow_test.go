package e2e_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// bookingBot plays chatwoot/dialogflow-agent-bot-demo (Rails, 2021), the
// hotel booking bot:
//
//   - config/routes.rb: POST / is the webhook; it answers 200
//     {"sucess": true} (sic) unless the handler raises.
//   - request_handler.rb: on message_created it acts only when
//     message_type == "incoming" and conversation.status == statusCheck; on
//     every message_updated it runs the booking step named by the message's
//     content; everything else is ignored. The session key is
//     conversation.contact_inbox.source_id.
//   - auth_handler.rb: until the contact is verified (kept in Redis by
//     source_id) it asks for a mobile number, then for the OTP (always
//     "0000"), then says "You have been verified. How can I help?".
//   - Then Dialogflow answers; "__booking__" starts the booking with an
//     input_select "Select your hotel", "__handoff__" says so and calls
//     toggle_status {"status": "open"}.
//   - booking_handler.rb: "Select your hotel" → input_select "Select your
//     date" (today and the 15 days after, as {title, value} date strings);
//     "Select your date" → form "Fill your details" (text, email, text,
//     text_area); "Fill your details" → the confirmation, with the
//     submitted value named "name".
//   - chatwoot_client.rb: RestClient.post(CHATWOOT_URL + "/" + path) where
//     path starts with "/" (so //api/v1/...), JSON body, headers
//     Content-Type and Accept application/json and api_access_token (a
//     symbol, which RestClient sends as Api-Access-Token); every error is
//     rescued and logged.
//
// statusCheck is "bot" as published (the name of pending before July 2021)
// and "pending" in the variant brought up to date.
type bookingBot struct {
	chatwootURL string    // CHATWOOT_URL
	statusCheck string    // the status message_created must carry
	today       time.Time // Date.today

	mu       sync.Mutex
	redis    map[string]map[string]string // source_id → hash
	sessions []string                     // Dialogflow session ids used
	calls    []string                     // "<status> <request URI>" of each Chatwoot call
}

func newBookingBot(chatwootURL, statusCheck string) *bookingBot {
	return &bookingBot{chatwootURL: chatwootURL, statusCheck: statusCheck,
		today: time.Date(2021, 2, 10, 0, 0, 0, 0, time.UTC), redis: map[string]map[string]string{}}
}

// serve is the Rails application: its routes and BotController.
func (bb *bookingBot) serve(b *bot, params map[string]any, w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.Error(w, "Not Found", 404) // ActionController::RoutingError
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if r.Method == "GET" { // bot#index
		_, _ = w.Write([]byte(`{"sucess":true}`))
		return
	}
	if r.Method != "POST" {
		http.Error(w, "Not Found", 404)
		return
	}
	if err := bb.handle(b.token, params); err != nil {
		w.WriteHeader(500)
		_, _ = w.Write([]byte(`{"status":500,"error":"Internal Server Error"}`))
		return
	}
	_, _ = w.Write([]byte(`{"sucess":true}`))
}

// handle is RequestHandler#process; an error stands for an exception.
func (bb *bookingBot) handle(token string, params map[string]any) error {
	if params == nil {
		return fmt.Errorf("no params")
	}
	c := &bookingCall{bb: bb, token: token, params: params,
		account: num(dig(params, "account", "id")), conversation: num(dig(params, "conversation", "id"))}
	switch params["event"] {
	case "message_created":
		if params["message_type"] == "incoming" && dig(params, "conversation", "status") == bb.statusCheck {
			return c.messageCreated()
		}
	case "message_updated":
		return c.booking()
	}
	return nil
}

// bookingCall is one webhook's handling.
type bookingCall struct {
	bb                    *bookingBot
	token                 string
	params                map[string]any
	account, conversation string
}

func (c *bookingCall) messageCreated() error {
	contactInbox, ok := dig(c.params, "conversation", "contact_inbox").(map[string]any)
	if !ok {
		return fmt.Errorf("undefined method [] for nil")
	}
	sourceID := num(contactInbox["source_id"])
	content, _ := c.params["content"].(string)
	bb := c.bb
	bb.mu.Lock()
	h := bb.redis[sourceID]
	if h == nil {
		h = map[string]string{}
		bb.redis[sourceID] = h
	}
	status := h["auth_status"]
	bb.mu.Unlock()
	if status != "authenticated" { // AuthHandler
		switch status {
		case "":
			bb.hset(h, "auth_status", "pending")
			c.sendMessage("Please enter your mobile number to start the conversation")
		case "pending":
			c.sendMessage("Please enter the OTP sent to " + content)
			bb.hset(h, "auth_status", "otp_generated")
			bb.hset(h, "auth_code", "0000")
		case "otp_generated":
			bb.mu.Lock()
			code := h["auth_code"]
			bb.mu.Unlock()
			if code == content {
				c.sendMessage("You have been verified. How can I help?")
				bb.hset(h, "auth_status", "authenticated")
			} else {
				c.sendMessage("Invalid OTP. Please Enter the correct One")
			}
		}
		return nil
	}
	switch response := bb.dialogflow(sourceID, content); response {
	case "__handoff__":
		c.sendMessage("Transfering the conversation to an agent. You will get a response shortly.")
		c.post(fmt.Sprintf("/api/v1/accounts/%s/conversations/%s/toggle_status", c.account, c.conversation),
			map[string]any{"status": "open"})
	case "__booking__":
		c.sendMessage("Initiating a booking")
		hotels := []map[string]any{}
		for _, h := range []string{"Ritz-Carlton", "Marriott", "Hyatt", "Four Seasons", "St Regis"} {
			hotels = append(hotels, map[string]any{"title": h, "value": h})
		}
		c.sendItems("input_select", "Select your hotel", hotels)
	default:
		c.sendMessage(response)
	}
	return nil
}

func (bb *bookingBot) hset(h map[string]string, k, v string) {
	bb.mu.Lock()
	defer bb.mu.Unlock()
	h[k] = v
}

// dialogflow plays the agent built from the repository's
// dialogflow_intents/*.json: fulfillment texts "__booking__" (Hotel
// Booking), "__handoff__" (Agent Handoff), a greeting, and the fallback.
func (bb *bookingBot) dialogflow(session, text string) string {
	bb.mu.Lock()
	bb.sessions = append(bb.sessions, session)
	bb.mu.Unlock()
	switch t := strings.ToLower(text); {
	case strings.Contains(t, "book") || strings.Contains(t, "room"):
		return "__booking__"
	case strings.Contains(t, "agent") || strings.Contains(t, "human") || strings.Contains(t, "support"):
		return "__handoff__"
	case t == "hi" || t == "hello" || t == "hey there":
		return "Hello! How can I help you?"
	}
	return "Sorry, could you say that again?"
}

// booking is BookingHandler#handle_booking: the step is the message's
// content.
func (c *bookingCall) booking() error {
	switch c.params["content"] {
	case "Select your hotel":
		var dates []map[string]any
		for d := c.bb.today; !d.After(c.bb.today.AddDate(0, 0, 15)); d = d.AddDate(0, 0, 1) {
			dates = append(dates, map[string]any{"title": d.Format(time.DateOnly), "value": d.Format(time.DateOnly)})
		}
		c.sendItems("input_select", "Select your date", dates)
	case "Select your date":
		c.sendItems("form", "Fill your details", []map[string]any{
			{"name": "name", "placeholder": "Name", "type": "text", "label": "Name"},
			{"name": "email", "placeholder": "Email", "type": "email", "label": "Email"},
			{"name": "birthday", "placeholder": "Birthday", "type": "text", "label": "Birthday"},
			{"name": "text_area", "placeholder": "Please enter comments", "type": "text_area", "label": "Comments"},
		})
	case "Fill your details":
		// submitted_values.detect { |f| f["name"] == "name" }['value']
		values, ok := dig(c.params, "content_attributes", "submitted_values").([]any)
		if !ok {
			return fmt.Errorf("undefined method detect for nil")
		}
		i := slices.IndexFunc(values, func(v any) bool { return dig(v, "name") == "name" })
		if i < 0 {
			return fmt.Errorf("undefined method [] for nil")
		}
		c.sendMessage(fmt.Sprintf("Booking has been confirmed for %s. Let us know if there is anything else you need help with.",
			num(dig(values[i], "value"))))
	}
	return nil
}

func (c *bookingCall) sendMessage(content string) {
	c.post(fmt.Sprintf("/api/v1/accounts/%s/conversations/%s/messages", c.account, c.conversation),
		map[string]any{"content": content})
}

func (c *bookingCall) sendItems(contentType, content string, items []map[string]any) {
	c.post(fmt.Sprintf("/api/v1/accounts/%s/conversations/%s/messages", c.account, c.conversation),
		map[string]any{"content": content, "content_type": contentType, "content_attributes": map[string]any{"items": items}})
}

// post is ChatwootClient.post: errors are logged and dropped.
func (c *bookingCall) post(path string, payload any) {
	body, _ := json.Marshal(payload)
	req, err := http.NewRequest("POST", c.bb.chatwootURL+"/"+path, bytes.NewReader(body))
	if err != nil {
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Api-Access-Token", c.token)
	req.Header.Set("User-Agent", "rest-client/2.1.0 (linux x86_64) ruby/2.7.2p137")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return
	}
	_ = res.Body.Close()
	c.bb.mu.Lock()
	c.bb.calls = append(c.bb.calls, fmt.Sprintf("%d %s", res.StatusCode, req.URL.RequestURI()))
	c.bb.mu.Unlock()
}

// connectBookingBot starts the booking bot and connects it, with the
// outgoing URL of its README (the bare server URL).
func connectBookingBot(t *testing.T, e *env, statusCheck string) (*bot, *bookingBot) {
	bb := newBookingBot(e.URL, statusCheck)
	var serveMu sync.Mutex // one Puma thread is enough for a demo
	b := newBot(t, func(b *bot, ev map[string]any, w http.ResponseWriter, r *http.Request) {
		serveMu.Lock()
		defer serveMu.Unlock()
		bb.serve(b, ev, w, r)
	})
	e.connect(b, "")
	return b, bb
}

// TestDialogflowDemoAsPublished runs the booking bot exactly as published:
// it waits for conversation.status == "bot", which no server has sent since
// Chatwoot renamed the status pending in July 2021, so it never answers a
// customer. Baton sends "pending" and, like Chatwoot, gets no answer.
func TestDialogflowDemoAsPublished(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := start(t, s)
		b, bb := connectBookingBot(t, e, "bot")
		conv := e.customer("casey")
		for _, text := range []string{"hi", "I want to book a hotel"} {
			e.say("casey", conv, text)
			ev := b.next(t, incoming(text)) // handled by the time it is here
			if got := dig(ev, "conversation", "status"); got != "pending" {
				t.Fatalf("the bot got status %v, want pending", got)
			}
		}
		want := []string{"in: hi", "in: I want to book a hotel"}
		if got := e.lines(conv); !slices.Equal(got, want) {
			t.Fatalf("conversation %q, want %q: the published bot should never answer", got, want)
		}
		bb.mu.Lock()
		defer bb.mu.Unlock()
		if len(bb.calls) != 0 || len(bb.sessions) != 0 {
			t.Fatalf("the published bot called Chatwoot %q and Dialogflow %q", bb.calls, bb.sessions)
		}
		for _, d := range e.settled(b.id) {
			if d.Status != baton.DeliverySucceeded {
				t.Fatalf("delivery of %s: status %d, want succeeded (the bot answers 200)", d.EventName, d.Status)
			}
		}
		if got := e.status(conv); got != "pending" {
			t.Fatalf("conversation %s, want pending", got)
		}
	})
}

// TestDialogflowDemo runs the booking bot with its one status check brought
// up to date ("bot" → "pending"), everything else as published: phone
// verification, then the booking through an input_select of hotels, an
// input_select of dates and a form, each answered by the customer through
// the public API, then the handoff to people.
func TestDialogflowDemo(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := start(t, s)
		b, bb := connectBookingBot(t, e, "pending")
		conv := e.customer("casey")

		// last returns the conversation's last message, checking its line.
		last := func(want string) map[string]any {
			t.Helper()
			ms := e.messages(conv)
			m := ms[len(ms)-1]
			if got := line(m); got != want {
				t.Fatalf("last message %q, want %q", got, want)
			}
			if dig(m, "sender", "type") != "agent_bot" {
				t.Fatalf("sender %v, want the bot", m["sender"])
			}
			return m
		}
		say := func(text, reply string) {
			t.Helper()
			e.say("casey", conv, text)
			b.next(t, incoming(text))
			last(reply)
		}
		say("hi", "out: Please enter your mobile number to start the conversation")
		say("+15550100", "out: Please enter the OTP sent to +15550100")
		say("0000", "out: You have been verified. How can I help?")
		say("I want to book a hotel", "out: Select your hotel")

		hotels := last("out: Select your hotel")
		if hotels["content_type"] != "input_select" || len(dig(hotels, "content_attributes", "items").([]any)) != 5 {
			t.Fatalf("hotels message %v", hotels)
		}
		e.answer("casey", conv, hotels["id"], `[{"title":"Marriott","value":"Marriott"}]`)
		ev := b.next(t, updated("Select your hotel"))
		if ev["message_type"] != "outgoing" || ev["content_type"] != "input_select" || dig(ev, "sender", "type") != "agent_bot" {
			t.Fatalf("message_updated %v", ev)
		}
		if got := dig(ev, "content_attributes", "submitted_values").([]any); len(got) != 1 || dig(got[0], "value") != "Marriott" {
			t.Fatalf("submitted_values %v", got)
		}

		dates := last("out: Select your date")
		items := dig(dates, "content_attributes", "items").([]any)
		if dates["content_type"] != "input_select" || len(items) != 16 ||
			dig(items[0], "value") != "2021-02-10" || dig(items[15], "title") != "2021-02-25" {
			t.Fatalf("dates message %v", dates)
		}
		e.answer("casey", conv, dates["id"], `[{"title":"2021-02-12","value":"2021-02-12"}]`)
		b.next(t, updated("Select your date"))

		form := last("out: Fill your details")
		fields := dig(form, "content_attributes", "items").([]any)
		var types []string
		for _, f := range fields {
			types = append(types, dig(f, "type").(string))
		}
		if form["content_type"] != "form" || !slices.Equal(types, []string{"text", "email", "text", "text_area"}) {
			t.Fatalf("form message %v", form)
		}
		e.answer("casey", conv, form["id"], `[{"name":"name","value":"Casey Jones"},{"name":"email","value":"casey@example.com"},`+
			`{"name":"birthday","value":"1990-01-01"},{"name":"text_area","value":"Late arrival"}]`)
		ev = b.next(t, updated("Fill your details"))
		if got := dig(ev, "content_attributes", "submitted_values").([]any); len(got) != 4 || dig(got[0], "value") != "Casey Jones" {
			t.Fatalf("form submitted_values %v", got)
		}
		last("out: Booking has been confirmed for Casey Jones. Let us know if there is anything else you need help with.")

		e.say("casey", conv, "Talk to an agent")
		b.next(t, incoming("Talk to an agent"))
		if got := e.status(conv); got != "open" {
			t.Fatalf("after the handoff the conversation is %s, want open", got)
		}
		b.next(t, is("conversation_opened"))

		want := []string{
			"in: hi", "out: Please enter your mobile number to start the conversation",
			"in: +15550100", "out: Please enter the OTP sent to +15550100",
			"in: 0000", "out: You have been verified. How can I help?",
			"in: I want to book a hotel", "out: Initiating a booking", "out: Select your hotel",
			"out: Select your date", "out: Fill your details",
			"out: Booking has been confirmed for Casey Jones. Let us know if there is anything else you need help with.",
			"in: Talk to an agent", "out: Transfering the conversation to an agent. You will get a response shortly.",
			// Nobody is online to take the handoff: the customer is told
			// once, and asked for an e-mail (docs/webhooks.md).
			"template: " + app.DefaultAwayMessage, "template: Get notified by email",
		}
		if got := e.lines(conv); !slices.Equal(got, want) {
			t.Fatalf("conversation:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}

		// The bot took every event with 200 {"sucess":true}.
		for _, d := range e.settled(b.id) {
			if d.Status != baton.DeliverySucceeded {
				t.Fatalf("delivery of %s: status %d, want succeeded", d.EventName, d.Status)
			}
		}

		// Every call went to //api/v1/... and was answered 200; the session
		// was the contact's source_id.
		bb.mu.Lock()
		defer bb.mu.Unlock()
		if len(bb.calls) != 10 {
			t.Fatalf("%d calls to Chatwoot, want 10: %q", len(bb.calls), bb.calls)
		}
		for _, c := range bb.calls {
			if !strings.HasPrefix(c, fmt.Sprintf("200 //api/v1/accounts/%d/conversations/%d/", e.accountID, conv)) {
				t.Fatalf("call %q, want 200 on //api/v1/...", c)
			}
		}
		if !strings.HasSuffix(bb.calls[len(bb.calls)-1], "/toggle_status") {
			t.Fatalf("last call %q, want toggle_status", bb.calls[len(bb.calls)-1])
		}
		for _, s := range bb.sessions {
			if s != "casey" {
				t.Fatalf("Dialogflow session %q, want the source_id casey", s)
			}
		}
	})
}
