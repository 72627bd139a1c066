package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/batonhq/baton"
)

// Helpers for the tests that play the public Chatwoot bots (rasa_test.go,
// dialogflow_test.go, botpress_test.go).

// messages returns a conversation's messages as the administrator reads
// them, oldest first, activity messages left out.
func (e *env) messages(conv int64) []map[string]any {
	e.t.Helper()
	page := e.call("GET", e.acc(fmt.Sprintf("/conversations/%d/messages", conv)), e.adminToken, "", 200).(map[string]any)
	var out []map[string]any
	for _, m := range page["payload"].([]any) {
		m := m.(map[string]any)
		if m["message_type"] != float64(2) {
			out = append(out, m)
		}
	}
	return out
}

// line is a message reduced to who said it and what: "in: hi" for the
// customer, "out: Hello" for the bot.
func line(m map[string]any) string {
	dir := map[float64]string{0: "in", 1: "out", 3: "template"}[m["message_type"].(float64)]
	content, _ := m["content"].(string)
	return dir + ": " + content
}

// lines returns the lines of a conversation's messages.
func (e *env) lines(conv int64) []string {
	e.t.Helper()
	var out []string
	for _, m := range e.messages(conv) {
		out = append(out, line(m))
	}
	return out
}

// answer submits a customer's values for an interactive message through the
// public API, as a client of an API inbox does.
func (e *env) answer(sourceID string, conv int64, messageID any, submitted string) map[string]any {
	e.t.Helper()
	return e.call("PATCH", fmt.Sprintf("/public/api/v1/inboxes/%s/contacts/%s/conversations/%d/messages/%s",
		e.identifier, sourceID, conv, num(messageID)), "", `{"submitted_values":`+submitted+`}`, 200).(map[string]any)
}

// deliveries returns a bot's deliveries, oldest first.
func (e *env) deliveries(botID int64) []*baton.Delivery {
	e.t.Helper()
	ds, err := e.Store.Read().ListDeliveries(context.Background(), baton.BotTarget(botID), 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	slices.Reverse(ds)
	return ds
}

// settled waits until none of a bot's deliveries is still pending and
// returns them, oldest first.
func (e *env) settled(botID int64) []*baton.Delivery {
	e.t.Helper()
	var ds []*baton.Delivery
	eventually(e.t, "the bot's deliveries to settle", func() bool {
		ds = e.deliveries(botID)
		return !slices.ContainsFunc(ds, func(d *baton.Delivery) bool { return d.Status == baton.DeliveryPending })
	})
	return ds
}

// eventually waits, with a deadline, until cond holds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// incoming matches the message_created event of a customer's message with
// this content.
func incoming(content string) func(ev map[string]any) bool {
	return func(ev map[string]any) bool {
		return is("message_created", "incoming")(ev) && ev["content"] == content
	}
}

// updated matches the message_updated event of the message with this
// content.
func updated(content string) func(ev map[string]any) bool {
	return func(ev map[string]any) bool { return is("message_updated")(ev) && ev["content"] == content }
}

// dig follows keys through decoded JSON objects, as Ruby's Hash#dig does:
// nil when a step is missing or not an object.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// num writes a JSON number as Ruby and Python interpolate an integer: 12,
// never 12.0 or 1.2e+01. Anything else is written as fmt does.
func num(v any) string {
	if f, ok := v.(float64); ok && f == float64(int64(f)) {
		return strconv.FormatInt(int64(f), 10)
	}
	return fmt.Sprint(v)
}

// readJSON decodes a response body; ok is false when it is not JSON.
func readJSON(res *http.Response) (v any, body []byte, ok bool) {
	body, _ = io.ReadAll(res.Body)
	ok = json.Unmarshal(body, &v) == nil
	return v, body, ok
}

// download fetches a URL and returns its bytes.
func download(t *testing.T, url string) []byte {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: status %d: %s", url, res.StatusCode, b)
	}
	return b
}
