package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/batonhq/baton/internal/store/storetest"
	"github.com/coder/websocket"
)

// TestCrash runs baton serve with a bot and an n8n-style integration (an
// account webhook subscribed to message_created), posts customer messages
// across many conversations, kills the process with SIGKILL half-way while
// deliveries are pending, restarts it on the same database, and requires
// that every message the API acknowledged reaches the bot and the
// integration, in order per conversation, signed; that the restarted
// process takes over the lanes the dead one held (on SQLite it frees every
// lease at start; on PostgreSQL the dead process's owner lock is free)
// before their leases run out, and every lane that waited resumes before
// then too; and that no customer of the bot, which never failed, is handed
// to people.
func TestCrash(t *testing.T) {
	t.Parallel()
	eachInstallation(t, testCrash)
}

// eachInstallation runs test on an installation of each database, in
// parallel.
func eachInstallation(t *testing.T, test func(t *testing.T, in *installation)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		test(t, newInstallation(t, ""))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		test(t, newInstallation(t, storetest.PostgresURL(t)))
	})
}

func testCrash(t *testing.T, in *installation) {
	const conversations, messages = 40, 25
	bot := newRecorder(t)
	// A slow bot (32 workers, 100 ms an answer) keeps a backlog pending.
	bot.setDelay(100 * time.Millisecond)
	in.seed(bot.URL)
	p := in.serve()
	// The integration is slower than the bot: its backlog is its own.
	hook := newRecorder(t)
	hook.setDelay(150 * time.Millisecond)
	created := in.must("POST", fmt.Sprintf("%s/api/v1/accounts/%d/webhooks", p.url, in.account), in.admin,
		fmt.Sprintf(`{"webhook":{"url":%q,"name":"n8n","subscriptions":["message_created"]}}`, hook.URL))
	secret, _ := created["payload"].(map[string]any)["webhook"].(map[string]any)["secret"].(string)
	if secret == "" {
		t.Fatalf("the webhook has no secret: %v", created)
	}
	hook.setSecret(secret)
	identifier, convs := in.customers(p, conversations)

	var base atomic.Value
	base.Store(p.url)
	restarted := make(chan struct{})
	var acked, refused atomic.Int64
	var wg sync.WaitGroup
	for _, c := range convs {
		wg.Go(func() {
			for k := range messages {
				url := base.Load().(string)
				if c.say(url, identifier, k) {
					acked.Add(1)
					continue
				}
				if url != p.url {
					refused.Add(1) // the restarted process, alive, refused it
					continue
				}
				// The server is gone: go on once it is back. The message
				// that failed may or may not have been committed.
				select {
				case <-restarted:
				case <-time.After(time.Minute):
					return
				}
			}
		})
	}
	// Kill half-way, once the bot is behind by a lane's worth of messages
	// or more: what is pending at the kill is read after it, and a machine
	// too loaded to post faster than the bot answers would leave nothing.
	deadline := time.Now().Add(time.Minute)
	for (acked.Load() < conversations*messages/2 || acked.Load() < int64(len(bot.snapshot())+conversations)) &&
		time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	p.kill()
	// The lanes the dead process holds leased, for as long as its leases
	// (the delivery timeout and 30 s) unless taken over.
	leased := in.leases()
	if len(leased) != 1 {
		t.Fatalf("leases at the kill: %v, want one owner's", leased)
	}
	var dead string
	for owner := range leased {
		dead = owner
	}
	// When the first of its leases runs out: the lanes must not wait for
	// that.
	var leaseEnd time.Time
	for _, end := range in.leaseEnds() {
		if leaseEnd.IsZero() || end.Before(leaseEnd) {
			leaseEnd = end
		}
	}
	ackedAtKill, deliveredAtKill := acked.Load(), int64(len(bot.snapshot()))
	t.Logf("killed with %d messages acknowledged, %d received by the bot", ackedAtKill, deliveredAtKill)
	if deliveredAtKill >= ackedAtKill {
		t.Errorf("no delivery was pending at the kill (%d acknowledged, %d received): the test proves nothing", ackedAtKill, deliveredAtKill)
	}
	// The lanes that had a message pending at the kill.
	waiting := map[int]bool{}
	have := map[[2]int]bool{}
	for _, g := range bot.snapshot() {
		if !g.aborted {
			have[[2]int{g.conv, g.k}] = true
		}
	}
	for _, c := range convs {
		for _, k := range c.acked {
			if !have[[2]int{c.n, k}] {
				waiting[c.n] = true
			}
		}
	}
	restart := time.Now()
	p2 := in.serve()
	// The takeover is timed from when the new process serves: how long a
	// process takes to start is the machine's (and its load's), not the
	// lanes'.
	ready := time.Now()
	takenOver := make(chan time.Time, 1)
	go func() {
		for in.leases()[dead] > 0 && time.Since(ready) < time.Minute {
			time.Sleep(10 * time.Millisecond)
		}
		takenOver <- time.Now()
	}()
	base.Store(p2.url)
	close(restarted)
	wg.Wait()

	if n := refused.Load(); n > 0 {
		t.Errorf("the restarted process refused %d customer messages", n)
	}
	total := 0
	for _, c := range convs {
		total += len(c.acked)
	}
	if total <= int(ackedAtKill) {
		t.Errorf("no message was acknowledged after the restart")
	}
	bot.waitAll(t, convs, 90*time.Second)
	bot.checkOrder(t, convs)
	hook.waitAll(t, convs, 90*time.Second)
	hook.checkOrder(t, convs)
	if n := hook.unsigned(); n > 0 {
		t.Errorf("%d deliveries to the integration did not verify with its secret", n)
	}
	// Every lane that waited at the kill got its next delivery soon after
	// the restart.
	first := map[int]time.Time{}
	for _, g := range bot.snapshot() {
		if g.at.After(restart) && first[g.conv].IsZero() {
			first[g.conv] = g.at
		}
	}
	var last time.Time
	for n := range waiting {
		if first[n].After(last) {
			last = first[n]
		}
	}
	tookAt := <-takenOver
	t.Logf("%d lanes waited at the kill, %d leased; the new process served %s after the restart began, took the leases over %s after that, and the last lane resumed %s after that, %s before the first lease would have run out",
		len(waiting), leased[dead], ready.Sub(restart).Round(time.Millisecond), tookAt.Sub(ready).Round(time.Millisecond),
		last.Sub(ready).Round(time.Millisecond), leaseEnd.Sub(last).Round(time.Second))
	// The first delivery of a lane also waits for the workers, busy with
	// the backlog of 80 lanes (a slow bot and a slower integration), and
	// the machine's load: no bound but the leases', which the takeover
	// spares.
	if !tookAt.Before(leaseEnd) {
		t.Errorf("the dead process's leases were taken over %s after the new process served, when the first had run out %s after it",
			tookAt.Sub(ready).Round(time.Millisecond), leaseEnd.Sub(ready).Round(time.Millisecond))
	}
	if !last.Before(leaseEnd) {
		t.Errorf("a lane that waited at the kill resumed %s after the new process served, when the first lease had run out %s after it",
			last.Sub(ready).Round(time.Millisecond), leaseEnd.Sub(ready).Round(time.Millisecond))
	}
	for _, c := range convs {
		v := in.must("GET", fmt.Sprintf("%s/api/v1/accounts/%d/conversations/%d", p2.url, in.account, c.id), in.admin, "")
		if v["status"] != "pending" {
			t.Errorf("conversation %d is %v: a healthy bot's customer was handed to people", c.id, v["status"])
		}
	}
	ids, _ := bot.duplicates()
	t.Logf("%d messages acknowledged, all received; %d deliveries answered twice (in flight at the kill)", total, len(ids))
}

