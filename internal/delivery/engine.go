package delivery

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/auth"
	"github.com/batonhq/baton/internal/store"
)

// DefaultSchedule is how long to wait before each retry of a bot that is
// down: the first within seconds, the whole about two days.
var DefaultSchedule = []time.Duration{
	1 * time.Second, 5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute,
	1 * time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour, 12 * time.Hour, 12 * time.Hour, 8 * time.Hour,
}

// Config is what an Engine needs.
type Config struct {
	Store  *store.Store
	Key    *auth.Key // opens bots' signing secrets
	Logger *slog.Logger
	Now    func() time.Time
	// Timeout bounds one attempt, from connecting to reading the answer.
	Timeout time.Duration
	// Schedule is the wait before each retry of a bot that is down.
	Schedule []time.Duration
	// Attempts is how many attempts in all an event gets from a bot that is
	// up but answers an error.
	Attempts int
	// Workers is how many attempts run at once.
	Workers int
	// Client sends the requests; the default follows no redirects.
	Client *http.Client
}

// Engine delivers pending events to bots.
type Engine struct {
	store    *store.Store
	key      *auth.Key
	log      *slog.Logger
	now      func() time.Time
	timeout  time.Duration
	schedule []time.Duration
	attempts int
	client   *http.Client

	wake     chan struct{}
	jobs     chan *store.Delivery
	mu       sync.Mutex
	inFlight map[lane]bool
	workers  int
	stop     context.CancelFunc
	wg       sync.WaitGroup
}

type lane struct{ bot, conversation int64 }

// maxResponse is how much of a bot's answer is read; the rest is dropped.
const maxResponse = 64 << 10

// excerpt is how much of an answer the delivery log keeps.
const excerpt = 512

// New returns an engine; Start runs it.
func New(c Config) *Engine {
	e := &Engine{store: c.Store, key: c.Key, log: c.Logger, now: c.Now, timeout: c.Timeout, schedule: c.Schedule,
		attempts: c.Attempts, client: c.Client, workers: c.Workers, wake: make(chan struct{}, 1),
		inFlight: map[lane]bool{}}
	if e.log == nil {
		e.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.timeout <= 0 {
		e.timeout = 5 * time.Second
	}
	if e.schedule == nil {
		e.schedule = DefaultSchedule
	}
	if e.attempts <= 0 {
		e.attempts = 3
	}
	if e.workers <= 0 {
		e.workers = 32
	}
	if e.client == nil {
		e.client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	e.jobs = make(chan *store.Delivery, e.workers)
	return e
}

// Wake tells the engine that deliveries may be due. It never blocks.
func (e *Engine) Wake() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Start runs the engine until ctx ends or Stop is called.
func (e *Engine) Start(ctx context.Context) {
	ctx, e.stop = context.WithCancel(ctx)
	for range e.workers {
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			for d := range e.jobs {
				e.deliver(ctx, d)
			}
		}()
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		defer close(e.jobs)
		e.loop(ctx)
	}()
}

// Stop stops the engine and waits for attempts in flight to end; their
// deliveries stay pending and go out after the next start.
func (e *Engine) Stop() {
	if e.stop != nil {
		e.stop()
	}
	e.wg.Wait()
}

func (e *Engine) loop(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-e.wake:
		case <-timer.C:
		}
		if err := e.dispatch(ctx); err != nil && ctx.Err() == nil {
			e.log.Error("delivery: reading due deliveries", "err", err)
		}
		timer.Reset(e.untilNext(ctx))
	}
}

// untilNext is how long the loop may sleep: until the earliest pending
// delivery is due, at most a minute (another process may add work).
func (e *Engine) untilNext(ctx context.Context) time.Duration {
	next, ok, err := e.store.Read().NextDueAt(ctx)
	if err != nil || !ok {
		return time.Minute
	}
	return min(max(next.Sub(e.now()), 10*time.Millisecond), time.Minute)
}

// dispatch hands the due head of every idle lane to the workers.
func (e *Engine) dispatch(ctx context.Context) error {
	due, err := e.store.Read().DueDeliveries(ctx, e.now(), 4*e.workers)
	if err != nil {
		return err
	}
	for _, d := range due {
		l := lane{d.AgentBotID, d.LaneID}
		e.mu.Lock()
		busy := e.inFlight[l]
		if !busy {
			e.inFlight[l] = true
		}
		e.mu.Unlock()
		if busy {
			continue
		}
		select {
		case e.jobs <- d:
		case <-ctx.Done():
			return nil
		default:
			e.release(l)
			return nil // every worker is busy; a finishing one wakes the loop
		}
	}
	return nil
}

func (e *Engine) release(l lane) {
	e.mu.Lock()
	delete(e.inFlight, l)
	e.mu.Unlock()
}

// DeliverDue makes one attempt at the due head of every lane and returns
// when they are recorded: the engine without its loop, for tests and tools
// that drive time themselves. It returns how many attempts it made.
func (e *Engine) DeliverDue(ctx context.Context) (int, error) {
	due, err := e.store.Read().DueDeliveries(ctx, e.now(), 1000)
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	for _, d := range due {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e.attempt(ctx, d)
		}()
	}
	wg.Wait()
	return len(due), nil
}

func (e *Engine) deliver(ctx context.Context, d *store.Delivery) {
	defer e.Wake()
	defer e.release(lane{d.AgentBotID, d.LaneID})
	e.attempt(ctx, d)
}

// outcome is what one attempt came to.
type outcome struct {
	status     int // 0: no answer
	err        string
	response   string
	retryAfter time.Duration
}

