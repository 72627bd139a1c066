package main

// The delivery engine's benchmarks (-mode deliveries, latency, turns): Baton
// as `baton serve` builds it, delivery engine included (and, on PostgreSQL,
// the LISTEN wake-ups), one bot connected to the inbox whose outgoing URL is
// a fast receiver in this process on 127.0.0.1.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/auth"
	"github.com/batonhq/baton/internal/chatwoot"
	"github.com/batonhq/baton/internal/delivery"
	"github.com/batonhq/baton/internal/server"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/postgres"
)

// engineBench is Baton with its delivery engine and a connected bot.
type engineBench struct {
	store    *store.Store
	key      *auth.Key
	app      *app.App
	srv      *server.Server
	engine   atomic.Pointer[delivery.Engine]
	listener *postgres.Listener
	log      *slog.Logger
	base     string

	account    int64
	identifier string
	botToken   string
	convs      []benchConversation
	recv       *receiver
	client     *http.Client
	// blockPrivate runs the engine with --webhook-block-private (see
	// options).
	blockPrivate bool
}

type benchConversation struct {
	displayID int64
	messages  string // the public API's messages URL
	reply     string // the bot's messages URL (Application API)
}

// wake wakes the running engine, if any.
func (b *engineBench) wake() {
	if e := b.engine.Load(); e != nil {
		e.Wake()
	}
}

// startEngineBench starts Baton with the receiver as its bot; the engine is
// started by startEngine.
func startEngineBench(ctx context.Context, dir, pgURL string, o options) (*engineBench, error) {
	st, key, files, err := openStorage(ctx, dir, pgURL)
	if err != nil {
		return nil, err
	}
	b := &engineBench{store: st, key: key, client: newClient(512), blockPrivate: o.blockPrivate,
		log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	b.app = app.New(app.Config{Store: st, Key: key, Files: files, Logger: b.log, OnEvent: b.wake,
		Renderer: &chatwoot.Renderer{PublicURL: func() string { return b.base }}})
	api := chatwoot.New(chatwoot.Config{App: b.app, Logger: b.log, PublicURL: func() string { return b.base },
		MaxBodyBytes: 1 << 20, MaxUploadBytes: 100 << 20})
	b.srv = server.New(server.Config{Handler: api, Logger: b.log, Health: st.Ping})
	if err := b.srv.Start("127.0.0.1:0"); err != nil {
		st.Close()
		return nil, err
	}
	b.base = "http://" + b.srv.Addr().String()
	if pgURL != "" {
		b.listener = postgres.NewListener(pgURL, b.wake, b.log)
		b.listener.Start(ctx)
	}
	if b.recv, err = startReceiver(b); err != nil {
		b.stop()
		return nil, err
	}
	if err := b.seed(ctx, o.conversations); err != nil {
		b.stop()
		return nil, fmt.Errorf("seed: %w", err)
	}
	return b, nil
}

// startEngine starts a new engine, as serve configures it by default.
func (b *engineBench) startEngine(ctx context.Context) {
	e := delivery.New(delivery.Config{Store: b.store, Key: b.key, Logger: b.log, BlockPrivate: b.blockPrivate})
	e.Start(ctx)
	b.engine.Store(e)
}

func (b *engineBench) stopEngine() {
	if e := b.engine.Swap(nil); e != nil {
		e.Stop()
	}
}

func (b *engineBench) stop() {
	b.stopEngine()
	if b.listener != nil {
		b.listener.Stop()
	}
	_ = b.srv.Stop(context.Background())
	if b.recv != nil {
		_ = b.recv.srv.Close()
	}
	b.store.Close()
}

// seed makes the account, the API inbox, the bot posting to the receiver
// and connected to the inbox, and n contacts with a conversation each.
func (b *engineBench) seed(ctx context.Context, n int) error {
	ctx = baton.NewContextWithActor(ctx, baton.SystemActor)
	name, url := "Bench", b.recv.url
	acc, err := b.app.CreateAccount(ctx, app.AccountInput{Name: &name})
	if err != nil {
		return err
	}
	b.account = acc.ID
	if b.blockPrivate {
		if _, err := b.app.SetAllowedPrivate(ctx, acc.ID, []string{"127.0.0.1"}); err != nil {
			return err
		}
	}
	inbox, err := b.app.CreateInbox(ctx, acc.ID, app.InboxInput{Name: &name, ChannelType: baton.ChannelAPI})
	if err != nil {
		return err
	}
	b.identifier = inbox.Identifier
	bot, err := b.app.CreateAgentBot(ctx, acc.ID, app.AgentBotInput{Name: &name, OutgoingURL: &url})
	if err != nil {
		return err
	}
	b.botToken = bot.AccessToken
	if err := b.app.SetInboxAgentBot(ctx, acc.ID, inbox.ID, bot.Bot.ID); err != nil {
		return err
	}
	inst := &instance{base: b.base, identifier: b.identifier}
	b.convs = make([]benchConversation, n)
	var wg sync.WaitGroup
	var next atomic.Int64
	var mu sync.Mutex
	var firstErr error
	for range 16 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				target, err := inst.seedOne(b.client, i)
				if err != nil {
					mu.Lock()
					firstErr = cmpOr(firstErr, err)
					mu.Unlock()
					return
				}
				id, _ := strconv.ParseInt(strings.TrimSuffix(target[strings.LastIndex(target, "/conversations/")+len("/conversations/"):], "/messages"), 10, 64)
				b.convs[i] = benchConversation{displayID: id, messages: target,
					reply: fmt.Sprintf("%s/api/v1/accounts/%d/conversations/%d/messages", b.base, b.account, id)}
			}
		})
	}
	wg.Wait()
	return firstErr
}

