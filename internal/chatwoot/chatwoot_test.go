package chatwoot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/auth"
	"github.com/batonhq/baton/internal/batontest"
	"github.com/batonhq/baton/internal/chatwoot"
	"github.com/batonhq/baton/internal/filestore"
	"github.com/batonhq/baton/internal/server"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// bundle is a test's world: a server on a fresh database, reached over real
// HTTP, with one account that has an administrator, an agent who is a member
// of no inbox, an API inbox and a web widget inbox, and a platform app that
// made none of it.
type bundle struct {
	t        testing.TB
	app      *app.App
	url      string
	platform string // platform app token
	account  int64
	admin    string // administrator's token
	adminID  int64
	agent    string // agent's token
	agentID  int64
	api      *baton.Inbox
	widget   *baton.Inbox
	files    string // the directory attachments are stored in
}

// start is where every test's clock begins.
var start = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

// setup builds a bundle on the store, or on a new SQLite database when s is
// nil. A fuzz target builds one bundle and gives each input a copy with its
// own t.
func setup(t testing.TB, s *store.Store) *bundle {
	t.Helper()
	if s == nil {
		s = storetest.OpenSQLite(t)
	}
	key, err := auth.NewKey("0123456789abcdef0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	filesDir := t.TempDir()
	files, err := filestore.NewDisk(filesDir)
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	// Every read of the clock moves it a second, so that every row has a
	// time of its own.
	clk := batontest.NewTickingClock(start, time.Second)
	a := app.New(app.Config{Store: s, Key: key, Files: files, Logger: quiet, Now: clk.Now,
		Limits: app.Limits{MessagesPerMinute: 1 << 30}})
	var base string
	api := chatwoot.New(chatwoot.Config{App: a, Logger: quiet, PublicURL: func() string { return base }})
	srv := server.New(server.Config{Handler: api, Logger: quiet})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop(context.Background()) })
	base = "http://" + srv.Addr().String()

	b := &bundle{t: t, app: a, url: base, files: filesDir}
	sys := baton.NewContextWithActor(context.Background(), baton.SystemActor)
	if _, b.platform, err = a.CreatePlatformApp(sys, "Tests"); err != nil {
		t.Fatal(err)
	}
	acc, err := a.CreateAccount(sys, app.AccountInput{Name: ptr("Acme")})
	if err != nil {
		t.Fatal(err)
	}
	b.account = acc.ID
	user := func(name, role string) (int64, string) {
		email := fmt.Sprintf("%s%d@acme.test", name, acc.ID)
		u, token, err := a.CreateUserInAccount(sys, acc.ID, app.UserInput{Name: ptr(name), Email: &email, Password: ptr("password123")}, role)
		if err != nil {
			t.Fatal(err)
		}
		return u.ID, token
	}
	b.adminID, b.admin = user("Ada", "administrator")
	b.agentID, b.agent = user("Alan", "agent")
	if b.api, err = a.CreateInbox(sys, acc.ID, app.InboxInput{Name: ptr("API"), ChannelType: baton.ChannelAPI}); err != nil {
		t.Fatal(err)
	}
	if b.widget, err = a.CreateInbox(sys, acc.ID, app.InboxInput{Name: ptr("Web"), ChannelType: baton.ChannelWebWidget}); err != nil {
		t.Fatal(err)
	}
	return b
}

// response is what the server answered.
type response struct {
	status int
	header http.Header
	body   []byte
}

// object decodes the body as a JSON object.
func (r *response) object(t testing.TB) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.body)
	}
	return v
}

// array decodes the body as a JSON array.
func (r *response) array(t testing.TB) []any {
	t.Helper()
	var v []any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("body is not a JSON array: %v\n%s", err, r.body)
	}
	return v
}

// request is one HTTP request to the server. A body that is a string or
// []byte is sent as it is; anything else as JSON.
type request struct {
	method string
	path   string
	token  string // sent as api_access_token
	body   any
	header map[string]string
}

// do sends the request.
func (b *bundle) do(rq request) *response {
	b.t.Helper()
	var body io.Reader
	switch v := rq.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(v)
	case []byte:
		body = bytes.NewReader(v)
	default:
		raw, err := json.Marshal(v)
		if err != nil {
			b.t.Fatal(err)
		}
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(rq.method, b.url+rq.path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if rq.token != "" {
		req.Header.Set("api_access_token", rq.token)
	}
	for k, v := range rq.header {
		req.Header.Set(k, v)
	}
	return b.send(req)
}

func (b *bundle) send(req *http.Request) *response {
	b.t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return &response{status: res.StatusCode, header: res.Header, body: raw}
}

// must sends the request and fails the test unless it answers 200.
func (b *bundle) must(rq request) *response {
	b.t.Helper()
	r := b.do(rq)
	if r.status != http.StatusOK {
		b.t.Fatalf("%s %s: status %d, want 200\n%s", rq.method, rq.path, r.status, r.body)
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
	b.t.Helper()
	b.must(request{method: "POST", path: b.pub("/contacts"), body: map[string]any{"source_id": sourceID, "name": "Customer " + sourceID}})
	c := b.must(request{method: "POST", path: b.pub("/contacts/%s/conversations", sourceID)}).object(b.t)
	return int64(c["id"].(float64))
}

// say posts a customer message through the public API.
func (b *bundle) say(sourceID string, conv int64, content string) map[string]any {
	b.t.Helper()
	return b.must(request{method: "POST", path: b.pub("/contacts/%s/conversations/%d/messages", sourceID, conv),
		body: map[string]any{"content": content}}).object(b.t)
}

// messages lists a conversation's messages as the administrator sees them.
func (b *bundle) messages(conv int64) []any {
	b.t.Helper()
	r := b.must(request{method: "GET", path: b.acc("/conversations/%d/messages", conv), token: b.admin}).object(b.t)
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

// run plays the scenarios in order: they share the bundle's database.
func (b *bundle) run(scenarios []scenario) {
	b.t.Helper()
	for _, sc := range scenarios {
		r := b.do(sc.req)
		if r.status != sc.status {
			b.t.Errorf("%s: %s %s: status %d, want %d\n%s", sc.name, sc.req.method, sc.req.path, r.status, sc.status, r.body)
			continue
		}
		if len(r.body) > 0 && !json.Valid(r.body) {
			b.t.Errorf("%s: body is not JSON: %s", sc.name, r.body)
		}
		for _, want := range sc.contains {
			if !bytes.Contains(r.body, []byte(want)) {
				b.t.Errorf("%s: body lacks %s\n%s", sc.name, want, r.body)
			}
		}
		if sc.check != nil {
			sc.check(b.t, r)
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
