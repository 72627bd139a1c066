package delivery_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/auth"
	"github.com/batonhq/baton/internal/batontest"
	"github.com/batonhq/baton/internal/delivery"
	"github.com/batonhq/baton/internal/signature"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// t0 is when every test's clock starts: a whole second, so that HTTP dates
// and Unix timestamps are exact.
var t0 = time.Date(2025, 6, 10, 10, 0, 0, 0, time.UTC)

// options shape a world; zero fields take the defaults.
type options struct {
	timeout      time.Duration
	schedule     []time.Duration
	attempts     int
	breaker      int
	cooldown     time.Duration
	overlap      time.Duration
	blockPrivate bool
	poll         time.Duration
	workers      int
	logger       *slog.Logger // nil: logs are dropped
}

// world is a test's world (batontest.World) whose engine delivers only
// when the test calls round, on a clock that stands still until the test
// moves it: one account (made by the platform app, so the Platform API may
// change it), an administrator and an API inbox.
type world struct {
	*batontest.World
	t          *testing.T
	admin      string // the administrator's token
	accountID  int64
	inboxID    int64
	identifier string // the inbox's public identifier
}

func setup(t *testing.T, s *store.Store, o options) *world {
	t.Helper()
	if o.timeout == 0 {
		o.timeout = 2 * time.Second
	}
	if o.schedule == nil {
		o.schedule = []time.Duration{10 * time.Second, time.Minute, 10 * time.Minute}
	}
	w := &world{t: t}
	w.World = batontest.Start(t, batontest.Options{Store: s, Clock: batontest.NewClock(t0), Logger: o.logger,
		App: func(c *app.Config) {
			c.SecretOverlap = o.overlap
			if o.blockPrivate {
				c.CheckOutgoingURL = delivery.CheckURL
			}
		},
		Engine: func(c *delivery.Config) {
			c.Timeout, c.Schedule, c.Attempts = o.timeout, o.schedule, o.attempts
			c.BreakerThreshold, c.BreakerCooldown, c.BlockPrivate = o.breaker, o.cooldown, o.blockPrivate
			c.PollInterval, c.Workers = o.poll, o.workers
			c.OnGiveUp = func(ctx context.Context, d *baton.Delivery, reason string) {
				if err := w.App.BotFailed(ctx, d, reason); err != nil {
					t.Errorf("handoff policy: %v", err)
				}
			}
		}})
	acc := w.call("POST", "/platform/api/v1/accounts", w.Platform, `{"name":"Acme"}`, 200).(map[string]any)
	w.accountID = int64(acc["id"].(float64))
	_, w.admin = w.NewUser(w.accountID, "Alex", fmt.Sprintf("alex%d@acme.test", w.accountID), "administrator")
	w.inboxID, w.identifier = w.newInbox("Support")
	return w
}

func (w *world) acc(path string) string {
	return fmt.Sprintf("/api/v1/accounts/%d%s", w.accountID, path)
}

// call makes an API request, checks its status and returns the decoded body.
func (w *world) call(method, path, token, body string, status int) any {
	w.t.Helper()
	return w.Call(method, path, token, body, status)
}

// newInbox makes an API inbox and returns its id and public identifier.
func (w *world) newInbox(name string) (int64, string) {
	w.t.Helper()
	v := w.call("POST", w.acc("/inboxes"), w.admin, fmt.Sprintf(`{"name":%q,"channel":{"type":"api"}}`, name), 200).(map[string]any)
	return int64(v["id"].(float64)), v["inbox_identifier"].(string)
}

// connect makes an account bot sending to url and connects it to the inbox.
func (w *world) connect(b *bot, url string, inboxID int64) {
	w.t.Helper()
	v := w.call("POST", w.acc("/agent_bots"), w.admin, fmt.Sprintf(`{"name":"Helper","outgoing_url":%q}`, url), 200).(map[string]any)
	b.id, b.token, b.secret = int64(v["id"].(float64)), v["access_token"].(string), v["secret"].(string)
	w.call("POST", w.acc(fmt.Sprintf("/inboxes/%d/set_agent_bot", inboxID)), w.admin, fmt.Sprintf(`{"agent_bot":%d}`, b.id), 200)
}

// customer makes a contact in the inbox with a conversation and returns the
// conversation's display id.
func (w *world) customer(identifier, source string) int64 {
	w.t.Helper()
	w.call("POST", "/public/api/v1/inboxes/"+identifier+"/contacts", "", fmt.Sprintf(`{"source_id":%q,"name":"Casey"}`, source), 200)
	c := w.call("POST", "/public/api/v1/inboxes/"+identifier+"/contacts/"+source+"/conversations", "", `{}`, 200).(map[string]any)
	return int64(c["id"].(float64))
}

// say posts a customer's message.
func (w *world) say(identifier, source string, conv int64, content string) {
	w.t.Helper()
	w.call("POST", fmt.Sprintf("/public/api/v1/inboxes/%s/contacts/%s/conversations/%d/messages", identifier, source, conv),
		"", fmt.Sprintf(`{"content":%q}`, content), 200)
}

// status returns a conversation's status as the administrator sees it.
func (w *world) status(conv int64) string {
	w.t.Helper()
	c := w.call("GET", w.acc(fmt.Sprintf("/conversations/%d", conv)), w.admin, "", 200).(map[string]any)
	return c["status"].(string)
}

// activities returns the contents of a conversation's activity messages.
func (w *world) activities(conv int64) []string {
	w.t.Helper()
	v := w.call("GET", w.acc(fmt.Sprintf("/conversations/%d/messages", conv)), w.admin, "", 200).(map[string]any)
	var out []string
	for _, m := range v["payload"].([]any) {
		m := m.(map[string]any)
		if m["message_type"] == float64(baton.MessageActivity) {
			s, _ := m["content"].(string)
			out = append(out, s)
		}
	}
	return out
}

// round makes one synchronous delivery round and returns how many attempts
// it made.
func (w *world) round() int {
	w.t.Helper()
	return w.Round()
}

// expectRound makes a round and checks how many attempts it made.
func (w *world) expectRound(want int, why string) {
	w.t.Helper()
	if n := w.round(); n != want {
		w.t.Fatalf("%s: the round made %d attempts, want %d", why, n, want)
	}
}

// delivery returns the bot's delivery of the customer message with the
// content.
func (w *world) delivery(b *bot, content string) *baton.Delivery {
	w.t.Helper()
	ds, err := w.Store.Read().ListDeliveries(context.Background(), baton.BotTarget(b.id), 1000)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, d := range ds {
		var ev map[string]any
		_ = json.Unmarshal(d.Payload, &ev)
		if ev["event"] == "message_created" && ev["content"] == content {
			return d
		}
	}
	w.t.Fatalf("no delivery of %q to bot %d", content, b.id)
	return nil
}

