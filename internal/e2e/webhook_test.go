package e2e_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/signature"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// Integrations: account webhooks and the API inbox's webhook_url, riding
// on the delivery engine beside a bot.

// TestWebhooksAPI covers the account webhooks API as scenarios: who may,
// what is refused, what is shown.
func TestWebhooksAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := start(t, s)
		agent := e.user(e.accountID, "agent")
		_, otherAdmin := e.otherAdmin()
		for _, c := range []struct {
			name, method, path, token, body string
			status                          int
		}{
			{"unknown event refused", "POST", "/webhooks", e.adminToken, `{"webhook":{"url":"https://hooks.test/a","subscriptions":["message_created","message_exploded"]}}`, 422},
			{"no subscriptions refused", "POST", "/webhooks", e.adminToken, `{"url":"https://hooks.test/a","subscriptions":[]}`, 422},
			{"bad url refused", "POST", "/webhooks", e.adminToken, `{"url":"ftp://hooks.test/a","subscriptions":["message_created"]}`, 422},
			{"another account's inbox refused", "POST", "/webhooks", e.adminToken, `{"url":"https://hooks.test/a","subscriptions":["message_created"],"inbox_id":999999}`, 422},
			{"agents may not list", "GET", "/webhooks", agent, ``, 401},
			{"agents may not create", "POST", "/webhooks", agent, `{"url":"https://hooks.test/a","subscriptions":["message_created"]}`, 401},
			{"another account's administrator", "GET", "/webhooks", otherAdmin, ``, 401},
		} {
			t.Run(c.name, func(t *testing.T) {
				e.call(c.method, e.acc(c.path), c.token, c.body, c.status)
			})
		}

		v := e.call("POST", e.acc("/webhooks"), e.adminToken, fmt.Sprintf(`{"webhook":{"url":"https://hooks.test/n8n","name":"n8n",
			"subscriptions":["message_created","conversation_status_changed","message_created"],"inbox_id":%v}}`, e.inbox["id"]), 200)
		w := dig(v, "payload", "webhook").(map[string]any)
		secret, _ := w["secret"].(string)
		if w["name"] != "n8n" || w["url"] != "https://hooks.test/n8n" || len(secret) != 24 || w["webhook_type"] != "account_type" ||
			fmt.Sprint(w["subscriptions"]) != "[message_created conversation_status_changed]" || dig(w, "inbox", "id") != e.inbox["id"] ||
			w["webhook_secret"] != signature.StandardSecret(secret) {
			t.Fatalf("created webhook %v", w)
		}
		id := int64(w["id"].(float64))
		path := e.acc(fmt.Sprintf("/webhooks/%d", id))
		e.call("PATCH", path, otherAdmin, `{"name":"x"}`, 401)
		u := dig(e.call("PATCH", path, e.adminToken, `{"webhook":{"subscriptions":["message_updated"],"inbox_id":null}}`, 200), "payload", "webhook").(map[string]any)
		if fmt.Sprint(u["subscriptions"]) != "[message_updated]" || u["inbox"] != nil || u["secret"] != secret || u["name"] != "n8n" {
			t.Fatalf("updated webhook %v", u)
		}
		r := dig(e.call("POST", path+"/reset_secret", e.adminToken, ``, 200), "payload", "webhook").(map[string]any)
		if r["secret"] == secret || len(r["secret"].(string)) != 24 {
			t.Fatalf("the secret did not change: %v", r)
		}
		list := dig(e.call("GET", e.acc("/webhooks"), e.adminToken, "", 200), "payload", "webhooks").([]any)
		if len(list) != 1 || dig(list[0], "id") != float64(id) {
			t.Fatalf("list %v", list)
		}
		e.call("DELETE", path, e.adminToken, "", 200)
		e.call("DELETE", path, e.adminToken, "", 404)

		// The allow-list of private hosts: administrators only, checked.
		e.call("PUT", e.acc("/webhook_allowed_private"), agent, `{"allowed_private":["n8n.internal"]}`, 401)
		e.call("PUT", e.acc("/webhook_allowed_private"), e.adminToken, `{"allowed_private":["not a host!"]}`, 422)
		got := e.call("PUT", e.acc("/webhook_allowed_private"), e.adminToken, `{"allowed_private":["N8N.internal","10.0.0.0/8","10.0.0.0/8"]}`, 200)
		if fmt.Sprint(dig(got, "allowed_private")) != "[n8n.internal 10.0.0.0/8]" {
			t.Fatalf("allow-list %v", got)
		}
	})
}

