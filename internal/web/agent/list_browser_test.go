package agent_test

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestBrowserListRefreshKeepsPlace: when the list refreshes itself because
// a conversation left it, a keyboard user whose focus was on that
// conversation's row is left on the row now in its place and told why,
// and with no rows left on the page, never on the document's body; on a
// phone, a table scrolled sideways stays scrolled across the refresh.
func TestBrowserListRefreshKeepsPlace(t *testing.T) {
	t.Parallel()
	w := setup(t)
	c1 := w.customer("Casey Customer", "casey@example.com", "Where is my parcel?")
	c2 := w.customer("Dora Later", "dora@example.com", "Hello?")
	c3 := w.customer("Finn Three", "finn@example.com", "Hi")
	resolve := func(id int64) {
		w.Call("POST", fmt.Sprintf("/api/v1/accounts/%d/conversations/%d/toggle_status", w.account, id), w.botToken,
			map[string]any{"status": "resolved"}, 200)
	}
	b := w.signedInTab(t, w.adminMail)
	b.open(fmt.Sprintf("/app/accounts/%d/conversations?queue=bot", w.account))
	b.waitFor("three rows", `document.querySelectorAll("tr[data-conversation]").length === 3`)
	// The rows are newest first: Finn, Dora, Casey.
	js[bool](b, fmt.Sprintf(`(document.querySelector('tr[data-conversation="%d"] a').focus(), true)`, c2))
	resolve(c2)
	b.waitFor("Dora's row to go", fmt.Sprintf(`document.querySelector('tr[data-conversation="%d"]') === null`, c2))
	if got := b.focusedRow(); got != fmt.Sprint(c1) {
		t.Errorf("after the focused row left, the focus is on row %q (%s), want the row in its place, %d",
			got, js[string](b, `document.activeElement.tagName`), c1)
	}
	if got := js[string](b, `document.getElementById("live").textContent`); got != fmt.Sprintf("Conversation #%d left this list", c2) {
		t.Errorf("the page said %q", got)
	}
	js[bool](b, fmt.Sprintf(`(document.getElementById("pick-%d").focus(), true)`, c1))
	resolve(c1)
	resolve(c3)
	b.waitFor("the rows to go", `document.querySelectorAll("tr[data-conversation]").length === 0`)
	if got := js[string](b, `document.activeElement.id`); got != "main" {
		t.Errorf("with no rows left the focus is on %q, want the page (main)", got)
	}

	// A phone: the table scrolled sideways stays where it was.
	for i := range 3 {
		w.customer(fmt.Sprintf("Person %d", i), fmt.Sprintf("p%d@example.com", i), "order 5521 please")
	}
	p := w.tab(t)
	p.phone()
	p.signIn(w.agentMail, password)
	p.waitFor("the queues", `location.pathname.endsWith("/conversations")`)
	p.open(fmt.Sprintf("/app/accounts/%d/conversations?queue=bot", w.account))
	p.waitFor("the rows", `document.querySelectorAll("tr[data-conversation]").length === 3`)
	p.waitFor("the page loaded", `document.readyState === "complete"`)
	js[bool](p, `(document.querySelector(".table-scroll").scrollLeft = 150, true)`)
	before := js[float64](p, `document.querySelector(".table-scroll").scrollLeft`)
	if before < 100 {
		t.Fatalf("the phone's table scrolls only %v px sideways; the test needs it to scroll", before)
	}
	w.customer("Zed Newer", "zed@example.com", "Me too")
	p.waitFor("the new row", `document.querySelectorAll("tr[data-conversation]").length === 4`)
	if after := js[float64](p, `document.querySelector(".table-scroll").scrollLeft`); after != before {
		t.Errorf("the table was scrolled %v px sideways before the refresh, %v after", before, after)
	}
}

// TestBrowserListFocusClearOfBulkBar: moving up a long list with the
// keyboard (Shift+Tab, Alt+J) scrolls each focused control into view
// below the bulk bar, which stays at the top of the window, never under it
// (WCAG 2.4.11, focus not obscured).
func TestBrowserListFocusClearOfBulkBar(t *testing.T) {
	t.Parallel()
	w := setup(t)
	for i := range 30 {
		w.customer(fmt.Sprintf("Person %02d", i), fmt.Sprintf("p%d@example.com", i), "hello")
	}
	b := w.signedInTab(t, w.adminMail)
	if err := chromedp.Do(b.ctx, chromedp.EmulateViewport(1280, 720)); err != nil {
		t.Fatal(err)
	}
	b.open(fmt.Sprintf("/app/accounts/%d/conversations?queue=bot", w.account))
	b.waitFor("the rows", `document.querySelectorAll("tr[data-conversation]").length === 30`)
	b.waitFor("the page loaded", `document.readyState === "complete"`)
	under := func(how string) {
		t.Helper()
		got := js[string](b, `(() => {
			const bar = document.getElementById("bulk").getBoundingClientRect(), r = document.activeElement.getBoundingClientRect();
			return r.top < bar.bottom ? document.activeElement.outerHTML.slice(0, 80) + " at " + Math.round(r.top) + " px, the bar's end at " + Math.round(bar.bottom) : "";
		})()`)
		if got != "" {
			t.Errorf("after %s the focus is under the bulk bar: %s", how, got)
		}
	}
	last := `(document.querySelectorAll("tr[data-conversation] a")[29].focus(), window.scrollTo(0, document.body.scrollHeight), true)`
	js[bool](b, last)
	for range 60 {
		b.keys(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift))
		if js[bool](b, `!document.getElementById("rows").contains(document.activeElement)`) {
			break
		}
		under("Shift+Tab")
	}
	js[bool](b, last)
	for range 29 {
		b.alt("j")
		under("Alt+J")
	}
}
