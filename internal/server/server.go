// Package server runs Baton's HTTP server: its lifecycle, the middleware
// every request passes (request id, recovery, path cleaning, rate limits,
// access log), and the mounting of the surfaces beside /healthz.
package server

import (
	"context"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"
)

// Config is what a Server needs.
type Config struct {
	Handler   http.Handler // the API surfaces
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
}

// Server is Baton's HTTP server.
type Server struct {
	http *http.Server
	ln   net.Listener
	log  *slog.Logger
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
	mux.Handle("/", c.Handler)
	var h http.Handler = mux
	if c.RateLimit > 0 {
		h = rateLimit(h, newLimiter(c.RateLimit, time.Minute, c.Now), c.TrustedProxies)
	}
	h = withClientAddr(h, c.TrustedProxies)
	h = cleanPath(h)
	h = accessLog(h, c.Logger)
	h = recoverPanics(h, c.Logger)
	h = requestID(h)
	return &Server{log: c.Logger, http: &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // uploads of large attachments on slow links
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(c.Logger.Handler(), slog.LevelWarn),
	}}
}

// Start listens on addr and serves in the background.
func (s *Server) Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.ln = ln
	go func() {
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("http server stopped", "err", err)
		}
	}()
	return nil
}

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
