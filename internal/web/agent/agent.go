// Package agent is the agent app: the web pages at /app where people sign
// in, work the queues, take conversations over from bots, answer and hand
// them back, and where administrators set up inboxes, agents and bots.
//
// Pages are rendered on the server with html/template, so untrusted text
// (customers' messages, names, bots' notes) is always escaped; a little
// plain JavaScript under static/ adds live updates, Enter to send and
// notifications. Everything is embedded with go:embed: go build needs no
// Node step. The package talks to internal/app like any surface and never
// to the store.
package agent

import (
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config is what the agent app needs.
type Config struct {
	App    *app.App
	Logger *slog.Logger
	// PublicURL is how browsers reach this server. When it is https the
	// session cookie is Secure.
	PublicURL      func() string
	MaxUploadBytes int64
	Now            func() time.Time
}

// Handler serves /app.
type Handler struct {
	app            *app.App
	log            *slog.Logger
	publicURL      func() string
	maxUploadBytes int64
	now            func() time.Time
	mux            *http.ServeMux
	pages          map[string]*template.Template
	static         http.Handler
}

// New returns the agent app's handler.
func New(c Config) *Handler {
	h := &Handler{app: c.App, log: c.Logger, publicURL: c.PublicURL, maxUploadBytes: c.MaxUploadBytes,
		now: c.Now, mux: http.NewServeMux()}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.publicURL == nil {
		h.publicURL = func() string { return "" }
	}
	if h.maxUploadBytes == 0 {
		h.maxUploadBytes = 100 << 20
	}
	if h.now == nil {
		h.now = time.Now
	}
	h.pages = parsePages()
	sub, _ := fs.Sub(staticFS, "static")
	h.static = http.StripPrefix("/app/static/", http.FileServerFS(sub))
	h.routes()
	return h
}

// ServeHTTP serves a request under /app.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	// The pages run only their own scripts and styles, are never framed,
	// and never leak their URLs (which hold conversation ids) to others.
	hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob: https:; media-src 'self' data:; "+
		"connect-src 'self' ws: wss:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "same-origin")
	h.mux.ServeHTTP(w, r)
}

// pageFuncs are the templates' helpers. None of them returns template.HTML:
// nothing a user wrote is ever marked safe.
var pageFuncs = template.FuncMap{
	"ago":   ago,
	"clock": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	"iso":   func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"str": func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	},
	"join":   strings.Join,
	"role":   func(kind string) string { return roleLabels[kind] },
	"add":    func(a, b int) int { return a + b },
	"eq64":   func(a, b int64) bool { return a == b },
	"attr":   func(m map[string]any, k string) string { return text(m[k]) },
	"reason": reasonText,
}

// parsePages parses each page with the layout around it.
func parsePages() map[string]*template.Template {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" || strings.HasPrefix(base, "_") {
			continue
		}
		files := []string{"templates/layout.html", n}
		partials, _ := fs.Glob(templateFS, "templates/_*.html")
		files = append(files, partials...)
		pages[base] = template.Must(template.New(base).Funcs(pageFuncs).ParseFS(templateFS, files...))
	}
	return pages
}

// ago says how long ago t was, in the largest unit that fits.
func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return strconv.Itoa(max(int(d.Seconds()), 0)) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + "m"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d.Hours())) + "h"
	}
	return strconv.Itoa(int(d.Hours()/24)) + "d"
}

// render writes a page with the status.
func (h *Handler) render(w http.ResponseWriter, status int, page string, data any) {
	t, ok := h.pages[page]
	if !ok {
		panic("agent: no page " + page)
	}
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, "layout", data); err != nil {
		h.log.Error("rendering a page", "page", page, "err", err)
		http.Error(w, "Internal error", http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

// renderFragment writes a named template of a page alone, for the script's
// partial updates.
func (h *Handler) renderFragment(w http.ResponseWriter, page, name string, data any) {
	var b strings.Builder
	if err := h.pages[page].ExecuteTemplate(&b, name, data); err != nil {
		h.log.Error("rendering a fragment", "page", page, "name", name, "err", err)
		http.Error(w, "Internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(b.String()))
}

// statuses maps domain error codes to HTTP statuses.
var statuses = map[string]int{
	baton.EBADREQUEST:   http.StatusBadRequest,
	baton.ECONFLICT:     http.StatusConflict,
	baton.EINVALID:      http.StatusUnprocessableEntity,
	baton.ENOTFOUND:     http.StatusNotFound,
	baton.EUNAUTHORIZED: http.StatusForbidden,
	baton.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	baton.ERATELIMIT:    http.StatusTooManyRequests,
	baton.ESUSPENDED:    http.StatusForbidden,
	baton.EINTERNAL:     http.StatusInternalServerError,
}

// errorPage is the data of the error page.
type errorPage struct {
	base
	Status  int
	Message string
}

// fail writes err as a page (or as text to the script). Internal errors are
// logged and shown as a generic message. Being refused something of an
// account one is not a member of reads as not found.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := baton.ErrorCode(err)
	status, ok := statuses[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	msg := baton.ErrorMessage(err)
	if b, ok := baseFrom(r); ok && b.AccountID != 0 && code != baton.ENOTFOUND && !b.member() {
		// Another account's pages are not found, as another account's
		// things are, whatever the app's reason to refuse.
		status = http.StatusNotFound
	}
	if status == http.StatusInternalServerError {
		h.log.Error("internal error", "method", r.Method, "path", r.URL.Path, "request_id", w.Header().Get("X-Request-Id"), "err", err)
		msg = "Something went wrong on our side."
	}
	if status == http.StatusNotFound {
		msg = "There is nothing here, or it is not yours to see."
	}
	if fromScript(r) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(msg))
		return
	}
	b, _ := baseFrom(r)
	b.Title = http.StatusText(status)
	h.render(w, status, "error", errorPage{base: b, Status: status, Message: msg})
}

// fromScript reports whether the page's script made the request (it says
// so in a header), so that it gets a short answer instead of a page.
func fromScript(r *http.Request) bool { return r.Header.Get("X-Requested-With") == "baton" }

// pathID reads a numeric path segment; anything else is not found.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, baton.ErrNotFound
	}
	return id, nil
}

// formID reads an optional numeric form or query value; "" is 0.
func formID(r *http.Request, name string) (int64, error) {
	v := strings.TrimSpace(r.FormValue(name))
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id < 0 {
		return 0, baton.Invalid(name+" is not a number", name)
	}
	return id, nil
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.fail(w, r, baton.ErrNotFound)
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }
