package realtime_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// RequireNodeVariable, when set, makes the tests with the real
// @rails/actioncable client fail instead of skip when node or the npm
// packages are missing: CI sets it after npm ci.
const RequireNodeVariable = "BATON_REQUIRE_NODE_TESTS"

// railsClient is the real @rails/actioncable client in a node process.
type railsClient struct {
	t     *testing.T
	lines chan railsLine
	stdin interface{ Close() error }
}

type railsLine struct {
	Sub      int             `json:"sub"`
	Callback string          `json:"callback"`
	Data     json.RawMessage `json:"data"`
}

// startRails runs testdata/actioncable/client.js with the client version
// ("6" or "8") and the subscriptions' identifier params.
func startRails(t *testing.T, version, url string, params ...string) *railsClient {
	t.Helper()
	dir := filepath.Join("testdata", "actioncable")
	node, err := exec.LookPath("node")
	missing := ""
	if err != nil {
		missing = "node is not installed"
	} else if _, err := os.Stat(filepath.Join(dir, "node_modules", "actioncable"+version)); err != nil {
		missing = "the npm packages are not installed (cd internal/realtime/testdata/actioncable && npm ci)"
	}
	if missing != "" {
		if os.Getenv(RequireNodeVariable) != "" {
			t.Fatalf("%s, and %s is set", missing, RequireNodeVariable)
		}
		t.Skipf("skipping the real @rails/actioncable client: %s", missing)
	}
	cmd := exec.Command(node, append([]string{"client.js", version, url}, params...)...)
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	stdin, stdout := pipes(t, cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &railsClient{t: t, lines: make(chan railsLine, 1000), stdin: stdin}
	go func() {
		defer close(c.lines)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var l railsLine
			if json.Unmarshal(sc.Bytes(), &l) == nil {
				c.lines <- l
			}
		}
	}()
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	return c
}

// next returns the next callback of the subscription (others are kept
// for later calls in pending).
func (c *railsClient) next(sub int, pending map[int][]railsLine) railsLine {
	c.t.Helper()
	if q := pending[sub]; len(q) > 0 {
		pending[sub] = q[1:]
		return q[0]
	}
	timeout := time.After(15 * time.Second)
	for {
		select {
		case l, ok := <-c.lines:
			if !ok {
				c.t.Fatal("the node client ended")
			}
			if l.Sub == sub {
				return l
			}
			pending[l.Sub] = append(pending[l.Sub], l)
		case <-timeout:
			c.t.Fatalf("subscription %d: no callback within 15 s", sub)
		}
	}
}

// event waits for the subscription to receive the named event, skipping
// presence, and returns its data.
func (c *railsClient) event(sub int, name string, pending map[int][]railsLine) map[string]any {
	c.t.Helper()
	for {
		l := c.next(sub, pending)
		if l.Callback != "received" {
			c.t.Fatalf("subscription %d: %s while waiting for %s", sub, l.Callback, name)
		}
		var m struct {
			Event string         `json:"event"`
			Data  map[string]any `json:"data"`
		}
		if err := json.Unmarshal(l.Data, &m); err != nil {
			c.t.Fatalf("received %s: %v", l.Data, err)
		}
		if m.Event == "presence.update" || m.Event == "conversation.updated" {
			continue
		}
		if m.Event != name {
			c.t.Fatalf("subscription %d: want %s, got %s %v", sub, name, m.Event, m.Data)
		}
		return m.Data
	}
}

// TestRailsClient subscribes the real @rails/actioncable client, 6.1 (what
// Chatwoot bundles) and 8.x, as a contact and as an agent, and checks each
// receives its events with the right shape; an unknown token is rejected.
func TestRailsClient(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"6", "8"} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			w := setup(t)
			casey := w.customer("Casey")
			url := strings.Replace(w.nodes[0].url, "http://", "ws://", 1) + "/cable"
			// Chatwoot's widget and dashboard identifiers, key order as theirs.
			contactID, agentID := 0, 1
			c := startRails(t, version, url,
				fmt.Sprintf(`{"channel":"RoomChannel","pubsub_token":%q}`, casey.pubsub),
				fmt.Sprintf(`{"channel":"RoomChannel","pubsub_token":%q,"account_id":%d,"user_id":%d}`, w.agent.pubsub, w.account, w.agent.id),
				`{"channel":"RoomChannel","pubsub_token":"nobody"}`)
			pending := map[int][]railsLine{}
			for sub, want := range []string{"connected", "connected", "rejected"} {
				if l := c.next(sub, pending); l.Callback != want {
					t.Fatalf("subscription %d: %s, want %s", sub, l.Callback, want)
				}
			}

			w.say(casey, "Where is my order?")
			for _, sub := range []int{contactID, agentID} {
				d := c.event(sub, "message.created", pending)
				if d["content"] != "Where is my order?" || d["message_type"] != float64(0) || d["conversation_id"] != float64(casey.conv) {
					t.Fatalf("subscription %d: %v", sub, d)
				}
				if _, ok := d["created_at"].(float64); !ok {
					t.Fatalf("created_at %v", d["created_at"])
				}
			}

			w.call(http.MethodPost, fmt.Sprintf("/api/v1/accounts/%d/conversations/%d/toggle_typing_status", w.account, casey.conv),
				w.admin.token, map[string]any{"typing_status": "on"}, nil)
			for _, sub := range []int{contactID, agentID} {
				d := c.event(sub, "conversation.typing_on", pending)
				conv, _ := d["conversation"].(map[string]any)
				if d["is_private"] != false || conv["id"] != float64(casey.conv) {
					t.Fatalf("subscription %d: %v", sub, d)
				}
			}

			w.reply(w.agent, casey, "a note", true)
			if d := c.event(agentID, "message.created", pending); d["private"] != true {
				t.Fatalf("%v", d)
			}
			w.reply(w.admin, casey, "It ships today.", false)
			// The typist's message ends their typing at once.
			c.event(contactID, "conversation.typing_off", pending)
			c.event(agentID, "conversation.typing_off", pending)
			// The contact's next message is the reply: never the note.
			for _, sub := range []int{contactID, agentID} {
				if d := c.event(sub, "message.created", pending); d["content"] != "It ships today." || d["message_type"] != float64(1) {
					t.Fatalf("subscription %d: %v", sub, d)
				}
			}

			w.call(http.MethodPost, fmt.Sprintf("/api/v1/accounts/%d/conversations/%d/toggle_status", w.account, casey.conv),
				w.admin.token, map[string]any{"status": "resolved"}, nil)
			// Agents hear of the activity message, written first; the contact
			// does not.
			if d := c.event(agentID, "message.created", pending); d["message_type"] != float64(2) {
				t.Fatalf("the activity message: %v", d)
			}
			for _, sub := range []int{contactID, agentID} {
				d := c.event(sub, "conversation.status_changed", pending)
				if d["status"] != "resolved" || d["id"] != float64(casey.conv) {
					t.Fatalf("subscription %d: %v", sub, d)
				}
			}
		})
	}
}

// pipes connects to the standard input and output of a process about to
// be started: the clients' processes of the tests and benchmarks.
func pipes(t testing.TB, cmd *exec.Cmd) (io.WriteCloser, io.ReadCloser) {
	t.Helper()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	return stdin, stdout
}
