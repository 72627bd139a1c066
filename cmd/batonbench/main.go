// Command batonbench measures how fast Baton takes customer messages through
// the public client API, over real HTTP on 127.0.0.1, and prints the numbers.
//
// It starts Baton in-process on 127.0.0.1:0 (store, key, app with its event
// renderer, and HTTP server built as `baton serve` builds them, with the rate
// limit off and no delivery engine, since no bot is connected), seeds one
// account, one API inbox and -conversations contacts with one conversation
// each through the public API, and then measures:
//
//   - throughput: -clients keep-alive clients POST
//     /public/api/v1/inboxes/{id}/contacts/{source}/conversations/{n}/messages
//     back to back for -duration, spread over all conversations; it prints
//     messages a second and the p50 and p99 latency;
//   - latency at a fixed rate: -rate messages a second, open loop, for
//     -duration; latency is measured from each request's scheduled send time,
//     so a stalled server cannot hide its stall (no coordinated omission);
//   - a bare net/http handler doing one SQLite insert per request (WAL,
//     synchronous=NORMAL, one writer connection, as Baton's pragmas), driven
//     by the same client in the same run, printed beside Baton's figure;
//   - idle RSS: a `baton serve` process built with `go build` and started on a
//     temporary data dir (and on a fresh schema with -db postgres), read from
//     /proc/PID/status a few seconds after it listens.
//
// The per-conversation flood guard (200 messages a minute) stays on: the load
// is spread over many conversations instead, so that it is not reached;
// requests that fail are counted and printed.
//
// Every loop is bounded by -duration and by a request count, and every
// request goes to 127.0.0.1.
//
// -mode table measures Baton as users run it: `baton serve` as a process of
// its own (each binary of -baton, side by side), with and without a bot
// connected, whole bot turns and delivery drain, beside a bare handler in a
// process of its own (alone, and with a bot: a bare outbox, bareBotMux), on
// SQLite, PostgreSQL or both, and prints one table of medians (see
// table.go):
//
//	go run ./cmd/batonbench -mode table -db both -runs 3 -duration 5s -conversations 400 -backlog 10000
//
// -mode botmessages is the table's "bot connected" row in this process:
// customers' messages into the bot's inbox, then the wait until the bot
// has them all, with Baton's and PostgreSQL's CPU a message.
//
// Usage:
//
//	go run ./cmd/batonbench [-db sqlite|postgres] [-postgres-url URL] [-duration 10s]
//	    [-clients 32] [-conversations 2000] [-rate 1000] [-runs 2] [-cpuprofile FILE]
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for the benchmark's schema
	_ "modernc.org/sqlite"             // the "sqlite" driver, for the bare handler

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/auth"
	"github.com/batonhq/baton/internal/chatwoot"
	"github.com/batonhq/baton/internal/filestore"
	"github.com/batonhq/baton/internal/server"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/postgres"
	"github.com/batonhq/baton/internal/store/sqlite"
)

// maxRequests bounds every load loop, whatever -duration says.
const maxRequests = 10_000_000

type options struct {
	mode            string
	db              string
	postgresURL     string
	duration        time.Duration
	clients         int
	conversations   int
	rate            int
	runs            int
	cpuProfile      string
	cpuProfileFixed string
	batonBinary     string
	skipRSS         bool
	backlog         int
	turnRate        int
	bareDSN         string
	bareBot         string
	blockPrivate    bool
}