// receiver is the bot: a net/http server on 127.0.0.1 that answers 200 at
// once. It counts what arrives, notes when each customer message first
// arrives, and in turn mode answers customers through the API.
type receiver struct {
	srv   *http.Server
	url   string
	bench *engineBench

	count    atomic.Int64 // requests
	incoming atomic.Int64 // customer messages, counted at their first arrival
	turnMode atomic.Bool
	replies  chan func() // the bot's replies, sent by a pool of senders

	mu      sync.Mutex
	arrived map[int64]time.Time // customer message id → first arrival
	turns   map[string]chan time.Time
	// stages holds, by turn, when each of its stages ended (see
	// turnStages), so that a run says where its turns spent their time.
	stages map[string]*[len(turnStages) + 1]time.Time
}

// turnStages name the stages of a turn; each ends at the next stamp.
var turnStages = [...]string{"customer's POST", "to the bot's webhook", "the bot's reply POST", "to the reply's webhook"}

// stamp records that the turn reached stamp i (0 is its start).
func (r *receiver) stamp(turn string, i int) {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.stages[turn]
	if t == nil {
		t = new([len(turnStages) + 1]time.Time)
		r.stages[turn] = t
	}
	t[i] = now
}

// stageMedians returns the median, p90 and p99 of each stage of the turns
// stamped since the last call, as one line, and forgets them.
func (r *receiver) stageMedians() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var d [len(turnStages)][]time.Duration
	for _, t := range r.stages {
		if slices.ContainsFunc(t[:], time.Time.IsZero) {
			continue // failed or unfinished
		}
		for i := range turnStages {
			d[i] = append(d[i], t[i+1].Sub(t[i]))
		}
	}
	clear(r.stages)
	parts := make([]string, len(turnStages))
	for i, name := range turnStages {
		slices.Sort(d[i])
		parts[i] = fmt.Sprintf("%s p50 %s p90 %s p99 %s", name, pct(d[i], 50), pct(d[i], 90), pct(d[i], 99))
	}
	return strings.Join(parts, "; ")
}

