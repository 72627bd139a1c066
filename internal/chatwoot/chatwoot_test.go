package chatwoot_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"regexp"
	"testing"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/batontest"
	"github.com/batonhq/baton/internal/store"
)

// bundle is a test's world (batontest.World) on a clock that moves a
// second at every reading, so that every row has a time of its own, with
// one account that has an administrator, an agent who is a member of no
// inbox, an API inbox and a web widget inbox, and a platform app that made
// none of it.
type bundle struct {
	*batontest.World
	account int64
	admin   string // administrator's token
	adminID int64
	agent   string // agent's token
	agentID int64
	api     *baton.Inbox
	widget  *baton.Inbox
}

// start is where every test's clock begins.
var start = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// setup builds a bundle on the store, or on a new SQLite database when s is
// nil. A fuzz target builds one bundle and gives each input a copy with its
// own t (with).
func setup(t testing.TB, s *store.Store) *bundle {
	t.Helper()
	return setupOn(t, s, batontest.NewTickingClock(start, time.Second))
}

// setupOn builds a bundle on the store (nil: a new SQLite database) and
// clock.
func setupOn(t testing.TB, s *store.Store, clock *batontest.Clock) *bundle {
	t.Helper()
	b := &bundle{World: batontest.Start(t, batontest.Options{Store: s, Clock: clock,
		App: func(c *app.Config) {
			c.Renderer = nil // no events: these tests are the API's
			c.Limits = app.Limits{MessagesPerMinute: 1 << 30}
		}})}
	b.account = b.NewAccount("Acme")
	user := func(name, role string) (int64, string) {
		return b.NewUser(b.account, name, fmt.Sprintf("%s%d@acme.test", name, b.account), role)
	}
	b.adminID, b.admin = user("Ada", "administrator")
	b.agentID, b.agent = user("Alan", "agent")
	b.api = b.NewInbox(b.account, "API", baton.ChannelAPI)
	b.widget = b.NewInbox(b.account, "Web", baton.ChannelWebWidget)
	return b
}

// with is a copy of the bundle that fails t.
func (b *bundle) with(t testing.TB) *bundle {
	c := *b
	c.World = b.World.With(t)
	return &c
}

type (
	request  = batontest.Request
	response = batontest.Response
)

// do sends the request.
func (b *bundle) do(rq request) *response {
	b.T.Helper()
	return b.Do(rq)
}

// send sends a request made by hand.
func (b *bundle) send(req *http.Request) *response {
	b.T.Helper()
	return batontest.Send(b.T, req)
}

// must sends the request and fails the test unless it answers 200.
func (b *bundle) must(rq request) *response {
	b.T.Helper()
	r := b.Do(rq)
	if r.Status != http.StatusOK {
		b.T.Fatalf("%s %s: status %d, want 200\n%s", rq.Method, rq.Path, r.Status, r.Body)
	}
	return r
}

// acc is a path in the bundle's account.
func (b *bundle) acc(format string, args ...any) string {
	return fmt.Sprintf("/api/v1/accounts/%d", b.account) + fmt.Sprintf(format, args...)
}

// pub is a path of the public API of the bundle's API inbox.
func (b *bundle) pub(format string, args ...any) string {
	return "/public/api/v1/inboxes/" + b.api.Identifier + fmt.Sprintf(format, args...)
}

// customer makes a contact in the API inbox through the public API and a
// conversation for them, and returns the conversation's display id.
func (b *bundle) customer(sourceID string) int64 {
	b.T.Helper()
	b.must(request{Method: "POST", Path: b.pub("/contacts"), Body: map[string]any{"source_id": sourceID, "name": "Customer " + sourceID}})
	c := b.must(request{Method: "POST", Path: b.pub("/contacts/%s/conversations", sourceID)}).Object(b.T)
	return int64(c["id"].(float64))
}

// say posts a customer message through the public API.
func (b *bundle) say(sourceID string, conv int64, content string) map[string]any {
	b.T.Helper()
	return b.must(request{Method: "POST", Path: b.pub("/contacts/%s/conversations/%d/messages", sourceID, conv),
		Body: map[string]any{"content": content}}).Object(b.T)
}

