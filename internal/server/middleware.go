package server

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// requestID gives every request an id, kept from X-Request-Id when the
// client sent a sane one, and returns it in the response.
func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 64 || strings.ContainsAny(id, " \t\r\n") {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r)
	})
}

// recoverPanics turns a panic into a logged 500, so one bad request never
// takes the server down.
func recoverPanics(next http.Handler, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.Error("panic serving request", "request_id", w.Header().Get("X-Request-Id"),
					"method", r.Method, "path", redact(r.URL.Path), "panic", v, "stack", string(debug.Stack()))
				w.Header().Set("Content-Type", "application/json; charset=utf-8")
				w.WriteHeader(http.StatusInternalServerError)
				_, _ = w.Write([]byte(`{"error":"Internal error"}` + "\n"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// cleanPath collapses repeated slashes and drops a trailing slash before
// routing. Chatwoot's clients send //api/v1/… (the Dialogflow demo bot does),
// and answering with a redirect would turn their POSTs into GETs.
func cleanPath(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if strings.Contains(p, "//") || (len(p) > 1 && strings.HasSuffix(p, "/")) || strings.Contains(p, "/.") {
			clean := path.Clean("/" + p)
			r2 := r.Clone(r.Context())
			r2.URL.Path, r2.URL.RawPath = clean, ""
			r = r2
		}
		next.ServeHTTP(w, r)
	})
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// accessLog logs each request at debug level, and failures at info or
// warn. Query strings are not logged: they may carry tokens of clients that
// misplace them.
func accessLog(next http.Handler, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		level := slog.LevelDebug
		switch {
		case sw.status >= 500:
			level = slog.LevelWarn
		case sw.status >= 400:
			level = slog.LevelInfo
		}
		log.Log(r.Context(), level, "request", "request_id", w.Header().Get("X-Request-Id"), "method", r.Method,
			"path", redact(r.URL.Path), "status", sw.status, "bytes", sw.bytes, "duration", time.Since(start))
	})
}

// limiter counts requests per client address in fixed windows.
type limiter struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	now    func() time.Time
	start  time.Time
	counts map[string]int
}

func newLimiter(limit int, window time.Duration, now func() time.Time) *limiter {
	return &limiter{limit: limit, window: window, now: now, start: now(), counts: map[string]int{}}
}

// allow counts a request from key and reports whether it is within the limit.
func (l *limiter) allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now := l.now(); now.Sub(l.start) >= l.window {
		l.start, l.counts = now, map[string]int{}
	}
	l.counts[key]++
	return l.counts[key] <= l.limit
}

// rateLimit refuses a client address's requests past the limit with 429, as
// Chatwoot's rack-attack does. Like rack-attack there, loopback is exempt:
// a bot or proxy on the same machine is the operator's own.
func rateLimit(next http.Handler, l *limiter, trusted []netip.Prefix) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip := clientAddr(r, trusted)
		if !ip.IsLoopback() && !l.allow(ip.String()) {
			w.Header().Set("Retry-After", "60")
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"error":"Too many requests"}` + "\n"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// clientAddr is the address a request came from: the connection's, or,
// when that is a trusted proxy, the last address in X-Forwarded-For that
// is not one (the nearest hop a proxy of ours did not add).
func clientAddr(r *http.Request, trusted []netip.Prefix) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	ip := ap.Addr().Unmap()
	isTrusted := func(a netip.Addr) bool {
		for _, p := range trusted {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	if !isTrusted(ip) {
		return ip
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return ip // a garbled header: count the proxy itself
		}
		if a = a.Unmap(); !isTrusted(a) {
			return a
		}
	}
	return ip
}

// redact takes out of a path what works as a credential: the contact
// identifier of the public client API, the key of an attachment link. The
// log keeps where a request went, not how to go there again.
func redact(p string) string {
	segs := strings.Split(p, "/")
	for i := 1; i < len(segs); i++ {
		switch {
		case segs[i-1] == "contacts" && i >= 4 && segs[1] == "public":
			segs[i] = "[contact]"
		case segs[1] == "attachments" && i >= 3:
			segs[i] = "[key]"
		}
	}
	return strings.Join(segs, "/")
}

// withClientAddr makes the request's RemoteAddr the client's address
// (see clientAddr): behind trusted proxies, the one they forwarded. The
// surfaces that count attempts per address, such as sign-in, read it there.
func withClientAddr(next http.Handler, trusted []netip.Prefix) http.Handler {
	if len(trusted) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ip := clientAddr(r, trusted); ip.IsValid() {
			r2 := *r
			r2.RemoteAddr = netip.AddrPortFrom(ip, 0).String()
			r = &r2
		}
		next.ServeHTTP(w, r)
	})
}

// refuseBadText answers 400 to a request whose path or query string holds
// a NUL character or bytes that are not UTF-8: no database stores such text (PostgreSQL refuses NUL in
// text), and no handler should have to think of it.
func refuseBadText(next http.Handler) http.Handler {
	bad := func(s string) bool { return strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) }
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		msg := ""
		if bad(r.URL.Path) {
			msg = "The path must be UTF-8 text without NUL characters"
		} else if r.URL.RawQuery != "" {
			// What does not parse (a bad escape, a semicolon) handlers
			// never see: r.URL.Query drops it too.
			q, _ := url.ParseQuery(r.URL.RawQuery)
			for k, vs := range q {
				if bad(k) || slices.ContainsFunc(vs, bad) {
					msg = "The query string must be UTF-8 text without NUL characters"
					break
				}
			}
		}
		if msg != "" {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
			return
		}
		next.ServeHTTP(w, r)
	})
}