func main() {
	var o options
	flag.StringVar(&o.mode, "mode", "messages", "what to measure: messages (the public API), botmessages (the public API with a bot connected, until all are delivered), deliveries (draining a backlog), latency (commit to first attempt), turns (whole bot turns), or table (all of it with `baton serve` as its own process, beside a bare handler)")
	flag.StringVar(&o.db, "db", "sqlite", "database: sqlite or postgres; both for -mode table")
	flag.StringVar(&o.postgresURL, "postgres-url", os.Getenv("BATON_TEST_POSTGRES_URL"),
		"PostgreSQL database for -db postgres (a fresh schema is made in it and dropped); default $BATON_TEST_POSTGRES_URL")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "length of each measurement")
	flag.IntVar(&o.clients, "clients", 32, "concurrent keep-alive clients for the throughput runs")
	flag.IntVar(&o.conversations, "conversations", 2000, "contacts, one conversation each, that the load is spread over")
	flag.IntVar(&o.rate, "rate", 1000, "messages a second for the fixed-rate run")
	flag.IntVar(&o.runs, "runs", 2, "times each measurement is repeated")
	flag.StringVar(&o.cpuProfileFixed, "cpuprofile-fixed", "", "for -mode turns: write a CPU profile of the first run of turns at -turn-rate to this file")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the first Baton throughput run (of turns back to back, for -mode turns; of the drain, for -mode deliveries) to this file")
	flag.StringVar(&o.batonBinary, "baton", "", "baton binary for the idle RSS measurement (default: go build ./cmd/baton); for -mode table, binaries to measure side by side, comma-separated")
	flag.BoolVar(&o.blockPrivate, "block-private", false, "for the engine's modes in-process: the engine refuses private addresses (--webhook-block-private), and the account's allow-list lets it reach the bot on 127.0.0.1, as a hardened server is set up")
	flag.StringVar(&o.bareBot, "bare-bot", "", "for -mode bare-serve: the bot's URL, for the bare handler with a bot")
	flag.StringVar(&o.bareDSN, "bare-dsn", "", "for -mode bare-serve (started by -mode table): the bare handler's SQLite file or PostgreSQL URL")
	flag.BoolVar(&o.skipRSS, "skip-rss", false, "skip the idle RSS measurement")
	flag.IntVar(&o.backlog, "backlog", 20000, "events in the backlog, for -mode deliveries")
	flag.IntVar(&o.turnRate, "turn-rate", 300, "bot turns a second for the fixed-rate turns run, for -mode turns")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "batonbench:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	if o.mode == "bare-serve" {
		return bareServe(o.db, o.bareDSN, o.bareBot)
	}
	if o.db != "sqlite" && o.db != "postgres" && (o.db != "both" || o.mode != "table") {
		return fmt.Errorf("-db must be sqlite or postgres, not %q", o.db)
	}
	if o.clients < 1 || o.conversations < 1 || o.rate < 1 || o.runs < 1 || o.duration <= 0 || o.backlog < 1 || o.turnRate < 1 {
		return errors.New("-clients, -conversations, -rate, -runs, -duration, -backlog and -turn-rate must be positive")
	}
	if !slices.Contains([]string{"messages", "botmessages", "deliveries", "latency", "turns", "table"}, o.mode) {
		return fmt.Errorf("-mode must be messages, botmessages, deliveries, latency, turns or table, not %q", o.mode)
	}
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "batonbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	fmt.Printf("batonbench: mode=%s db=%s clients=%d conversations=%d duration=%s rate=%d/s runs=%d\n",
		o.mode, o.db, o.clients, o.conversations, o.duration, o.rate, o.runs)
	fmt.Printf("machine: %d CPUs (GOMAXPROCS %d), %s, %s\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), cpuModel(), runtime.Version())

	if o.mode == "table" {
		if o.db != "sqlite" && o.postgresURL == "" {
			return errors.New("-db postgres and both need -postgres-url or BATON_TEST_POSTGRES_URL")
		}
		return runTable(ctx, o, dir)
	}
	var pgURL string
	if o.db == "postgres" {
		if o.postgresURL == "" {
			return errors.New("-db postgres needs -postgres-url or BATON_TEST_POSTGRES_URL")
		}
		u, drop, err := freshSchema(ctx, o.postgresURL)
		if err != nil {
			return err
		}
		defer drop()
		pgURL = u
	}
	if o.mode != "messages" {
		return runEngine(ctx, o, dir, pgURL)
	}

	b, err := startBaton(ctx, dir, pgURL)
	if err != nil {
		return err
	}
	defer b.stop()
	client := newClient(max(o.clients, 256))
	targets, err := b.seed(ctx, client, o.conversations)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	fmt.Printf("seeded 1 account, 1 API inbox, %d contacts with a conversation each\n\n", len(targets))

	bare, err := startBare(filepath.Join(dir, "bare.db"))
	if err != nil {
		return err
	}
	defer bare.stop()
	bareTargets := make([]string, len(targets))
	for i := range bareTargets {
		bareTargets[i] = fmt.Sprintf("%s/bare/conversations/%d/messages", bare.base, i+1)
	}

	fmt.Printf("max throughput: %d keep-alive clients, back to back, %s a run\n", o.clients, o.duration)
	for i := range o.runs {
		stopProfile, err := o.profileRun(i)
		if err != nil {
			return err
		}
		r := closedLoop(client, targets, o.clients, o.duration)
		stopProfile()
		r.print(fmt.Sprintf("baton (%s) run %d", o.db, i+1))
		r = closedLoop(client, bareTargets, o.clients, o.duration)
		r.print(fmt.Sprintf("bare handler (sqlite) run %d", i+1))
	}

	fmt.Printf("\nfixed rate: %d messages/s, open loop, latency from the scheduled send time\n", o.rate)
	for i := range o.runs {
		r := openLoop(client, targets, o.rate, o.duration)
		r.print(fmt.Sprintf("baton (%s) run %d", o.db, i+1))
	}

	if !o.skipRSS {
		fmt.Println()
		for i := range o.runs {
			rss, err := idleRSS(ctx, o.batonBinary, filepath.Join(dir, fmt.Sprintf("rss%d", i)), pgURL)
			if err != nil {
				return fmt.Errorf("idle rss: %w", err)
			}
			fmt.Printf("idle RSS of `baton serve` (%s) run %d: %.1f MB\n", o.db, i+1, float64(rss)/(1<<20))
		}
	}
	return nil
}