// TestIntegrations runs a bot, an n8n-style integration subscribed to
// message_created and an API inbox's webhook_url side by side on one
// conversation: the integration hears every message in order, signed, with
// the same body the bot hears; the inbox's webhook hears the bot's and the
// team's replies (never a private note) and the status events; a failing
// integration slows nobody and hands nothing over; the delivery log shows
// both webhooks.
func TestIntegrations(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := start(t, s)
		b := newBot(t, func(b *bot, ev map[string]any, w http.ResponseWriter, r *http.Request) {
			if ev["event"] == "message_created" && ev["message_type"] == "incoming" {
				// The bot answers through the API once it has acknowledged.
				go post(t, e.URL+e.acc(fmt.Sprintf("/conversations/%v/messages", dig(ev, "conversation", "id"))),
					b.token, fmt.Sprintf(`{"content":"bot: %s"}`, ev["content"]))
			}
		})
		e.connect(b, "")
		n8n := newBot(t, nil)
		created := e.call("POST", e.acc("/webhooks"), e.adminToken, fmt.Sprintf(`{"webhook":{"url":%q,"subscriptions":["message_created"]}}`, n8n.URL), 200)
		secret := dig(created, "payload", "webhook", "secret").(string)
		broken := newBot(t, func(_ *bot, _ map[string]any, w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
		})
		e.call("POST", e.acc("/webhooks"), e.adminToken, fmt.Sprintf(`{"url":%q,"subscriptions":["message_created","message_updated"]}`, broken.URL), 200)
		channel := newBot(t, nil)
		e.call("PATCH", e.acc(fmt.Sprintf("/inboxes/%v", e.inbox["id"])), e.adminToken, fmt.Sprintf(`{"channel":{"webhook_url":%q}}`, channel.URL), 200)

		conv := e.customer("casey")
		for _, m := range []string{"one", "two"} {
			e.say("casey", conv, m)
			b.next(t, incoming(m))
			channel.next(t, func(ev map[string]any) bool { return ev["content"] == "bot: "+m })
		}
		if e.status(conv) != "pending" {
			t.Fatalf("the failing integration handed the conversation over: %s", e.status(conv))
		}
		// The team takes over, answers, and writes a private note.
		e.call("POST", e.acc(fmt.Sprintf("/conversations/%d/toggle_status", conv)), e.adminToken, `{"status":"open"}`, 200)
		e.call("POST", e.acc(fmt.Sprintf("/conversations/%d/messages", conv)), e.adminToken, `{"content":"team: hello"}`, 200)
		e.call("POST", e.acc(fmt.Sprintf("/conversations/%d/messages", conv)), e.adminToken, `{"content":"note","private":true}`, 200)
		e.call("POST", e.acc(fmt.Sprintf("/conversations/%d/toggle_status", conv)), e.adminToken, `{"status":"resolved"}`, 200)

		// Nobody was online at the handoff: the customer is told so, and
		// asked for an e-mail, through the API inbox's webhook, which is
		// how its customers hear anything; the integration hears it too.
		for _, told := range []string{app.DefaultAwayMessage, "Get notified by email"} {
			ev := channel.next(t, func(ev map[string]any) bool { return ev["content"] == told })
			if ev["event"] != "message_created" || ev["message_type"] != "template" {
				t.Errorf("the API inbox's webhook heard %q as %v %v", told, ev["event"], ev["message_type"])
			}
		}
		want := []string{"one", "bot: one", "two", "bot: two", app.DefaultAwayMessage, "Get notified by email", "team: hello", "note"}
		eventually(t, "the integration to hear every message", func() bool { return len(contents(n8n)) >= len(want) })
		if got := contents(n8n); !slices.Equal(got, want) {
			t.Fatalf("the integration heard %v, want %v", got, want)
		}
		n8n.Mu.Lock()
		for i, h := range n8n.Headers {
			if n8n.Events[i]["event"] != "message_created" {
				t.Errorf("the integration heard %v, not subscribed", n8n.Events[i]["event"])
			}
			if h.Get("X-Chatwoot-Signature") != signature.Chatwoot(secret, h.Get("X-Chatwoot-Timestamp"), n8n.Bodies[i]) {
				t.Errorf("delivery %d does not verify", i)
			}
			if n8n.Events[i]["account"] == nil || n8n.Events[i]["event"] == nil {
				t.Errorf("payload without event or account: %v", n8n.Events[i])
			}
		}
		first := n8n.Bodies[0]
		n8n.Mu.Unlock()
		b.Mu.Lock()
		same := slices.ContainsFunc(b.Bodies, func(body []byte) bool { return bytes.Equal(body, first) })
		b.Mu.Unlock()
		if !same {
			t.Errorf("the integration's body for the customer's message is not the bot's:\n%s", first)
		}

		// The channel heard the replies and the status events, no note.
		eventually(t, "the channel to hear the resolution", func() bool {
			return slices.Contains(channel.eventNames(), "conversation_status_changed") && len(statuses(channel)) >= 2
		})
		got := contents(channel)
		for _, m := range []string{"one", "bot: one", "two", "bot: two", "team: hello"} {
			if !slices.Contains(got, m) {
				t.Errorf("the channel did not hear %q: %v", m, got)
			}
		}
		if slices.Contains(got, "note") {
			t.Errorf("the channel heard a private note: %v", got)
		}
		if st := statuses(channel); !slices.Equal(st, []string{"open", "resolved"}) {
			t.Errorf("the channel heard statuses %v", st)
		}

		// The delivery log shows both webhooks; the broken one kept
		// failing without holding anyone back.
		list := dig(e.call("GET", e.acc("/webhooks"), e.adminToken, "", 200), "payload", "webhooks").([]any)
		if len(list) != 3 {
			t.Fatalf("%d webhooks listed, want 3", len(list))
		}
		for _, w := range list {
			id := dig(w, "id")
			page := e.call("GET", e.acc(fmt.Sprintf("/webhooks/%v/deliveries?per_page=100", id)), e.adminToken, "", 200).(map[string]any)
			ds := page["payload"].([]any)
			if len(ds) == 0 {
				t.Errorf("webhook %v (%v): empty delivery log", id, dig(w, "webhook_type"))
			}
			if dig(w, "webhook_type") == "api_inbox_type" {
				one := ds[len(ds)-1].(map[string]any)
				again := e.call("POST", e.acc(fmt.Sprintf("/webhooks/%v/deliveries/%v/redeliver", id, one["id"])), e.adminToken, "", 200).(map[string]any)
				if again["id"] == one["id"] || again["event"] != one["event"] {
					t.Errorf("redelivery %v of %v", again, one)
				}
				n := e.call("POST", e.acc(fmt.Sprintf("/webhooks/%v/replay", id)), e.adminToken, fmt.Sprintf(`{"conversation_id":%d}`, conv), 200)
				if dig(n, "deliveries").(float64) < 5 {
					t.Errorf("replay queued %v", n)
				}
			}
		}
		// Another account's administrator sees no such webhook.
		_, other := e.otherAdmin()
		e.call("GET", e.acc(fmt.Sprintf("/webhooks/%v/deliveries", dig(list[0], "id"))), other, "", 401)

		// Clearing webhook_url stops the channel's delivery.
		e.call("PATCH", e.acc(fmt.Sprintf("/inboxes/%v", e.inbox["id"])), e.adminToken, `{"channel":{"webhook_url":""}}`, 200)
		if list := dig(e.call("GET", e.acc("/webhooks"), e.adminToken, "", 200), "payload", "webhooks").([]any); len(list) != 2 {
			t.Fatalf("%d webhooks after clearing webhook_url, want 2", len(list))
		}
	})
}