// pending counts the bot's deliveries still pending.
func (w *world) pending(b *bot) int {
	w.t.Helper()
	ds, err := w.Store.Read().ListDeliveries(context.Background(), baton.BotTarget(b.id), 10000)
	if err != nil {
		w.t.Fatal(err)
	}
	n := 0
	for _, d := range ds {
		if d.Status == baton.DeliveryPending {
			n++
		}
	}
	return n
}

// agentBot returns the bot as stored.
func (w *world) agentBot(b *bot) *baton.AgentBot {
	w.t.Helper()
	ab, err := w.Store.Read().FindAgentBot(context.Background(), b.id)
	if err != nil {
		w.t.Fatal(err)
	}
	return ab
}

// changeBot changes the bot's stored settings, those the API does not show.
func (w *world) changeBot(b *bot, fn func(ab *baton.AgentBot)) {
	w.t.Helper()
	ctx := context.Background()
	err := w.Store.Write(ctx, func(q *store.Queries) error {
		ab, err := q.FindAgentBot(ctx, b.id)
		if err != nil {
			return err
		}
		fn(ab)
		return q.UpdateAgentBot(ctx, ab)
	})
	if err != nil {
		w.t.Fatal(err)
	}
}

// hit is one request a bot received.
type hit struct {
	event        string // the event name, with ":" and the message type for messages
	content      string
	conversation int64 // the conversation's display id
	header       http.Header
	body         []byte
	status       int // what the bot answered
}

// bot is an httptest bot that records what it receives and answers with
// its handler (200 when nil).
type bot struct {
	*httptest.Server
	mu     sync.Mutex
	hits   []*hit
	handle func(h *hit, w http.ResponseWriter, r *http.Request)
	id     int64
	token  string
	secret string
}

// statusWriter remembers the status a handler answered.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(p []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(p)
}

func (s *statusWriter) Flush() { s.ResponseWriter.(http.Flusher).Flush() }

func newBot(t *testing.T, handle func(h *hit, w http.ResponseWriter, r *http.Request)) *bot {
	t.Helper()
	b := newUnstartedBot(t, handle)
	b.Start()
	return b
}

func newUnstartedBot(t *testing.T, handle func(h *hit, w http.ResponseWriter, r *http.Request)) *bot {
	t.Helper()
	b := &bot{handle: handle}
	b.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var ev map[string]any
		_ = json.Unmarshal(body, &ev)
		h := &hit{header: r.Header.Clone(), body: body}
		h.event, _ = ev["event"].(string)
		if mt, ok := ev["message_type"].(string); ok {
			h.event += ":" + mt
		}
		h.content, _ = ev["content"].(string)
		id, _ := ev["id"].(float64)
		if c, ok := ev["conversation"].(map[string]any); ok {
			id, _ = c["id"].(float64)
		}
		h.conversation = int64(id)
		sw := &statusWriter{ResponseWriter: w}
		b.mu.Lock()
		handler := b.handle
		b.mu.Unlock()
		if handler != nil {
			handler(h, sw, r)
		}
		h.status = max(sw.status, http.StatusOK)
		b.mu.Lock()
		b.hits = append(b.hits, h)
		b.mu.Unlock()
	}))
	t.Cleanup(b.Close)
	return b
}

// answer replaces the bot's handler.
func (b *bot) answer(handle func(h *hit, w http.ResponseWriter, r *http.Request)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.handle = handle
}

// received returns what the bot has received, in order.
func (b *bot) received() []*hit {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.hits)
}

// acked returns the contents of the customer messages of the conversation
// that the bot acknowledged, in the order it received them.
func (b *bot) acked(conv int64) []string {
	var out []string
	for _, h := range b.received() {
		if h.event == "message_created:incoming" && h.conversation == conv && h.status < 300 {
			out = append(out, h.content)
		}
	}
	return out
}

// tried returns the contents of the customer messages the bot received,
// whatever it answered.
func (b *bot) tried() []string {
	var out []string
	for _, h := range b.received() {
		if h.event == "message_created:incoming" {
			out = append(out, h.content)
		}
	}
	return out
}

// status answers every request with the code.
func status(code int) func(h *hit, w http.ResponseWriter, r *http.Request) {
	return func(h *hit, w http.ResponseWriter, r *http.Request) { w.WriteHeader(code) }
}

// within checks that a retry is due within a fifth either way of wait after
// the attempt at.
func within(t *testing.T, next, at time.Time, wait time.Duration) {
	t.Helper()
	lo, hi := at.Add(wait-wait/5), at.Add(wait+wait/5)
	if next.Before(lo) || next.After(hi) {
		t.Fatalf("next attempt %s after the attempt, want %s ±20%%", next.Sub(at), wait)
	}
}

// quick checks that a quick retry is due soon after the attempt at: within
// two seconds, well before the first retry of a bot that is down (10 s in
// these tests).
func quick(t *testing.T, next, at time.Time) {
	t.Helper()
	if wait := next.Sub(at); wait <= 0 || wait > 2*time.Second {
		t.Fatalf("quick retry after %s, want within 2s", wait)
	}
}

// TestRetrySchedule: a bot that is down is retried on the whole schedule,
// each retry due within its jitter bounds and not a moment before, with the
// same X-Chatwoot-Delivery on every attempt; then the delivery fails.
func TestRetrySchedule(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		schedule := []time.Duration{10 * time.Second, time.Minute, 10 * time.Minute}
		w := setup(t, s, options{schedule: schedule, breaker: 100})
		b := newBot(t, status(http.StatusServiceUnavailable))
		w.connect(b, b.URL, w.inboxID)
		conv := w.customer(w.identifier, "casey")
		w.say(w.identifier, "casey", conv, "hello")

		at := w.Clock.Now()
		w.expectRound(1, "the first attempt")
		for i, wait := range schedule {
			d := w.delivery(b, "hello")
			if d.Status != baton.DeliveryPending || d.Attempts != i+1 {
				t.Fatalf("after attempt %d: status %d, attempts %d", i+1, d.Status, d.Attempts)
			}
			if !strings.Contains(d.LastError, "503") {
				t.Fatalf("last error %q, want the 503", d.LastError)
			}
			within(t, d.NextAttemptAt, at, wait)
			w.Clock.Set(d.NextAttemptAt.Add(-time.Microsecond))
			w.expectRound(0, fmt.Sprintf("a moment before retry %d is due", i+1))
			w.Clock.Set(d.NextAttemptAt)
			at = w.Clock.Now()
			w.expectRound(1, fmt.Sprintf("retry %d", i+1))
		}
		d := w.delivery(b, "hello")
		if d.Status != baton.DeliveryFailed || d.Attempts != len(schedule)+1 {
			t.Fatalf("after the schedule: status %d, attempts %d; want failed after %d", d.Status, d.Attempts, len(schedule)+1)
		}
		hits := b.received()
		if len(hits) != len(schedule)+1 {
			t.Fatalf("the bot got %d requests, want %d", len(hits), len(schedule)+1)
		}
		for _, h := range hits {
			if got := h.header.Get("X-Chatwoot-Delivery"); got != d.UUID || h.header.Get("webhook-id") != d.UUID {
				t.Fatalf("X-Chatwoot-Delivery %q, webhook-id %q; want %q on every attempt", got, h.header.Get("webhook-id"), d.UUID)
			}
		}
	})
}