// messages lists a conversation's messages as the administrator sees them.
func (b *bundle) messages(conv int64) []any {
	b.T.Helper()
	r := b.must(request{Method: "GET", Path: b.acc("/conversations/%d/messages", conv), Token: b.admin}).Object(b.T)
	return r["payload"].([]any)
}

// multipartBody builds a multipart form with fields and files, returning
// the body and its content type.
func multipartBody(t testing.TB, fields map[string]string, files map[string][]byte, fileType string) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := w.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	for name, content := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="attachments[]"; filename=%q`, name))
		h.Set("Content-Type", fileType)
		part, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := part.Write(content); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), w.FormDataContentType()
}

// scenario is one request and what it must answer.
type scenario struct {
	name     string
	req      request
	status   int
	contains []string // substrings the body must hold
	check    func(t testing.TB, r *response)
}

// run plays the scenarios in order, each as a subtest: they share the
// bundle's database.
func (b *bundle) run(scenarios []scenario) {
	b.T.Helper()
	for _, sc := range scenarios {
		play := func(t testing.TB) {
			t.Helper()
			r := b.with(t).do(sc.req)
			if r.Status != sc.status {
				t.Errorf("%s: %s %s: status %d, want %d\n%s", sc.name, sc.req.Method, sc.req.Path, r.Status, sc.status, r.Body)
				return
			}
			if len(r.Body) > 0 && !json.Valid(r.Body) {
				t.Errorf("%s: body is not JSON: %s", sc.name, r.Body)
			}
			for _, want := range sc.contains {
				if !bytes.Contains(r.Body, []byte(want)) {
					t.Errorf("%s: body lacks %s\n%s", sc.name, want, r.Body)
				}
			}
			if sc.check != nil {
				sc.check(t, r)
			}
		}
		if parent, ok := b.T.(*testing.T); ok {
			parent.Run(sc.name, func(t *testing.T) { play(t) })
		} else {
			play(b.T)
		}
	}
}

// volatile are keys whose values change from run to run (tokens, uuids,
// random names) or with the clock; golden files hold placeholders instead.
var volatile = map[string]bool{
	"access_token": true, "pubsub_token": true, "uuid": true, "hmac_token": true, "website_token": true,
	"inbox_identifier": true, "identifier": true, "data_url": true, "thumb_url": true,
	"created_at": true, "updated_at": true, "timestamp": true, "last_activity_at": true,
	"agent_last_seen_at": true, "assignee_last_seen_at": true, "contact_last_seen_at": true,
	"waiting_since": true, "first_reply_created_at": true, "snoozed_until": true,
}

// normalize replaces volatile values that are set with "<key>", and UUIDs
// with "<uuid>".
func normalize(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if volatile[k] && x != nil && x != float64(0) && x != "" {
				v[k] = "<" + k + ">"
			} else {
				v[k] = normalize(x)
			}
		}
	case []any:
		for i := range v {
			v[i] = normalize(v[i])
		}
	case string:
		if uuidPattern.MatchString(v) {
			return "<uuid>"
		}
	}
	return v
}

// uuidPattern matches the UUIDs made for source ids nobody chose.
var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// golden compares a JSON body, normalized, with testdata/<name>.golden.json,
// or rewrites the file with -update.
func golden(t *testing.T, name string, body []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("%s: body is not JSON: %v\n%s", name, err, body)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(normalize(v)); err != nil {
		t.Fatal(err)
	}
	batontest.Golden(t, name, buf.Bytes())
}

// num reads a JSON number at a path of nested objects.
func num(t testing.TB, v any, keys ...string) int64 {
	t.Helper()
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("no object at %q in %v", k, v)
		}
		v = m[k]
	}
	f, ok := v.(float64)
	if !ok {
		t.Fatalf("%v at %v is not a number", v, keys)
	}
	return int64(f)
}
