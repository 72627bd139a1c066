package browsertest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/batonhq/baton/internal/browsertest"
	"github.com/chromedp/chromedp"
)

func TestMain(m *testing.M) { browsertest.Main(m) }

// page serves one HTML document.
func page(t *testing.T, html string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, html)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestTabScreenshotAndAxeOnAGoodPage(t *testing.T) {
	t.Parallel()
	ctx := browsertest.Tab(t)
	url := page(t, `<!doctype html><html lang="en"><head><title>Good</title></head>
<body><main><h1>Hello</h1><button type="button">Send</button></main></body></html>`)
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	title, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
	if title != "Good" {
		t.Fatalf("title %q", title)
	}
	path := browsertest.Screenshot(t, ctx, "browsertest-good")
	if st, err := os.Stat(path); err != nil || st.Size() < 100 {
		t.Fatalf("screenshot %s: %v", path, err)
	}
	if v := browsertest.Axe(t, ctx); len(v) != 0 {
		t.Fatalf("violations on a good page: %v", v)
	}
}

// recorder keeps the errors a helper reports instead of failing the test.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func TestAxeFindsViolations(t *testing.T) {
	t.Parallel()
	ctx := browsertest.Tab(t)
	// A button with no name and an image with no alt text.
	url := page(t, `<!doctype html><html lang="en"><head><title>Bad</title></head>
<body><main><button type="button"></button><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></main></body></html>`)
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{TB: t}
	v := browsertest.Axe(rec, ctx)
	ids := map[string]bool{}
	for _, x := range v {
		ids[x.ID] = true
	}
	if !ids["button-name"] || !ids["image-alt"] {
		t.Fatalf("axe missed violations: %v", v)
	}
	if len(rec.errs) != len(v) {
		t.Fatalf("reported %d of %d violations", len(rec.errs), len(v))
	}
}

func TestAuditPassesAGoodPage(t *testing.T) {
	t.Parallel()
	ctx := browsertest.Tab(t)
	url := page(t, `<!doctype html><html lang="en"><head><title>Good</title>
<style>:focus-visible { outline: 3px solid #6d28d9; outline-offset: 2px } .sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0) }
body { background: #fff; color: #1a1d21 } .big { font-size: 24px; color: #767676 } .skip { position: absolute; left: -999px } .skip:focus { left: 0 }</style></head>
<body><a class="skip" href="#main">Skip</a><main id="main" tabindex="-1"><h1>Hello</h1><p class="big">Large grey text</p>
<p class="sr" style="color: #eee">Only for screen readers</p>
<label for="q">Search</label> <input id="q" placeholder="words" style="color: #222">
<button type="button" disabled style="color: #ccc">Not now</button> <button type="button">Send</button>
<ol id="messages" role="log"><li>First</li></ol></main></body></html>`)
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	if f := browsertest.Audit(t, ctx, browsertest.LiveRegion("#messages")); len(f) != 0 {
		t.Fatalf("findings on a good page: %v", f)
	}
}

func TestAuditFindsProblems(t *testing.T) {
	t.Parallel()
	ctx := browsertest.Tab(t)
	// Grey on white under 4.5:1; a translucent dark layer over a light
	// one; a field with no label; a positive tabindex; a button whose
	// focus shows no outline and a link whose outline is too faint; a
	// message list outside any live region.
	url := page(t, `<!doctype html><html lang="en"><head><title>Bad</title>
<style>:focus-visible { outline: 3px solid #1a1d21 } body { background: #fff; color: #1a1d21 }
#plain:focus { outline: none } #faint:focus-visible { outline-color: #eee }</style></head>
<body><main><p style="color: #999">Too light</p>
<div style="background: #f0f0f0"><div style="background: rgba(0, 0, 0, .5)"><span style="color: #333">Dark on dark</span></div></div>
<input id="nameless"> <span tabindex="2">Jumps</span>
<button type="button" id="plain">Plain</button> <a id="faint" href="#x">Faint</a>
<ol id="messages"><li>First</li></ol></main></body></html>`)
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{TB: t}
	found := browsertest.Audit(rec, ctx, browsertest.LiveRegion("#messages"), browsertest.LiveRegion("#nothing"))
	want := map[string]bool{
		"contrast: p": false, "contrast: span": false, "name: #nameless": false, "tabindex: span": false,
		"focus: #plain": false, "focus: #faint": false, "live: #messages": false, "live: #nothing": false,
	}
	for _, f := range found {
		for w := range want {
			check, where, _ := strings.Cut(w, ": ")
			if f.Check == check && (f.Where == where || strings.HasSuffix(f.Where, "> "+where) || strings.HasPrefix(f.Where, where)) {
				want[w] = true
			}
		}
	}
	for w, ok := range want {
		if !ok {
			t.Errorf("the audit missed %s: %v", w, found)
		}
	}
	if len(rec.errs) != len(found) {
		t.Fatalf("reported %d of %d findings", len(rec.errs), len(found))
	}
}