// TestJitterSpread: the first retries of many lanes are spread over the
// jitter window, each within ±20%.
func TestJitterSpread(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s, options{schedule: []time.Duration{time.Minute}, breaker: 100})
		b := newBot(t, status(http.StatusBadGateway))
		w.connect(b, b.URL, w.inboxID)
		for i := range 20 {
			src := fmt.Sprintf("c%d", i)
			w.say(w.identifier, src, w.customer(w.identifier, src), src)
		}
		at := w.Clock.Now()
		w.expectRound(20, "twenty lanes")
		seen := map[time.Time]bool{}
		for i := range 20 {
			d := w.delivery(b, fmt.Sprintf("c%d", i))
			within(t, d.NextAttemptAt, at, time.Minute)
			seen[d.NextAttemptAt] = true
		}
		if len(seen) < 2 {
			t.Fatalf("twenty retries all due at the same moment: no jitter")
		}
	})
}

// TestRetryAfter: Retry-After, in seconds or as an HTTP date, sets the next
// attempt exactly (the schedule's own wait being shorter), capped at a day;
// a header that says nothing usable leaves the schedule.
func TestRetryAfter(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s, options{schedule: []time.Duration{time.Second}, breaker: 100})
		for i, c := range []struct {
			code   int
			header func(now time.Time) string
			want   time.Duration // 0: the schedule's second, jittered
		}{
			{http.StatusTooManyRequests, func(time.Time) string { return "120" }, 120 * time.Second},
			{http.StatusServiceUnavailable, func(now time.Time) string { return now.Add(300 * time.Second).Format(http.TimeFormat) }, 300 * time.Second},
			{http.StatusTooManyRequests, func(time.Time) string { return "999999" }, 24 * time.Hour},
			{http.StatusTooManyRequests, func(now time.Time) string { return now.Add(30 * 24 * time.Hour).Format(http.TimeFormat) }, 24 * time.Hour},
			{http.StatusInternalServerError, func(time.Time) string { return "60" }, 60 * time.Second},
			{http.StatusTooManyRequests, func(time.Time) string { return "soon" }, 0},
			{http.StatusTooManyRequests, func(now time.Time) string { return now.Add(-time.Hour).Format(http.TimeFormat) }, 0},
		} {
			b := newBot(t, func(h *hit, rw http.ResponseWriter, r *http.Request) {
				rw.Header().Set("Retry-After", c.header(w.Clock.Now()))
				rw.WriteHeader(c.code)
			})
			inbox, identifier := w.newInbox(fmt.Sprintf("Inbox %d", i))
			w.connect(b, b.URL, inbox)
			w.say(identifier, "casey", w.customer(identifier, "casey"), "hello")
			at := w.Clock.Now()
			w.expectRound(1, "the first attempt")
			d := w.delivery(b, "hello")
			if d.Status != baton.DeliveryPending {
				t.Fatalf("case %d: status %d, want pending", i, d.Status)
			}
			if c.want == 0 {
				within(t, d.NextAttemptAt, at, time.Second)
			} else if got := d.NextAttemptAt.Sub(at); got != c.want {
				t.Fatalf("case %d: next attempt after %s, want %s", i, got, c.want)
			}
			w.Clock.Add(48 * time.Hour) // leave every lane due, so that the next case's round is its own
			for w.round() > 0 {
			}
		}
	})
}

// TestRefusedThenParked: a bot that is up but refuses one event (500, 4xx,
// a redirect, which is not followed) gets a few quick retries, then that
// event is parked and the lane moves on; a customer's message parked hands
// the conversation to people, the bot's own message parked does not.
func TestRefusedThenParked(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s, options{attempts: 3})
		var mu sync.Mutex
		followed := 0
		target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
			mu.Lock()
			followed++
			mu.Unlock()
		}))
		t.Cleanup(target.Close)
		for _, code := range []int{http.StatusInternalServerError, http.StatusBadRequest, http.StatusNotFound, http.StatusFound} {
			b := newBot(t, func(h *hit, rw http.ResponseWriter, r *http.Request) {
				if h.content == "poison" || h.event == "message_created:outgoing" {
					rw.Header().Set("Location", target.URL)
					rw.WriteHeader(code)
				}
			})
			inbox, identifier := w.newInbox(fmt.Sprintf("Inbox %d", code))
			w.connect(b, b.URL, inbox)
			conv := w.customer(identifier, "casey")
			w.say(identifier, "casey", conv, "poison")
			w.say(identifier, "casey", conv, "fine")

			at := w.Clock.Now()
			w.expectRound(1, "the head of the lane only")
			d := w.delivery(b, "poison")
			if d.Status != baton.DeliveryPending || !strings.Contains(d.LastError, fmt.Sprint(code)) {
				t.Fatalf("%d: after one refusal: status %d, error %q", code, d.Status, d.LastError)
			}
			quick(t, d.NextAttemptAt, at)
			w.Clock.Set(d.NextAttemptAt)
			at = w.Clock.Now()
			w.expectRound(1, "the second attempt")
			d = w.delivery(b, "poison")
			quick(t, d.NextAttemptAt, at)
			w.Clock.Set(d.NextAttemptAt)
			w.expectRound(1, "the third attempt")
			if d = w.delivery(b, "poison"); d.Status != baton.DeliveryParked || d.Attempts != 3 {
				t.Fatalf("%d: after three refusals: status %d, attempts %d; want parked", code, d.Status, d.Attempts)
			}
			w.round()
			if got := b.tried(); !slices.Equal(got, []string{"poison", "poison", "poison", "fine"}) {
				t.Fatalf("%d: the bot got %v", code, got)
			}
			if w.delivery(b, "fine").Status != baton.DeliverySucceeded {
				t.Fatalf("%d: the next event did not go out after the parked one", code)
			}
			if got := w.status(conv); got != "open" {
				t.Fatalf("%d: a customer's parked message left the conversation %s, want open", code, got)
			}

			// The bot's own message, refused: parked, and the conversation
			// stays the bot's.
			conv2 := w.customer(identifier, "dana")
			w.call("POST", w.acc(fmt.Sprintf("/conversations/%d/messages", conv2)), b.token, `{"content":"Hi, I am a bot"}`, 200)
			for range 3 {
				w.Clock.Add(time.Minute)
				w.round()
			}
			if got := w.status(conv2); got != "pending" {
				t.Fatalf("%d: the bot's own parked message left the conversation %s, want pending", code, got)
			}
			// What the handed-over customer was told (nobody is online)
			// goes to the bot too: let it go, so that the next case's
			// rounds are its own.
			w.Clock.Add(48 * time.Hour)
			for w.round() > 0 {
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if followed != 0 {
			t.Fatalf("a redirect was followed %d times", followed)
		}
	})
}