// post makes a request from a goroutine that is not the test's: a failure
// is reported, not fatal.
func post(t *testing.T, url, token, body string) {
	req, err := http.NewRequest("POST", url, strings.NewReader(body))
	if err != nil {
		t.Error(err)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("api_access_token", token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("POST %s: status %d", url, res.StatusCode)
	}
}

// contents returns the contents of the message_created events received, in order.
func contents(b *bot) []string {
	b.Mu.Lock()
	defer b.Mu.Unlock()
	var out []string
	for _, ev := range b.Events {
		if ev["event"] == "message_created" {
			s, _ := ev["content"].(string)
			out = append(out, s)
		}
	}
	return out
}

// statuses returns the statuses of the conversation_status_changed events received.
func statuses(b *bot) []string {
	b.Mu.Lock()
	defer b.Mu.Unlock()
	var out []string
	for _, ev := range b.Events {
		if ev["event"] == "conversation_status_changed" {
			s, _ := ev["status"].(string)
			out = append(out, s)
		}
	}
	return out
}

// TestWebhookPayloads pins, as golden files, the webhooks API's body and
// the bodies an integration and an API inbox's channel receive: Chatwoot's
// webhook payloads, from the builders the bots' come from, with event and
// account.
func TestWebhookPayloads(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := start(t, s)
		hook := newBot(t, nil)
		raw := e.rawCall("POST", e.acc("/webhooks"), e.adminToken, fmt.Sprintf(`{"webhook":{"url":%q,"name":"n8n",
			"subscriptions":["conversation_created","message_created","conversation_status_changed"]}}`, hook.URL))
		secret := dig(jsonOf(t, raw), "payload", "webhook", "secret").(string)
		raw = bytes.ReplaceAll(raw, []byte(signature.StandardSecret(secret)), []byte("whsec_SECRET"))
		e.golden(hook, "webhook_create", bytes.ReplaceAll(raw, []byte(secret), []byte("SECRET")))
		channel := newBot(t, nil)
		e.call("PATCH", e.acc(fmt.Sprintf("/inboxes/%v", e.inbox["id"])), e.adminToken, fmt.Sprintf(`{"channel":{"webhook_url":%q}}`, channel.URL), 200)

		conv := e.customer("casey")
		e.golden(hook, "webhook_conversation_created", hook.nextBody(t, is("conversation_created")))
		if body := channel.nextBody(t, is("conversation_created")); !bytes.Equal(body, hook.lastBody()) {
			t.Errorf("the channel's conversation_created is not the integration's:\n%s", body)
		}
		e.say("casey", conv, "Where is my order?")
		e.golden(hook, "webhook_message_created_incoming", hook.nextBody(t, is("message_created", "incoming")))
		e.call("POST", e.acc(fmt.Sprintf("/conversations/%d/messages", conv)), e.adminToken, `{"content":"It ships today."}`, 200)
		e.golden(hook, "webhook_message_created_outgoing_user", hook.nextBody(t, is("message_created", "outgoing")))
		e.call("POST", e.acc(fmt.Sprintf("/conversations/%d/toggle_status", conv)), e.adminToken, `{"status":"resolved"}`, 200)
		e.golden(hook, "webhook_conversation_status_changed", hook.nextBody(t, is("conversation_status_changed")))
		channel.next(t, is("conversation_status_changed"))
		channel.next(t, is("conversation_updated")) // the status, as Chatwoot reports it again
		if got := channel.eventNames(); !slices.Equal(got, []string{"conversation_created", "message_created:incoming",
			"conversation_updated", "message_created:outgoing", "conversation_status_changed", "conversation_updated"}) {
			t.Errorf("the channel heard %v", got)
		}
	})
}