// instance is Baton running in this process.
type instance struct {
	store      *store.Store
	app        *app.App
	srv        *server.Server
	base       string
	identifier string
}

// openStorage opens what Baton keeps: the database (PostgreSQL when pgURL
// is set, else SQLite in dir), the key and the attachment store.
func openStorage(ctx context.Context, dir, pgURL string) (*store.Store, *auth.Key, *filestore.Disk, error) {
	var st *store.Store
	var err error
	if pgURL != "" {
		st, err = postgres.Open(ctx, pgURL)
	} else {
		st, err = sqlite.Open(ctx, filepath.Join(dir, "baton.db"))
	}
	if err != nil {
		return nil, nil, nil, err
	}
	key, err := auth.LoadOrCreateKey("", dir)
	if err != nil {
		st.Close()
		return nil, nil, nil, err
	}
	files, err := filestore.NewDisk(filepath.Join(dir, "attachments"))
	if err != nil {
		st.Close()
		return nil, nil, nil, err
	}
	return st, key, files, nil
}

// startBaton builds the stack as `baton serve` does: store, key, app, the
// Chatwoot surface and the server, rate limit off.
func startBaton(ctx context.Context, dir, pgURL string) (*instance, error) {
	st, key, files, err := openStorage(ctx, dir, pgURL)
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	var base string
	// As `baton serve`, less the delivery engine: no bot is connected, so
	// no event is written for it to deliver.
	a := app.New(app.Config{Store: st, Key: key, Files: files, Logger: log,
		Renderer: &chatwoot.Renderer{PublicURL: func() string { return base }}})
	api := chatwoot.New(chatwoot.Config{App: a, Logger: log, PublicURL: func() string { return base },
		MaxBodyBytes: 1 << 20, MaxUploadBytes: 100 << 20})
	srv := server.New(server.Config{Handler: api, Logger: log, Health: st.Ping})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		st.Close()
		return nil, err
	}
	base = "http://" + srv.Addr().String()
	return &instance{store: st, app: a, srv: srv, base: base}, nil
}

func (b *instance) stop() {
	_ = b.srv.Stop(context.Background())
	b.store.Close()
}

// seed makes the account and the API inbox through the app, then n contacts
// and their conversations through the public API, and returns the message
// URL of each conversation.
func (b *instance) seed(ctx context.Context, client *http.Client, n int) ([]string, error) {
	ctx = baton.NewContextWithActor(ctx, baton.SystemActor)
	name := "Bench"
	acc, err := b.app.CreateAccount(ctx, app.AccountInput{Name: &name})
	if err != nil {
		return nil, err
	}
	inbox, err := b.app.CreateInbox(ctx, acc.ID, app.InboxInput{Name: &name, ChannelType: baton.ChannelAPI})
	if err != nil {
		return nil, err
	}
	b.identifier = inbox.Identifier
	return seedParallel(n, func(i int) (string, error) { return b.seedOne(client, i) })
}

