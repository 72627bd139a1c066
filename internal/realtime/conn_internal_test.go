package realtime

import (
	"context"
	"net"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// recordingListener's connections remember the largest write made to them.
type recordingListener struct {
	net.Listener
	mu      sync.Mutex
	largest int
}

func (l *recordingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &recordingConn{Conn: c, l: l}, nil
}

type recordingConn struct {
	net.Conn
	l *recordingListener
}

func (c *recordingConn) Write(p []byte) (int, error) {
	c.l.mu.Lock()
	c.l.largest = max(c.l.largest, len(p))
	c.l.mu.Unlock()
	return c.Conn.Write(p)
}

// TestCorkHoldsLittle: a connection's writer given many large frames at
// once writes them out as its cork fills past corkLimit, not in one write
// of them all: the cork is a copy made for each connection, and a batch of
// long messages held whole took megabytes a client.
func TestCorkHoldsLittle(t *testing.T) {
	t.Parallel()
	h := New(Config{})
	srv := httptest.NewUnstartedServer(h)
	rec := &recordingListener{Listener: srv.Listener}
	srv.Listener = rec
	srv.Start()
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, strings.Replace(srv.URL, "http://", "ws://", 1), &websocket.DialOptions{Subprotocols: []string{Protocol}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	ws.SetReadLimit(1 << 20)
	if _, _, err := ws.Read(ctx); err != nil { // welcome
		t.Fatal(err)
	}
	h.mu.Lock()
	var c *conn
	for x := range h.conns {
		c = x
	}
	h.mu.Unlock()
	frame := []byte(`"` + strings.Repeat("x", 100<<10) + `"`)
	const n = 40
	// Queued at once, as a burst of events queues them before the writer
	// runs.
	c.mu.Lock()
	c.writing = true
	for range n {
		c.queue = append(c.queue, outFrame{raw: frame})
	}
	c.mu.Unlock()
	go c.write()
	for i := range n {
		if _, _, err := ws.Read(ctx); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if limit := corkLimit + 2*len(frame); rec.largest > limit {
		t.Fatalf("%d frames of %d KiB were written %d KiB at once, want at most %d KiB", n, len(frame)>>10, rec.largest>>10, limit>>10)
	}
}