// rawCall makes a request that must answer 200 and returns the raw body.
func (e *env) rawCall(method, path, token, body string) []byte {
	e.t.Helper()
	req, err := http.NewRequest(method, e.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("api_access_token", token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		e.t.Fatalf("%s %s: status %d: %s", method, path, res.StatusCode, b)
	}
	return b
}

func jsonOf(t *testing.T, raw []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// lastBody is the body of the last event the bot received.
func (b *bot) lastBody() []byte {
	b.Mu.Lock()
	defer b.Mu.Unlock()
	return b.Bodies[len(b.Bodies)-1]
}

// TestContactEvents: contact_created and contact_updated go to the account
// webhooks for every inbox that subscribe to them, never to an inbox's
// webhook or one limited to an inbox; an update that changes nothing is
// no event.
func TestContactEvents(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := start(t, s)
		crm := newBot(t, nil)
		e.call("POST", e.acc("/webhooks"), e.adminToken, fmt.Sprintf(`{"url":%q,"subscriptions":["contact_created","contact_updated"]}`, crm.URL), 200)
		limited := newBot(t, nil)
		e.call("POST", e.acc("/webhooks"), e.adminToken, fmt.Sprintf(`{"url":%q,"subscriptions":["contact_created","message_created"],"inbox_id":%v}`,
			limited.URL, e.inbox["id"]), 200)
		channel := newBot(t, nil)
		e.call("PATCH", e.acc(fmt.Sprintf("/inboxes/%v", e.inbox["id"])), e.adminToken, fmt.Sprintf(`{"channel":{"webhook_url":%q}}`, channel.URL), 200)

		conv := e.customer("casey")
		e.golden(crm, "webhook_contact_created", crm.nextBody(t, is("contact_created")))
		contactID := dig(e.conversation(conv), "meta", "sender", "id")
		path := e.acc(fmt.Sprintf("/contacts/%v", contactID))
		e.call("PATCH", path, e.adminToken, `{"name":"Casey"}`, 200) // unchanged: no event
		e.call("PATCH", path, e.adminToken, `{"name":"Casey Jones","email":"casey@acme.test"}`, 200)
		e.golden(crm, "webhook_contact_updated", crm.nextBody(t, is("contact_updated")))
		e.say("casey", conv, "hello")
		limited.next(t, is("message_created"))
		channel.next(t, is("message_created"))
		if got := crm.eventNames(); !slices.Equal(got, []string{"contact_created", "contact_updated"}) {
			t.Errorf("the CRM heard %v", got)
		}
		for _, b := range []*bot{limited, channel} {
			if slices.ContainsFunc(b.eventNames(), func(n string) bool { return strings.HasPrefix(n, "contact_") }) {
				t.Errorf("a webhook of an inbox heard a contact event: %v", b.eventNames())
			}
		}
	})
}

