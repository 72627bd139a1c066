// Package server runs Baton's HTTP server: its lifecycle, the middleware
// every request passes (request id, recovery, path cleaning, rate limits,
// access log), and the mounting of the surfaces beside /healthz.
package server

import (
	"bufio"
	"context"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultRateLimit is how many requests a minute one client address may
// make: far above any person or widget, low enough to slow a flood.
const DefaultRateLimit = 3000

// DefaultMaxConnections bounds the client connections served at once.
const DefaultMaxConnections = 1024

// DefaultMaxLiveConnections bounds the live (/cable) connections held at
// once. They are counted apart from MaxConnections: a live client holds its
// connection for hours, and ten thousand of them must not starve requests.
const DefaultMaxLiveConnections = 20000

// Config is what a Server needs.
type Config struct {
	Handler   http.Handler // the API surfaces
	Cable     http.Handler // the live channel, /cable; nil for none
	Logger    *slog.Logger
	Health    func(ctx context.Context) error // nil is always healthy
	RateLimit int                             // requests a minute from one address; 0 is none
	// TrustedProxies are the proxies whose X-Forwarded-For names the
	// client the rate limit counts.
	TrustedProxies []netip.Prefix
	Now            func() time.Time
	// Metrics, when set, serves GET /metrics. With MetricsToken set it asks
	// for "Authorization: Bearer <MetricsToken>": the numbers name bots by
	// id and show traffic, which a public server need not tell everyone.
	Metrics      http.Handler
	MetricsToken string
	// MaxConnections bounds the client connections served at once; more
	// wait to be accepted, and the idlest keep-alive connection is closed
	// to make room. One client address holds at most an eighth of them
	// (at least 8), but for TrustedProxies and loopback. 0 is no bound.
	MaxConnections int
	// MaxLiveConnections bounds the /cable connections held at once; one
	// more is answered 503. One client address (as the rate limit tells
	// them apart, through TrustedProxies) holds at most an eighth of them
	// (at least 8), but for loopback and TrustedProxies themselves; one
	// more is answered 429. An upgraded connection leaves the
	// MaxConnections count. 0 is DefaultMaxLiveConnections.
	MaxLiveConnections int
	// BodyTimeout is how long a request other than a multipart upload may
	// take to send its body; 0 is 10 s.
	BodyTimeout time.Duration
}

// Server is Baton's HTTP server.
type Server struct {
	http     *http.Server
	ln       net.Listener
	log      *slog.Logger
	maxConns int
	trusted  []netip.Prefix
}

// New returns a server for the configuration; Start listens.
func New(c Config) *Server {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if c.Health != nil {
			if err := c.Health(r.Context()); err != nil {
				c.Logger.Error("health check failed", "err", err)
				http.Error(w, `{"status":"unavailable"}`, http.StatusServiceUnavailable)
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
	})
	if c.Metrics != nil {
		mux.Handle("GET /metrics", requireBearer(c.Metrics, c.MetricsToken))
	}
	if c.Cable != nil {
		if c.MaxLiveConnections <= 0 {
			c.MaxLiveConnections = DefaultMaxLiveConnections
		}
		exempt := append(slices.Clone(c.TrustedProxies), loopback...)
		mux.Handle("/cable", live(c.Cable, c.MaxLiveConnections, max(c.MaxLiveConnections/8, 8), exempt))
	}
	mux.Handle("/", c.Handler)
	var h http.Handler = mux
	if c.RateLimit > 0 {
		h = rateLimit(h, newLimiter(c.RateLimit, time.Minute, c.Now), c.TrustedProxies)
	}
	h = withClientAddr(h, c.TrustedProxies)
	h = cleanPath(h)
	h = refuseBadText(h)
	if c.BodyTimeout <= 0 {
		c.BodyTimeout = bodyTimeout
	}
	h = bodyDeadline(h, c.BodyTimeout)
	h = accessLog(h, c.Logger)
	h = recoverPanics(h, c.Logger)
	h = requestID(h)
	return &Server{log: c.Logger, maxConns: c.MaxConnections, trusted: c.TrustedProxies, http: &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       uploadTimeout, // bodyDeadline shortens it for all but uploads
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(c.Logger.Handler(), slog.LevelWarn),
		ConnContext: func(ctx context.Context, nc net.Conn) context.Context {
			return context.WithValue(ctx, connKey{}, nc)
		},
	}}
}

// Start listens on addr and serves in the background.
func (s *Server) Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if s.maxConns > 0 {
		exempt := append(slices.Clone(s.trusted), loopback...)
		l := limitListener(ln, s.maxConns, max(s.maxConns/8, 8), exempt)
		s.http.ConnState = l.state
		ln = l
	}
	s.ln = ln
	go func() {
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("http server stopped", "err", err)
		}
	}()
	return nil
}

