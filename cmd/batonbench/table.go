package main

// -mode table: Baton as users run it. `baton serve` is its own process (one
// per binary given with -baton, measured side by side), started on a fresh
// data dir or a fresh PostgreSQL schema and provisioned through `baton
// admin` and the API. Two API inboxes of -conversations conversations each:
// one with no bot, one with a bot whose outgoing URL is a fast receiver in
// this process (answering 200 at once, and in turns answering the customer
// through the API as bots do). A bare net/http handler doing one INSERT per
// request in the same kind of database runs as a process of its own too
// (this binary, -mode bare-serve). Runs alternate between the bare handler
// and each binary; the table shows medians, and server CPU per message read
// from /proc/<pid>/stat of the server process (the bench client and the
// receiver are not in it; PostgreSQL's own processes are not either).

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// serverProc is one `baton serve` process and what the bench made in it.
type serverProc struct {
	label  string // the binary's name in the table
	binary string
	dir    string
	dbURL  string // PostgreSQL schema URL; "" for SQLite in dir
	proc   *child // nil while stopped
	base   string

	account   int64
	userToken string
	botID     int64
	botInbox  int64
	nobot     []string // message URLs of the inbox with no bot
	bench     *engineBench
}

// procCPU returns the CPU time, user and system, the process has used.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * (time.Second / 100) // USER_HZ is 100 on Linux
}

// postgresCPU returns the CPU time the processes named postgres on this
// machine have used: the database server's share of a run, when it runs
// here. Processes that end during a run take their share with them, so it
// is a floor; the pool keeps its connections through a run.
func postgresCPU() time.Duration {
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	var total time.Duration
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		if comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); err == nil && strings.TrimSpace(string(comm)) == "postgres" {
			total += procCPU(pid)
		}
	}
	return total
}

// start runs `baton serve` and waits until it listens.
func (s *serverProc) start(ctx context.Context) error {
	args := []string{"serve", "--addr", "127.0.0.1:0", "--data-dir", s.dir, "--log-level", "warn",
		"--rate-limit", "0", "--messages-per-minute", "1000000"}
	if s.dbURL != "" {
		args = append(args, "--database", s.dbURL)
	}
	cmd := exec.CommandContext(ctx, s.binary, args...)
	cmd.Env = append(os.Environ(), "BATON_SECRET_KEY=")
	cmd.Stderr = os.Stderr
	proc, line, err := startChild(s.label+" `baton serve`", cmd, 2*time.Minute)
	if err != nil {
		return err
	}
	_, addr, ok := strings.Cut(line, "listening on ")
	if !ok {
		proc.stop()
		return fmt.Errorf("%s serve did not start: %q", s.binary, line)
	}
	s.proc, s.base = proc, strings.TrimSpace(addr)
	if s.bench != nil {
		s.bench.base = s.base
	}
	return nil
}

// stop ends the process as an operator does (SIGINT) and waits for it.
func (s *serverProc) stop() {
	if s.proc != nil {
		s.proc.stop()
		s.proc = nil
	}
}

// admin runs `baton admin ARGS --json` on the server's database and decodes
// its answer.
func (s *serverProc) admin(ctx context.Context, out any, args ...string) error {
	args = append(append([]string{"admin"}, args...), "--json", "--data-dir", s.dir)
	if s.dbURL != "" {
		args = append(args, "--database", s.dbURL)
	}
	cmd := exec.CommandContext(ctx, s.binary, args...)
	cmd.Env = append(os.Environ(), "BATON_SECRET_KEY=")
	cmd.Stderr = os.Stderr
	b, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("baton %s: %w", strings.Join(args[:3], " "), err)
	}
	return json.Unmarshal(b, out)
}

