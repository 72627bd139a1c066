package main_test

// The tests of this package run the real binary, built once with go build,
// as separate processes: killed with SIGKILL, restarted, and two at once on
// one PostgreSQL schema.

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/batonhq/baton/internal/signature"
)

// binary is the path of the baton binary TestMain built.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "baton-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "baton")
	build := exec.Command("go", "build", "-o", binary, "github.com/batonhq/baton/cmd/baton")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "go build:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// testKey seals tokens at rest; every process of one installation shares it.
const testKey = "0123456789abcdef0123456789abcdef"

// installation is one database that baton processes run on.
type installation struct {
	t        *testing.T
	database string // DATABASE_URL: a PostgreSQL URL or sqlite:PATH
	account  int64
	admin    string // an administrator's access token
	botID    int64
	db       *sql.DB // opened by open
}

// newInstallation returns an installation on a new SQLite file, or on
// pgURL when it is set.
func newInstallation(t *testing.T, pgURL string) *installation {
	t.Helper()
	db := pgURL
	if db == "" {
		db = "sqlite:" + filepath.Join(t.TempDir(), "baton.db")
	}
	return &installation{t: t, database: db}
}

// command runs a baton command to its end and returns its output.
func (in *installation) command(args ...string) string {
	in.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = in.environ(in.t.TempDir())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		in.t.Fatalf("baton %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return string(out)
}

// open returns the installation's database, opened for the test's own
// reads.
func (in *installation) open() *sql.DB {
	in.t.Helper()
	if in.db == nil {
		driver, source := "pgx", in.database
		if path, ok := strings.CutPrefix(in.database, "sqlite:"); ok {
			driver, source = "sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)"
		}
		db, err := sql.Open(driver, source)
		if err != nil {
			in.t.Fatal(err)
		}
		in.t.Cleanup(func() { db.Close() })
		in.db = db
	}
	return in.db
}

// leases returns how many lanes each delivery engine holds leased, by
// lease owner, read from the database itself.
func (in *installation) leases() map[string]int {
	in.t.Helper()
	rows, err := in.open().Query(`SELECT lease_owner, COUNT(*) FROM lanes WHERE lease_owner <> '' GROUP BY lease_owner`)
	if err != nil {
		in.t.Fatal(err)
	}
	defer rows.Close()
	held := map[string]int{}
	for rows.Next() {
		var owner string
		var n int
		if err := rows.Scan(&owner, &n); err != nil {
			in.t.Fatal(err)
		}
		held[owner] = n
	}
	if err := rows.Err(); err != nil {
		in.t.Fatal(err)
	}
	return held
}

// leaseEnds returns when the lease of each leased lane ends, by the
// X-Chatwoot-Delivery id of the lane's head, read from the database.
func (in *installation) leaseEnds() map[string]time.Time {
	in.t.Helper()
	rows, err := in.open().Query(`SELECT d.uuid, l.lease_until FROM lanes l JOIN deliveries d ON d.id = l.head_id
		WHERE l.lease_owner <> ''`)
	if err != nil {
		in.t.Fatal(err)
	}
	defer rows.Close()
	ends := map[string]time.Time{}
	for rows.Next() {
		var uuid string
		var until int64
		if err := rows.Scan(&uuid, &until); err != nil {
			in.t.Fatal(err)
		}
		ends[uuid] = time.UnixMicro(until)
	}
	if err := rows.Err(); err != nil {
		in.t.Fatal(err)
	}
	return ends
}

func (in *installation) environ(dataDir string) []string {
	return append(os.Environ(), "DATABASE_URL="+in.database, "BATON_DATA_DIR="+dataDir, "BATON_SECRET_KEY="+testKey,
		"BATON_LOG_LEVEL=warn")
}

// seed makes an account, an administrator and a bot that posts to botURL.
func (in *installation) seed(botURL string) {
	in.t.Helper()
	var v struct {
		ID    int64  `json:"id"`
		Token string `json:"access_token"`
	}
	decode := func(s string) {
		in.t.Helper()
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			in.t.Fatalf("%q: %v", s, err)
		}
	}
	decode(in.command("admin", "account", "create", "--name", "Acme", "--json"))
	in.account = v.ID
	decode(in.command("admin", "user", "create", "--account", fmt.Sprint(in.account), "--name", "Alex",
		"--email", "alex@acme.test", "--password", "password123", "--role", "administrator", "--json"))
	in.admin = v.Token
	decode(in.command("admin", "bot", "create", "--account", fmt.Sprint(in.account), "--name", "Recorder",
		"--outgoing-url", botURL, "--json"))
	in.botID = v.ID
}

