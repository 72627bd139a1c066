package agent_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/batontest"
	"github.com/batonhq/baton/internal/browsertest"
)

// framingSite is a page that frames a widget page, and records each load
// of its frame and what the widget tells its parent.
const framingSite = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A site</title>
<script>
window.frameLoads = 0;
window.widgetSaid = [];
window.addEventListener("message", function (e) {
  if (typeof e.data === "string" && e.data.indexOf("chatwoot-widget:") === 0) window.widgetSaid.push(e.data);
});
</script></head>
<body><main><h1>A site</h1>
<iframe id="chat" title="Chat" src="%s" onload="window.frameLoads++"></iframe>
</main></body></html>`

// TestBrowserAllowedDomains: an administrator types an inbox's allowed
// domains into its settings page and saves them; from then on a page of an
// allowed site shows the widget in a frame, and a page of another site
// (another port is another origin) gets the browser's refusal in the
// frame, not the widget; before, both showed it.
func TestBrowserAllowedDomains(t *testing.T) {
	t.Parallel()
	w := setup(t)
	site := w.NewInbox(w.account, "Website", baton.ChannelWebWidget)
	widgetURL := w.URL + "/widget?website_token=" + site.WebsiteToken
	serve := func() *httptest.Server {
		s := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			rw.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(rw, framingSite, widgetURL)
		}))
		t.Cleanup(s.Close)
		return s
	}
	allowed, other := serve(), serve()
	// framed runs frames in a subtest, whose end closes its tab.
	framed := func(name, url string) (shows bool) {
		t.Helper()
		t.Run(name, func(t *testing.T) { shows = frames(t, w, name, url, widgetURL) })
		return shows
	}

	// No allowed domains: any site shows the widget.
	if !framed("any-site", other.URL) {
		t.Fatal("without allowed domains, a site's page does not show the widget")
	}

	// The administrator allows the one site, with the keyboard.
	b := w.signedInTab(t, w.adminMail)
	b.open(fmt.Sprintf("/app/accounts/%d/settings/inboxes/%d", w.account, site.ID))
	b.tabTo("#allowed-domains")
	if got := js[string](b, `document.querySelector('label[for="allowed-domains"]').textContent`); got != "Allowed domains" {
		t.Errorf("the field's label is %q", got)
	}
	if help := js[string](b, `document.getElementById(document.getElementById("allowed-domains").getAttribute("aria-describedby")).textContent`); !strings.Contains(help, "leave it empty to let any site show it") {
		t.Errorf("the field's help says %q", help)
	}
	want := allowed.URL + ", *.shop.test"
	js[bool](b, `window.unsaved = true`) // gone with this document
	b.keys(want)
	b.tabTo(`form[action$="/domains"] button[type=submit]`)
	b.keys(kb.Enter)
	b.waitFor("the saved domains", fmt.Sprintf(`!window.unsaved && document.readyState === "complete" && location.pathname.endsWith("/settings/inboxes/%d") &&
		document.getElementById("allowed-domains") && document.getElementById("allowed-domains").value === %q`, site.ID, want))
	js[bool](b, `document.getElementById("allowed-domains").scrollIntoView({block: "center"}) === undefined`)
	b.shot("allowed-domains-settings")
	browsertest.Axe(t, b.ctx)
	if i, err := w.App.Inbox(batontest.System(), w.account, site.ID); err != nil || i.AllowedDomainsText() != want {
		t.Fatalf("the inbox's allowed domains: %v, %v", i, err)
	}

	if !framed("allowed-site", allowed.URL) {
		t.Error("the allowed site's page does not show the widget")
	}
	if framed("other-site", other.URL) {
		t.Error("another site's page shows the widget")
	}
}

// frames opens url, a page of framingSite, in a tab of its own and reports
// whether its frame shows the widget page at widgetURL once the frame has
// loaded: the frame's document is the widget page, and the widget said it
// loaded; else the frame must hold the browser's error page for it.
func frames(t *testing.T, w *world, name, url, widgetURL string) (shows bool) {
	t.Helper()
	b := w.tab(t)
	if err := chromedp.Do(b.ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	b.waitFor("the frame's load", `window.frameLoads > 0`)
	loaded := `window.widgetSaid.some(m => m.includes('"event":"loaded"'))`
	var child *cdp.Frame
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		err := chromedp.Do(b.ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			tree, err := cdp.Call(ctx, tg, cdppage.GetFrameTree, cdp.Empty{})
			if err == nil && tree.FrameTree != nil && len(tree.FrameTree.ChildFrames) == 1 {
				child = tree.FrameTree.ChildFrames[0].Frame
			}
			return err
		}))
		if err != nil {
			t.Fatal(err)
		}
		if child != nil && (strings.HasPrefix(child.URL, "chrome-error:") || (child.URL == widgetURL && js[bool](b, loaded))) {
			break
		}
	}
	if child == nil {
		t.Fatalf("%s: the page has no frame", name)
	}
	b.shot("allowed-domains-" + name)
	shows = child.URL == widgetURL && child.UnreachableURL == ""
	if said := js[bool](b, loaded); shows != said {
		t.Errorf("%s: the frame holds %s (unreachable %q), and the widget said it loaded: %v", name, child.URL, child.UnreachableURL, said)
	}
	if !shows && (!strings.HasPrefix(child.URL, "chrome-error:") || child.UnreachableURL != widgetURL) {
		t.Errorf("%s: the frame holds %s (unreachable %q), neither the widget nor the browser's refusal of it", name, child.URL, child.UnreachableURL)
	}
	return shows
}

// TestBrowserInboxFactsOneLine: the labels of an inbox's facts keep to one
// line beside their values, as "Website token" did not in a column of 7em.
func TestBrowserInboxFactsOneLine(t *testing.T) {
	t.Parallel()
	w := setup(t)
	site := w.NewInbox(w.account, "Website", baton.ChannelWebWidget)
	b := w.signedInTab(t, w.adminMail)
	b.open(fmt.Sprintf("/app/accounts/%d/settings/inboxes/%d", w.account, site.ID))
	// A range over a label has one rectangle a line.
	wrapped := js[[]string](b, `Array.from(document.querySelectorAll("dl.contact dt")).filter(dt => {
		const r = document.createRange(); r.selectNodeContents(dt); return r.getClientRects().length !== 1;
	}).map(dt => dt.textContent)`)
	if n := js[int](b, `document.querySelectorAll("dl.contact dt").length`); n < 2 {
		t.Fatalf("the inbox page shows %d facts", n)
	}
	if len(wrapped) != 0 {
		t.Errorf("labels wrap onto a second line: %q", wrapped)
	}
	b.shot("inbox-facts")
}
