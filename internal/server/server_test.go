package server

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"testing"
	"time"
)

// start serves h with the configuration on a free port and returns its
// address.
func start(t *testing.T, c Config, h http.Handler) string {
	t.Helper()
	c.Handler, c.Logger = h, slog.New(slog.NewTextHandler(io.Discard, nil))
	s := New(c)
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.http.Close() })
	return s.Addr().String()
}

// TestBodyDeadline: a client that sends a JSON body slowly loses its
// connection at the body timeout, not after minutes.
func TestBodyDeadline(t *testing.T) {
	t.Parallel()
	addr := start(t, Config{BodyTimeout: 300 * time.Millisecond}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			w.WriteHeader(http.StatusRequestTimeout)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /x HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\":")
	began := time.Now()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err == nil {
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			t.Fatalf("a body that never arrived was read whole")
		}
	}
	if waited := time.Since(began); waited > 5*time.Second {
		t.Fatalf("the server waited %s for the body, want about the 300 ms body timeout", waited)
	}
}

// TestMaxConnections: past the bound, a connection waits to be served
// until another closes.
func TestMaxConnections(t *testing.T) {
	t.Parallel()
	addr := start(t, Config{MaxConnections: 2}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("ok"))
	}))
	var idle []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		idle = append(idle, c)
	}
	time.Sleep(100 * time.Millisecond) // both accepted
	get := func(timeout time.Duration) error {
		client := &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
		res, err := client.Get("http://" + addr + "/")
		if err != nil {
			return err
		}
		res.Body.Close()
		return nil
	}
	if err := get(300 * time.Millisecond); err == nil {
		t.Fatal("a third connection was served while two were open, with a bound of 2")
	}
	idle[0].Close()
	if err := get(5 * time.Second); err != nil {
		t.Fatalf("after a connection closed, a request failed: %v", err)
	}
}

// TestLiveConnections: live (/cable) connections are bounded apart from
// the HTTP connections, and do not hold their slots.
func TestLiveConnections(t *testing.T) {
	t.Parallel()
	hold := make(chan struct{})
	defer close(hold)
	addr := start(t, Config{MaxConnections: 1, MaxLiveConnections: 2, Cable: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		_ = brw.Flush()
		<-hold
	})}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("ok"))
	}))
	upgrade := func() int {
		c, status, err := ask(t, addr, upgradeRequest)
		if err != nil {
			t.Fatal(err)
		}
		if status != http.StatusSwitchingProtocols {
			c.Close()
		}
		return status
	}
	for i := range 2 {
		if got := upgrade(); got != http.StatusSwitchingProtocols {
			t.Fatalf("live connection %d: status %d with a live bound of 2 and an HTTP bound of 1", i, got)
		}
	}
	if got := upgrade(); got != http.StatusServiceUnavailable {
		t.Fatalf("a third live connection: status %d, want 503", got)
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	res, err := client.Get("http://" + addr + "/")
	if err != nil {
		t.Fatalf("with two live connections held, a request was not served: %v", err)
	}
	res.Body.Close()
}