// process is one `baton serve`.
type process struct {
	cmd    *exec.Cmd
	url    string
	stderr *lockedBuffer
	done   chan struct{}
}

var listeningLine = regexp.MustCompile(`Baton is listening on (http://\S+)`)

// serve starts `baton serve` on the installation with a short delivery
// timeout, so that leases (the timeout and 30 s) are as short as they get,
// and then flags, which override those.
func (in *installation) serve(flags ...string) *process {
	t := in.t
	t.Helper()
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--delivery-timeout", "1s", "--rate-limit", "0",
		"--messages-per-minute", "100000"}, flags...)
	cmd := exec.Command(binary, args...)
	cmd.Env = in.environ(t.TempDir())
	p := &process{cmd: cmd, stderr: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stderr = p.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("stderr of baton serve (pid %d):\n%s", cmd.Process.Pid, p.stderr)
		}
	})
	lines := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(out)
		for s.Scan() {
			// The log goes to standard output: keep it beside standard
			// error, for a failing test to show.
			fmt.Fprintln(p.stderr, s.Text())
			if m := listeningLine.FindStringSubmatch(s.Text()); m != nil {
				lines <- m[1]
			}
		}
	}()
	select {
	case p.url = <-lines:
	case <-p.done:
		t.Fatalf("baton serve ended before it listened:\n%s", p.stderr)
	case <-time.After(30 * time.Second):
		t.Fatalf("baton serve did not listen within 30 s:\n%s", p.stderr)
	}
	return p
}

// kill ends the process with SIGKILL, as a crash would, and waits for it.
func (p *process) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// lockedBuffer is a bytes.Buffer safe for concurrent use.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// client talks to the processes; every request goes to 127.0.0.1.
var client = &http.Client{Timeout: 10 * time.Second}

// request makes an API request and returns the status (0 when no answer
// came) and the decoded body.
func request(method, url, token, body string) (int, map[string]any) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return 0, nil
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("api_access_token", token)
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, nil
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, nil
	}
	var v map[string]any
	_ = json.Unmarshal(b, &v)
	return res.StatusCode, v
}

// must makes a request that has to answer 200.
func (in *installation) must(method, url, token, body string) map[string]any {
	in.t.Helper()
	status, v := request(method, url, token, body)
	if status != http.StatusOK {
		in.t.Fatalf("%s %s: status %d: %v", method, url, status, v)
	}
	return v
}

// conversation is one customer's conversation, as the public API knows it.
type conversation struct {
	n        int // its index in the test
	source   string
	id       int64 // display id
	acked    []int // the numbers of the messages the API acknowledged, in order
	failedAt int   // the number of the first message that got no 200, or -1
}

// customers makes an API inbox served by the installation's bot, and n
// contacts with a conversation each, through p.
func (in *installation) customers(p *process, n int) (identifier string, convs []*conversation) {
	in.t.Helper()
	inbox := in.must("POST", fmt.Sprintf("%s/api/v1/accounts/%d/inboxes", p.url, in.account), in.admin,
		`{"name":"Support","channel":{"type":"api"}}`)
	identifier = inbox["inbox_identifier"].(string)
	in.must("POST", fmt.Sprintf("%s/api/v1/accounts/%d/inboxes/%v/set_agent_bot", p.url, in.account, inbox["id"]), in.admin,
		fmt.Sprintf(`{"agent_bot":%d}`, in.botID))
	for i := range n {
		c := &conversation{n: i, source: fmt.Sprintf("customer-%d", i), failedAt: -1}
		in.must("POST", p.url+"/public/api/v1/inboxes/"+identifier+"/contacts", "",
			fmt.Sprintf(`{"source_id":%q,"name":"Customer %d"}`, c.source, i))
		v := in.must("POST", p.url+"/public/api/v1/inboxes/"+identifier+"/contacts/"+c.source+"/conversations", "", `{}`)
		c.id = int64(v["id"].(float64))
		convs = append(convs, c)
	}
	return identifier, convs
}

