package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/batonhq/baton/internal/store/storetest"
)

// syncBuffer is a buffer that a running command writes while a test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// install is one test's Baton installation: its environment, with a data dir
// of its own and, for PostgreSQL, a database URL.
type install struct {
	env map[string]string
}

// newInstall returns an installation on SQLite in a new data dir.
func newInstall(t *testing.T) *install {
	t.Helper()
	return &install{env: map[string]string{"BATON_DATA_DIR": t.TempDir(), "BATON_LOG_LEVEL": "warn"}}
}

// eachDatabase runs fn on an installation on SQLite and on one on
// PostgreSQL, when the test database is configured.
func eachDatabase(t *testing.T, fn func(t *testing.T, in *install)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, newInstall(t))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		in := newInstall(t)
		in.env["DATABASE_URL"] = storetest.PostgresURL(t)
		fn(t, in)
	})
}

func (in *install) getenv(key string) string { return in.env[key] }

// run runs a command to its end and returns what it printed.
func (in *install) run(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut syncBuffer
	err = run(t.Context(), args, in.getenv, strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), err
}

// process is a command that runs until the test stops it.
type process struct {
	url    string // where it listens
	stdout *syncBuffer
	stderr *syncBuffer
	cancel context.CancelFunc
	done   chan error
}

var listening = regexp.MustCompile(`Baton is listening on (http://\S+)\n`)

// start runs a serving command in the background and returns once it
// listens and has printed a line containing ready.
func (in *install) start(t *testing.T, ready string, args ...string) *process {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &process{stdout: &syncBuffer{}, stderr: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	go func() { p.done <- run(ctx, args, in.getenv, strings.NewReader(""), p.stdout, p.stderr) }()
	t.Cleanup(func() {
		cancel()
		<-p.done
	})
	for {
		if m := listening.FindStringSubmatch(p.stdout.String()); m != nil && strings.Contains(p.stdout.String(), ready) {
			p.url = m[1]
			return p
		}
		select {
		case err := <-p.done:
			p.done <- err // for the cleanup
			t.Fatalf("%v ended before it was ready: %v\nstdout: %s\nstderr: %s", args, err, p.stdout, p.stderr)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// stop cancels the command's context, as SIGTERM does, and returns what it
// returned.
func (p *process) stop() error {
	p.cancel()
	err := <-p.done
	p.done <- err // for the cleanup
	return err
}

// get requests a URL with optional api_access_token and returns the status
// and body.
func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("api_access_token", token)
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	return res.StatusCode, string(b)
}

// one decodes stdout as exactly one JSON object.
func one(t *testing.T, stdout string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(stdout))
	var v map[string]any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("stdout is not a JSON object: %v\n%s", err, stdout)
	}
	if dec.More() {
		t.Fatalf("stdout has more than one JSON value:\n%s", stdout)
	}
	return v
}

func TestNoCommand(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{nil, {"frobnicate"}, {"migrate", "extra"}, {"migrate", "--no-such-flag"}} {
		stdout, stderr, err := newInstall(t).run(t, args...)
		if err == nil {
			t.Errorf("%v: no error", args)
			continue
		}
		if stdout != "" {
			t.Errorf("%v: printed on stdout:\n%s", args, stdout)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: error is more than one line: %q", args, err)
		}
		if len(args) < 2 && !strings.Contains(stderr, "Usage:") {
			t.Errorf("%v: no usage on stderr:\n%s", args, stderr)
		}
	}
}

// TestHelp: help, and -h or --help after any command, show the usage and
// succeed.
func TestHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"help"}, {"-h"}, {"serve", "-h"}, {"migrate", "--help"}, {"demo", "-h"}, {"admin", "-h"},
		{"admin", "user", "create", "-h"}} {
		stdout, _, err := newInstall(t).run(t, args...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if !strings.Contains(stdout, "baton admin user create") || !strings.Contains(stdout, "BATON_SECRET_KEY") {
			t.Errorf("%v does not show the commands and the configuration:\n%s", args, stdout)
		}
	}
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, in *install) {
		kind := "sqlite"
		if in.env["DATABASE_URL"] != "" {
			kind = "postgres"
		}
		for range 2 { // the second run has nothing to do
			stdout, stderr, err := in.run(t, "migrate")
			if err != nil {
				t.Fatalf("migrate: %v\n%s", err, stderr)
			}
			if want := "migrations applied (" + kind + ")\n"; stdout != want {
				t.Errorf("migrate printed %q, want %q", stdout, want)
			}
		}
		if kind == "sqlite" {
			if _, err := os.Stat(filepath.Join(in.env["BATON_DATA_DIR"], "baton.db")); err != nil {
				t.Errorf("no database in the data dir: %v", err)
			}
		}
	})
}