// TestWebhookTyping: conversation_typing_on and _off go, as Chatwoot's
// webhook listener builds them, to the account webhooks subscribed to
// them and to the API inbox's webhook; never to a webhook not subscribed,
// nor to bots.
func TestWebhookTyping(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := start(t, s)
		hook := newBot(t, nil)
		e.call("POST", e.acc("/webhooks"), e.adminToken, fmt.Sprintf(`{"url":%q,"subscriptions":["conversation_typing_on","conversation_typing_off"]}`, hook.URL), 200)
		deaf := newBot(t, nil)
		e.call("POST", e.acc("/webhooks"), e.adminToken, fmt.Sprintf(`{"url":%q,"subscriptions":["message_created"]}`, deaf.URL), 200)
		conv := e.customer("casey")
		path := e.acc(fmt.Sprintf("/conversations/%d/toggle_typing_status", conv))
		e.call("POST", path, e.adminToken, `{"typing_status":"on","is_private":true}`, 200)
		e.golden(hook, "webhook_conversation_typing_on", hook.nextBody(t, is("conversation_typing_on")))
		e.call("POST", path, e.adminToken, `{"typing_status":"off"}`, 200)
		body := hook.nextBody(t, is("conversation_typing_off"))
		if v := jsonOf(t, body); dig(v, "is_private") != false || dig(v, "user", "type") != "user" {
			t.Errorf("typing off: %s", body)
		}
		// The customer typing: the contact's webhook_data is the user.
		e.call("POST", fmt.Sprintf("/public/api/v1/inboxes/%s/contacts/casey/conversations/%d/toggle_typing", e.identifier, conv),
			"", `{"typing_status":"on"}`, 200)
		body = hook.nextBody(t, is("conversation_typing_on"))
		if v := jsonOf(t, body); dig(v, "user", "name") != "Casey" || dig(v, "user", "type") != nil {
			t.Errorf("customer typing: %s", body)
		}
		e.say("casey", conv, "hello")
		deaf.next(t, is("message_created"))
		if slices.ContainsFunc(deaf.eventNames(), func(n string) bool { return strings.HasPrefix(n, "conversation_typing") }) {
			t.Errorf("a webhook not subscribed heard typing: %v", deaf.eventNames())
		}
	})
}
