package widget_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/batonhq/baton/internal/web/widget"
)

// Budgets of docs/performance.md: what a host page and a visitor download.
const (
	sdkBudget  = 6 << 10  // sdk.js, gzipped
	pageBudget = 60 << 10 // everything the widget page loads, gzipped
)

func TestBudgets(t *testing.T) {
	t.Parallel()
	w := widget.New()
	if n := len(w.SDK().Gzip); n > sdkBudget {
		t.Errorf("sdk.js is %d bytes gzipped, over the %d budget", n, sdkBudget)
	}
	// The page, its script and style sheet, and the largest catalogue
	// inlined in it.
	rec := httptest.NewRecorder()
	w.ServePage(rec, httptest.NewRequest("GET", "/widget?website_token=x", nil), widget.Page{Title: "Shop", Locale: "ar"})
	total := gzipLen(t, rec.Body.Bytes())
	for _, a := range w.PageAssets() {
		total += len(a.Gzip)
	}
	if total > pageBudget {
		t.Errorf("the widget page loads %d bytes gzipped, over the %d budget", total, pageBudget)
	}
	t.Logf("sdk.js %d B gzipped; widget page %d B gzipped in all", len(w.SDK().Gzip), total)
}

func gzipLen(t *testing.T, b []byte) int {
	t.Helper()
	a := widget.Compress(b)
	return len(a)
}

func TestServing(t *testing.T) {
	t.Parallel()
	w := widget.New()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/packs/js/sdk.js", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	w.ServeSDK(rec, req)
	h := rec.Header()
	if rec.Code != 200 || h.Get("Access-Control-Allow-Origin") != "*" || h.Get("Content-Encoding") != "gzip" ||
		!strings.HasPrefix(h.Get("Content-Type"), "text/javascript") || h.Get("ETag") == "" {
		t.Errorf("sdk.js: %d %v", rec.Code, h)
	}
	again := httptest.NewRequest("GET", "/packs/js/sdk.js", nil)
	again.Header.Set("If-None-Match", h.Get("ETag"))
	rec = httptest.NewRecorder()
	w.ServeSDK(rec, again)
	if rec.Code != http.StatusNotModified {
		t.Errorf("sdk.js with its ETag: %d", rec.Code)
	}

	// The page names fingerprinted assets, which are cached for a year.
	rec = httptest.NewRecorder()
	w.ServePage(rec, httptest.NewRequest("GET", "/widget", nil), widget.Page{Title: `Shop <script>alert(1)</script>`})
	page := rec.Body.String()
	if strings.Contains(page, "<script>alert(1)") {
		t.Errorf("the inbox name is not escaped in the page")
	}
	if rec.Header().Get("X-Frame-Options") != "" || !strings.Contains(rec.Header().Get("Content-Security-Policy"), "script-src 'self'") {
		t.Errorf("page headers %v", rec.Header())
	}
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "; frame-ancestors *;") {
		t.Errorf("a page without allowed domains may not be framed by any site: %s", csp)
	}
	// With allowed domains, only they may frame it: Chatwoot's directive,
	// and its X-Frame-Options for browsers that do not know it.
	framed := httptest.NewRecorder()
	w.ServePage(framed, httptest.NewRequest("GET", "/widget", nil), widget.Page{Title: "Shop",
		AllowedDomains: []string{"*.chatwoot.dev", "https://chatwoot.com:8443"}})
	if csp := framed.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "; frame-ancestors *.chatwoot.dev https://chatwoot.com:8443;") ||
		!strings.Contains(csp, "script-src 'self'") || framed.Header().Get("X-Frame-Options") != "SAMEORIGIN" {
		t.Errorf("page headers with allowed domains %v", framed.Header())
	}
	names := regexp.MustCompile(`/widget/assets/([a-z0-9.-]+)`).FindAllStringSubmatch(page, -1)
	if len(names) < 2 {
		t.Fatalf("the page names %d assets: %s", len(names), page)
	}
	for _, n := range names {
		if !regexp.MustCompile(`\.[0-9a-f]{12}\.(js|css|json)$`).MatchString(n[1]) {
			t.Errorf("asset %s has no fingerprint", n[1])
		}
		rec = httptest.NewRecorder()
		w.ServeAsset(rec, httptest.NewRequest("GET", n[0], nil), n[1])
		if rec.Code != 200 || rec.Header().Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Errorf("%s: %d %v", n[1], rec.Code, rec.Header())
		}
	}
	rec = httptest.NewRecorder()
	w.ServeAsset(rec, httptest.NewRequest("GET", "/widget/assets/nope.js", nil), "nope.js")
	if rec.Code != 404 {
		t.Errorf("an unknown asset: %d", rec.Code)
	}
}

func TestLang(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"": "en", "es_419": "es", "ar": "ar", "pt-BR": "en", "ES": "es"} {
		if got := widget.Lang(in); got != want {
			t.Errorf("Lang(%q) = %q, want %q", in, got, want)
		}
	}
}
