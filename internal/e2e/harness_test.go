package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/auth"
	"github.com/batonhq/baton/internal/batontest"
	"github.com/batonhq/baton/internal/chatwoot"
	"github.com/batonhq/baton/internal/delivery"
	"github.com/batonhq/baton/internal/filestore"
	"github.com/batonhq/baton/internal/realtime"
	"github.com/batonhq/baton/internal/server"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/web/widget"
)

// env is a running Baton with one account, an administrator and an API inbox.
type env struct {
	t          *testing.T
	url        string
	app        *app.App
	store      *store.Store
	engine     *delivery.Engine
	accountID  int64
	adminToken string
	inbox      map[string]any // the API inbox's JSON
	identifier string         // the API inbox's public identifier
	hub        *realtime.Hub  // the live channel, /cable
	cable      *cableConns    // /cable's connections, to drop
}

func ptr[T any](v T) *T { return &v }

// start runs Baton on s with a bot-less API inbox; now, when given, is
// the app's clock.
func start(t *testing.T, s *store.Store, now ...func() time.Time) *env {
	t.Helper()
	key, err := auth.NewKey("0123456789abcdef0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filestore.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, store: s}
	engine := delivery.New(delivery.Config{Store: s, Key: key, Timeout: 2 * time.Second,
		Schedule: []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond}})
	e.engine = engine
	urlFn := func() string { return e.url }
	cfg := app.Config{Store: s, Key: key, Files: files, Renderer: &chatwoot.Renderer{PublicURL: urlFn},
		OnEvent: engine.Wake, OnLive: func() { e.hub.Wake() }}
	if len(now) > 0 {
		cfg.Now = now[0]
	}
	e.app = app.New(cfg)
	// The live channel, /cable, mounted as cmd/baton/run.go mounts it.
	e.hub = realtime.New(realtime.Config{App: e.app, Renderer: &chatwoot.Cable{PublicURL: urlFn}})
	e.cable = &cableConns{}
	api := chatwoot.New(chatwoot.Config{App: e.app, PublicURL: urlFn})
	srv := httptest.NewServer(server.New(server.Config{Handler: widget.New().Handler(e.app, api),
		Cable: e.cable.wrap(e.hub)}).Handler())
	t.Cleanup(srv.Close)
	e.url = srv.URL
	ctx, cancel := context.WithCancel(context.Background())
	engine.Start(ctx)
	if err := e.hub.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); engine.Stop(); e.hub.Stop() })

	sys := baton.NewContextWithActor(context.Background(), baton.SystemActor)
	acc, err := e.app.CreateAccount(sys, app.AccountInput{Name: ptr("Acme")})
	if err != nil {
		t.Fatal(err)
	}
	e.accountID = acc.ID
	_, e.adminToken, err = e.app.CreateUserInAccount(sys, acc.ID, app.UserInput{Name: ptr("Alex"),
		Email: ptr(fmt.Sprintf("alex%d@acme.test", acc.ID)), Password: ptr("password123")}, "administrator")
	if err != nil {
		t.Fatal(err)
	}
	e.inbox = e.call("POST", e.acc("/inboxes"), e.adminToken, `{"name":"Support","channel":{"type":"api"}}`, 200).(map[string]any)
	e.identifier = e.inbox["inbox_identifier"].(string)
	return e
}

// cableConns keeps the connections /cable took over, so a test can drop
// them as a network would.
type cableConns struct {
	mu    sync.Mutex
	conns []net.Conn
}

func (c *cableConns) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(&hijackRecorder{ResponseWriter: w, c: c}, r)
	})
}

// drop closes every live connection and says how many there were.
func (c *cableConns) drop() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(c.conns)
	for _, conn := range c.conns {
		conn.Close()
	}
	c.conns = nil
	return n
}

type hijackRecorder struct {
	http.ResponseWriter
	c *cableConns
}

func (h *hijackRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err == nil {
		h.c.mu.Lock()
		h.c.conns = append(h.c.conns, conn)
		h.c.mu.Unlock()
	}
	return conn, rw, err
}