// TestLaneOrder: within a conversation, event N+1 is not sent before N is
// acknowledged, however many rounds pass while the bot is down.
func TestLaneOrder(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s, options{schedule: []time.Duration{time.Second, time.Second, time.Second, time.Second, time.Second}, breaker: 100})
		b := newBot(t, status(http.StatusServiceUnavailable))
		w.connect(b, b.URL, w.inboxID)
		conv := w.customer(w.identifier, "casey")
		for _, m := range []string{"m1", "m2", "m3"} {
			w.say(w.identifier, "casey", conv, m)
		}
		for range 3 {
			w.round()
			w.Clock.Add(2 * time.Second)
		}
		if got := b.tried(); !slices.Equal(got, []string{"m1", "m1", "m1"}) {
			t.Fatalf("while m1 was refused the bot got %v", got)
		}
		b.answer(nil)
		for _, m := range []string{"m1", "m2", "m3"} {
			w.expectRound(1, "one event of the lane at a time: "+m)
		}
		if got := b.acked(conv); !slices.Equal(got, []string{"m1", "m2", "m3"}) {
			t.Fatalf("acknowledged %v, want m1, m2, m3", got)
		}
	})
}

// TestReplyQueuedBehind: a bot's reply written while the customer's
// message is in flight waits behind it in the lane and goes out once the
// message's attempt is recorded, with the engine running and nothing else
// waking it (on SQLite the transaction that records the attempt claims the
// reply; elsewhere the recorder wakes the loop).
func TestReplyQueuedBehind(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s, options{poll: time.Hour})
		b := newBot(t, nil)
		w.connect(b, b.URL, w.inboxID)
		conv := w.customer(w.identifier, "casey")
		b.answer(func(h *hit, rw http.ResponseWriter, r *http.Request) {
			if h.event == "message_created:incoming" {
				w.call("POST", w.acc(fmt.Sprintf("/conversations/%d/messages", conv)), b.token, `{"content":"a reply"}`, 200)
			}
		})
		run, stop := context.WithCancel(context.Background())
		w.Engine.Start(run)
		t.Cleanup(func() { stop(); w.Engine.Stop() })
		w.say(w.identifier, "casey", conv, "hello")
		w.Engine.Wake() // the app of this world does not wake the engine
		var got []string
		for deadline := time.Now().Add(5 * time.Second); len(got) < 2 && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
			got = nil
			for _, h := range b.received() {
				if strings.HasPrefix(h.event, "message_created") {
					got = append(got, h.content)
				}
			}
		}
		if !slices.Equal(got, []string{"hello", "a reply"}) {
			t.Fatalf("the bot got %q, want the message, then its reply", got)
		}
	})
}

// TestHeldOffLoopIsWoken: with more lanes due than its workers can take,
// the loop claims what they can and holds off; the recorder claims only
// when a record moved a lane on, so it must wake the loop once it frees
// workers, or the rest would wait for the poll (an hour here).
func TestHeldOffLoopIsWoken(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s, options{poll: time.Hour, workers: 1})
		b := newBot(t, func(h *hit, rw http.ResponseWriter, r *http.Request) { time.Sleep(5 * time.Millisecond) })
		w.connect(b, b.URL, w.inboxID)
		const n = 12 // three times what one worker's engine claims ahead
		for i := range n {
			source := fmt.Sprintf("c%d", i)
			w.say(w.identifier, source, w.customer(w.identifier, source), "hello")
		}
		run, stop := context.WithCancel(context.Background())
		w.Engine.Start(run)
		t.Cleanup(func() { stop(); w.Engine.Stop() })
		w.Engine.Wake() // the app of this world does not wake the engine
		got := 0
		for deadline := time.Now().Add(10 * time.Second); got < n && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
			got = 0
			for _, h := range b.received() {
				if h.event == "message_created:incoming" {
					got++
				}
			}
		}
		if got < n {
			t.Fatalf("the bot got %d of %d messages: the loop was left holding off", got, n)
		}
	})
}

// TestLaneIndependence: a conversation whose bot is slow, and a bot that is
// down, hold back neither another conversation nor another bot.
func TestLaneIndependence(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s, options{timeout: 300 * time.Millisecond, breaker: 100})
		var slowConv atomic.Int64
		a := newBot(t, func(h *hit, rw http.ResponseWriter, r *http.Request) {
			if h.conversation == slowConv.Load() {
				<-r.Context().Done() // slower than the timeout
			}
		})
		w.connect(a, a.URL, w.inboxID)
		down := newBot(t, status(http.StatusServiceUnavailable))
		inboxB, identB := w.newInbox("Other")
		w.connect(down, down.URL, inboxB)

		slow := w.customer(w.identifier, "slow")
		slowConv.Store(slow)
		fast := w.customer(w.identifier, "fast")
		other := w.customer(identB, "other")
		w.say(w.identifier, "slow", slow, "slow 1")
		w.say(w.identifier, "fast", fast, "fast 1")
		w.say(identB, "other", other, "other 1")
		w.expectRound(3, "one attempt per lane")
		if d := w.delivery(a, "slow 1"); d.Status != baton.DeliveryPending || !strings.Contains(d.LastError, "timed out") {
			t.Fatalf("the slow lane: status %d, error %q", d.Status, d.LastError)
		}
		if d := w.delivery(down, "other 1"); d.Status != baton.DeliveryPending {
			t.Fatalf("the bot that is down: status %d", d.Status)
		}
		w.say(w.identifier, "fast", fast, "fast 2")
		w.expectRound(1, "only the fast lane is due")
		if got := a.acked(fast); !slices.Equal(got, []string{"fast 1", "fast 2"}) {
			t.Fatalf("the fast conversation got %v", got)
		}
	})
}

