package realtime_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/batonhq/baton/internal/realtime"
	"github.com/batonhq/baton/internal/store/storetest"
	"github.com/coder/websocket"
)

// pingEvery is the ping interval of pingWorld's hub; a client whose pings
// are further apart than maxPingGap fails the ping tests. Rails' client
// declares a connection stale after twice the interval without a ping; the
// gap allowed is wider, for a test machine busy with the rest of the suite
// (a 1.2 s stall was seen), to which the time the process was not run at
// all is added (stalls); the tests watch for several times longer, so
// pings that stop still fail them.
const (
	pingEvery  = 300 * time.Millisecond
	maxPingGap = 6 * pingEvery
)

// pingWorld is a world of one process whose hub pings every pingEvery.
func pingWorld(t *testing.T) *world {
	stalls() // watching from now
	t.Helper()
	return populate(t, newNode(t, storetest.OpenSQLite(t), "", func(c *realtime.Config) { c.PingInterval = pingEvery }))
}

// pinged is a live connection whose pings are timed and whose other
// frames are kept.
type pinged struct {
	pings  chan time.Time
	frames chan []byte
}

// pinged dials a connection, subscribes it with the identifier and reads
// it until the test ends.
func (w *world) pinged(identifier string) *pinged {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	url := strings.Replace(w.nodes[0].url, "http://", "ws://", 1) + "/cable"
	ws, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{realtime.Protocol}})
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { ws.CloseNow() })
	ws.SetReadLimit(1 << 20)
	b, _ := json.Marshal(map[string]string{"command": "subscribe", "identifier": identifier})
	if err := ws.Write(ctx, websocket.MessageText, b); err != nil {
		w.t.Fatal(err)
	}
	p := &pinged{pings: make(chan time.Time, 1000), frames: make(chan []byte, 1000)}
	confirmed := make(chan struct{})
	go func() {
		for {
			_, f, err := ws.Read(context.Background())
			if err != nil {
				return
			}
			switch {
			case bytes.HasPrefix(f, []byte(`{"type":"ping","message":`)):
				p.pings <- time.Now()
			case bytes.Contains(f, []byte(`"type":"confirm_subscription"`)):
				close(confirmed)
			default:
				p.frames <- f
			}
		}
	}()
	select {
	case <-confirmed:
	case <-ctx.Done():
		w.t.Fatal("no confirmation within 10 s")
	}
	return p
}

// stalls watches for the test process itself not running (a loaded
// machine has stopped it for 4.5 s in the middle of the suite): a
// goroutine that wakes every 10 ms records each wake-up that came late.
var stalls = sync.OnceValue(func() *stallWatch {
	w := &stallWatch{}
	go func() {
		last := time.Now()
		for range time.Tick(10 * time.Millisecond) {
			now := time.Now()
			if late := now.Sub(last) - 10*time.Millisecond; late > 50*time.Millisecond {
				w.mu.Lock()
				w.seen = append(w.seen, stall{at: now, late: late})
				w.mu.Unlock()
			}
			last = now
		}
	}()
	return w
})

type stallWatch struct {
	mu   sync.Mutex
	seen []stall
}

type stall struct {
	at   time.Time // when the watching goroutine ran again
	late time.Duration
}

// since returns the time the process was stopped from the time from on.
func (w *stallWatch) since(from time.Time) time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	var d time.Duration
	for _, s := range w.seen {
		if s.at.After(from) {
			d += s.late
		}
	}
	return d
}

// paced fails unless the connection was pinged at least every maxPingGap
// from the time from until now, the time the test process did not run
// (stalls) added: a process that is not run pings nobody, and that is not
// the hub's doing.
func (p *pinged) paced(t *testing.T, name string, from time.Time) {
	t.Helper()
	now := time.Now()
	maxPingGap := maxPingGap + stalls().since(from)
	last, n := from, 0
	for {
		select {
		case at := <-p.pings:
			if at.Before(from) {
				continue
			}
			if gap := at.Sub(last); gap > maxPingGap {
				t.Errorf("%s: no ping for %v", name, gap.Round(time.Millisecond))
			}
			last, n = at, n+1
			continue
		default:
		}
		break
	}
	if gap := now.Sub(last); gap > maxPingGap {
		t.Errorf("%s: no ping for the last %v (%d pings)", name, gap.Round(time.Millisecond), n)
	}
}