// loopback are the addresses no per-address bound counts: the machine's
// own clients (a local proxy, the demo, tests).
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// Addr returns the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Stop stops accepting connections and waits, until ctx ends, for requests
// in flight to finish.
func (s *Server) Stop(ctx context.Context) error { return s.http.Shutdown(ctx) }

// Handler returns the server's handler with its middleware, for tests that
// serve it themselves.
func (s *Server) Handler() http.Handler { return s.http.Handler }

// requireBearer lets through requests with the token as a bearer token, or
// every request when the token is empty.
func requireBearer(next http.Handler, token string) http.Handler {
	if token == "" {
		return next
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// uploadTimeout is how long a multipart body (an upload of large
// attachments on a slow link) may take to arrive; bodyTimeout is how long
// any other body may: JSON bodies are small, and a client that sends one
// slowly only holds a connection.
const (
	uploadTimeout = 5 * time.Minute
	bodyTimeout   = 10 * time.Second
)

// bodyDeadline gives requests other than multipart uploads the timeout to
// send their body.
func bodyDeadline(next http.Handler, timeout time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
			// Deadlines are the network's time, not the application's clock.
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(timeout))
		}
		next.ServeHTTP(w, r)
	})
}

// limitListener accepts at most n connections at once: Accept waits until
// one of them is closed. Two things keep a few clients from taking every
// place: when none is free, the connection idle the longest (a keep-alive
// connection between requests) is closed to make room, as a server under
// load closes idle ones; and one client address (an IPv6 /64) holds at
// most perAddr of them, a new one past that closed at once, unless it is a
// proxy of exempt (trusted proxies, whose clients the rate limit tells
// apart, and loopback).
func limitListener(ln net.Listener, n, perAddr int, exempt []netip.Prefix) *limitedListener {
	return &limitedListener{Listener: ln, slots: make(chan struct{}, n), closed: make(chan struct{}), perAddr: perAddr,
		exempt: exempt, byAddr: map[string]int{}, idle: map[*limitedConn]time.Time{}, wentIdle: make(chan struct{}, 1)}
}

type limitedListener struct {
	net.Listener
	slots  chan struct{}
	closed chan struct{}
	once   sync.Once

	perAddr  int
	exempt   []netip.Prefix
	mu       sync.Mutex
	byAddr   map[string]int             // connections held by each counted address
	idle     map[*limitedConn]time.Time // connections between requests, since when
	wentIdle chan struct{}              // a connection went idle: Accept may close it
}

func (l *limitedListener) Accept() (net.Conn, error) {
	for {
	wait:
		for {
			select {
			case l.slots <- struct{}{}:
				break wait
			default:
			}
			l.closeIdlest()
			select {
			case l.slots <- struct{}{}:
				break wait
			case <-l.wentIdle: // one to close now
			case <-l.closed:
				return nil, net.ErrClosed
			}
		}
		c, err := l.Listener.Accept()
		if err != nil {
			<-l.slots
			return nil, err
		}
		key := l.addrKey(c.RemoteAddr())
		l.mu.Lock()
		over := key != "" && l.byAddr[key] >= l.perAddr
		if !over && key != "" {
			l.byAddr[key]++
		}
		l.mu.Unlock()
		if over {
			_ = c.Close()
			<-l.slots
			continue
		}
		lc := &limitedConn{Conn: c}
		lc.release = sync.OnceFunc(func() {
			l.mu.Lock()
			delete(l.idle, lc)
			if key != "" {
				if l.byAddr[key]--; l.byAddr[key] <= 0 {
					delete(l.byAddr, key)
				}
			}
			l.mu.Unlock()
			<-l.slots
		})
		return lc, nil
	}
}

// addrKey is the address a connection counts under, "" for one not
// counted (exempt, or with no limit).
func (l *limitedListener) addrKey(a net.Addr) string {
	ta, ok := a.(*net.TCPAddr)
	if !ok || l.perAddr <= 0 {
		return ""
	}
	ip, ok := netip.AddrFromSlice(ta.IP)
	if !ok {
		return ""
	}
	return addrKey(ip, l.exempt)
}

// addrKey is the key an address counts under in a per-address bound: the
// address, or its /64 for IPv6 (one client's usual share); "" for an
// exempt one.
func addrKey(ip netip.Addr, exempt []netip.Prefix) string {
	ip = ip.Unmap()
	if !ip.IsValid() || slices.ContainsFunc(exempt, func(p netip.Prefix) bool { return p.Contains(ip) }) {
		return ""
	}
	if ip.Is6() {
		return netip.PrefixFrom(ip.WithZone(""), 64).Masked().String()
	}
	return ip.String()
}

