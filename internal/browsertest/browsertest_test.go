package browsertest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
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