// TestDeadlineHandoff: a customer's message the bot has not acknowledged
// within its handoff deadline hands the conversation to people, once; the
// bot's own messages and private notes never do; the account's
// keep_pending_on_bot_failure and the bot's KeepPendingOnFailure keep it
// pending.
func TestDeadlineHandoff(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s, options{breaker: 100})
		b := newBot(t, status(http.StatusServiceUnavailable))
		w.connect(b, b.URL, w.inboxID)
		conv := w.customer(w.identifier, "casey")
		w.say(w.identifier, "casey", conv, "hello")
		w.round()
		w.Clock.Add(baton.DefaultHandoffDeadline - time.Second)
		w.round()
		if got := w.status(conv); got != "pending" {
			t.Fatalf("before the deadline the conversation is %s", got)
		}
		w.Clock.Add(2 * time.Second)
		w.round()
		if got := w.status(conv); got != "open" {
			t.Fatalf("after the deadline the conversation is %s, want open", got)
		}
		for range 3 {
			w.Clock.Add(time.Minute)
			w.round()
		}
		if got := w.activities(conv); len(got) != 1 || !strings.Contains(got[0], "handed to people") {
			t.Fatalf("activity messages %q, want one handoff", got)
		}
		// Baton's own handoff gives its reason.
		c := w.call("GET", w.acc(fmt.Sprintf("/conversations/%d", conv)), w.admin, "", 200).(map[string]any)
		if h, _ := c["handoff"].(map[string]any); h == nil || h["reason"] != baton.HandoffBotFailure || h["by"].(map[string]any)["type"] != "System" {
			t.Errorf("handoff of a bot that missed its deadline: %v", c["handoff"])
		}

		// The bot's own message and an agent's private note, never
		// acknowledged: the conversation stays the bot's.
		conv2 := w.customer(w.identifier, "dana")
		path := w.acc(fmt.Sprintf("/conversations/%d/messages", conv2))
		w.call("POST", path, b.token, `{"content":"Hi, I am a bot"}`, 200)
		w.call("POST", path, w.admin, `{"content":"VIP customer","private":true}`, 200)
		for range 3 {
			w.round()
			w.Clock.Add(time.Minute)
		}
		if got := w.status(conv2); got != "pending" {
			t.Fatalf("unacknowledged bot message and note left the conversation %s, want pending", got)
		}

		// The account says keep pending.
		w.call("PATCH", fmt.Sprintf("/platform/api/v1/accounts/%d", w.accountID), w.Platform,
			`{"settings":{"keep_pending_on_bot_failure":true}}`, 200)
		conv3 := w.customer(w.identifier, "erin")
		w.say(w.identifier, "erin", conv3, "hello")
		w.Clock.Add(time.Minute)
		w.round()
		if got := w.status(conv3); got != "pending" {
			t.Fatalf("with keep_pending_on_bot_failure the conversation is %s", got)
		}

		// The bot says keep pending.
		w.call("PATCH", fmt.Sprintf("/platform/api/v1/accounts/%d", w.accountID), w.Platform,
			`{"settings":{"keep_pending_on_bot_failure":false}}`, 200)
		w.changeBot(b, func(ab *baton.AgentBot) { ab.KeepPendingOnFailure = true })
		conv4 := w.customer(w.identifier, "frank")
		w.say(w.identifier, "frank", conv4, "hello")
		w.Clock.Add(time.Minute)
		w.round()
		if got := w.status(conv4); got != "pending" {
			t.Fatalf("with the bot's KeepPendingOnFailure the conversation is %s", got)
		}
	})
}

// TestBreaker: the breaker opens after the threshold of outages, holds the
// bot's lanes for the cooldown, then lets one probe through: a failed probe
// reopens it for twice as long, an answer closes it and the lanes flow.
// While it is open, new conversations in its inbox start open.
func TestBreaker(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s, options{breaker: 3, cooldown: time.Minute,
			schedule: slices.Repeat([]time.Duration{time.Second}, 20)})
		b := newBot(t, status(http.StatusServiceUnavailable))
		w.connect(b, b.URL, w.inboxID)
		w.changeBot(b, func(ab *baton.AgentBot) { ab.HandoffDeadline = time.Hour })
		convs := make([]int64, 3)
		for i := range convs {
			src := fmt.Sprintf("c%d", i)
			convs[i] = w.customer(w.identifier, src)
			w.say(w.identifier, src, convs[i], src)
		}
		w.expectRound(3, "three lanes")
		ab := w.agentBot(b)
		if !ab.BreakerOpen(w.Clock.Now()) || !ab.BreakerOpenUntil.Equal(w.Clock.Now().Add(time.Minute)) {
			t.Fatalf("after three outages the breaker is open until %s (failures %d), want a minute from now",
				ab.BreakerOpenUntil, ab.BreakerFailures)
		}
		if got := w.status(w.customer(w.identifier, "while-open")); got != "open" {
			t.Fatalf("a new conversation while the breaker is open is %s, want open", got)
		}

		w.Clock.Add(2 * time.Second)
		w.expectRound(0, "retries due while the breaker is open")
		w.Clock.Set(ab.BreakerOpenUntil)
		w.expectRound(1, "the probe after the cooldown")
		w.expectRound(0, "nothing more after a failed probe")
		ab = w.agentBot(b)
		if !ab.BreakerOpenUntil.Equal(w.Clock.Now().Add(2 * time.Minute)) {
			t.Fatalf("after a failed probe the breaker is open until %s, want two minutes from now", ab.BreakerOpenUntil)
		}

		b.answer(nil)
		w.Clock.Set(ab.BreakerOpenUntil)
		w.expectRound(1, "the second probe")
		if ab = w.agentBot(b); ab.BreakerFailures != 0 || !ab.BreakerOpenUntil.IsZero() {
			t.Fatalf("after an answered probe: failures %d, open until %s; want closed", ab.BreakerFailures, ab.BreakerOpenUntil)
		}
		w.expectRound(2, "the other lanes, once closed")
		for i, c := range convs {
			if got := b.acked(c); !slices.Equal(got, []string{fmt.Sprintf("c%d", i)}) {
				t.Fatalf("conversation %d: acknowledged %v", c, got)
			}
		}
		if got := w.status(w.customer(w.identifier, "after")); got != "pending" {
			t.Fatalf("a new conversation after the breaker closed is %s, want pending", got)
		}
	})
}