// TestPingsEveryInterval checks that every connection is pinged every
// interval, while message frames are written to it too, and that the
// pings and frames arrive whole and in order.
func TestPingsEveryInterval(t *testing.T) {
	t.Parallel()
	w := pingWorld(t)
	casey := w.customer("Casey")
	var clients []*pinged
	for range 20 {
		clients = append(clients, w.pinged(userIdentifier(w.admin, w.account)))
	}
	from := time.Now()
	const messages = 30
	for i := range messages {
		w.say(casey, fmt.Sprint("m", i))
		time.Sleep(2 * pingEvery / 10)
	}
	time.Sleep(2 * maxPingGap)
	for i, c := range clients {
		next := 0
		for next < messages {
			var f []byte
			select {
			case f = <-c.frames:
			case <-time.After(10 * time.Second):
				t.Fatalf("client %d: message m%d did not arrive", i, next)
			}
			var frame struct {
				Message struct {
					Event string `json:"event"`
					Data  struct {
						Content string `json:"content"`
					} `json:"data"`
				} `json:"message"`
			}
			if err := json.Unmarshal(f, &frame); err != nil {
				t.Fatalf("client %d: %v: %s", i, err, f)
			}
			if frame.Message.Event != "message.created" {
				continue
			}
			if want := fmt.Sprint("m", next); frame.Message.Data.Content != want {
				t.Fatalf("client %d: %q, want %q", i, frame.Message.Data.Content, want)
			}
			next++
		}
		c.paced(t, fmt.Sprint("client ", i), from)
	}
}

// TestPingsWaitForNoClient checks that a client whose socket is full,
// the server blocked writing it the answers to its own pings, holds up no
// other client's pings.
func TestPingsWaitForNoClient(t *testing.T) {
	t.Parallel()
	w := pingWorld(t)
	var clients []*pinged
	for range 5 {
		clients = append(clients, w.pinged(userIdentifier(w.admin, w.account)))
	}
	flood := floodPings(t, w)
	from := time.Now()
	time.Sleep(3 * maxPingGap)
	for i, c := range clients {
		c.paced(t, fmt.Sprint("client ", i), from)
	}
	select {
	case <-flood:
	default:
		t.Fatal("the flooding client was never blocked: the test proves nothing")
	}
}

// floodPings opens a WebSocket that sends WebSocket pings and reads
// nothing, not even the answers: the server's writing to it soon waits
// for a client that does not read. The channel closes when the client
// can write no more (the server, blocked, reads no more).
func floodPings(t *testing.T, w *world) <-chan struct{} {
	t.Helper()
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) {
			_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		})
	}}
	nc, err := d.Dial("tcp", strings.TrimPrefix(w.nodes[0].url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	req, _ := http.NewRequest(http.MethodGet, w.nodes[0].url+"/cable", nil)
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	req.Header.Set("Sec-WebSocket-Version", "13")
	req.Header.Set("Sec-WebSocket-Protocol", realtime.Protocol)
	if err := req.Write(nc); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReaderSize(nc, 512), req)
	if err != nil || res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", res, err)
	}
	// A ping frame, final, masked (from a client) with a zero key, of the
	// largest payload a control frame may have.
	ping := append([]byte{0x89, 0x80 | 125, 0, 0, 0, 0}, bytes.Repeat([]byte("p"), 125)...)
	blocked := make(chan struct{})
	go func() {
		defer close(blocked)
		for {
			_ = nc.SetWriteDeadline(time.Now().Add(pingEvery))
			if _, err := nc.Write(ping); err != nil {
				return
			}
		}
	}()
	return blocked
}