// webhook is the part of a message_created body the receiver reads.
type webhook struct {
	Event        string `json:"event"`
	ID           int64  `json:"id"`
	MessageType  string `json:"message_type"`
	Content      string `json:"content"`
	Conversation struct {
		ID int64 `json:"id"`
	} `json:"conversation"`
}

func startReceiver(b *engineBench) (*receiver, error) {
	r := &receiver{bench: b, arrived: map[int64]time.Time{}, turns: map[string]chan time.Time{},
		stages: map[string]*[len(turnStages) + 1]time.Time{}, replies: make(chan func(), 4096)}
	for range 64 {
		go func() {
			for f := range r.replies {
				f()
			}
		}()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	r.url = "http://" + ln.Addr().String() + "/bot"
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	now := time.Now()
	body, _ := io.ReadAll(req.Body)
	r.count.Add(1)
	w.WriteHeader(http.StatusOK)
	if !bytes.Contains(body, []byte(`"message_created"`)) {
		return
	}
	var ev webhook
	if json.Unmarshal(body, &ev) != nil || ev.Event != "message_created" {
		return
	}
	switch {
	case ev.MessageType == "incoming":
		r.mu.Lock()
		if _, ok := r.arrived[ev.ID]; !ok {
			r.arrived[ev.ID] = now
			r.incoming.Add(1)
		}
		r.mu.Unlock()
		if turn, ok := strings.CutPrefix(ev.Content, "turn "); ok && r.turnMode.Load() {
			r.stamp(turn, 2)
			r.reply(ev.Conversation.ID, turn)
		}
	case ev.MessageType == "outgoing":
		if turn, ok := strings.CutPrefix(ev.Content, "reply "); ok {
			r.stamp(turn, 4)
			r.mu.Lock()
			done := r.turns[turn]
			delete(r.turns, turn)
			r.mu.Unlock()
			if done != nil {
				done <- now
			}
		}
	}
}

// reply answers a customer's turn through the Application API with the
// bot's token, as a bot does: after acknowledging the webhook.
func (r *receiver) reply(displayID int64, turn string) {
	url := fmt.Sprintf("%s/api/v1/accounts/%d/conversations/%d/messages", r.bench.base, r.bench.account, displayID)
	body := []byte(`{"content":"reply ` + turn + `","message_type":"outgoing"}`)
	f := func() {
		req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("api_access_token", r.bench.botToken)
		res, err := r.bench.client.Do(req)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bot reply:", err)
			return
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		r.stamp(turn, 3)
		if res.StatusCode != http.StatusOK {
			fmt.Fprintln(os.Stderr, "bot reply:", res.Status)
		}
	}
	select {
	case r.replies <- f:
	default:
		go f()
	}
}

// expectTurn registers a turn and returns the channel its end arrives on.
func (r *receiver) expectTurn(turn string) chan time.Time {
	ch := make(chan time.Time, 1)
	r.mu.Lock()
	r.turns[turn] = ch
	r.mu.Unlock()
	return ch
}

// pending counts the deliveries not yet attempted to the end.
func (b *engineBench) pending(ctx context.Context) (int64, error) {
	var n int64
	err := b.store.DB().QueryRowContext(ctx, `SELECT count(*) FROM deliveries WHERE status = 0`).Scan(&n)
	return n, err
}

// waitDrained waits until no delivery is pending, up to limit.
func (b *engineBench) waitDrained(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		n, err := b.pending(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("deliveries still pending after %s", limit)
}

// runEngine runs the -mode given: deliveries, latency or turns.
func runEngine(ctx context.Context, o options, dir, pgURL string) error {
	b, err := startEngineBench(ctx, dir, pgURL, o)
	if err != nil {
		return err
	}
	defer b.stop()
	b.startEngine(ctx)
	if err := b.waitDrained(ctx, time.Minute); err != nil { // the seeding's conversation_created
		return err
	}
	fmt.Printf("seeded 1 account, 1 API inbox, 1 bot (a receiver on 127.0.0.1 answering 200), %d conversations\n\n", len(b.convs))
	switch o.mode {
	case "deliveries":
		return b.benchDeliveries(ctx, o)
	case "latency":
		return b.benchLatency(ctx, o)
	case "turns":
		return b.benchTurns(ctx, o)
	case "botmessages":
		return b.benchBotMessages(ctx, o)
	}
	return fmt.Errorf("unknown -mode %q", o.mode)
}

// benchDeliveries writes a backlog of o.backlog events, one delivery each,
// spread over the conversations' lanes, with the engine stopped; then
// starts a new engine and times it draining the backlog to the receiver.
func (b *engineBench) benchDeliveries(ctx context.Context, o options) error {
	// A real message's payload, so that each delivery carries as much.
	if status := send(b.client, b.convs[0].messages); status != http.StatusOK {
		return fmt.Errorf("sample message: status %d", status)
	}
	if err := b.waitDrained(ctx, time.Minute); err != nil {
		return err
	}
	var payload string
	var botID int64
	if err := b.store.DB().QueryRowContext(ctx, `SELECT e.payload, d.agent_bot_id FROM events e
		JOIN deliveries d ON d.event_id = e.id WHERE e.name = 'message_created' ORDER BY e.id DESC LIMIT 1`).Scan(&payload, &botID); err != nil {
		return err
	}
	lanes, err := queryIDs(ctx, b.store.DB(), `SELECT id FROM conversations ORDER BY id`)
	if err != nil {
		return err
	}
	fmt.Printf("deliveries: a backlog of %d events over %d lanes (payload %d bytes), drained by one engine (%s)\n",
		o.backlog, len(lanes), len(payload), o.db)
	for run := range o.runs {
		b.stopEngine()
		t0 := time.Now()
		if err := b.preload(ctx, o.backlog, lanes, botID, payload); err != nil {
			return err
		}
		loadTime := time.Since(t0)
		stopProfile, err := o.profileRun(run)
		if err != nil {
			return err
		}
		before := b.recv.count.Load()
		cpu0, start := cpuTime(), time.Now()
		b.startEngine(ctx)
		deadline := start.Add(10 * time.Minute)
		for b.recv.count.Load()-before < int64(o.backlog) && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		elapsed, cpu := time.Since(start), cpuTime()-cpu0
		stopProfile()
		n := b.recv.count.Load() - before
		fmt.Printf("  run %d: %d deliveries in %s: %8.0f deliveries/s  CPU %4.0fµs/delivery  (backlog written in %s)\n",
			run+1, n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(),
			float64(cpu.Microseconds())/float64(max(n, 1)), loadTime.Round(time.Millisecond))
		if err := b.waitDrained(ctx, time.Minute); err != nil {
			return err
		}
	}
	return nil
}

// preload writes n events with one pending delivery each, round robin over
// the lanes, in transactions of 500.
func (b *engineBench) preload(ctx context.Context, n int, lanes []int64, botID int64, payload string) error {
	now := time.Now()
	for done := 0; done < n; {
		batch := min(500, n-done)
		err := b.store.Write(ctx, func(q *store.Queries) error {
			for i := range batch {
				lane := lanes[(done+i)%len(lanes)]
				e := &baton.Event{AccountID: b.account, ConversationID: lane, Name: baton.EventMessageCreated,
					Payload: []byte(payload), CreatedAt: now}
				if err := q.CreateEvent(ctx, e); err != nil {
					return err
				}
				var id [16]byte
				_, _ = rand.Read(id[:])
				d := &baton.Delivery{UUID: hex.EncodeToString(id[:]), EventID: e.ID, Target: baton.BotTarget(botID), AccountID: b.account,
					LaneID: lane, NextAttemptAt: now, CreatedAt: now}
				if _, err := q.CreateDelivery(ctx, d); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		done += batch
	}
	return nil
}

// sendMessage posts a customer message and returns its id.
func sendMessage(client *http.Client, target, content string) (int64, error) {
	body := []byte(`{"content":"` + content + `"}`)
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, err
	}
	if res.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("status %d", res.StatusCode)
	}
	var m struct {
		ID int64 `json:"id"`
	}
	err = json.Unmarshal(b, &m)
	return m.ID, err
}

// benchLatency sends customer messages at o.rate a second, open loop, and
// for each takes the time from its request to the bot's first receipt of
// it. Commit lies between the request's start and its answer, so two
// figures bound commit-to-first-attempt: from the request's start (an upper
// bound: it includes the API request) and from its answer (a lower bound).
func (b *engineBench) benchLatency(ctx context.Context, o options) error {
	fmt.Printf("latency: %d customer messages/s, open loop, %s a run; time to the bot's first receipt, matched by message id\n",
		o.rate, o.duration)
	for run := range o.runs {
		sl := newSlots(o.rate, o.duration)
		type sent struct {
			id               int64
			scheduled, start time.Time
			answered         time.Time
		}
		results := make([]sent, sl.total)
		var failed atomic.Int64
		start := sl.begin()
		var wg sync.WaitGroup
		for range 256 {
			wg.Go(func() {
				for {
					k, at, ok := sl.take()
					if !ok {
						return
					}
					time.Sleep(time.Until(at))
					t0 := time.Now()
					id, err := sendMessage(b.client, b.convs[k%int64(len(b.convs))].messages, "latency")
					if err != nil {
						failed.Add(1)
						continue
					}
					results[k] = sent{id: id, scheduled: at, start: t0, answered: time.Now()}
				}
			})
		}
		wg.Wait()
		elapsed := time.Since(start)
		time.Sleep(2 * time.Second) // for the last deliveries
		var fromStart, fromAnswer, fromScheduled []time.Duration
		missing := 0
		b.recv.mu.Lock()
		for _, s := range results {
			if s.id == 0 {
				continue
			}
			at, ok := b.recv.arrived[s.id]
			if !ok {
				missing++
				continue
			}
			fromStart = append(fromStart, at.Sub(s.start))
			fromAnswer = append(fromAnswer, at.Sub(s.answered))
			fromScheduled = append(fromScheduled, at.Sub(s.scheduled))
		}
		b.recv.mu.Unlock()
		for _, l := range [][]time.Duration{fromStart, fromAnswer, fromScheduled} {
			slices.Sort(l)
		}
		fmt.Printf("  run %d: %d messages in %s (%.0f/s), %d failed, %d not delivered within 2 s\n",
			run+1, len(fromStart)+missing, elapsed.Round(time.Millisecond), float64(len(fromStart)+missing)/elapsed.Seconds(),
			failed.Load(), missing)
		fmt.Printf("    request start → first attempt (upper bound): p50 %7s  p99 %7s  max %7s\n",
			pct(fromStart, 50), pct(fromStart, 99), pct(fromStart, 100))
		fmt.Printf("    API answer    → first attempt (lower bound): p50 %7s  p99 %7s  max %7s\n",
			pctSigned(fromAnswer, 50), pctSigned(fromAnswer, 99), pctSigned(fromAnswer, 100))
		fmt.Printf("    scheduled send → first attempt (with client queueing): p50 %7s  p99 %7s\n",
			pct(fromScheduled, 50), pct(fromScheduled, 99))
		if err := b.waitDrained(ctx, time.Minute); err != nil {
			return err
		}
	}
	return nil
}

func pctSigned(sorted []time.Duration, p int) string {
	if len(sorted) == 0 {
		return "-"
	}
	if d := sorted[min(len(sorted)-1, len(sorted)*p/100)]; d < 0 {
		return "-" + pct([]time.Duration{-d}, 100)
	}
	return pct(sorted, p)
}

// benchBotMessages measures customers' messages with the bot connected:
// -clients clients back to back for -duration, then the time until the bot
// has received every one; the rate is messages over both.
func (b *engineBench) benchBotMessages(ctx context.Context, o options) error {
	targets := make([]string, len(b.convs))
	for k, c := range b.convs {
		targets[k] = c.messages
	}
	fmt.Printf("customer messages with the bot: %d keep-alive clients back to back, %s a run, then until all are delivered\n", o.clients, o.duration)
	for run := range o.runs {
		stopProfile, err := o.profileRun(run)
		if err != nil {
			return err
		}
		before := b.recv.incoming.Load()
		cpu0, pg0, tx0 := cpuTime(), postgresCPU(), b.store.WriteTransactions()
		r := closedLoop(b.client, targets, o.clients, o.duration)
		start := time.Now()
		for b.recv.incoming.Load() < before+int64(len(r.latencies)) && time.Since(start) < 2*time.Minute {
			time.Sleep(time.Millisecond)
		}
		lag := time.Since(start)
		cpu, pg, tx := cpuTime()-cpu0, postgresCPU()-pg0, b.store.WriteTransactions()-tx0
		stopProfile()
		n := len(r.latencies)
		fmt.Printf("  run %d: %6.0f msgs/s taken in (p99 %s), all delivered %s later: %6.0f msgs/s; CPU %4.0fµs/msg%s; %.2f write transactions/msg (%d failed)\n",
			run+1, r.rate(), pct(r.latencies, 99), lag.Round(time.Millisecond), float64(n)/(r.elapsed+lag).Seconds(),
			perTurn(cpu, n), postgresShare(b.store.Dialect() == "postgres", pg, n), float64(tx)/float64(max(n, 1)), r.failed())
		if err := b.waitDrained(ctx, time.Minute); err != nil {
			return err
		}
	}
	return nil
}

// turnCounter names turns uniquely across runs.
var turnCounter atomic.Int64

// turn sends a customer message into conversation c and waits for the
// bot's reply to come back to the bot as its own event: a whole bot turn.
func (b *engineBench) turn(c benchConversation) (time.Time, error) {
	name := strconv.FormatInt(turnCounter.Add(1), 10)
	done := b.recv.expectTurn(name)
	b.recv.stamp(name, 0)
	_, err := sendMessage(b.client, c.messages, "turn "+name)
	b.recv.stamp(name, 1)
	if err != nil {
		b.recv.mu.Lock()
		delete(b.recv.turns, name)
		b.recv.mu.Unlock()
		return time.Time{}, err
	}
	select {
	case at := <-done:
		return at, nil
	case <-time.After(30 * time.Second):
		b.recv.mu.Lock()
		delete(b.recv.turns, name)
		b.recv.mu.Unlock()
		return time.Time{}, errors.New("turn not completed within 30 s")
	}
}

// benchTurns measures whole bot turns: customer message → webhook → the
// bot's reply through the API → the reply's own event delivered. First
// -clients customers take turns back to back (throughput); then turns start
// at -turn-rate a second, open loop (latency from the scheduled start).
func (b *engineBench) benchTurns(ctx context.Context, o options) error {
	b.recv.turnMode.Store(true)
	defer b.recv.turnMode.Store(false)
	fmt.Printf("turns: %d customers back to back, %s a run\n", o.clients, o.duration)
	for run := range o.runs {
		stopProfile, err := o.profileRun(run)
		if err != nil {
			return err
		}
		cpu0, pg0 := cpuTime(), postgresCPU()
		lat, elapsed, failed := closedTurns(b, o.clients, o.duration)
		cpu, pg := cpuTime()-cpu0, postgresCPU()-pg0
		stopProfile()
		fmt.Printf("  run %d: %8.0f turns/s  p50 %7s  p99 %7s  max %7s  CPU %4.0fµs/turn%s  (%d turns in %s, %d failed)\n",
			run+1, float64(len(lat))/elapsed.Seconds(), pct(lat, 50), pct(lat, 99), pct(lat, 100),
			perTurn(cpu, len(lat)), postgresShare(b.store.Dialect() == "postgres", pg, len(lat)), len(lat), elapsed.Round(time.Millisecond), failed)
		fmt.Printf("    stages: %s\n", b.recv.stageMedians())
		if err := b.waitDrained(ctx, time.Minute); err != nil {
			return err
		}
	}
	fmt.Printf("\nturns at %d/s, open loop, latency from the scheduled start, %s a run\n", o.turnRate, o.duration)
	for run := range o.runs {
		stopProfile, err := o.profileFixedRun(run)
		if err != nil {
			return err
		}
		cpu0, pg0 := cpuTime(), postgresCPU()
		lat, elapsed, failed := openTurns(b, o.turnRate, o.duration)
		cpu, pg := cpuTime()-cpu0, postgresCPU()-pg0
		stopProfile()
		fmt.Printf("  run %d: %8.0f turns/s  p50 %7s  p99 %7s  max %7s  CPU %4.0fµs/turn%s  (%d turns in %s, %d failed)\n",
			run+1, float64(len(lat))/elapsed.Seconds(), pct(lat, 50), pct(lat, 99), pct(lat, 100),
			perTurn(cpu, len(lat)), postgresShare(b.store.Dialect() == "postgres", pg, len(lat)), len(lat), elapsed.Round(time.Millisecond), failed)
		fmt.Printf("    stages: %s\n", b.recv.stageMedians())
		if err := b.waitDrained(ctx, time.Minute); err != nil {
			return err
		}
	}
	return nil
}

// perTurn is a CPU time a turn, in µs.
func perTurn(cpu time.Duration, turns int) float64 {
	return float64(cpu.Microseconds()) / float64(max(turns, 1))
}

// postgresShare is PostgreSQL's CPU a turn, for the line of a run on
// PostgreSQL ("" on SQLite): the database's share of a turn, which the
// process's own CPU figure leaves out.
func postgresShare(postgres bool, pg time.Duration, turns int) string {
	if !postgres {
		return ""
	}
	return fmt.Sprintf(" + PostgreSQL %4.0fµs", perTurn(pg, turns))
}

// closedTurns has clients customers take turns back to back for d, and
// returns the turns' latencies, sorted, the time taken and the failures.
func closedTurns(b *engineBench, clients int, d time.Duration) ([]time.Duration, time.Duration, int64) {
	var lat []time.Duration
	var mu sync.Mutex
	var failed atomic.Int64
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for w := range clients {
		wg.Go(func() {
			var mine []time.Duration
			for i := w; time.Now().Before(deadline) && i < maxRequests; i += clients {
				t0 := time.Now()
				at, err := b.turn(b.convs[i%len(b.convs)])
				if err != nil {
					failed.Add(1)
					continue
				}
				mine = append(mine, at.Sub(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	return lat, elapsed, failed.Load()
}

// openTurns starts rate turns a second for d, open loop, and returns the
// latencies from each turn's scheduled start, sorted, the time taken and
// the failures; turns not started by twice d (the rate is not sustained)
// count as failures.
func openTurns(b *engineBench, rate int, d time.Duration) ([]time.Duration, time.Duration, int64) {
	sl := newSlots(rate, d)
	lat := make([]time.Duration, 0, sl.total)
	var mu sync.Mutex
	var failed, skipped atomic.Int64
	start := sl.begin()
	var wg sync.WaitGroup
	for range 512 {
		wg.Go(func() {
			for {
				k, at, ok := sl.take()
				if !ok {
					return
				}
				if time.Since(start) > 2*d {
					// Far behind the schedule: the rate is not sustained,
					// and the run is bounded.
					skipped.Add(1)
					continue
				}
				time.Sleep(time.Until(at))
				end, err := b.turn(b.convs[k%int64(len(b.convs))])
				if err != nil {
					failed.Add(1)
					continue
				}
				mu.Lock()
				lat = append(lat, end.Sub(at))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	return lat, elapsed, failed.Load() + skipped.Load()
}