// attempt posts one delivery and records the attempt and the delivery's
// next state.
func (e *Engine) attempt(ctx context.Context, d *store.Delivery) {
	start := e.now()
	o := e.post(ctx, d, start)
	if ctx.Err() != nil {
		return // stopping: the delivery stays pending and is tried again
	}
	status, next := e.decide(d, o, start)
	a := &store.Attempt{DeliveryID: d.ID, AttemptedAt: start, StatusCode: max(o.status, 0), Latency: e.now().Sub(start),
		Error: o.err, Response: o.response}
	err := e.store.Write(ctx, func(q *store.Queries) error { return q.RecordAttempt(ctx, a, status, next) })
	if err != nil {
		e.log.Error("delivery: recording an attempt", "delivery", d.UUID, "err", err)
		return
	}
	if status == store.DeliveryFailed {
		e.log.Warn("delivery: gave up", "delivery", d.UUID, "bot", d.AgentBotID, "event", d.EventName,
			"attempts", d.Attempts+1, "last_error", o.err)
	}
}

// decide turns an outcome into the delivery's next state: succeeded; for a
// bot that is down, pending on the long schedule; for a bot answering an
// error, pending for a quick retry until the attempts run out; else failed.
func (e *Engine) decide(d *store.Delivery, o outcome, now time.Time) (int, time.Time) {
	n := d.Attempts + 1 // attempts made, this one included
	switch {
	case o.status >= 200 && o.status < 300:
		return store.DeliverySucceeded, now
	case outage(o.status):
		if n > len(e.schedule) {
			return store.DeliveryFailed, now
		}
		wait := jitter(e.schedule[n-1])
		return store.DeliveryPending, now.Add(max(wait, o.retryAfter))
	case n < e.attempts:
		return store.DeliveryPending, now.Add(max(jitter(time.Duration(n)*time.Second), o.retryAfter))
	}
	return store.DeliveryFailed, now
}

// outage reports whether an answer (0: none) means the bot is down or
// overloaded rather than refusing this event.
func outage(status int) bool {
	switch status {
	case 0, http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// jitter spreads a wait by up to a fifth either way, so that retries of many
// lanes do not arrive together.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	spread := int64(d) / 5
	return d - time.Duration(spread) + time.Duration(rand.Int64N(2*spread+1))
}

// post sends one attempt.
func (e *Engine) post(ctx context.Context, d *store.Delivery, now time.Time) outcome {
	q := e.store.Read()
	bot, err := q.FindAgentBot(ctx, d.AgentBotID)
	if err != nil {
		return outcome{err: "bot not found: " + baton.ErrorMessage(err)}
	}
	if bot.OutgoingURL == "" {
		return outcome{status: -1, err: "the bot has no outgoing URL"}
	}
	secret := ""
	if sealed, err := q.AgentBotSecret(ctx, bot.ID); err == nil && sealed != nil && e.key != nil {
		secret, _ = e.key.Open(sealed)
	}
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, bot.OutgoingURL, strings.NewReader(string(d.Payload)))
	if err != nil {
		return outcome{status: -1, err: "bad outgoing URL: " + err.Error()}
	}
	for k, v := range Headers(d.UUID, d.Payload, secret, now) {
		req.Header.Set(k, v)
	}
	res, err := e.client.Do(req)
	if err != nil {
		msg := err.Error()
		if errors.Is(err, context.DeadlineExceeded) {
			msg = fmt.Sprintf("timed out after %s", e.timeout)
		}
		return outcome{err: msg}
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, maxResponse))
	o := outcome{status: res.StatusCode, response: truncate(string(body), excerpt)}
	if res.StatusCode < 200 || res.StatusCode >= 300 {
		o.err = res.Status
	}
	if s := res.Header.Get("Retry-After"); s != "" {
		o.retryAfter = retryAfter(s, now)
	}
	return o
}

// retryAfter reads a Retry-After header: seconds or an HTTP date. Waits
// over a day are cut to a day.
func retryAfter(s string, now time.Time) time.Duration {
	var d time.Duration
	if secs, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(s); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), 24*time.Hour)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// Headers returns the headers of a delivery: JSON content, the delivery id
// (the same on every attempt), and, when the bot has a secret, Chatwoot's
// signature and the Standard Webhooks signature, computed over the exact
// body sent.
func Headers(id string, body []byte, secret string, now time.Time) map[string]string {
	h := map[string]string{
		"Content-Type":        "application/json",
		"Accept":              "application/json",
		"User-Agent":          "Baton",
		"X-Chatwoot-Delivery": id,
	}
	if secret == "" {
		return h
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	h["X-Chatwoot-Timestamp"] = ts
	h["X-Chatwoot-Signature"] = ChatwootSignature(secret, ts, body)
	h["webhook-id"] = id
	h["webhook-timestamp"] = ts
	h["webhook-signature"] = StandardSignature(secret, id, ts, body)
	return h
}

// ChatwootSignature is "sha256=" and the hex HMAC-SHA256 of
// "<timestamp>.<body>" under the secret.
func ChatwootSignature(secret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp + "."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// StandardSignature is the Standard Webhooks signature: "v1," and the
// base64 HMAC-SHA256 of "<id>.<timestamp>.<body>" under the secret's bytes
// (StandardSecret gives the secret in that specification's whsec_ form).
func StandardSignature(secret, id, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(id + "." + timestamp + "."))
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// StandardSecret is a secret in the form Standard Webhooks libraries take:
// "whsec_" and the base64 of the key bytes.
func StandardSecret(secret string) string {
	return "whsec_" + base64.StdEncoding.EncodeToString([]byte(secret))
}
