package server

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
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
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		fmt.Fprintf(c, "GET /cable HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != http.StatusSwitchingProtocols {
			c.Close()
		}
		return res.StatusCode
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

// TestRefusedUpgradeKeepsItsSlot: an upgrade the live channel refuses
// (answered without hijacking, as a request without a WebSocket key is)
// leaves its connection an HTTP one, counted among the HTTP connections:
// such connections cannot pile up past the bound.
func TestRefusedUpgradeKeepsItsSlot(t *testing.T) {
	t.Parallel()
	addr := start(t, Config{MaxConnections: 2, MaxLiveConnections: 10, Cable: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bad handshake", http.StatusBadRequest)
	})}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("ok"))
	}))
	// Each connection asks for an upgrade, is refused, and stays open.
	answered := 0
	for range 4 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		fmt.Fprintf(c, "GET /cable HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		_ = c.SetReadDeadline(time.Now().Add(time.Second))
		if res, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil {
			res.Body.Close()
			answered++
		}
	}
	if answered != 2 {
		t.Fatalf("%d connections held after a refused upgrade were served, with a bound of 2", answered)
	}
}
