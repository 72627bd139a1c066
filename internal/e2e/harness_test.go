package e2e_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/batontest"
	"github.com/batonhq/baton/internal/delivery"
	"github.com/batonhq/baton/internal/store"
)

// env is a running Baton (batontest.World) with one account, an
// administrator and an API inbox.
type env struct {
	*batontest.World
	t          *testing.T
	accountID  int64
	adminToken string
	inbox      map[string]any // the API inbox's JSON
	identifier string         // the API inbox's public identifier
	cable      *cableConns    // /cable's connections, to drop
}

func ptr[T any](v T) *T { return &v }

// start runs Baton as cmd/baton wires it: the engine in the background with
// short retries, the live channel at /cable and the widget's pages, with a
// bot-less API inbox; now, when given, is the app's clock.
func start(t *testing.T, s *store.Store, now ...func() time.Time) *env {
	t.Helper()
	cable := &cableConns{}
	e := startWith(t, batontest.Options{Store: s, RunEngine: true, Live: true, Widget: true, Cable: cable.wrap,
		App: func(c *app.Config) {
			if len(now) > 0 {
				c.Now = now[0]
			}
		},
		Engine: func(c *delivery.Config) {
			c.Timeout = 2 * time.Second
			c.Schedule = []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond}
		}})
	e.cable = cable
	return e
}

// startWith starts a world with the options and makes the account, its
// administrator and its API inbox.
func startWith(t *testing.T, o batontest.Options) *env {
	t.Helper()
	e := &env{t: t, World: batontest.Start(t, o)}
	e.accountID = e.NewAccount("Acme")
	_, e.adminToken = e.NewUser(e.accountID, "Alex", fmt.Sprintf("alex%d@acme.test", e.accountID), "administrator")
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

// convPath is the path of a conversation under the account.
func (e *env) convPath(conv int64) string { return e.acc(fmt.Sprintf("/conversations/%d", conv)) }

// call makes a request and checks its status; it returns the decoded body.
func (e *env) call(method, path, token, body string, status int) any {
	e.t.Helper()
	return e.Call(method, path, token, body, status)
}

func call(t *testing.T, method, url, token, body string, status int) any {
	t.Helper()
	return batontest.Call(t, method, url, token, body, status)
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

// conversation returns a conversation as the administrator sees it.
func (e *env) conversation(conv int64) map[string]any {
	e.t.Helper()
	return e.call("GET", e.convPath(conv), e.adminToken, "", 200).(map[string]any)
}

// status returns a conversation's status as the administrator sees it.
func (e *env) status(conversation int64) string {
	e.t.Helper()
	return e.conversation(conversation)["status"].(string)
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

// startBot is start with a bot (newBot without a handler) connected to
// the API inbox.
func startBot(t *testing.T, s *store.Store) (*env, *bot) {
	t.Helper()
	e := start(t, s)
	b := newBot(t, nil)
	e.connect(b, "")
	return e, b
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