// TestGarbageAndHugeAnswers: a 2xx with a body that is not JSON is an
// acknowledgement; an endless body is read only in part, so the attempt
// ends long before its (very long) timeout; a bot that sends its headers
// and then stalls holds the worker no longer than the timeout; an answer
// with a NUL byte or bytes that are not UTF-8 is recorded.
func TestGarbageAndHugeAnswers(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name    string
		timeout time.Duration
		handle  func(h *hit, rw http.ResponseWriter, r *http.Request)
		want    baton.DeliveryStatus
	}{
		{"not JSON", time.Second, func(h *hit, rw http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(rw, "<html>¯\\_(ツ)_/¯")
		}, baton.DeliverySucceeded},
		// PostgreSQL stores neither in text: the attempt was never recorded.
		{"NUL byte", time.Second, func(h *hit, rw http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(rw, "{\"ok\":\x00}")
		}, baton.DeliverySucceeded},
		{"not UTF-8", time.Second, func(h *hit, rw http.ResponseWriter, r *http.Request) {
			rw.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(rw, "caf\xe9")
		}, baton.DeliveryPending},
		{"endless 200", 10 * time.Minute, func(h *hit, rw http.ResponseWriter, r *http.Request) {
			chunk := bytes.Repeat([]byte("x"), 64<<10)
			for {
				if _, err := rw.Write(chunk); err != nil {
					return
				}
			}
		}, baton.DeliverySucceeded},
		{"endless 500", 10 * time.Minute, func(h *hit, rw http.ResponseWriter, r *http.Request) {
			rw.WriteHeader(http.StatusInternalServerError)
			chunk := bytes.Repeat([]byte("€"), 20<<10)
			for {
				if _, err := rw.Write(chunk); err != nil {
					return
				}
			}
		}, baton.DeliveryPending},
		{"headers then stall", 300 * time.Millisecond, func(h *hit, rw http.ResponseWriter, r *http.Request) {
			rw.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(rw, `{"ok":`)
			rw.(http.Flusher).Flush()
			<-r.Context().Done()
		}, baton.DeliverySucceeded},
		{"no headers", 300 * time.Millisecond, func(h *hit, rw http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}, baton.DeliveryPending},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			storetest.Each(t, func(t *testing.T, s *store.Store) {
				w := setup(t, s, options{timeout: c.timeout})
				b := newBot(t, c.handle)
				w.connect(b, b.URL, w.inboxID)
				w.say(w.identifier, "casey", w.customer(w.identifier, "casey"), "hello")
				done := make(chan int, 1)
				go func() {
					n, _ := w.Engine.DeliverDue(context.Background())
					done <- n
				}()
				select {
				case n := <-done:
					if n != 1 {
						t.Fatalf("the round made %d attempts", n)
					}
				case <-time.After(30 * time.Second):
					t.Fatalf("the attempt is still reading the answer")
				}
				if d := w.delivery(b, "hello"); d.Status != c.want || d.Attempts != 1 {
					t.Fatalf("status %d (%s) after %d attempts recorded, want %d after 1", d.Status, d.LastError, d.Attempts, c.want)
				}
			})
		})
	}
}

// TestBotComesBack: a bot whose address refuses connections for a quarter of
// an hour, then comes back, gets every event, in order per conversation.
func TestBotComesBack(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s, options{schedule: delivery.DefaultSchedule})
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		b := newUnstartedBot(t, nil)
		w.connect(b, "http://"+addr, w.inboxID)

		convs := make([]int64, 3)
		for i := range convs {
			convs[i] = w.customer(w.identifier, fmt.Sprintf("c%d", i))
		}
		for m := range 4 {
			for i, c := range convs {
				w.say(w.identifier, fmt.Sprintf("c%d", i), c, fmt.Sprintf("m%d", m))
			}
			w.round()
			w.Clock.Add(time.Minute)
		}
		if d := w.delivery(b, "m0"); d.Status != baton.DeliveryPending || !strings.Contains(d.LastError, "refused") {
			t.Fatalf("while down: status %d, error %q", d.Status, d.LastError)
		}
		for range 15 {
			w.round()
			w.Clock.Add(time.Minute)
		}

		b.Listener.Close()
		if b.Listener, err = net.Listen("tcp", addr); err != nil {
			t.Fatalf("listening again on %s: %v", addr, err)
		}
		b.Start()
		for i := 0; w.pending(b) > 0; i++ {
			if i > 10000 {
				t.Fatalf("deliveries still pending after a simulated week")
			}
			w.round()
			w.Clock.Add(time.Minute)
		}
		for _, c := range convs {
			if got := b.acked(c); !slices.Equal(got, []string{"m0", "m1", "m2", "m3"}) {
				t.Fatalf("conversation %d: acknowledged %v, want m0..m3 in order", c, got)
			}
		}
	})
}

// TestBlockPrivate: with --webhook-block-private, a bot on a loopback
// address gets nothing and its delivery is parked with the reason, even
// when its URL only turned private after the courtesy checks (as with DNS
// rebinding); the checks refuse private URLs when a bot is created, changed
// or connected. Without the flag the same bot gets its events.
func TestBlockPrivate(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s, options{blockPrivate: true})
		b := newBot(t, nil)
		for _, url := range []string{b.URL, "http://localhost:9/", "http://10.1.2.3/", "http://[fd00::1]/", "http://169.254.169.254/latest"} {
			w.call("POST", w.acc("/agent_bots"), w.admin, fmt.Sprintf(`{"name":"Helper","outgoing_url":%q}`, url), 422)
		}
		w.connect(b, "http://203.0.113.10/hook", w.inboxID) // a public address: accepted
		w.call("PATCH", w.acc(fmt.Sprintf("/agent_bots/%d", b.id)), w.admin, fmt.Sprintf(`{"outgoing_url":%q}`, b.URL), 422)

		// The name now points somewhere private.
		w.changeBot(b, func(ab *baton.AgentBot) { ab.OutgoingURL = b.URL })
		other, _ := w.newInbox("Other")
		w.call("POST", w.acc(fmt.Sprintf("/inboxes/%d/set_agent_bot", other)), w.admin, fmt.Sprintf(`{"agent_bot":%d}`, b.id), 422)
		conv := w.customer(w.identifier, "casey")
		w.say(w.identifier, "casey", conv, "hello")
		w.expectRound(1, "the attempt")
		d := w.delivery(b, "hello")
		if d.Status != baton.DeliveryParked || !strings.Contains(d.LastError, "--webhook-block-private") {
			t.Fatalf("status %d, error %q; want parked, refused", d.Status, d.LastError)
		}
		if got := b.received(); len(got) != 0 {
			t.Fatalf("the bot on a private address got %d requests", len(got))
		}

		// The same store without blocking (its rounds take the other
		// world's due deliveries too).
		open := setup(t, s, options{})
		b2 := newBot(t, nil)
		open.connect(b2, b2.URL, open.inboxID)
		open.say(open.identifier, "casey", open.customer(open.identifier, "casey"), "hello")
		open.round()
		if d := open.delivery(b2, "hello"); d.Status != baton.DeliverySucceeded {
			t.Fatalf("without blocking: status %d, error %q", d.Status, d.LastError)
		}
	})
}