// TestSecondServeOnSQLite: a second baton serve on a SQLite file that a
// live process serves is refused (it would take that process's leases as
// a dead one's); once the first is killed, a new one starts at once.
func TestSecondServeOnSQLite(t *testing.T) {
	t.Parallel()
	in := newInstallation(t, "")
	in.seed("http://127.0.0.1:9/hook")
	p := in.serve()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	second := exec.CommandContext(ctx, binary, "serve", "--addr", "127.0.0.1:0")
	second.Env = in.environ(t.TempDir())
	out, err := second.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "another baton serve is running") {
		t.Fatalf("a second serve on the same SQLite file: %v\n%s", err, out)
	}
	// Nor by another name of the same file: a symbolic or a hard link.
	file := strings.TrimPrefix(in.database, "sqlite:")
	links := t.TempDir()
	symlink, hardlink := filepath.Join(links, "symlink.db"), filepath.Join(links, "hardlink.db")
	if err := os.Symlink(file, symlink); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(file, hardlink); err != nil {
		t.Fatal(err)
	}
	for _, link := range []string{symlink, hardlink} {
		second := exec.CommandContext(ctx, binary, "serve", "--addr", "127.0.0.1:0")
		second.Env = append(in.environ(t.TempDir()), "DATABASE_URL=sqlite:"+link)
		out, err := second.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "another baton serve is running") {
			t.Fatalf("a second serve on the same SQLite file as %s: %v\n%s", link, err, out)
		}
	}
	p.kill()
	in.serve()
}