// say posts message k of the conversation through the process at base and
// records it when the API acknowledges it.
func (c *conversation) say(base, identifier string, k int) bool {
	status, _ := request("POST", fmt.Sprintf("%s/public/api/v1/inboxes/%s/contacts/%s/conversations/%d/messages",
		base, identifier, c.source, c.id), "", fmt.Sprintf(`{"content":"c%d-m%d"}`, c.n, k))
	if status == http.StatusOK {
		c.acked = append(c.acked, k)
		return true
	}
	if c.failedAt < 0 {
		c.failedAt = k
	}
	return false
}

// received is one customer message as the bot got it.
type received struct {
	delivery string // X-Chatwoot-Delivery
	conv, k  int
	at       time.Time
	aborted  bool // the sender went away before the bot answered
	unsigned bool // the recorder has a secret and X-Chatwoot-Signature did not verify with it
}

// recorder is a bot that records the customer messages it receives and
// answers 200, after delay, and while held (hold) only once released.
type recorder struct {
	*httptest.Server
	mu       sync.Mutex
	got      []received
	delay    time.Duration
	held     chan struct{} // while set, customer messages are answered when it closes
	secret   string        // when set, every delivery's X-Chatwoot-Signature is checked with it
	inFlight atomic.Int64  // customer messages being answered (held, or for delay) right now
	from     map[int]int   // the senders' TCP ports of the messages in flight, and how many on each
}

var content = regexp.MustCompile(`^c(\d+)-m(\d+)$`)

func newRecorder(t *testing.T) *recorder {
	r := &recorder{from: map[int]int{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var ev struct {
			Event       string `json:"event"`
			MessageType string `json:"message_type"`
			Content     string `json:"content"`
		}
		body, _ := io.ReadAll(req.Body)
		_ = json.Unmarshal(body, &ev)
		m := content.FindStringSubmatch(ev.Content)
		if ev.Event != "message_created" || ev.MessageType != "incoming" || m == nil {
			return // other events are answered 200 and not recorded
		}
		var conv, k int
		fmt.Sscan(m[1], &conv)
		fmt.Sscan(m[2], &k)
		got := received{delivery: req.Header.Get("X-Chatwoot-Delivery"), conv: conv, k: k, at: time.Now()}
		r.mu.Lock()
		delay, held, secret := r.delay, r.held, r.secret
		r.mu.Unlock()
		if secret != "" {
			sig := signature.Chatwoot(secret, req.Header.Get("X-Chatwoot-Timestamp"), body)
			got.unsigned = req.Header.Get("X-Chatwoot-Signature") != sig
		}
		if delay > 0 || held != nil {
			port := remotePort(req.RemoteAddr)
			r.mu.Lock()
			r.from[port]++
			r.mu.Unlock()
			r.inFlight.Add(1)
			defer func() {
				r.inFlight.Add(-1)
				r.mu.Lock()
				if r.from[port]--; r.from[port] <= 0 {
					delete(r.from, port)
				}
				r.mu.Unlock()
			}()
			// A nil channel never receives: no hold, or no delay.
			var after <-chan time.Time
			if delay > 0 {
				after = time.After(delay)
			}
			for held != nil || after != nil {
				select {
				case <-held:
					held = nil
				case <-after:
					after = nil
				case <-req.Context().Done():
					got.aborted = true // the sender died with the attempt in flight
					held, after = nil, nil
				}
			}
		}
		r.mu.Lock()
		r.got = append(r.got, got)
		r.mu.Unlock()
	}))
	t.Cleanup(func() {
		r.release()
		r.Close()
	})
	return r
}

// hold makes the bot answer no customer message until release: every
// attempt that reaches it stays in flight until then, or until its sender
// dies (or gives up at its delivery timeout).
func (r *recorder) hold() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.held == nil {
		r.held = make(chan struct{})
	}
}

// release answers the customer messages held, and those to come as usual.
func (r *recorder) release() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.held != nil {
		close(r.held)
		r.held = nil
	}
}

func remotePort(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	return n
}