// seedParallel runs seed for 0 … n-1 on 16 goroutines and returns what
// each made, in order, and the first error.
func seedParallel(n int, seed func(i int) (string, error)) ([]string, error) {
	targets := make([]string, n)
	var next atomic.Int64
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				t, err := seed(i)
				if err != nil {
					mu.Lock()
					firstErr = cmpOr(firstErr, err)
					mu.Unlock()
					return
				}
				targets[i] = t
			}
		})
	}
	wg.Wait()
	return targets, firstErr
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func (b *instance) seedOne(client *http.Client, i int) (string, error) {
	source := fmt.Sprintf("bench-contact-%d", i)
	contacts := b.base + "/public/api/v1/inboxes/" + b.identifier + "/contacts"
	body := fmt.Sprintf(`{"source_id":%q,"name":"Customer %d","email":"customer%d@example.com"}`, source, i, i)
	if err := postJSON(client, contacts, body, nil); err != nil {
		return "", err
	}
	var conv struct {
		ID int64 `json:"id"`
	}
	if err := postJSON(client, contacts+"/"+source+"/conversations", `{}`, &conv); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s/%s/conversations/%d/messages", contacts, source, conv.ID), nil
}

func postJSON(client *http.Client, url, body string, out any) error {
	resp, err := client.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: %s: %s", url, resp.Status, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// bare is a bare net/http handler that inserts one SQLite row a request.
type bare struct {
	db   *sql.DB
	srv  *http.Server
	base string
}

// barePragmas are Baton's SQLite pragmas (internal/store/sqlite), so that
// the comparison is of the code above the database, not of its settings.
var barePragmas = []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(NORMAL)",
	"foreign_keys(ON)", "temp_store(MEMORY)", "cache_size(-16000)"}

// openBareSQLite opens the bare handler's SQLite file with Baton's pragmas
// and one writer connection, as Baton's writer.
func openBareSQLite(path string) (*sql.DB, error) {
	q := url.Values{}
	for _, p := range barePragmas {
		q.Add("_pragma", p)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// bareMux is the bare handler: POST /bare/conversations/{id}/messages
// stores the message's content in table and answers its id and content.
func bareMux(db *sql.DB, table string) *http.ServeMux {
	insert := `INSERT INTO ` + table + ` (conversation_id, content, created_at) VALUES ($1, $2, $3) RETURNING id`
	mux := http.NewServeMux()
	mux.HandleFunc("POST /bare/conversations/{id}/messages", func(w http.ResponseWriter, r *http.Request) {
		content, conv, ok := bareRequest(w, r)
		if !ok {
			return
		}
		var id int64
		if err := db.QueryRowContext(r.Context(), insert, conv, content, time.Now().UnixMicro()).Scan(&id); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"id": id, "content": content})
	})
	return mux
}