// TestSecretRotation: the bot JSON shows the secret in both forms; after
// reset_secret the old secret signs beside the new one for the overlap
// (webhook-signature carries both, X-Chatwoot-Signature-Previous the old
// Chatwoot one), and stops after.
func TestSecretRotation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s, options{overlap: time.Hour})
		b := newBot(t, nil)
		w.connect(b, b.URL, w.inboxID)
		v := w.call("GET", w.acc(fmt.Sprintf("/agent_bots/%d", b.id)), w.admin, "", 200).(map[string]any)
		old := v["secret"].(string)
		if old == "" || v["webhook_secret"] != signature.StandardSecret(old) {
			t.Fatalf("secret %q, webhook_secret %v", old, v["webhook_secret"])
		}
		conv := w.customer(w.identifier, "casey")
		say := func(content string) *hit {
			t.Helper()
			w.say(w.identifier, "casey", conv, content)
			w.expectRound(1, content)
			hits := b.received()
			return hits[len(hits)-1]
		}
		check := func(h *hit, current string, standard []string, previous string) {
			t.Helper()
			ts, id := h.header.Get("X-Chatwoot-Timestamp"), h.header.Get("X-Chatwoot-Delivery")
			if ts != fmt.Sprint(w.Clock.Now().Unix()) || h.header.Get("webhook-timestamp") != ts {
				t.Fatalf("timestamps %q, %q", ts, h.header.Get("webhook-timestamp"))
			}
			if got := h.header.Get("X-Chatwoot-Signature"); got != signature.Chatwoot(current, ts, h.body) {
				t.Fatalf("X-Chatwoot-Signature %q does not verify", got)
			}
			var want []string
			for _, s := range standard {
				want = append(want, signature.Standard(s, id, ts, h.body))
			}
			if got := h.header.Get("webhook-signature"); got != strings.Join(want, " ") {
				t.Fatalf("webhook-signature %q, want %q", got, strings.Join(want, " "))
			}
			wantPrev := ""
			if previous != "" {
				wantPrev = signature.Chatwoot(previous, ts, h.body)
			}
			if got := h.header.Get("X-Chatwoot-Signature-Previous"); got != wantPrev {
				t.Fatalf("X-Chatwoot-Signature-Previous %q, want %q", got, wantPrev)
			}
		}
		check(say("one"), old, []string{old}, "")

		v = w.call("POST", w.acc(fmt.Sprintf("/agent_bots/%d/reset_secret", b.id)), w.admin, "", 200).(map[string]any)
		secret := v["secret"].(string)
		if secret == old || v["webhook_secret"] != signature.StandardSecret(secret) {
			t.Fatalf("after reset_secret: secret %q (was %q), webhook_secret %v", secret, old, v["webhook_secret"])
		}
		w.Clock.Add(time.Hour - time.Second)
		check(say("two"), secret, []string{secret, old}, old)
		w.Clock.Add(2 * time.Second)
		check(say("three"), secret, []string{secret}, "")
	})
}

// TestRefusedAfterOutage: outages and refusals are counted apart, so an
// event the bot refuses once it is back from an outage still gets its
// quick retries before it is parked.
func TestRefusedAfterOutage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s, options{attempts: 3, schedule: []time.Duration{time.Second, time.Second}})
		var calls atomic.Int32
		b := newBot(t, func(h *hit, rw http.ResponseWriter, r *http.Request) {
			if calls.Add(1) <= 2 {
				rw.WriteHeader(http.StatusServiceUnavailable) // down twice
				return
			}
			rw.WriteHeader(http.StatusInternalServerError) // then up, refusing
		})
		w.connect(b, b.URL, w.inboxID)
		w.changeBot(b, func(ab *baton.AgentBot) { ab.HandoffDeadline = time.Hour })
		conv := w.customer(w.identifier, "casey")
		w.say(w.identifier, "casey", conv, "hello")
		for i, want := range []baton.DeliveryStatus{baton.DeliveryPending, baton.DeliveryPending, baton.DeliveryPending, baton.DeliveryPending, baton.DeliveryParked} {
			w.expectRound(1, fmt.Sprintf("attempt %d", i+1))
			if d := w.delivery(b, "hello"); d.Status != want {
				t.Fatalf("after attempt %d the delivery is in state %d, want %d (attempts %d, refusals %d)", i+1, d.Status, want, d.Attempts, d.Refusals)
			}
			w.Clock.Add(2 * time.Second)
		}
		if d := w.delivery(b, "hello"); d.Attempts != 5 || d.Refusals != 3 {
			t.Fatalf("parked after %d attempts with %d refusals, want 5 and 3", d.Attempts, d.Refusals)
		}
	})
}

// TestAnswerHandoff: a customer's answer to the bot's question is the
// customer's turn too: if the bot cannot take it, people do.
func TestAnswerHandoff(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s, options{breaker: 100})
		var down atomic.Bool
		b := newBot(t, func(h *hit, rw http.ResponseWriter, r *http.Request) {
			if down.Load() {
				rw.WriteHeader(http.StatusServiceUnavailable)
			}
		})
		w.connect(b, b.URL, w.inboxID)
		conv := w.customer(w.identifier, "casey")
		menu := w.call("POST", w.acc(fmt.Sprintf("/conversations/%d/messages", conv)), b.token,
			`{"content":"Pick one","content_type":"input_select","content_attributes":{"items":[{"title":"Orders","value":"orders"}]}}`, 200).(map[string]any)
		w.round()
		down.Store(true)
		w.call("PATCH", fmt.Sprintf("/public/api/v1/inboxes/%s/contacts/casey/conversations/%d/messages/%v", w.identifier, conv, menu["id"]),
			"", `{"submitted_values":[{"title":"Orders","value":"orders"}]}`, 200)
		w.round()
		w.Clock.Add(baton.DefaultHandoffDeadline + time.Second)
		w.round()
		if got := w.status(conv); got != "open" {
			t.Fatalf("a customer's answer the bot never took left the conversation %s, want open", got)
		}
	})
}