// inFlightFrom returns how many of the customer messages in flight at the
// bot came over process pid's connections: those whose socket in pid has
// the bot's port as its peer and a sender's port as its own, from /proc.
// (A port alone is not enough: a process's connections to other peers,
// PostgreSQL's, may have the same local port.)
func (r *recorder) inFlightFrom(pid int) int {
	r.mu.Lock()
	from := maps.Clone(r.from)
	r.mu.Unlock()
	bot := r.Listener.Addr().(*net.TCPAddr).Port
	sockets := map[string]int{} // the sockets of the connections in flight, by inode, and their messages
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(table)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) < 10 {
				continue
			}
			local, peer := hexPort(f[1]), hexPort(f[2])
			if peer == bot && from[local] > 0 {
				sockets["socket:["+f[9]+"]"] = from[local]
			}
		}
	}
	n := 0
	fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	for _, fd := range fds {
		if l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name())); err == nil {
			n += sockets[l]
		}
	}
	return n
}

// hexPort is the port of an address as /proc/net/tcp writes it
// (0100007F:1F90), or -1.
func hexPort(addr string) int {
	_, hex, _ := strings.Cut(addr, ":")
	port, err := strconv.ParseInt(hex, 16, 32)
	if err != nil {
		return -1
	}
	return int(port)
}

func (r *recorder) setSecret(secret string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secret = secret
}

// aborted counts the customer messages whose sender went away before the
// bot answered.
func (r *recorder) aborted() int { return r.count(func(g received) bool { return g.aborted }) }

// unsigned counts the deliveries whose signature did not verify.
func (r *recorder) unsigned() int { return r.count(func(g received) bool { return g.unsigned }) }

// count counts the deliveries that are so.
func (r *recorder) count(so func(g received) bool) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, g := range r.got {
		if so(g) {
			n++
		}
	}
	return n
}

func (r *recorder) setDelay(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.delay = d
}

func (r *recorder) snapshot() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// missing returns how many acknowledged messages the bot has not had
// (answered, not aborted).
func (r *recorder) missing(convs []*conversation) int {
	have := map[[2]int]bool{}
	for _, g := range r.snapshot() {
		if !g.aborted {
			have[[2]int{g.conv, g.k}] = true
		}
	}
	n := 0
	for _, c := range convs {
		for _, k := range c.acked {
			if !have[[2]int{c.n, k}] {
				n++
			}
		}
	}
	return n
}

// waitAll waits until every acknowledged message reached the bot.
func (r *recorder) waitAll(t *testing.T, convs []*conversation, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for r.missing(convs) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("after %s, %d acknowledged messages have not reached the bot", within, r.missing(convs))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkOrder fails the test for every message the bot received before an
// earlier acknowledged message of its conversation had been answered: in
// a lane, message k goes out only after every message before it was
// acknowledged.
func (r *recorder) checkOrder(t *testing.T, convs []*conversation) {
	t.Helper()
	answered := map[int]map[int]bool{}
	for _, c := range convs {
		answered[c.n] = map[int]bool{}
	}
	acked := map[int][]int{}
	for _, c := range convs {
		acked[c.n] = c.acked
	}
	bad := 0
	for _, g := range r.snapshot() { // in the order the bot answered
		for _, k := range acked[g.conv] {
			if k >= g.k {
				break
			}
			if !answered[g.conv][k] {
				if bad++; bad <= 10 {
					t.Errorf("conversation %d: message %d reached the bot before message %d was acknowledged", g.conv, g.k, k)
				}
			}
		}
		if !g.aborted {
			answered[g.conv][g.k] = true
		}
	}
	if bad > 10 {
		t.Errorf("... and %d more out of order", bad-10)
	}
}

// duplicates returns the delivery ids the bot answered more than once and
// the messages it received under more than one delivery id.
func (r *recorder) duplicates() (ids, messages []string) {
	byID := map[string]int{}
	byMessage := map[[2]int]map[string]bool{}
	for _, g := range r.snapshot() {
		if g.aborted {
			continue
		}
		if byID[g.delivery]++; byID[g.delivery] == 2 {
			ids = append(ids, g.delivery)
		}
		key := [2]int{g.conv, g.k}
		if byMessage[key] == nil {
			byMessage[key] = map[string]bool{}
		}
		byMessage[key][g.delivery] = true
		if len(byMessage[key]) == 2 {
			messages = append(messages, fmt.Sprintf("c%d-m%d", g.conv, g.k))
		}
	}
	return ids, messages
}
