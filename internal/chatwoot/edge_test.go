package chatwoot_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/batonhq/baton/internal/chatwoot"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// TestHostileInput: what a hostile client sends without a token or with
// one is refused at the edge with 400 or 422 and a clear message, alike on
// both databases, never a 500: NUL characters and bytes that are not UTF-8
// in paths, query strings and bodies, JSON and form keys nested deeper
// than 32 levels, forms of too many fields, names and identifiers past
// their length.
func TestHostileInput(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		b := setup(t, s)
		conv := b.customer("c")
		msgs := b.acc("/conversations/%d/messages", conv)
		post := func(path string, body any) request {
			return request{Method: "POST", Path: path, Token: b.admin, Body: body}
		}
		form := func(method, path, token, body string) request {
			return request{Method: method, Path: path, Token: token, Body: body,
				Header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}
		}
		deep := func(n int) string { return strings.Repeat(`{"a":`, n) + `1` + strings.Repeat(`}`, n) }
		deepKey := "name" + strings.Repeat("[x]", 40)
		var many strings.Builder
		for i := range 1001 {
			fmt.Fprintf(&many, "f%d=1&", i)
		}
		long := strings.Repeat("x", 256)
		scenarios := []scenario{
			{name: "NUL in a public path", req: request{Method: "GET", Path: b.pub("/contacts/a%%00b")}, status: 400,
				contains: []string{"NUL"}},
			{name: "invalid UTF-8 in a public path", req: request{Method: "GET", Path: b.pub("/contacts/a%%ffb/conversations")},
				status: 400, contains: []string{"UTF-8"}},
			{name: "NUL in a query string", req: request{Method: "GET", Path: b.acc("/contacts/search?q=a%%00"), Token: b.admin},
				status: 400, contains: []string{"NUL"}},
			{name: "invalid UTF-8 in a query string", req: request{Method: "GET", Path: b.acc("/conversations?status=%%ff"), Token: b.admin},
				status: 400, contains: []string{"UTF-8"}},
			{name: "escaped NUL in a JSON body", req: post(msgs, `{"content":"a\u0000b"}`), status: 422, contains: []string{"NUL"}},
			{name: "escaped NUL in a public contact", req: request{Method: "POST", Path: b.pub("/contacts"), Body: `{"name":"a\u0000"}`},
				status: 422, contains: []string{"NUL"}},
			{name: "raw invalid UTF-8 in a JSON body", req: post(msgs, []byte("{\"content\":\"a\xffb\"}")), status: 422,
				contains: []string{"UTF-8"}},
			{name: "an escaped backslash before u0000 is text", req: post(msgs, `{"content":"a\\u0000b"}`), status: 200},
			{name: "NUL in a form value", req: form("POST", msgs, b.admin, "content=a%00b"), status: 422, contains: []string{"NUL"}},
			{name: "NUL in a public form", req: form("POST", b.pub("/contacts"), "", "name=a%00b"), status: 422, contains: []string{"NUL"}},
			{name: "JSON 33 levels deep", req: post(b.acc("/contacts"), `{"name":"x","custom_attributes":`+deep(32)+`}`),
				status: 422, contains: []string{"nested too deeply (maximum is 32 levels)"}},
			{name: "JSON 32 levels deep", req: post(b.acc("/contacts"), `{"name":"x","custom_attributes":`+deep(31)+`}`), status: 200},
			{name: "JSON in a string 33 levels deep", req: post(msgs, `{"content":"x","content_attributes":`+
				string(mustJSON(t, deep(33)))+`}`), status: 422, contains: []string{"nested too deeply"}},
			{name: "form keys nested 40 levels, without a token", req: form("POST", b.pub("/contacts"), "", deepKey+"=1"),
				status: 422, contains: []string{"Form field names are nested too deeply (maximum is 32 levels)"}},
			{name: "form of 1001 fields", req: form("POST", b.pub("/contacts"), "", many.String()), status: 422,
				contains: []string{"too many fields (maximum is 1000)"}},
			{name: "public contact name too long", req: request{Method: "POST", Path: b.pub("/contacts"), Body: map[string]any{"name": long}},
				status: 422, contains: []string{"Name is too long (maximum is 255 characters)"}},
			{name: "contact identifier too long", req: post(b.acc("/contacts"), map[string]any{"name": "x", "identifier": long}),
				status: 422, contains: []string{"Identifier is too long (maximum is 255 characters)"}},
			{name: "user name too long", req: request{Method: "POST", Path: "/platform/api/v1/users", Token: b.Platform,
				Body: map[string]any{"name": long, "email": "long@acme.test", "password": "password123"}}, status: 422,
				contains: []string{"Name is too long"}},
			{name: "account locale too long", req: request{Method: "POST", Path: "/platform/api/v1/accounts", Token: b.Platform,
				Body: map[string]any{"name": "x", "locale": strings.Repeat("e", 17)}}, status: 422, contains: []string{"Locale is too long"}},
			{name: "account domain too long", req: request{Method: "POST", Path: "/platform/api/v1/accounts", Token: b.Platform,
				Body: map[string]any{"name": "x", "domain": long}}, status: 422, contains: []string{"Domain is too long"}},
			{name: "inbox name too long", req: post(b.acc("/inboxes"), map[string]any{"name": long, "channel": map[string]any{"type": "api"}}),
				status: 422, contains: []string{"Name is too long"}},
			{name: "bot name too long", req: post(b.acc("/agent_bots"), map[string]any{"name": long}), status: 422,
				contains: []string{"Name is too long"}},
			{name: "e-mail too long", req: post(b.acc("/contacts"), map[string]any{"name": "x", "email": long + "@acme.test"}),
				status: 422},
		}
		b.run(scenarios)
	})
}

