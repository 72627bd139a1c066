// Package browsertest runs Go tests in a real, headless Debian Chromium driven
// through the DevTools protocol (github.com/chromedp/chromedp).
//
// A test binary starts at most one browser, lazily, on the first call to Tab,
// and every test gets its own tab in its own browser context (its own cookies
// and storage), so parallel tests do not see each other. A package that uses
// it ends the browser with Main from its TestMain:
//
//	func TestMain(m *testing.M) { browsertest.Main(m) }
//
//	func TestBubble(t *testing.T) {
//		t.Parallel()
//		ctx := browsertest.Tab(t)
//		if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
//			t.Fatal(err)
//		}
//		browsertest.Screenshot(t, ctx, "bubble-closed")
//		browsertest.Axe(t, ctx)
//		browsertest.Audit(t, ctx, browsertest.LiveRegion(".messages"))
//	}
//
// Axe runs axe-core's rules; Audit measures what Chromium computed itself
// (contrast, names, tab order, focus outlines, live regions): a page is
// held to both.
//
// When Chromium is not installed the tests skip with a message saying how to
// install it, unless the environment variable BATON_BROWSER_TESTS is
// "required" (CI sets it), in which case they fail: browser tests never skip
// silently in CI.
package browsertest

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// RequiredEnv is the environment variable that, set to "required", turns a
// missing Chromium from a skip into a failure.
const RequiredEnv = "BATON_BROWSER_TESTS"

// Timeout bounds everything one test does in its tab.
const Timeout = 90 * time.Second

//go:embed testdata/axe/axe.min.js
var axeSource string

// browser is the one Chromium of this test binary.
var browser struct {
	once    sync.Once
	err     error
	dir     string
	ctx     context.Context // the browser's first tab; its cancel ends the process
	cancel  func()
	allocMu sync.Mutex
}

// execPath finds Chromium: /usr/bin/chromium (Debian's package) first, then
// the PATH.
func execPath() (string, error) {
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium", nil
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("chromium not found (install it with: apt-get install -y chromium)")
}

// start launches the browser once.
func start() {
	path, err := execPath()
	if err != nil {
		browser.err = err
		return
	}
	dir, err := os.MkdirTemp("", "baton-chromium-")
	if err != nil {
		browser.err = err
		return
	}
	browser.dir = dir
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(dir),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.WindowSize(1280, 800),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	// Do with no action starts the browser and opens its first tab. Its
	// context must be the tab's own: cancelling a context passed to the first
	// Do would close the browser.
	if err := chromedp.Do(ctx); err != nil {
		cancelCtx()
		cancelAlloc()
		os.RemoveAll(dir)
		browser.err = fmt.Errorf("start chromium: %w", err)
		return
	}
	browser.ctx = ctx
	browser.cancel = func() {
		cancelCtx()
		cancelAlloc()
		os.RemoveAll(dir)
	}
}

// Main runs the package's tests and then ends the browser, if one was started.
// Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if browser.cancel != nil {
		browser.cancel()
	}
	os.Exit(code)
}

// Available reports whether Chromium is installed on this machine.
func Available() bool {
	_, err := execPath()
	return err == nil
}

// Tab returns a context for a new tab, in a fresh browser context of the
// shared browser, that ends with the test (or after Timeout). It skips the test
// when Chromium is missing, or fails it when BATON_BROWSER_TESTS=required.
func Tab(t testing.TB) context.Context {
	t.Helper()
	if !Available() {
		if os.Getenv(RequiredEnv) == "required" {
			t.Fatalf("chromium is required (%s=required) but not installed: apt-get install -y chromium", RequiredEnv)
		}
		t.Skipf("chromium not installed: browser test skipped (apt-get install -y chromium; %s=required makes this a failure)", RequiredEnv)
	}
	browser.once.Do(start)
	if browser.err != nil {
		t.Fatalf("browser: %v", browser.err)
	}
	// Creating targets concurrently on one browser is fine for Chromium, but
	// chromedp's first Run on a new context is kept one at a time to stay
	// gentle on a 2-core machine.
	browser.allocMu.Lock()
	ctx, cancel := chromedp.NewContext(browser.ctx, chromedp.WithNewBrowserContext())
	err := chromedp.Do(ctx)
	browser.allocMu.Unlock()
	if err != nil {
		cancel()
		t.Fatalf("new tab: %v", err)
	}
	ctx, cancelTimeout := context.WithTimeout(ctx, Timeout)
	t.Cleanup(func() {
		cancelTimeout()
		cancel()
	})
	return ctx
}

// ScreenshotDir is where Screenshot writes, relative to the test's package
// directory; .gitignore keeps it out of the repository.
const ScreenshotDir = "testdata/screenshots"

// Screenshot writes a PNG of the tab's viewport to
// testdata/screenshots/<name>.png in the test's package directory and returns
// its path. Look at them: they are how a person sees what the test saw.
func Screenshot(t testing.TB, ctx context.Context, name string) string {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(ScreenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(ScreenshotDir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Violation is one failed axe-core rule.
type Violation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"` // CSS selectors of the offending elements
}

// String formats a violation for a test failure.
func (v Violation) String() string {
	return fmt.Sprintf("%s (%s): %s at %s", v.ID, v.Impact, v.Help, strings.Join(v.Nodes, ", "))
}

// Axe injects axe-core into the tab's current document (only for the test:
// it is never served to users), runs the WCAG 2.0/2.1 A and AA rules plus
// axe's best practices, and fails the test with every violation found. It
// returns the violations, so a caller may also inspect them. Content inside
// iframes is checked only where axe can reach it, so check a widget page by
// opening it in its own tab as well.
func Axe(t testing.TB, ctx context.Context) []Violation {
	t.Helper()
	var out []Violation
	script := axeSource + `
;(async () => {
  const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}, resultTypes: ['violations']});
  return JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact || '', help: v.help, nodes: v.nodes.map(n => n.target.join(' '))})));
})()`
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](script, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("axe: %v", err)
	}
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		t.Fatalf("axe result: %v", err)
	}
	for _, v := range out {
		t.Errorf("accessibility: %s", v)
	}
	return out
}