// acc is a path under the account.
func (e *env) acc(path string) string { return fmt.Sprintf("/api/v1/accounts/%d%s", e.accountID, path) }

// call makes a request and checks its status; it returns the decoded body.
func (e *env) call(method, path, token, body string, status int) any {
	e.t.Helper()
	return call(e.t, method, e.url+path, token, body, status)
}

func call(t *testing.T, method, url, token, body string, status int) any {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("api_access_token", token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d: %s", method, url, res.StatusCode, status, b)
	}
	var v any
	if len(bytes.TrimSpace(b)) > 0 {
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("%s %s: body is not JSON: %s", method, url, b)
		}
	}
	return v
}

// customer makes a contact in the API inbox with a conversation and
// returns the conversation's display id.
func (e *env) customer(sourceID string) int64 {
	e.t.Helper()
	e.call("POST", "/public/api/v1/inboxes/"+e.identifier+"/contacts", "", fmt.Sprintf(`{"source_id":%q,"name":"Casey"}`, sourceID), 200)
	c := e.call("POST", "/public/api/v1/inboxes/"+e.identifier+"/contacts/"+sourceID+"/conversations", "", `{}`, 200).(map[string]any)
	return int64(c["id"].(float64))
}

// say posts a customer message through the public API.
func (e *env) say(sourceID string, conversation int64, content string) {
	e.t.Helper()
	e.call("POST", fmt.Sprintf("/public/api/v1/inboxes/%s/contacts/%s/conversations/%d/messages", e.identifier, sourceID, conversation),
		"", fmt.Sprintf(`{"content":%q}`, content), 200)
}

// status returns a conversation's status as the administrator sees it.
func (e *env) status(conversation int64) string {
	e.t.Helper()
	c := e.call("GET", e.acc(fmt.Sprintf("/conversations/%d", conversation)), e.adminToken, "", 200).(map[string]any)
	return c["status"].(string)
}

// bot is an httptest bot that records what it receives and answers with
// its handler.
type bot struct {
	*batontest.Bot
	token string
	id    int64
}

// newBot starts a bot; handle, when set, runs for each event after it is
// recorded and writes the answer (200 by default).
func newBot(t *testing.T, handle func(b *bot, ev map[string]any, w http.ResponseWriter, r *http.Request)) *bot {
	b := &bot{}
	b.Bot = batontest.NewBot(t, func(ev map[string]any, w http.ResponseWriter, r *http.Request) {
		if handle != nil {
			handle(b, ev, w, r)
		}
	})
	return b
}

// connect makes an account bot with the outgoing URL (the bot's URL plus
// suffix) and connects it to the API inbox.
func (e *env) connect(b *bot, suffix string) {
	e.t.Helper()
	v := e.call("POST", e.acc("/agent_bots"), e.adminToken, fmt.Sprintf(`{"name":"Helper","outgoing_url":%q}`, b.URL+suffix), 200).(map[string]any)
	b.token, b.id = v["access_token"].(string), int64(v["id"].(float64))
	e.call("POST", e.acc(fmt.Sprintf("/inboxes/%v/set_agent_bot", e.inbox["id"])), e.adminToken, fmt.Sprintf(`{"agent_bot":%d}`, b.id), 200)
}

// next waits for the bot's next event that matches, skipping others.
func (b *bot) next(t *testing.T, match func(ev map[string]any) bool) map[string]any {
	t.Helper()
	return b.Next(t, match)
}

// is matches events by name, and message events by message type.
func is(name string, messageType ...string) func(ev map[string]any) bool {
	return func(ev map[string]any) bool {
		if ev["event"] != name {
			return false
		}
		return len(messageType) == 0 || ev["message_type"] == messageType[0]
	}
}

// eventNames returns the names of the events received so far, in order.
func (b *bot) eventNames() []string {
	b.Mu.Lock()
	defer b.Mu.Unlock()
	var out []string
	for _, ev := range b.Events {
		s, _ := ev["event"].(string)
		if mt, ok := ev["message_type"].(string); ok {
			s += ":" + mt
		}
		out = append(out, s)
	}
	return out
}