// TestUnopenableSecretParks: a bot secret this server's key cannot open
// (the key was changed) is no outage: the delivery is parked at once, not
// retried for two days.
func TestUnopenableSecretParks(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s, options{})
		b := newBot(t, nil)
		w.connect(b, b.URL, w.inboxID)
		other, err := auth.NewKey("another key, another key, another key")
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		err = s.Write(ctx, func(q *store.Queries) error {
			return q.RotateAgentBotSecret(ctx, b.id, other.Seal("secret"), w.Clock.Now(), w.Clock.Now())
		})
		if err != nil {
			t.Fatal(err)
		}
		conv := w.customer(w.identifier, "casey")
		w.say(w.identifier, "casey", conv, "hello")
		w.round()
		d := w.delivery(b, "hello")
		if d.Status != baton.DeliveryParked || !strings.Contains(d.LastError, "does not open") {
			t.Fatalf("delivery in state %d with error %q, want parked for the secret", d.Status, d.LastError)
		}
	})
}

// TestAllowedPrivate: with --webhook-block-private, an account's private
// hosts or ranges for its targets are allowed on its list; a range is
// checked on the address dialed, a name on the URL's host; what the list
// does not name stays refused. The machine itself (here, where the test's
// endpoints are) is the operator's to allow: its administrator may not
// add it, and keeps it on the list when the operator did.
func TestAllowedPrivate(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		w := setup(t, s, options{blockPrivate: true})
		literal, named := newBot(t, nil), newBot(t, nil)
		allow := func(list string) {
			var entries []string
			if err := json.Unmarshal([]byte(list), &entries); err != nil {
				t.Fatal(err)
			}
			if _, err := w.App.SetAllowedPrivate(batontest.System(), w.accountID, entries); err != nil {
				t.Fatal(err)
			}
		}
		// A private URL is refused when it is set, unless the list lets it.
		w.call("POST", w.acc("/webhooks"), w.admin, fmt.Sprintf(`{"url":%q,"subscriptions":["message_created"]}`, literal.URL), 422)
		for _, entry := range []string{"127.0.0.1/32", "localhost", "0.0.0.0/0", "::/0", "169.254.169.254", "fe80::/10",
			"100.100.100.200", "api.localhost", "::ffff:127.0.0.1", "64:ff9b::/96"} {
			got := w.call("PUT", w.acc("/webhook_allowed_private"), w.admin, fmt.Sprintf(`{"allowed_private":["10.0.0.0/8",%q]}`, entry), 422)
			if !strings.Contains(fmt.Sprint(got), "only the operator may allow it") {
				t.Fatalf("an administrator adding %s: %v", entry, got)
			}
		}
		allow(`["127.0.0.1/32","localhost"]`)
		// The administrator edits the list, keeping the operator's entries.
		w.call("PUT", w.acc("/webhook_allowed_private"), w.admin, `{"allowed_private":["127.0.0.1/32","localhost","10.0.0.0/8","n8n.internal"]}`, 200)
		a := w.hook(literal.URL)                                             // http://127.0.0.1:port
		b := w.hook(strings.Replace(named.URL, "127.0.0.1", "localhost", 1)) // the same, by name
		conv := w.customer(w.identifier, "casey")
		for _, step := range []struct {
			allow   string
			content string
			wantA   baton.DeliveryStatus
			wantB   baton.DeliveryStatus
		}{
			{`[]`, "one", baton.DeliveryParked, baton.DeliveryParked},
			{`["127.0.0.1/32"]`, "two", baton.DeliverySucceeded, baton.DeliverySucceeded},
			{`["localhost"]`, "three", baton.DeliveryParked, baton.DeliverySucceeded},
			{`["10.0.0.0/8"]`, "four", baton.DeliveryParked, baton.DeliveryParked},
		} {
			allow(step.allow)
			w.say(w.identifier, "casey", conv, step.content)
			w.expectRound(2, "the attempts at "+step.content)
			for _, c := range []struct {
				id   int64
				want baton.DeliveryStatus
			}{{a, step.wantA}, {b, step.wantB}} {
				d := w.hookDelivery(c.id, step.content)
				if d.Status != c.want {
					t.Fatalf("allowing %s, webhook %d got %q: %s (%s), want %s", step.allow, c.id, step.content, d.Status, d.LastError, c.want)
				}
				if c.want == baton.DeliveryParked && !strings.Contains(d.LastError, "--webhook-block-private") {
					t.Fatalf("parked without the reason: %q", d.LastError)
				}
			}
		}
		if got := len(literal.received()) + len(named.received()); got != 3 {
			t.Fatalf("the private endpoints got %d requests, want 3", got)
		}
	})
}

// TestAllowedPrivateReadWithClaim: the allow-list comes with the claim, as
// the rest of the endpoint does: with --webhook-block-private an attempt
// at an account's target runs no statement more than without (it read the
// account on every attempt, a round trip each on PostgreSQL).
func TestAllowedPrivateReadWithClaim(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		statements := make(map[bool]int64)
		for _, block := range []bool{false, true} {
			w := setup(t, s, options{blockPrivate: block})
			if _, err := w.App.SetAllowedPrivate(batontest.System(), w.accountID, []string{"127.0.0.1/32"}); err != nil {
				t.Fatal(err)
			}
			target := newBot(t, nil)
			id := w.hook(target.URL)
			conv := w.customer(w.identifier, "casey")
			w.say(w.identifier, "casey", conv, "hello")
			ctx, n := store.CountStatements(context.Background())
			if made, err := w.Engine.DeliverDue(ctx); err != nil || made != 1 {
				t.Fatalf("blocking %v: the round made %d attempts (%v), want 1", block, made, err)
			}
			if d := w.hookDelivery(id, "hello"); d.Status != baton.DeliverySucceeded {
				t.Fatalf("blocking %v: the delivery is %s (%s), want succeeded", block, d.Status, d.LastError)
			}
			statements[block] = n()
		}
		if statements[true] != statements[false] {
			t.Fatalf("an attempt ran %d statements with --webhook-block-private and %d without",
				statements[true], statements[false])
		}
	})
}

// hook makes an account webhook subscribed to message_created that posts
// to url, and returns its id.
func (w *world) hook(url string) int64 {
	w.t.Helper()
	v := w.call("POST", w.acc("/webhooks"), w.admin, fmt.Sprintf(`{"url":%q,"subscriptions":["message_created"]}`, url), 200)
	return int64(v.(map[string]any)["payload"].(map[string]any)["webhook"].(map[string]any)["id"].(float64))
}

// hookDelivery returns a webhook's delivery of the customer message with
// the content.
func (w *world) hookDelivery(id int64, content string) *baton.Delivery {
	w.t.Helper()
	ds, err := w.Store.Read().ListDeliveries(context.Background(), baton.WebhookTarget(id), 1000)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, d := range ds {
		var ev map[string]any
		_ = json.Unmarshal(d.Payload, &ev)
		if ev["event"] == "message_created" && ev["content"] == content {
			return d
		}
	}
	w.t.Fatalf("no delivery of %q to webhook %d", content, id)
	return nil
}