// TestLiveConnectionsPerAddress: one client address holds at most an
// eighth of the live connections (at least 8), told apart through a
// trusted proxy's X-Forwarded-For; one more is answered 429 while other
// addresses and loopback are still served, and a connection that closes
// gives its address's place back. Upgraded connections leave the
// per-address bound of the HTTP connections, so without this one client
// address took every live slot of the server.
func TestLiveConnectionsPerAddress(t *testing.T) {
	t.Parallel()
	addr := start(t, Config{MaxLiveConnections: 16, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		Cable: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, brw, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			defer c.Close()
			_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
			_ = brw.Flush()
			_, _ = io.Copy(io.Discard, c) // until the client closes
		})}, http.NotFoundHandler())
	from := func(client string) (net.Conn, int) {
		request := upgradeRequest
		if client != "" {
			request += "\r\nX-Forwarded-For: " + client
		}
		c, status, err := ask(t, addr, request)
		if err != nil {
			t.Fatal(err)
		}
		return c, status
	}
	var held []net.Conn
	for i := range 8 {
		c, status := from("203.0.113.7")
		if status != http.StatusSwitchingProtocols {
			t.Fatalf("live connection %d of one address: status %d, want 101", i, status)
		}
		held = append(held, c)
	}
	if _, status := from("203.0.113.7"); status != http.StatusTooManyRequests {
		t.Fatalf("a ninth live connection of one address, with a bound of 16: status %d, want 429", status)
	}
	if _, status := from("203.0.113.8"); status != http.StatusSwitchingProtocols {
		t.Fatalf("another address: status %d, want 101", status)
	}
	if _, status := from(""); status != http.StatusSwitchingProtocols {
		t.Fatalf("loopback, not counted: status %d, want 101", status)
	}
	held[0].Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, status := from("203.0.113.7")
		if status == http.StatusSwitchingProtocols {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatalf("after one of its connections closed, the address still gets %d", status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRefusedUpgradeKeepsItsSlot: an upgrade the live channel refuses
// (answered without hijacking, as a request without a WebSocket key is)
// leaves its connection an HTTP one, counted among the HTTP connections:
// such connections cannot pile up past the bound, the idlest closed to
// make room for the next.
func TestRefusedUpgradeKeepsItsSlot(t *testing.T) {
	t.Parallel()
	addr := start(t, Config{MaxConnections: 2, MaxLiveConnections: 10, Cable: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bad handshake", http.StatusBadRequest)
	})}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("ok"))
	}))
	// Each connection asks for an upgrade, is refused, and stays open.
	var conns []net.Conn
	for i := range 4 {
		c, _, err := ask(t, addr, upgradeRequest)
		if err != nil {
			t.Fatalf("refused upgrade %d: %v", i, err)
		}
		conns = append(conns, c)
	}
	if open := openConns(conns); open > 2 {
		t.Fatalf("%d connections are held after refused upgrades, with a bound of 2", open)
	}
}

// ask opens a connection to addr, sends the request (its lines), and
// returns the connection, left open, and the answer's status, or the error
// of reading it.
func ask(t *testing.T, addr, request string) (net.Conn, int, error) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "%s\r\n\r\n", request)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return c, 0, err
	}
	res.Body.Close()
	return c, res.StatusCode, nil
}

// upgradeRequest asks for /cable as a WebSocket client does.
const upgradeRequest = "GET /cable HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade"

// openConns counts the connections the server has not closed.
func openConns(conns []net.Conn) int {
	open := 0
	for _, c := range conns {
		_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		if _, err := c.Read(make([]byte, 1)); errors.Is(err, os.ErrDeadlineExceeded) {
			open++
		}
	}
	return open
}

// TestIdleConnectionsMakeRoom: keep-alive connections between requests do
// not keep a new client waiting when every place is taken: the idlest is
// closed for it.
func TestIdleConnectionsMakeRoom(t *testing.T) {
	t.Parallel()
	addr := start(t, Config{MaxConnections: 3}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("ok"))
	}))
	var conns []net.Conn
	for i := range 6 {
		c, _, err := ask(t, addr, "GET / HTTP/1.1\r\nHost: x")
		if err != nil {
			t.Fatalf("client %d, with %d idle keep-alive connections held: %v", i, i, err)
		}
		conns = append(conns, c)
	}
	if open := openConns(conns); open > 3 {
		t.Fatalf("%d connections are held, with a bound of 3", open)
	}
}

// TestConnectionsPerAddress: one client address holds at most its share of
// the connections; a connection past it is closed at once, and the
// address's next one is taken when one of its own closes. Exempt ranges
// (trusted proxies, loopback as Start sets it) are not counted.
func TestConnectionsPerAddress(t *testing.T) {
	t.Parallel()
	for _, exempt := range []bool{false, true} {
		raw, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		var ex []netip.Prefix
		if exempt {
			ex = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
		}
		ln := limitListener(raw, 10, 2, ex)
		hold := make(chan struct{})
		srv := &http.Server{ConnState: ln.state, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-hold
			_, _ = w.Write([]byte("ok"))
		})}
		go func() { _ = srv.Serve(ln) }()
		var conns []net.Conn
		for range 3 {
			c, err := net.Dial("tcp", raw.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
			fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		}
		time.Sleep(200 * time.Millisecond) // the three are accepted, or refused
		open := openConns(conns)
		close(hold)
		_ = srv.Close()
		for _, c := range conns {
			c.Close()
		}
		if want := map[bool]int{false: 2, true: 3}[exempt]; open != want {
			t.Errorf("exempt %v: %d of one address's 3 connections are held, want %d", exempt, open, want)
		}
	}
}
