package e2e_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// rasaNLU plays a Rasa server's REST channel (POST /webhooks/rest/webhook
// {sender, message} → [{recipient_id, text}…]) with the replies of the
// moodbot that `rasa init` makes, as a fixed mapping.
type rasaNLU struct {
	*httptest.Server
	mu   sync.Mutex
	said []map[string]any // the requests it got
}

var moodbot = map[string][]string{
	"hi":       {"Hey! How are you?"},
	"I am sad": {"Here is something to cheer you up:", "Did that help you?"},
	"bye":      {"Bye"},
}

func newRasaNLU(t *testing.T) *rasaNLU {
	n := &rasaNLU{}
	n.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "POST" || r.URL.Path != "/webhooks/rest/webhook" {
			http.NotFound(w, r)
			return
		}
		var req map[string]any
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		n.mu.Lock()
		n.said = append(n.said, req)
		n.mu.Unlock()
		out := []map[string]any{}
		msg, _ := req["message"].(string)
		for _, text := range moodbot[msg] {
			out = append(out, map[string]any{"recipient_id": num(req["sender"]), "text": text})
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(n.Close)
	return n
}

// rasaRouter plays chatwoot/rasa-agent-bot-demo's rasa_flask_router.py as
// last published (2020-11-25): one Flask route, POST /rasa. It reads
// data['message_type'], ['content'], ['conversation']['id'],
// ['sender']['id'] and ['account']['id'] (a missing key or a null object
// raises); for an incoming message it asks Rasa (requests.post with
// Content-Type and Accept JSON, taking r.json()[0]['text']), posts the text
// to Chatwoot with the header api_access_token, parses the answer with
// r.json() and returns it, which Flask sends as 200 JSON. For anything else
// the view returns a variable it never set: UnboundLocalError, HTTP 500.
type rasaRouter struct {
	rasaURL     string // rasa_url
	chatwootURL string // chatwoot_url
	created     []int  // the status of each create-message call
	mu          sync.Mutex
}

// errPython stands for an exception raised in the Flask view.
var errPython = errors.New("exception in the view")

func (rr *rasaRouter) serve(b *bot, data map[string]any, w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/rasa" {
		http.Error(w, "404 Not Found", 404)
		return
	}
	if r.Method != "POST" {
		http.Error(w, "405 Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	// request.get_json() wants a JSON body.
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		http.Error(w, "415 Unsupported Media Type", http.StatusUnsupportedMediaType)
		return
	}
	out, err := rr.view(b, data)
	if err != nil {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte("<!doctype html>\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error</h1>"))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

// view is the Flask view function; data is the decoded body.
func (rr *rasaRouter) view(b *bot, data map[string]any) (any, error) {
	if data == nil {
		return nil, errPython
	}
	key := func(v any, k string) (any, error) { // data['k']: KeyError, TypeError
		m, ok := v.(map[string]any)
		if !ok {
			return nil, errPython
		}
		x, ok := m[k]
		if !ok {
			return nil, errPython
		}
		return x, nil
	}
	path := func(keys ...string) (any, error) {
		var v any = data
		for _, k := range keys {
			var err error
			if v, err = key(v, k); err != nil {
				return nil, err
			}
		}
		return v, nil
	}
	var vals [5]any
	for i, p := range [][]string{{"message_type"}, {"content"}, {"conversation", "id"}, {"sender", "id"}, {"account", "id"}} {
		v, err := path(p...)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	messageType, message, conversation, contact, account := vals[0], vals[1], vals[2], vals[3], vals[4]
	if messageType != "incoming" {
		return nil, errPython // return create_message: never assigned
	}
	text, err := rr.sendToBot(contact, message)
	if err != nil {
		return nil, err
	}
	return rr.sendToChatwoot(b, account, conversation, text)
}

func (rr *rasaRouter) sendToBot(sender, message any) (any, error) {
	body, _ := json.Marshal(map[string]any{"sender": sender, "message": message})
	req, _ := http.NewRequest("POST", rr.rasaURL+"/webhooks/rest/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, errPython
	}
	defer res.Body.Close()
	v, _, ok := readJSON(res)
	list, _ := v.([]any)
	if !ok || len(list) == 0 { // r.json()[0]: IndexError
		return nil, errPython
	}
	text, ok := list[0].(map[string]any)["text"]
	if !ok {
		return nil, errPython
	}
	return text, nil
}

func (rr *rasaRouter) sendToChatwoot(b *bot, account, conversation, message any) (any, error) {
	body, _ := json.Marshal(map[string]any{"content": message})
	url := fmt.Sprintf("%s/api/v1/accounts/%s/conversations/%s/messages", rr.chatwootURL, num(account), num(conversation))
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header["api_access_token"] = []string{b.token} // requests sends the name as written
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, errPython
	}
	defer res.Body.Close()
	rr.mu.Lock()
	rr.created = append(rr.created, res.StatusCode)
	rr.mu.Unlock()
	v, _, ok := readJSON(res) // r.json(), whatever the status
	if !ok {
		return nil, errPython
	}
	return v, nil
}

// TestRasaDemo runs chatwoot/rasa-agent-bot-demo's Flask router against
// Baton: the customer gets Rasa's replies in order; the router's 500s for
// its own messages' events are retried and given up without holding back
// the customer's next message, and without handing the conversation over.
func TestRasaDemo(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := start(t, s)
		nlu := newRasaNLU(t)
		router := &rasaRouter{rasaURL: nlu.URL, chatwootURL: e.URL}
		var serveMu sync.Mutex // Flask's development server: one request at a time
		b := newBot(t, func(b *bot, ev map[string]any, w http.ResponseWriter, r *http.Request) {
			serveMu.Lock()
			defer serveMu.Unlock()
			router.serve(b, ev, w, r)
		})
		e.connect(b, "/rasa")

		conv := e.customer("casey")
		if got := e.status(conv); got != "pending" {
			t.Fatalf("a new conversation is %s, want pending", got)
		}
		var contactID any
		for _, text := range []string{"hi", "I am sad", "bye"} {
			// The customer writes as soon as the previous reply is there,
			// while the router is still failing on that reply's event.
			e.say("casey", conv, text)
			ev := b.next(t, incoming(text))
			contactID = dig(ev, "sender", "id")
			if got := e.lines(conv); got[len(got)-1] != "out: "+moodbot[text][0] {
				t.Fatalf("after %q the conversation is %q, want Rasa's first reply last", text, got)
			}
		}

		want := []string{"in: hi", "out: Hey! How are you?", "in: I am sad", "out: Here is something to cheer you up:",
			"in: bye", "out: Bye"}
		if got := e.lines(conv); !slices.Equal(got, want) {
			t.Fatalf("conversation %q, want %q", got, want)
		}
		for _, m := range e.messages(conv) {
			if m["message_type"] == float64(1) && (dig(m, "sender", "type") != "agent_bot" || dig(m, "sender", "id") != float64(b.id)) {
				t.Fatalf("a reply's sender is %v, want the bot", m["sender"])
			}
		}
		// Rasa got the contact's id as the sender, and the customer's words.
		contact := e.call("GET", "/public/api/v1/inboxes/"+e.identifier+"/contacts/casey", "", "", 200).(map[string]any)
		if contactID != contact["id"] {
			t.Fatalf("the event's sender.id is %v, want the contact's id %v", contactID, contact["id"])
		}
		nlu.mu.Lock()
		for i, text := range []string{"hi", "I am sad", "bye"} {
			if got := nlu.said[i]; got["sender"] != contactID || got["message"] != text {
				t.Fatalf("Rasa got %v, want sender %v message %q", got, contactID, text)
			}
		}
		nlu.mu.Unlock()
		router.mu.Lock()
		if !slices.Equal(router.created, []int{200, 200, 200}) {
			t.Fatalf("create-message answers %v, want three 200s", router.created)
		}
		router.mu.Unlock()

		// Every customer message was taken at once; every event of the bot's
		// own replies was tried three times, under one delivery id, and
		// given up.
		ds := e.settled(b.id)
		if len(ds) != 6 {
			t.Fatalf("%d deliveries, want 6", len(ds))
		}
		tries := map[string]int{}
		b.Mu.Lock()
		for _, h := range b.Headers {
			tries[h.Get("X-Chatwoot-Delivery")]++
		}
		b.Mu.Unlock()
		for i, d := range ds {
			var p map[string]any
			_ = json.Unmarshal(d.Payload, &p)
			wantSucceeded, wantAttempts, wantType := true, 1, "incoming"
			if i%2 == 1 {
				wantSucceeded, wantAttempts, wantType = false, 3, "outgoing"
			}
			if d.EventName != "message_created" || p["message_type"] != wantType || (d.Status == baton.DeliverySucceeded) != wantSucceeded ||
				d.Attempts != wantAttempts || tries[d.UUID] != wantAttempts {
				t.Fatalf("delivery %d: %s %v status %d after %d attempts (%d received), want %s, succeeded %v, after %d",
					i, d.EventName, p["message_type"], d.Status, d.Attempts, tries[d.UUID], wantType, wantSucceeded, wantAttempts)
			}
		}

		// Baton does not hand the conversation over for the router's 500s.
		if got := e.status(conv); got != "pending" {
			t.Fatalf("after the router's 500s the conversation is %s, want pending", got)
		}
	})
}