// apiJSON sends an Application API request with the user's token.
func (s *serverProc) apiJSON(client *http.Client, method, path, body string, out any) error {
	req, err := http.NewRequest(method, s.base+path, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("api_access_token", s.userToken)
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %s: %s", method, path, res.Status, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// provision makes, before the server starts, an account, an administrator
// and a bot posting to a receiver in this process (`baton admin`); then
// starts the server and makes through the API two API inboxes, connects the
// bot to one, and n contacts with a conversation in each inbox.
func (s *serverProc) provision(ctx context.Context, client *http.Client, n int) error {
	var acc struct{ ID int64 }
	if err := s.admin(ctx, &acc, "account", "create", "--name", "Bench"); err != nil {
		return err
	}
	var user struct {
		AccessToken string `json:"access_token"`
	}
	if err := s.admin(ctx, &user, "user", "create", "--account", strconv.FormatInt(acc.ID, 10), "--email",
		"bench@example.com", "--name", "Bench", "--password", "Bench-password-1", "--role", "administrator"); err != nil {
		return err
	}
	s.account, s.userToken = acc.ID, user.AccessToken
	s.bench = &engineBench{account: acc.ID, client: client}
	recv, err := startReceiver(s.bench)
	if err != nil {
		return err
	}
	s.bench.recv = recv
	recv.turnMode.Store(true)
	var bot struct {
		ID          int64  `json:"id"`
		AccessToken string `json:"access_token"`
	}
	if err := s.admin(ctx, &bot, "bot", "create", "--account", strconv.FormatInt(acc.ID, 10), "--name", "Bench bot",
		"--outgoing-url", recv.url); err != nil {
		return err
	}
	s.botID, s.bench.botToken = bot.ID, bot.AccessToken
	if err := s.start(ctx); err != nil {
		return err
	}
	var inboxes [2]struct {
		ID         int64  `json:"id"`
		Identifier string `json:"inbox_identifier"`
	}
	for i := range inboxes {
		body := fmt.Sprintf(`{"name":"Bench %d","channel":{"type":"api"}}`, i)
		if err := s.apiJSON(client, http.MethodPost, fmt.Sprintf("/api/v1/accounts/%d/inboxes", acc.ID), body, &inboxes[i]); err != nil {
			return err
		}
	}
	s.botInbox = inboxes[1].ID
	if err := s.apiJSON(client, http.MethodPost, fmt.Sprintf("/api/v1/accounts/%d/inboxes/%d/set_agent_bot", acc.ID, inboxes[1].ID),
		fmt.Sprintf(`{"agent_bot":%d}`, bot.ID), nil); err != nil {
		return err
	}
	var err1, err2 error
	s.nobot, err1 = seedInbox(client, &instance{base: s.base, identifier: inboxes[0].Identifier}, n)
	withBot, err2 := seedInbox(client, &instance{base: s.base, identifier: inboxes[1].Identifier}, n)
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	s.bench.convs = make([]benchConversation, n)
	for i, target := range withBot {
		id, _ := strconv.ParseInt(strings.TrimSuffix(target[strings.LastIndex(target, "/conversations/")+len("/conversations/"):], "/messages"), 10, 64)
		s.bench.convs[i] = benchConversation{displayID: id, messages: target}
	}
	return nil
}

// seedInbox makes n contacts with a conversation each in the inbox.
func seedInbox(client *http.Client, in *instance, n int) ([]string, error) {
	return seedParallel(n, func(i int) (string, error) { return in.seedOne(client, i) })
}

// botTargets are the message URLs of the inbox with the bot.
func (s *serverProc) botTargets() []string {
	targets := make([]string, len(s.bench.convs))
	for k, c := range s.bench.convs {
		targets[k] = c.messages
	}
	return targets
}

// warmUpTime is how long each path runs in the warm-up.
const warmUpTime = time.Second

// warmUp runs each path the table measures once, unmeasured, for
// warmUpTime: the bare handler, customers' messages without and with the
// bot, and whole turns. A new connection to PostgreSQL plans each statement
// six times before it keeps a generic plan, 5-7 ms a plan for the message
// lookups, which a server pays once in its life; without a warm-up the
// first run of each measurement paid it for the server's 32 connections.
func warmUp(client *http.Client, bare []string, s *serverProc, o options) error {
	closedLoop(client, bare, o.clients, warmUpTime)
	closedLoop(client, s.nobot, o.clients, warmUpTime)
	before := s.bench.recv.incoming.Load()
	wb := closedLoop(client, s.botTargets(), o.clients, warmUpTime)
	if _, err := s.waitIncoming(before+int64(len(wb.latencies)), 2*time.Minute); err != nil {
		return err
	}
	closedTurns(s.bench, o.clients, warmUpTime)
	s.bench.recv.stageMedians() // forgotten
	return nil
}

// waitIncoming waits until the receiver has seen n customer messages, up to
// limit, and returns how long it waited.
func (s *serverProc) waitIncoming(n int64, limit time.Duration) (time.Duration, error) {
	start := time.Now()
	for s.bench.recv.incoming.Load() < n {
		if time.Since(start) > limit {
			return time.Since(start), fmt.Errorf("%d customer messages not delivered after %s", n-s.bench.recv.incoming.Load(), limit)
		}
		time.Sleep(time.Millisecond)
	}
	return time.Since(start), nil
}

// bareProc is the bare handler's process.
type bareProc struct {
	*child
	base string
}

func startBareProc(ctx context.Context, db, dsn, botURL string) (*bareProc, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, self, "-mode", "bare-serve", "-db", db, "-bare-dsn", dsn, "-bare-bot", botURL)
	cmd.Stderr = os.Stderr
	proc, line, err := startChild("the bare handler", cmd, 2*time.Minute)
	if err != nil {
		return nil, err
	}
	base, ok := strings.CutPrefix(line, "bare listening on ")
	if !ok {
		proc.stop()
		return nil, fmt.Errorf("bare handler did not start: %q", line)
	}
	return &bareProc{child: proc, base: base}, nil
}

// bareServe is -mode bare-serve: the bare handler in a process of its own,
// on SQLite (the file -bare-dsn, Baton's pragmas, one writer connection) or
// PostgreSQL (the URL -bare-dsn, a pool as large as Baton's default), and
// beside it the bare handler with a bot (bareBotMux), which posts to botURL.
func bareServe(db, dsn, botURL string) error {
	var conn *sql.DB
	var err error
	switch db {
	case "sqlite":
		if conn, err = openBareSQLite(dsn); err != nil {
			return err
		}
		if _, err = conn.Exec(`CREATE TABLE bare_messages (id INTEGER PRIMARY KEY, conversation_id INTEGER NOT NULL,
			content TEXT, created_at INTEGER NOT NULL)`); err == nil {
			_, err = conn.Exec(`CREATE TABLE bare_outbox (id INTEGER PRIMARY KEY, message_id INTEGER NOT NULL,
				payload TEXT NOT NULL)`)
		}
	case "postgres":
		if conn, err = sql.Open("pgx", dsn); err != nil {
			return err
		}
		conn.SetMaxOpenConns(32)
		conn.SetMaxIdleConns(32)
		if _, err = conn.Exec(`CREATE TABLE bare_messages (id BIGSERIAL PRIMARY KEY, conversation_id BIGINT NOT NULL,
			content TEXT, created_at BIGINT NOT NULL)`); err == nil {
			_, err = conn.Exec(`CREATE TABLE bare_outbox (id BIGSERIAL PRIMARY KEY, message_id BIGINT NOT NULL,
				payload TEXT NOT NULL)`)
		}
	default:
		return fmt.Errorf("bare-serve: unknown -db %q", db)
	}
	defer conn.Close()
	if err != nil {
		return err
	}
	// The bench ends this process with SIGINT. A shell that starts the bench
	// in the background hands it SIGINT ignored, and a Go program keeps an
	// ignored SIGINT ignored unless it asks for it (os/signal): asked for
	// here, as `baton serve` does, or the bench waits for a process that
	// cannot hear it.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	mux := bareMux(conn, "bare_messages")
	if botURL != "" {
		bareBotMux(ctx, mux, conn, botURL)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Printf("bare listening on http://%s\n", ln.Addr())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// preloadBacklog writes n events of the bot's inbox with one pending
// delivery each to the bot, round robin over the inbox's conversations, in
// transactions of 500, straight into the database of a stopped server.
func (s *serverProc) preloadBacklog(ctx context.Context, n int) error {
	var db *sql.DB
	var err error
	if s.dbURL != "" {
		db, err = sql.Open("pgx", s.dbURL)
	} else {
		db, err = sql.Open("sqlite", "file:"+filepath.Join(s.dir, "baton.db")+"?_pragma=busy_timeout(10000)")
	}
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var payload string
	if err := db.QueryRowContext(ctx, `SELECT e.payload FROM events e JOIN deliveries d ON d.event_id = e.id
		WHERE e.name = 'message_created' AND d.agent_bot_id = $1 ORDER BY e.id DESC LIMIT 1`, s.botID).Scan(&payload); err != nil {
		return fmt.Errorf("a sample payload: %w", err)
	}
	lanes, err := queryIDs(ctx, db, `SELECT id FROM conversations WHERE inbox_id = $1 ORDER BY id`, s.botInbox)
	if err != nil {
		return err
	}
	if len(lanes) == 0 {
		return errors.New("no conversations in the bot's inbox")
	}
	now := time.Now().UnixMicro()
	for done := 0; done < n; {
		batch := min(500, n-done)
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		for i := range batch {
			lane := lanes[(done+i)%len(lanes)]
			var eventID, deliveryID int64
			if err := tx.QueryRowContext(ctx, `INSERT INTO events (account_id, conversation_id, name, payload, created_at)
				VALUES ($1, $2, 'message_created', $3, $4) RETURNING id`, s.account, lane, payload, now).Scan(&eventID); err != nil {
				_ = tx.Rollback()
				return err
			}
			var uuid [16]byte
			_, _ = rand.Read(uuid[:])
			if err := tx.QueryRowContext(ctx, `INSERT INTO deliveries (uuid, event_id, target, account_id, lane_id,
				handoff, status, attempts, next_attempt_at, created_at, updated_at, agent_bot_id)
				VALUES ($1, $2, $3, $4, $5, FALSE, 0, 0, $6, $6, $6, $3) RETURNING id`, hex.EncodeToString(uuid[:]), eventID,
				s.botID, s.account, lane, now).Scan(&deliveryID); err != nil {
				_ = tx.Rollback()
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO lanes (target, lane_id, head_id, next_attempt_at)
				VALUES ($1, $2, $3, $4) ON CONFLICT (target, lane_id) DO NOTHING`, s.botID, lane, deliveryID, now); err != nil {
				_ = tx.Rollback()
				return err
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
		done += batch
	}
	return nil
}

// tableRow holds one binary's measurements of one database, a value a run.
type tableRow struct {
	bare, bareCPU       []float64 // the bare handler, measured in the same runs
	bareBot, bareBotCPU []float64 // the bare handler with a bot (bareBotMux), delivered a second
	noBot, noBotCPU     []float64
	withBot, withBotCPU []float64 // customer messages accepted and delivered to the bot, a second
	withBotIntake       []float64 // customer messages accepted a second, delivery lag aside
	ratioBare, ratioBot []float64 // per run: noBot/bare, withBot/noBot
	turns, turnsP99     []float64
	fixedP99, fixedRate []float64 // turns at -turn-rate
	drain               []float64
	failures            int
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func msOf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// runTable is -mode table.
func runTable(ctx context.Context, o options, dir string) error {
	binaries, labels, err := tableBinaries(ctx, o, dir)
	if err != nil {
		return err
	}
	dbs := []string{o.db}
	if o.db == "both" {
		dbs = []string{"sqlite", "postgres"}
	}
	rows := map[string][]*tableRow{}
	for _, db := range dbs {
		r, err := tableDB(ctx, o, dir, db, binaries, labels)
		if err != nil {
			return fmt.Errorf("%s: %w", db, err)
		}
		rows[db] = r
	}
	fmt.Printf("\n## Medians of %d alternated runs (%s each; %d conversations an inbox; load average at the end: %s)\n\n",
		o.runs, o.duration, o.conversations, loadAverage())
	header := "| |"
	sep := "|---|"
	for _, l := range labels {
		header += " " + l + " |"
		sep += "---|"
	}
	fmt.Println(header)
	fmt.Println(sep)
	for _, db := range dbs {
		line := func(name string, f func(r *tableRow) string) {
			s := "| " + db + ", " + name + " |"
			for _, r := range rows[db] {
				s += " " + f(r) + " |"
			}
			fmt.Println(s)
		}
		line("no bot: Baton / bare (goal ≥ 0.5)", func(r *tableRow) string {
			return fmt.Sprintf("**%.2f** (%.0f vs %.0f msgs/s; server CPU %.0f vs %.0f µs/msg)", median(r.ratioBare),
				median(r.noBot), median(r.bare), median(r.noBotCPU), median(r.bareCPU))
		})
		line("bot connected: msgs/s / no-bot msgs/s (goal ≥ 0.5)", func(r *tableRow) string {
			return fmt.Sprintf("**%.2f** (%.0f msgs/s delivered, %.0f taken in; server CPU %.0f µs/msg)", median(r.ratioBot),
				median(r.withBot), median(r.withBotIntake), median(r.withBotCPU))
		})
		line("bare handler with a bot / Baton without (the ratio a bare outbox would reach)", func(r *tableRow) string {
			return fmt.Sprintf("%.2f (bare with a bot %.0f msgs/s, CPU %.0f µs/msg; bare with a bot / bare %.2f)",
				median(r.bareBot)/median(r.noBot), median(r.bareBot), median(r.bareBotCPU), median(r.bareBot)/median(r.bare))
		})
		goal := 1000
		if db == "postgres" {
			goal = 500
		}
		line(fmt.Sprintf("whole bot turns/s (goal ≥ %d)", goal), func(r *tableRow) string {
			return fmt.Sprintf("**%.0f**/s (p99 %.1f ms)", median(r.turns), median(r.turnsP99))
		})
		line(fmt.Sprintf("turns at %d/s: p99 (goal < 30 ms)", o.turnRate), func(r *tableRow) string {
			if median(r.fixedRate) < 0.9*float64(o.turnRate) {
				return fmt.Sprintf("not sustained: %.0f/s done (p99 %.0f ms)", median(r.fixedRate), median(r.fixedP99))
			}
			return fmt.Sprintf("**%.1f ms** (%.0f/s done)", median(r.fixedP99), median(r.fixedRate))
		})
		line("delivery drain (goal ≥ 5,000/s)", func(r *tableRow) string {
			return fmt.Sprintf("**%.0f**/s", median(r.drain))
		})
		for i, r := range rows[db] {
			if r.failures > 0 {
				fmt.Printf("(%s, %s: %d requests or turns failed)\n", db, labels[i], r.failures)
			}
		}
	}
	return nil
}

// tableBinaries returns the baton binaries to measure: -baton, a
// comma-separated list, or one built from this tree.
func tableBinaries(ctx context.Context, o options, dir string) (binaries, labels []string, err error) {
	if o.batonBinary != "" {
		for b := range strings.SplitSeq(o.batonBinary, ",") {
			binaries = append(binaries, b)
			labels = append(labels, filepath.Base(b))
		}
		return binaries, labels, nil
	}
	bin := filepath.Join(dir, "baton")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/batonhq/baton/cmd/baton")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return nil, nil, fmt.Errorf("go build: %w", err)
	}
	return []string{bin}, []string{"baton (this tree)"}, nil
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// tableDB measures every binary on one kind of database.
func tableDB(ctx context.Context, o options, dir, db string, binaries, labels []string) ([]*tableRow, error) {
	fmt.Printf("\n# %s (load average %s)\n", db, loadAverage())
	client := newClient(max(o.clients, 512))
	var drops []func()
	defer func() {
		for _, d := range slices.Backward(drops) {
			d()
		}
	}()
	schema := func() (string, error) {
		if db != "postgres" {
			return "", nil
		}
		u, drop, err := freshSchema(ctx, o.postgresURL)
		if err != nil {
			return "", err
		}
		drops = append(drops, drop)
		return u, nil
	}
	// The bare handler.
	bareDSN := filepath.Join(dir, db+"-bare.db")
	if db == "postgres" {
		u, err := schema()
		if err != nil {
			return nil, err
		}
		bareDSN = u
	}
	bareRecv, err := startReceiver(&engineBench{})
	if err != nil {
		return nil, err
	}
	drops = append(drops, func() { _ = bareRecv.srv.Close() })
	bare, err := startBareProc(ctx, db, bareDSN, bareRecv.url)
	if err != nil {
		return nil, err
	}
	drops = append(drops, bare.stop)
	bareTargets, bareBotTargets := make([]string, o.conversations), make([]string, o.conversations)
	for i := range bareTargets {
		bareTargets[i] = fmt.Sprintf("%s/bare/conversations/%d/messages", bare.base, i+1)
		bareBotTargets[i] = fmt.Sprintf("%s/barebot/conversations/%d/messages", bare.base, i+1)
	}
	// The bare handler with a bot: customer messages accepted, then all
	// delivered, a second.
	measureBareBot := func() (float64, float64) {
		before := bareRecv.incoming.Load()
		cpu0 := procCPU(bare.pid())
		r := closedLoop(client, bareBotTargets, o.clients, o.duration)
		start := time.Now()
		for bareRecv.incoming.Load() < before+int64(len(r.latencies)) && time.Since(start) < 2*time.Minute {
			time.Sleep(time.Millisecond)
		}
		cpu := float64((procCPU(bare.pid()) - cpu0).Microseconds()) / float64(max(len(r.latencies), 1))
		return float64(len(r.latencies)) / (r.elapsed + time.Since(start)).Seconds(), cpu
	}
	// The servers.
	servers := make([]*serverProc, len(binaries))
	for i, bin := range binaries {
		s := &serverProc{label: labels[i], binary: bin, dir: filepath.Join(dir, fmt.Sprintf("%s-%d", db, i))}
		if err := os.MkdirAll(s.dir, 0o750); err != nil {
			return nil, err
		}
		if s.dbURL, err = schema(); err != nil {
			return nil, err
		}
		servers[i] = s
		drops = append(drops, func() {
			s.stop()
			if s.bench != nil && s.bench.recv != nil {
				_ = s.bench.recv.srv.Close()
			}
		})
		if err := s.provision(ctx, client, o.conversations); err != nil {
			return nil, fmt.Errorf("%s: %w", s.label, err)
		}
		// The seeding's conversation_created events go to the bot first.
		time.Sleep(2 * time.Second)
		fmt.Printf("%s: `baton serve` pid %d at %s; 2 API inboxes × %d conversations, a bot on one\n",
			s.label, s.proc.pid(), s.base, o.conversations)
	}
	rows := make([]*tableRow, len(servers))
	for i := range rows {
		rows[i] = &tableRow{}
	}
	closedLoop(client, bareBotTargets, o.clients, warmUpTime)
	for _, s := range servers {
		if err := warmUp(client, bareTargets, s, o); err != nil {
			return nil, fmt.Errorf("%s: warm-up: %w", s.label, err)
		}
	}

	fmt.Printf("\ncustomer messages: %d keep-alive clients back to back, %s a run; bare, then each binary without and with the bot\n",
		o.clients, o.duration)
	for run := range o.runs {
		bareRate, bareCPU := measureProc(client, bare.pid(), bareTargets, o)
		bareBot, bareBotCPU := measureBareBot()
		fmt.Printf("  run %d bare with a bot     %6.0f msgs/s delivered (%4.0f µs CPU): %.2f of bare\n", run+1, bareBot,
			bareBotCPU, bareBot/bareRate.rate())
		for i, s := range servers {
			row := rows[i]
			row.bare, row.bareCPU = append(row.bare, bareRate.rate()), append(row.bareCPU, bareCPU)
			row.bareBot, row.bareBotCPU = append(row.bareBot, bareBot), append(row.bareBotCPU, bareBotCPU)
			nbOthers := startOthers(db == "postgres")
			nb, nbCPU := measureProc(client, s.proc.pid(), s.nobot, o)
			nbLine := nbOthers.line(len(nb.latencies))
			row.noBot, row.noBotCPU = append(row.noBot, nb.rate()), append(row.noBotCPU, nbCPU)
			row.ratioBare = append(row.ratioBare, nb.rate()/bareRate.rate())
			row.failures += nb.failed()

			targets := s.botTargets()
			before := s.bench.recv.incoming.Load()
			cpu0, wbOthers := procCPU(s.proc.pid()), startOthers(db == "postgres")
			wb := closedLoop(client, targets, o.clients, o.duration)
			lag, err := s.waitIncoming(before+int64(len(wb.latencies)), 2*time.Minute)
			wbLine := wbOthers.line(len(wb.latencies))
			if err != nil {
				fmt.Printf("  %s: %v\n", s.label, err)
				row.failures++
			}
			wbCPU := float64((procCPU(s.proc.pid()) - cpu0).Microseconds()) / float64(max(len(wb.latencies), 1))
			delivered := float64(len(wb.latencies)) / (wb.elapsed + lag).Seconds()
			row.withBot, row.withBotIntake, row.withBotCPU = append(row.withBot, delivered), append(row.withBotIntake, wb.rate()), append(row.withBotCPU, wbCPU)
			row.ratioBot = append(row.ratioBot, delivered/nb.rate())
			row.failures += wb.failed()
			fmt.Printf("  run %d %-20s bare %6.0f msgs/s (%4.0f µs CPU)  no bot %6.0f msgs/s (%4.0f µs, p99 %s)  bot %6.0f msgs/s taken in, all delivered %s later: %6.0f msgs/s (%4.0f µs)\n",
				run+1, s.label, bareRate.rate(), bareCPU, nb.rate(), nbCPU, pct(nb.latencies, 99), wb.rate(),
				lag.Round(time.Millisecond), delivered, wbCPU)
			fmt.Printf("    CPU a message beside the server's: no bot %s; bot %s\n", nbLine, wbLine)
		}
	}

	fmt.Printf("\nwhole bot turns: %d customers back to back, %s a run; then %d turns/s, open loop\n", o.clients, o.duration, o.turnRate)
	for run := range o.runs {
		for i, s := range servers {
			row := rows[i]
			cpu0, server0, pg0 := cpuTime(), procCPU(s.proc.pid()), postgresCPU()
			lat, elapsed, failed := closedTurns(s.bench, o.clients, o.duration)
			cpu, server, pg := cpuTime()-cpu0, procCPU(s.proc.pid())-server0, postgresCPU()-pg0
			stages := s.bench.recv.stageMedians()
			rate := float64(len(lat)) / elapsed.Seconds()
			row.turns, row.turnsP99 = append(row.turns, rate), append(row.turnsP99, msOf(pctDur(lat, 99)))
			cpu0, server0, pg0 = cpuTime(), procCPU(s.proc.pid()), postgresCPU()
			flat, felapsed, ffailed := openTurns(s.bench, o.turnRate, o.duration)
			fcpu, fserver, fpg := cpuTime()-cpu0, procCPU(s.proc.pid())-server0, postgresCPU()-pg0
			fstages := s.bench.recv.stageMedians()
			frate := float64(len(flat)) / felapsed.Seconds()
			row.fixedP99, row.fixedRate = append(row.fixedP99, msOf(pctDur(flat, 99))), append(row.fixedRate, frate)
			row.failures += int(failed + ffailed)
			fmt.Printf("  run %d %-20s %6.0f turns/s p50 %s p99 %s (%d failed); at %d/s: p50 %s p99 %s (%d failed)\n",
				run+1, s.label, rate, pct(lat, 50), pct(lat, 99), failed, o.turnRate, pct(flat, 50), pct(flat, 99), ffailed)
			fmt.Printf("    CPU a back-to-back turn: server %.0f µs, bench client and bot %.0f µs%s\n",
				perTurn(server, len(lat)), perTurn(cpu, len(lat)), postgresShare(db == "postgres", pg, len(lat)))
			fmt.Printf("    stages of the back-to-back turns: %s\n", stages)
			fmt.Printf("    CPU a turn at %d/s: server %.0f µs, bench client and bot %.0f µs%s\n", o.turnRate,
				perTurn(fserver, len(flat)), perTurn(fcpu, len(flat)), postgresShare(db == "postgres", fpg, len(flat)))
			fmt.Printf("    stages of the turns at %d/s: %s\n", o.turnRate, fstages)
		}
	}

	fmt.Printf("\ndelivery drain: the server stopped, a backlog of %d deliveries written over %d lanes, the server started; from its start to the last receipt\n",
		o.backlog, o.conversations)
	for run := range o.runs {
		for i, s := range servers {
			s.stop()
			if err := s.preloadBacklog(ctx, o.backlog); err != nil {
				return nil, fmt.Errorf("%s: backlog: %w", s.label, err)
			}
			before := s.bench.recv.count.Load()
			start := time.Now()
			if err := s.start(ctx); err != nil {
				return nil, err
			}
			var first time.Time
			deadline := start.Add(5 * time.Minute)
			for s.bench.recv.count.Load()-before < int64(o.backlog) && time.Now().Before(deadline) {
				if first.IsZero() && s.bench.recv.count.Load() > before {
					first = time.Now()
				}
				time.Sleep(time.Millisecond)
			}
			elapsed := time.Since(start)
			n := s.bench.recv.count.Load() - before
			rate := float64(n) / elapsed.Seconds()
			rows[i].drain = append(rows[i].drain, rate)
			fmt.Printf("  run %d %-20s %d deliveries in %s: %6.0f/s (first after %s)\n", run+1, s.label, n,
				elapsed.Round(time.Millisecond), rate, first.Sub(start).Round(time.Millisecond))
		}
	}
	return rows, nil
}

// measureProc runs the closed loop against targets and returns the result
// and the CPU µs per successful message of the process pid.
func measureProc(client *http.Client, pid int, targets []string, o options) (*result, float64) {
	cpu0 := procCPU(pid)
	r := closedLoop(client, targets, o.clients, o.duration)
	return r, float64((procCPU(pid) - cpu0).Microseconds()) / float64(max(len(r.latencies), 1))
}

// others measures the CPU of what runs beside the server: the bench's
// client (and, when one is connected, its bot) and, on PostgreSQL, the
// database. With the server's own CPU it is what a message cost the
// machine, and it shows the bot's share of the cores, which no change to
// Baton takes away.
type others struct {
	bench, postgres time.Duration
	postgresOn      bool
}

// startOthers starts measuring others.
func startOthers(postgresOn bool) others {
	o := others{bench: cpuTime(), postgresOn: postgresOn}
	if postgresOn {
		o.postgres = postgresCPU()
	}
	return o
}

// line is the CPU the others took since startOthers, a message of n.
func (o others) line(n int) string {
	s := fmt.Sprintf("bench %.0f µs", perTurn(cpuTime()-o.bench, n))
	if o.postgresOn {
		s += fmt.Sprintf(", PostgreSQL %.0f µs", perTurn(postgresCPU()-o.postgres, n))
	}
	return s
}

func (r *result) rate() float64 { return float64(len(r.latencies)) / r.elapsed.Seconds() }

func (r *result) failed() int {
	n := 0
	for _, k := range r.failures {
		n += k
	}
	return n
}

func pctDur(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, len(sorted)*p/100)]
}