func mustJSON(t testing.TB, s string) []byte {
	t.Helper()
	raw, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestUploadTempFiles: a multipart body too large to keep in memory goes
// to a temporary file, which is removed when the request ends, whether the
// upload was taken or refused. It changes TMPDIR for the process, and so
// does not run in parallel: no parallel test runs beside it.
func TestUploadTempFiles(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	b := setup(t, nil)
	conv := b.customer("c")
	big := bytes.Repeat([]byte("0123456789abcdef"), 9<<16) // 9 MiB: past the 8 MiB kept in memory
	upload := func(path, token string, status int) {
		t.Helper()
		body, contentType := multipartBody(t, map[string]string{"content": "big"}, map[string][]byte{"big.txt": big}, "text/plain")
		req, err := http.NewRequest("POST", b.URL+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("api_access_token", token)
		if r := b.send(req); r.Status != status {
			t.Fatalf("upload to %s: status %d, want %d\n%s", path, r.Status, status, r.Body)
		}
	}
	upload(b.acc("/conversations/%d/messages", conv), b.admin, 200)
	upload(b.acc("/conversations/%d/messages", 999), b.admin, 404) // refused after the form was read
	upload(b.acc("/conversations/%d/messages", conv)+"?x="+url.QueryEscape("é"), b.agent, 404)
	deadline := time.Now().Add(2 * time.Second)
	for {
		left, _ := filepath.Glob(filepath.Join(tmp, "multipart-*"))
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("uploads left %d temporary files: %v", len(left), left)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := os.Stat(tmp); err != nil {
		t.Fatal(err)
	}
}

// TestInternalErrorLogRedacted: a 500 on a public client route logs the
// route, never the contact identifier in its path, which works as a
// password.
func TestInternalErrorLogRedacted(t *testing.T) {
	t.Parallel()
	s := storetest.OpenSQLite(t)
	b := setup(t, s)
	b.customer("secret-identifier-1")
	var log lockedLog
	h := chatwoot.New(chatwoot.Config{App: b.App, Logger: slog.New(slog.NewTextHandler(&log, nil)),
		PublicURL: func() string { return b.URL }})
	s.Close() // every query fails from here on
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", b.pub("/contacts/secret-identifier-1/conversations"), nil))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("with the database closed: status %d, want 500\n%s", rec.Code, rec.Body)
	}
	if got := log.String(); !strings.Contains(got, "internal error") || strings.Contains(got, "secret-identifier-1") {
		t.Fatalf("the log of a 500 holds the contact identifier, or nothing:\n%s", got)
	}
}

// lockedLog is a buffer for a logger.
type lockedLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestHugePages: a page number past any list answers an empty page, on
// both databases, not a 500 from an offset that overflows.
func TestHugePages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		b := setup(t, s)
		b.customer("c")
		for _, path := range []string{"/contacts?page=%d", "/contacts/search?q=c&page=%d", "/conversations?page=%d"} {
			for _, page := range []int64{1 << 62, 1<<63 - 1, 614891469123651721} {
				r := b.must(request{Method: "GET", Path: b.acc(path, page), Token: b.admin}).Object(t)
				if p, ok := r["payload"].([]any); ok && len(p) != 0 {
					t.Errorf("%s: %d items, want none", fmt.Sprintf(path, page), len(p))
				}
			}
		}
	})
}