// TestServeWithAnotherKey: a process whose secret key is not the one the
// database's secrets are sealed with is refused at start, on both
// databases: it would sign nothing, and give up every delivery it claimed.
// The first process to open the database sets the key, before any token
// exists.
func TestServeWithAnotherKey(t *testing.T) {
	t.Parallel()
	eachInstallation(t, testServeWithAnotherKey)
}

func testServeWithAnotherKey(t *testing.T, in *installation) {
	refused := func(when string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		other := exec.CommandContext(ctx, binary, "serve", "--addr", "127.0.0.1:0")
		other.Env = append(in.environ(t.TempDir()), "BATON_SECRET_KEY=fedcba9876543210fedcba9876543210")
		out, err := other.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "is not the one this database's secrets are sealed with") {
			t.Fatalf("a serve with another key %s: %v\n%s", when, err, out)
		}
	}
	in.command("migrate") // the first process, with the installation's key
	refused("on a database without tokens")
	in.seed("http://127.0.0.1:9/hook")
	refused("on a database with tokens")
	in.serve() // the right key still starts
}

// TestCrashedProcessPeopleOffline: a person connected to a process that is
// killed stops counting as online within seconds: on SQLite the process
// that takes the database over forgets every other one as it starts; on
// PostgreSQL the dead process's owner lock is free, which every process
// looks for every 2 s. Neither waits for its beats to grow old (90 s),
// while handoffs would go to someone who is not there.
func TestCrashedProcessPeopleOffline(t *testing.T) {
	t.Parallel()
	eachInstallation(t, func(t *testing.T, in *installation) {
		in.seed("http://127.0.0.1:9/bot")
		p := in.serve()
		profile := in.must("GET", p.url+"/api/v1/profile", in.admin, "")
		pubsub, _ := profile["pubsub_token"].(string)
		userID, _ := profile["id"].(float64)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		ws, _, err := websocket.Dial(ctx, strings.Replace(p.url, "http://", "ws://", 1)+"/cable",
			&websocket.DialOptions{Subprotocols: []string{"actioncable-v1-json"}})
		if err != nil {
			t.Fatal(err)
		}
		defer ws.CloseNow()
		identifier := fmt.Sprintf(`{"channel":"RoomChannel","pubsub_token":%q,"account_id":%d,"user_id":%d}`,
			pubsub, in.account, int64(userID))
		command, _ := json.Marshal(map[string]string{"command": "subscribe", "identifier": identifier})
		if err := ws.Write(ctx, websocket.MessageText, command); err != nil {
			t.Fatal(err)
		}
		for confirmed := false; !confirmed; {
			_, b, err := ws.Read(ctx)
			if err != nil {
				t.Fatalf("waiting for the subscription: %v", err)
			}
			confirmed = strings.Contains(string(b), `"confirm_subscription"`)
		}
		status := func(p *process) string {
			req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/accounts/%d/agents", p.url, in.account), nil)
			req.Header.Set("api_access_token", in.admin)
			res, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var agents []map[string]any
			if err := json.NewDecoder(res.Body).Decode(&agents); err != nil {
				t.Fatalf("the agents list: status %d: %v", res.StatusCode, err)
			}
			for _, a := range agents {
				if a["id"] == userID {
					return fmt.Sprint(a["availability_status"])
				}
			}
			t.Fatalf("the agents list has no user %v: %v", userID, agents)
			return ""
		}
		if got := status(p); got != "online" {
			t.Fatalf("a connected administrator is %q, want online", got)
		}
		p.kill()
		p2 := in.serve()
		start := time.Now()
		for status(p2) != "offline" && time.Since(start) < 10*time.Second {
			time.Sleep(20 * time.Millisecond)
		}
		if got := status(p2); got != "offline" {
			t.Fatalf("the person of a killed process is %q %s after another served, want offline", got, time.Since(start).Round(time.Millisecond))
		}
		t.Logf("offline %s after the new process served", time.Since(start).Round(time.Millisecond))
	})
}