// bareRequest reads a bare handler's request: the message's content and
// its conversation's id; it answers 400 and reports false when it cannot.
func bareRequest(w http.ResponseWriter, r *http.Request) (content string, conv int64, ok bool) {
	var body struct {
		Content string `json:"content"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return "", 0, false
	}
	conv, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return "", 0, false
	}
	return body.Content, conv, true
}

// bareBotMux adds the bare handler with a bot to mux: POST
// /barebot/conversations/{id}/messages stores the message, and in the same
// transaction a message_created body of about the size of Baton's in an
// outbox, answers as bareMux does, and hands the body to one of 32 senders,
// which post it to botURL and delete it from the outbox once the bot took it.
// It is what a bot connected costs at the least with the message and its
// event durable before the answer: without Baton's order by conversation,
// signature, attempt log, retries or handoff, and with a body cheaper to
// write (the part that does not change is written once, then copied).
func bareBotMux(ctx context.Context, mux *http.ServeMux, db *sql.DB, botURL string) {
	insert := `INSERT INTO bare_messages (conversation_id, content, created_at) VALUES ($1, $2, $3) RETURNING id`
	queue := `INSERT INTO bare_outbox (message_id, payload) VALUES ($1, $2) RETURNING id`
	type item struct {
		id      int64
		payload []byte
	}
	out, sent := make(chan item, 1<<16), make(chan int64, 1<<16)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	for range 32 {
		go func() {
			for it := range out {
				res, err := client.Post(botURL, "application/json", bytes.NewReader(it.payload))
				if err != nil {
					fmt.Fprintln(os.Stderr, "bare bot:", err)
					continue
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				sent <- it.id
			}
		}()
	}
	// What the bot took leaves the outbox in one statement for all that
	// arrived meanwhile.
	go func() {
		for id := range sent {
			ids := []string{strconv.FormatInt(id, 10)}
			for len(ids) < 500 {
				select {
				case id := <-sent:
					ids = append(ids, strconv.FormatInt(id, 10))
					continue
				default:
				}
				break
			}
			if _, err := db.ExecContext(ctx, `DELETE FROM bare_outbox WHERE id IN (`+strings.Join(ids, ",")+`)`); err != nil {
				fmt.Fprintln(os.Stderr, "bare bot:", err)
			}
		}
	}()
	mux.HandleFunc("POST /barebot/conversations/{id}/messages", func(w http.ResponseWriter, r *http.Request) {
		content, conv, ok := bareRequest(w, r)
		if !ok {
			return
		}
		var it item
		var id int64 // the message's
		err := func() error {
			tx, err := db.BeginTx(r.Context(), nil)
			if err != nil {
				return err
			}
			defer tx.Rollback()
			now := time.Now()
			if err := tx.QueryRowContext(r.Context(), insert, conv, content, now.UnixMicro()).Scan(&id); err != nil {
				return err
			}
			if it.payload, err = json.Marshal(bareEvent{Event: "message_created", ID: id, Content: content,
				MessageType: "incoming", CreatedAt: now.Unix(), Conversation: bareConversation{ID: conv, Rest: bareRest},
				Rest: bareRest}); err != nil {
				return err
			}
			if err := tx.QueryRowContext(r.Context(), queue, id, it.payload).Scan(&it.id); err != nil {
				return err
			}
			return tx.Commit()
		}()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		out <- it
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"id": id, "content": content})
	})
}

// bareEvent is the bare handler's message_created body: what the bench's
// receiver reads, and twice bareRest, for a body of about Baton's size.
type bareEvent struct {
	Event        string           `json:"event"`
	ID           int64            `json:"id"`
	Content      string           `json:"content"`
	MessageType  string           `json:"message_type"`
	CreatedAt    int64            `json:"created_at"`
	Conversation bareConversation `json:"conversation"`
	Rest         json.RawMessage  `json:"sender"`
}

type bareConversation struct {
	ID   int64           `json:"id"`
	Rest json.RawMessage `json:"meta"`
}

// bareRest is a contact as a message_created body holds it, several times.
var bareRest = func() json.RawMessage {
	contact := map[string]any{"id": 17, "name": "Customer 17", "email": "customer17@example.com",
		"phone_number": nil, "identifier": nil, "thumbnail": "", "type": "contact", "availability_status": "offline",
		"additional_attributes": map[string]any{"city": "", "country": "", "company_name": "", "description": ""},
		"custom_attributes":     map[string]any{"plan": "pro", "orders": 3}, "last_activity_at": 1764500000,
		"created_at": 1764400000}
	b, _ := json.Marshal(map[string]any{"sender": contact, "contact": contact, "assignee": nil, "team": nil,
		"hmac_verified": false, "inbox": map[string]any{"id": 1, "name": "Website", "channel_type": "Channel::Api"},
		"account": map[string]any{"id": 1, "name": "Acme"}, "labels": []string{}, "status": "pending",
		"messages": []any{map[string]any{"id": 1, "content": "Where is my order?", "account_id": 1, "inbox_id": 1,
			"conversation_id": 3, "message_type": 0, "created_at": 1764500000, "updated_at": "2026-11-30T10:00:00.000Z",
			"private": false, "status": "sent", "source_id": nil, "content_type": "text", "content_attributes": map[string]any{},
			"sender_type": "Contact", "sender_id": 17, "external_source_ids": map[string]any{}, "additional_attributes": map[string]any{},
			"processed_message_content": "Where is my order?", "sentiment": map[string]any{}, "attachments": []any{}}},
		"additional_attributes": map[string]any{"browser": map[string]any{"device_name": "Unknown",
			"browser_name": "Chrome", "platform_name": "Linux", "browser_version": "120.0.0.0",
			"platform_version": "x86_64"}, "referer": "https://example.com/pricing", "initiated_at": map[string]any{
			"timestamp": "Mon Nov 30 2026 10:00:00 GMT+0000"}}})
	return b
}()

func startBare(path string) (*bare, error) {
	db, err := openBareSQLite(path)
	if err != nil {
		return nil, err
	}
	if _, err := db.Exec(`CREATE TABLE messages (id INTEGER PRIMARY KEY, conversation_id INTEGER NOT NULL,
		content TEXT, created_at INTEGER NOT NULL)`); err != nil {
		db.Close()
		return nil, err
	}
	mux := bareMux(db, "messages")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		db.Close()
		return nil, err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return &bare{db: db, srv: srv, base: "http://" + ln.Addr().String()}, nil
}

func (b *bare) stop() {
	_ = b.srv.Shutdown(context.Background())
	b.db.Close()
}

// newClient returns a client that keeps up to conns connections alive.
func newClient(conns int) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		Proxy:               nil,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}}
}

var messageBody = []byte(`{"content":"Hello, I have a question about my order #1042. Can you help?"}`)

// send posts one message and reports its status (0 for a transport error).
func send(client *http.Client, target string) int {
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(messageBody))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// result is one measurement.
type result struct {
	elapsed   time.Duration
	cpu       time.Duration   // CPU time of this process, server and client
	latencies []time.Duration // of the successful requests
	failures  map[int]int     // by status, 0 for transport errors
}

func (r *result) print(label string) {
	ok := len(r.latencies)
	slices.Sort(r.latencies)
	fmt.Printf("  %-28s %8.0f msgs/s  p50 %7s  p99 %7s  max %7s  CPU %4.0fµs/msg  (%d ok in %s",
		label, float64(ok)/r.elapsed.Seconds(), pct(r.latencies, 50), pct(r.latencies, 99),
		pct(r.latencies, 100), float64(r.cpu.Microseconds())/float64(max(ok, 1)), ok, r.elapsed.Round(time.Millisecond))
	for status, n := range r.failures {
		fmt.Printf(", %d failed with status %d", n, status)
	}
	fmt.Println(")")
}

func pct(sorted []time.Duration, p int) string {
	if len(sorted) == 0 {
		return "-"
	}
	i := min(len(sorted)-1, len(sorted)*p/100)
	d := sorted[i]
	switch {
	case d >= 10*time.Millisecond:
		return d.Round(100 * time.Microsecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	}
	return d.Round(time.Microsecond).String()
}

// cpuTime returns the CPU time, user and system, this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// merge joins the workers' results.
func merge(parts []*result, elapsed, cpu time.Duration) *result {
	r := &result{elapsed: elapsed, cpu: cpu, failures: map[int]int{}}
	for _, p := range parts {
		r.latencies = append(r.latencies, p.latencies...)
		for s, n := range p.failures {
			r.failures[s] += n
		}
	}
	return r
}

// closedLoop runs clients workers that send back to back for d, each
// walking the targets from its own starting point.
func closedLoop(client *http.Client, targets []string, clients int, d time.Duration) *result {
	parts := make([]*result, clients)
	var sent atomic.Int64
	cpu0, start := cpuTime(), time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for w := range clients {
		p := &result{failures: map[int]int{}, latencies: make([]time.Duration, 0, 1<<14)}
		parts[w] = p
		wg.Go(func() {
			for i := w; sent.Add(1) <= maxRequests; i += clients {
				t0 := time.Now()
				if !t0.Before(deadline) {
					return
				}
				if status := send(client, targets[i%len(targets)]); status == http.StatusOK {
					p.latencies = append(p.latencies, time.Since(t0))
				} else {
					p.failures[status]++
				}
			}
		})
	}
	wg.Wait()
	return merge(parts, time.Since(start), cpuTime()-cpu0)
}

// openLoop sends rate requests a second for d on a fixed schedule. Workers
// take the next slot of the schedule, wait for its time and send; latency
// counts from the slot's time, so time spent waiting for a free worker
// while the server is slow is counted too.
func openLoop(client *http.Client, targets []string, rate int, d time.Duration) *result {
	const workers = 256
	sl := newSlots(rate, d)
	parts := make([]*result, workers)
	cpu0, start := cpuTime(), sl.begin()
	var wg sync.WaitGroup
	for w := range workers {
		p := &result{failures: map[int]int{}}
		parts[w] = p
		wg.Go(func() {
			for {
				k, at, ok := sl.take()
				if !ok {
					return
				}
				time.Sleep(time.Until(at))
				if status := send(client, targets[k%int64(len(targets))]); status == http.StatusOK {
					p.latencies = append(p.latencies, time.Since(at))
				} else {
					p.failures[status]++
				}
			}
		})
	}
	wg.Wait()
	return merge(parts, time.Since(start), cpuTime()-cpu0)
}

// slots is an open loop's schedule: rate slots a second for a duration, at
// most maxRequests, which workers take in turn.
type slots struct {
	total    int64
	interval time.Duration
	start    time.Time
	next     atomic.Int64
}

// newSlots is the schedule of rate slots a second for d; begin starts it.
func newSlots(rate int, d time.Duration) *slots {
	return &slots{total: min(int64(rate)*int64(d/time.Millisecond)/1000, maxRequests), interval: time.Second / time.Duration(rate)}
}

// begin starts the schedule now and returns its start.
func (s *slots) begin() time.Time {
	s.start = time.Now()
	return s.start
}

// take returns the next slot and its time; ok is false once all are taken.
func (s *slots) take() (k int64, at time.Time, ok bool) {
	k = s.next.Add(1) - 1
	if k >= s.total {
		return 0, time.Time{}, false
	}
	return k, s.start.Add(time.Duration(k) * s.interval), true
}

// queryIDs returns the ids a query selects, in its order.
func queryIDs(ctx context.Context, db *sql.DB, query string, args ...any) ([]int64, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// profileRun starts the CPU profile -cpuprofile asks for when run is the
// first, and returns what stops it (nothing, when none was started).
func (o options) profileRun(run int) (func(), error) {
	if run > 0 || o.cpuProfile == "" {
		return func() {}, nil
	}
	return startProfile(o.cpuProfile)
}

// profileFixedRun starts the CPU profile -cpuprofile-fixed asks for when run
// is the first run of turns at a fixed rate.
func (o options) profileFixedRun(run int) (func(), error) {
	if run > 0 || o.cpuProfileFixed == "" {
		return func() {}, nil
	}
	return startProfile(o.cpuProfileFixed)
}

func startProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// freshSchema makes a new schema in the PostgreSQL database and returns a
// URL whose search_path is that schema, and a function that drops it.
func freshSchema(ctx context.Context, base string) (string, func(), error) {
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "batonbench_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, err
	}
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("create schema: %w", err)
	}
	drop := func() {
		// A connection left in the schema by a process not reaped holds
		// the drop's lock for as long as it lives: the bench gives up.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := admin.ExecContext(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			fmt.Fprintf(os.Stderr, "batonbench: drop schema %s: %v; drop it by hand\n", schema, err)
		}
		admin.Close()
	}
	u, err := url.Parse(base)
	if err != nil {
		drop()
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), drop, nil
}

// idleRSS starts `baton serve` on a new data dir (and pgURL, when set),
// waits until it listens and three seconds more, and reads its VmRSS.
func idleRSS(ctx context.Context, binary, dir, pgURL string) (int64, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return 0, err
	}
	if binary == "" {
		binary = filepath.Join(dir, "baton")
		build := exec.CommandContext(ctx, "go", "build", "-o", binary, "github.com/batonhq/baton/cmd/baton")
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			return 0, fmt.Errorf("go build: %w", err)
		}
	}
	args := []string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dir, "--log-level", "warn"}
	if pgURL != "" {
		args = append(args, "--database", pgURL)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(os.Environ(), "BATON_SECRET_KEY=")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	}()
	lines := bufio.NewScanner(out)
	if !lines.Scan() || !strings.Contains(lines.Text(), "listening") {
		return 0, fmt.Errorf("baton serve did not start: %q", lines.Text())
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	time.Sleep(3 * time.Second)
	return vmRSS(cmd.Process.Pid)
}

func vmRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb int64
			if _, err := fmt.Sscanf(strings.TrimSpace(v), "%d kB", &kb); err != nil {
				return 0, err
			}
			return kb << 10, nil
		}
	}
	return 0, errors.New("no VmRSS in /proc status")
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}