// TestAttachmentFilesGoWithTheirOwner: deleting a contact, an inbox or an
// account removes the files of the attachments in it (and an account's
// bots' avatars) from the disk, not only their rows.
func TestAttachmentFilesGoWithTheirOwner(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		b := setup(t, s)
		files := func() int {
			n := 0
			_ = filepath.WalkDir(b.Files, func(_ string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					n++
				}
				return nil
			})
			return n
		}
		attach := func(source string) {
			t.Helper()
			conv := b.customer(source)
			body, contentType := multipartBody(t, map[string]string{"content": "see"}, map[string][]byte{"a.txt": []byte(source)}, "text/plain")
			req, _ := http.NewRequest("POST", b.URL+b.acc("/conversations/%d/messages", conv), bytes.NewReader(body))
			req.Header.Set("Content-Type", contentType)
			req.Header.Set("api_access_token", b.admin)
			if r := b.send(req); r.Status != 200 {
				t.Fatalf("upload: %d %s", r.Status, r.Body)
			}
		}
		contactOf := func(source string) int64 {
			t.Helper()
			r := b.must(request{Method: "GET", Path: b.acc("/contacts/search?q=%s", source), Token: b.admin}).Object(t)
			return num(t, r["payload"].([]any)[0], "id")
		}
		attach("first")
		attach("second")
		if n := files(); n != 2 {
			t.Fatalf("%d files after two uploads", n)
		}
		b.must(request{Method: "DELETE", Path: b.acc("/contacts/%d", contactOf("first")), Token: b.admin})
		if n := files(); n != 1 {
			t.Fatalf("after the contact was deleted, %d files are left, want 1", n)
		}
		b.must(request{Method: "DELETE", Path: b.acc("/inboxes/%d", b.api.ID), Token: b.admin})
		if n := files(); n != 0 {
			t.Fatalf("after the inbox was deleted, %d files are left, want 0", n)
		}
		// An account's, through the Platform API.
		acc := b.must(request{Method: "POST", Path: "/platform/api/v1/accounts", Token: b.Platform, Body: map[string]any{"name": "Gone"}}).Object(t)
		b.account = num(t, acc, "id")
		user := b.must(request{Method: "POST", Path: "/platform/api/v1/users", Token: b.Platform,
			Body: map[string]any{"name": "G", "email": "g@gone.test", "password": "password123"}}).Object(t)
		b.must(request{Method: "POST", Path: fmt.Sprintf("/platform/api/v1/accounts/%d/account_users", b.account), Token: b.Platform,
			Body: map[string]any{"user_id": num(t, user, "id"), "role": "administrator"}})
		b.admin = user["access_token"].(string)
		inbox := b.must(request{Method: "POST", Path: b.acc("/inboxes"), Token: b.admin,
			Body: map[string]any{"name": "API", "channel": map[string]any{"type": "api"}}}).Object(t)
		b.api.Identifier = inbox["inbox_identifier"].(string)
		attach("third")
		// A bot of the account, with an avatar.
		var form bytes.Buffer
		mw := multipart.NewWriter(&form)
		_ = mw.WriteField("name", "Gone bot")
		_ = mw.WriteField("outgoing_url", "http://127.0.0.1:1/bot")
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="avatar"; filename="a.png"`)
		h.Set("Content-Type", "image/png")
		part, _ := mw.CreatePart(h)
		_, _ = part.Write([]byte("\x89PNG\r\n\x1a\n"))
		_ = mw.Close()
		req, _ := http.NewRequest("POST", b.URL+b.acc("/agent_bots"), &form)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("api_access_token", b.admin)
		if r := b.send(req); r.Status != 200 {
			t.Fatalf("bot with an avatar: %d %s", r.Status, r.Body)
		}
		if n := files(); n != 2 {
			t.Fatalf("%d files after an upload and an avatar in the new account, want 2", n)
		}
		b.must(request{Method: "DELETE", Path: fmt.Sprintf("/platform/api/v1/accounts/%d", b.account), Token: b.Platform})
		if n := files(); n != 0 {
			t.Fatalf("after the account was deleted, %d files are left, want 0", n)
		}
	})
}