func TestServe(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, in *install) {
		stdout, stderr, err := in.run(t, "admin", "account", "create", "--name", "Acme", "--json")
		if err != nil {
			t.Fatalf("account create: %v\n%s", err, stderr)
		}
		account := one(t, stdout)
		stdout, stderr, err = in.run(t, "admin", "user", "create", "--account", jsonID(t, account),
			"--name", "Sam", "--email", "sam@acme.test", "--password", "correct-horse-9", "--role", "agent", "--json")
		if err != nil {
			t.Fatalf("user create: %v\n%s", err, stderr)
		}
		token, _ := one(t, stdout)["access_token"].(string)

		p := in.start(t, "", "serve", "--addr", "127.0.0.1:0")
		if code, body := get(t, p.url+"/healthz", ""); code != http.StatusOK {
			t.Errorf("GET /healthz: %d %s", code, body)
		}
		// The root leads to the agent app.
		noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		if res, err := noFollow.Get(p.url + "/"); err != nil {
			t.Error(err)
		} else if res.Body.Close(); res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/app" {
			t.Errorf("GET /: %d to %q, want 302 to /app", res.StatusCode, res.Header.Get("Location"))
		}
		if url := in.env["DATABASE_URL"]; url != "" {
			// A server without autovacuum is told of it (this test's
			// server has it on or off as its administrator set it).
			db, err := sql.Open("pgx", url)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var on bool
			if err := db.QueryRow(`SELECT current_setting('autovacuum') = 'on'`).Scan(&on); err != nil {
				t.Fatal(err)
			}
			if warned := strings.Contains(p.stderr.String(), "autovacuum is off"); warned == on {
				t.Errorf("autovacuum on: %v; serve warned of it: %v\n%s", on, warned, p.stderr)
			}
		}
		code, body := get(t, p.url+"/api/v1/profile", token)
		if code != http.StatusOK {
			t.Fatalf("GET /api/v1/profile: %d %s", code, body)
		}
		var profile struct {
			AccessToken string `json:"access_token"`
			Email       string `json:"email"`
			Accounts    []struct {
				ID   float64 `json:"id"`
				Role string  `json:"role"`
			} `json:"accounts"`
		}
		if err := json.Unmarshal([]byte(body), &profile); err != nil {
			t.Fatalf("profile: %v\n%s", err, body)
		}
		if profile.AccessToken != token || profile.Email != "sam@acme.test" || len(profile.Accounts) != 1 ||
			profile.Accounts[0].ID != account["id"] || profile.Accounts[0].Role != "agent" {
			t.Errorf("profile: %s", body)
		}
		if code, _ := get(t, p.url+"/api/v1/profile", token+"x"); code != http.StatusUnauthorized {
			t.Errorf("GET /api/v1/profile with a wrong token: %d, want 401", code)
		}
		if err := p.stop(); err != nil {
			t.Errorf("serve returned %v after its context ended, want nil\n%s", err, p.stderr)
		}
		if _, err := http.Get(p.url + "/healthz"); err == nil {
			t.Error("the server still answers after it stopped")
		}
	})
}

// jsonID returns the id of a printed object as a command-line argument.
func jsonID(t *testing.T, v map[string]any) string {
	t.Helper()
	id, ok := v["id"].(float64)
	if !ok || id <= 0 || id != float64(int64(id)) {
		t.Fatalf("no id in %v", v)
	}
	b, _ := json.Marshal(int64(id))
	return string(b)
}

// TestReachable: the URL Baton prints and writes into links names an
// address a client can dial, also when it listens on every interface.
func TestReachable(t *testing.T) {
	for _, tc := range []struct {
		addr *net.TCPAddr
		want string
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 3000}, "http://127.0.0.1:3000"},
		{&net.TCPAddr{IP: net.IPv4(10, 1, 2, 3), Port: 80}, "http://10.1.2.3:80"},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 3000}, "http://127.0.0.1:3000"},
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 3000}, "http://127.0.0.1:3000"},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 3000}, "http://[::1]:3000"},
	} {
		if got := reachable(tc.addr); got != tc.want {
			t.Errorf("reachable(%v) = %q, want %q", tc.addr, got, tc.want)
		}
	}
}

// TestServeAddressInUse: an address another program listens on is refused
// with the flag that chooses another, as a newcomer's second demo meets it.
func TestServeAddressInUse(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	for _, cmd := range []string{"serve", "demo"} {
		_, _, err := newInstall(t).run(t, cmd, "--addr", ln.Addr().String())
		if err == nil || !strings.Contains(err.Error(), "address already in use") || !strings.Contains(err.Error(), "--addr") {
			t.Errorf("%s on a busy address: %v, want the address in use and --addr named", cmd, err)
		}
	}
}