// state follows a connection between requests (http.Server.ConnState).
func (l *limitedListener) state(c net.Conn, st http.ConnState) {
	lc, ok := c.(*limitedConn)
	if !ok {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if st == http.StateIdle {
		l.idle[lc] = time.Now()
		select {
		case l.wentIdle <- struct{}{}:
		default:
		}
	} else {
		delete(l.idle, lc)
	}
}

// closeIdlest closes the connection idle the longest, if any.
func (l *limitedListener) closeIdlest() {
	l.mu.Lock()
	var oldest *limitedConn
	var since time.Time
	for c, t := range l.idle {
		if oldest == nil || t.Before(since) {
			oldest, since = c, t
		}
	}
	delete(l.idle, oldest)
	l.mu.Unlock()
	if oldest != nil {
		_ = oldest.Close()
	}
}

func (l *limitedListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

type limitedConn struct {
	net.Conn
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.release()
	return err
}

// SyscallConn gives the socket's, as the connection it wraps does.
func (c *limitedConn) SyscallConn() (syscall.RawConn, error) { return rawConn(c.Conn) }

// rawConn is the socket of a connection that gives it (the live channel
// writes its pings straight to it), or errors.ErrUnsupported.
func rawConn(c net.Conn) (syscall.RawConn, error) {
	if sc, ok := c.(syscall.Conn); ok {
		return sc.SyscallConn()
	}
	return nil, errors.ErrUnsupported
}

// connKey keys the request context's client connection.
type connKey struct{}

// live serves the live channel under its own bound of n connections held at
// once: an upgrade beyond it is answered 503, and an upgrade within it,
// once the connection is hijacked, gives back its slot among the HTTP
// connections, since it is held until the client leaves. The live slot is
// given back when the hijacked connection closes, or when the handler
// returns without hijacking (a refused upgrade): the connection then stays
// an HTTP one, in its HTTP slot.
//
// One client address (the request's, which withClientAddr has taken from
// a trusted proxy's X-Forwarded-For) holds at most perAddr live
// connections, but for the exempt ranges; one more is answered 429. The
// connections' own bound does not do that: once upgraded, a connection
// leaves it, and one client could hold every live slot of the server.
func live(next http.Handler, n, perAddr int, exempt []netip.Prefix) http.Handler {
	slots := make(chan struct{}, n)
	var mu sync.Mutex
	byAddr := map[string]int{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			next.ServeHTTP(w, r)
			return
		}
		key := ""
		if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
			key = addrKey(ap.Addr(), exempt)
		}
		if key != "" {
			mu.Lock()
			over := byAddr[key] >= perAddr
			if !over {
				byAddr[key]++
			}
			mu.Unlock()
			if over {
				w.Header().Set("Retry-After", "60")
				http.Error(w, "too many live connections from this address", http.StatusTooManyRequests)
				return
			}
		}
		leave := func() {
			if key == "" {
				return
			}
			mu.Lock()
			if byAddr[key]--; byAddr[key] <= 0 {
				delete(byAddr, key)
			}
			mu.Unlock()
		}
		select {
		case slots <- struct{}{}:
		default:
			leave()
			w.Header().Set("Retry-After", "5")
			http.Error(w, "too many live connections", http.StatusServiceUnavailable)
			return
		}
		release := sync.OnceFunc(func() {
			leave()
			<-slots
		})
		lw := &liveWriter{ResponseWriter: w, release: release}
		if lc, ok := r.Context().Value(connKey{}).(*limitedConn); ok {
			lw.leaveHTTP = lc.release
		}
		next.ServeHTTP(lw, r)
		if !lw.hijacked {
			release()
		}
	})
}

// Buffers of a hijacked live connection. net/http's are 4 KiB each and
// would stay with the connection for its life; a live client at rest
// reads a ping every 3 s, and a large frame bypasses a small buffer.
const (
	liveReadBuffer  = 512
	liveWriteBuffer = 1024
)

// liveWriter hijacks a live connection: the connection gives back its live
// slot when closed, and gets small buffers.
type liveWriter struct {
	http.ResponseWriter
	release   func()
	leaveHTTP func() // gives back the connection's HTTP slot; nil without one
	hijacked  bool
}

func (w *liveWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *liveWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	w.hijacked = true
	if w.leaveHTTP != nil {
		w.leaveHTTP()
	}
	c := &liveConn{Conn: nc, release: w.release}
	if err := brw.Writer.Flush(); err != nil { // the response, if still buffered
		_ = c.Close()
		return nil, nil, err
	}
	r := brw.Reader
	if r.Buffered() == 0 {
		r = bufio.NewReaderSize(c, liveReadBuffer)
	}
	return c, bufio.NewReadWriter(r, bufio.NewWriterSize(c, liveWriteBuffer)), nil
}

type liveConn struct {
	net.Conn
	release func()
}

func (c *liveConn) Close() error {
	err := c.Conn.Close()
	c.release()
	return err
}

// SyscallConn gives the socket's, as the connection it wraps does.
func (c *liveConn) SyscallConn() (syscall.RawConn, error) { return rawConn(c.Conn) }
