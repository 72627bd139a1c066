package realtime_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/batonhq/baton/internal/realtime"
	"github.com/batonhq/baton/internal/store/storetest"
	"github.com/coder/websocket"
)

// TestSlowConsumerDropped: a client that reads nothing is dropped when its
// queue fills, while another client of the same conversation receives
// every message without waiting for it.
func TestSlowConsumerDropped(t *testing.T) {
	t.Parallel()
	w := populate(t, newNode(t, storetest.OpenSQLite(t), "", func(c *realtime.Config) { c.SendQueue = 4 }))
	casey := w.customer("Casey")
	fast := w.dial(0)
	fast.subscribe(contactIdentifier(casey.pubsub))

	// The slow client reads nothing and keeps a small receive buffer, so
	// the server's writes to it soon block.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dialer := &net.Dialer{}
	slow, _, err := websocket.Dial(ctx, strings.Replace(w.nodes[0].url, "http://", "ws://", 1)+"/cable", &websocket.DialOptions{
		Subprotocols: []string{"actioncable-v1-json"},
		HTTPClient: &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dialer.DialContext(ctx, network, addr)
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetReadBuffer(4096)
			}
			return c, err
		}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer slow.CloseNow()
	if err := slow.Write(ctx, websocket.MessageText, []byte(fmt.Sprintf(`{"command":"subscribe","identifier":%q}`, contactIdentifier(casey.pubsub)))); err != nil {
		t.Fatal(err)
	}
	for w.nodes[0].hub.Stats().Subscriptions != 2 {
		if ctx.Err() != nil {
			t.Fatalf("%d subscriptions, want the fast and the slow client's", w.nodes[0].hub.Stats().Subscriptions)
		}
		time.Sleep(10 * time.Millisecond)
	}
	text := strings.Repeat("x", 8000)
	for i := 0; w.nodes[0].hub.Stats().Dropped == 0; i++ {
		if i == 3000 {
			t.Fatal("3,000 messages of 8 KB later the client that reads nothing is still served")
		}
		began := time.Now()
		w.say(casey, text)
		fast.event("message.created")
		if took := time.Since(began); took > 5*time.Second {
			t.Fatalf("message %d took %s to reach the fast client", i, took)
		}
	}
	w.say(casey, "after")
	if e := fast.event("message.created"); e["content"] != "after" {
		t.Fatalf("after the drop the fast client got %v", e)
	}
	// The dropped client's connection ends on its own goroutine: under load
	// that can come after the fast client's next frame.
	deadline := time.Now().Add(10 * time.Second)
	for s := w.nodes[0].hub.Stats(); s.Dropped != 1 || s.Connections != 1; s = w.nodes[0].hub.Stats() {
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v, want one dropped and the fast client's connection left", s)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestShutdownDisconnect: on shutdown every client is told to come back:
// ActionCable's disconnect frame, reason server_restart, reconnect true.
func TestShutdownDisconnect(t *testing.T) {
	t.Parallel()
	w := setup(t)
	casey := w.customer("Casey")
	c := w.dial(0)
	c.subscribe(contactIdentifier(casey.pubsub))
	w.nodes[0].hub.Stop()
	f := c.next()
	for f["message"] != nil { // presence, sent before
		f = c.next()
	}
	if f["type"] != "disconnect" || f["reason"] != "server_restart" || f["reconnect"] != true {
		t.Fatalf("on shutdown the client got %v", f)
	}
}

// TestFrameSizeLimit: a client frame over the limit ends that connection
// and no other.
func TestFrameSizeLimit(t *testing.T) {
	t.Parallel()
	w := populate(t, newNode(t, storetest.OpenSQLite(t), "", func(c *realtime.Config) { c.MaxMessageBytes = 1024 }))
	casey := w.customer("Casey")
	other := w.dial(0)
	other.subscribe(contactIdentifier(casey.pubsub))
	big := w.dial(0)
	big.send(map[string]any{"command": "message", "identifier": contactIdentifier(casey.pubsub), "data": strings.Repeat("x", 2048)})
	select {
	case _, ok := <-big.frames:
		for ok {
			_, ok = <-big.frames
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a 2 KB frame over a 1 KB limit did not end the connection")
	}
	w.say(casey, "still here")
	if e := other.event("message.created"); e["content"] != "still here" {
		t.Fatalf("the other client got %v", e)
	}
}

// TestCommandsPaced: a client that sends frames faster than its allowance
// (CommandBurst at once, then CommandRate a second, by the hub's clock) has
// the rest read only as the allowance comes back, and is not dropped:
// every subscription is a lookup in the database, a user's subscribing
// and unsubscribing write presence, and a client looping on them made
// thousands of statements a second.
func TestCommandsPaced(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	w := populate(t, newNode(t, storetest.OpenSQLite(t), "", func(c *realtime.Config) {
		c.Now, c.CommandBurst, c.CommandRate = clock, 5, 1
	}))
	c := w.dial(0)
	for i := range 8 {
		c.send(map[string]any{"command": "subscribe", "identifier": contactIdentifier(fmt.Sprintf("no-such-token-%d", i))})
	}
	answers := func(n int) {
		t.Helper()
		for range n {
			if f := c.next(); f["type"] != "reject_subscription" {
				t.Fatalf("got %v, want a rejected subscription", f)
			}
			<-c.raw
		}
	}
	answers(5)
	select {
	case f := <-c.frames:
		t.Fatalf("a sixth command was answered at once, with an allowance of 5 and a standing clock: %v", f)
	case <-time.After(300 * time.Millisecond):
	}
	mu.Lock()
	now = now.Add(3 * time.Second)
	mu.Unlock()
	answers(3) // the allowance came back: the connection was kept
	casey := w.customer("Casey")
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	if got := c.subscribe(contactIdentifier(casey.pubsub)); got != "confirm_subscription" {
		t.Fatalf("after waiting, a subscription got %s", got)
	}
}
