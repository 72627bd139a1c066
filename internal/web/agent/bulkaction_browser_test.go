package agent_test

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/batontest"
	"github.com/batonhq/baton/internal/browsertest"
)

// tabBackTo presses Shift+Tab until the focused element matches the CSS
// selector; it fails after 80 presses.
func (b *tab) tabBackTo(selector string) {
	b.t.Helper()
	for range 80 {
		if js[bool](b, fmt.Sprintf(`document.activeElement && document.activeElement.matches(%q)`, selector)) {
			return
		}
		b.keys(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift))
	}
	b.t.Fatalf("Shift+Tab never reached %s", selector)
}

// TestBrowserBulkActions: in a queue's list, with the keyboard alone, a
// person ticks conversations (Space on each row's box, or Select all), the
// bar counts them aloud and its actions wake up; what is ticked survives
// the list refreshing itself when a conversation comes; the bar is reached
// with Shift+Tab, a person chosen and Assign pressed; the list comes back
// saying what was done, with the focus on that. Customers' names are text.
// Accessible (axe) light and dark, with the focus visible, and on a phone.
func TestBrowserBulkActions(t *testing.T) {
	t.Parallel()
	w := setup(t)
	c1 := w.customer("Casey Customer", "casey@example.com", "Where is my parcel?")
	c2 := w.customer(`Eve <img src=x onerror="window.__pwned=1">`, "eve@example.com", "Hi")
	c3 := w.customer("Dora Later", "dora@example.com", "Hello?")
	if _, err := w.App.CreateTeam(batontest.System(), w.account, app.TeamInput{Name: ptr("Returns")}); err != nil {
		t.Fatal(err)
	}
	b := w.signedInTab(t, w.adminMail)
	b.open(fmt.Sprintf("/app/accounts/%d/conversations?queue=bot", w.account))
	b.waitFor("three rows", `document.querySelectorAll("tr[data-conversation]").length === 3`)
	pick := func(id int64) string { return fmt.Sprintf("#pick-%d", id) }
	count := func() string { return js[string](b, `document.getElementById("bulk-count").textContent`) }
	if got := count(); got != "None selected" || !js[bool](b, `document.getElementById("bulk-actions").disabled`) {
		t.Errorf("with nothing ticked the bar says %q, actions disabled %v", got, js[bool](b, `document.getElementById("bulk-actions").disabled`))
	}
	if got := js[string](b, fmt.Sprintf(`document.querySelector(%q).labels[0].textContent`, pick(c2))); got != fmt.Sprintf(`Select #%d Eve <img src=x onerror="window.__pwned=1">`, c2) {
		t.Errorf("Eve's box is labelled %q", got)
	}
	if js[bool](b, `!!window.__pwned || !!document.querySelector("#rows img")`) {
		t.Error("a customer's name ran as markup")
	}
	// The bar's snooze counts in the person's zone, as the conversation's does.
	if zone := js[string](b, `document.querySelector("#bulk input[data-zone]").value`); zone == "" || zone != js[string](b, `Intl.DateTimeFormat().resolvedOptions().timeZone`) {
		t.Errorf("the bulk bar tells the server the zone %q", zone)
	}
	b.shot("agent-bulk-none")

	// Select all, and again to untick.
	b.tabTo("#select-all")
	if !b.focusVisible() {
		t.Error("Select all shows no focus")
	}
	b.keys(" ")
	b.waitFor("all ticked", `document.getElementById("bulk-count").textContent === "3 selected"`)
	if n := js[int](b, `document.querySelectorAll('input[name="ids"]:checked').length`); n != 3 {
		t.Errorf("Select all ticked %d boxes, want 3", n)
	}
	b.keys(" ")
	b.waitFor("none ticked", `document.getElementById("bulk-count").textContent === "None selected"`)

	// Two, by Space on their boxes.
	b.tabTo(pick(c1))
	if !b.focusVisible() {
		t.Error("a row's box shows no focus")
	}
	b.keys(" ")
	b.tabTo(pick(c3))
	b.keys(" ")
	b.waitFor("two ticked", `document.getElementById("bulk-count").textContent === "2 selected"`)
	if !js[bool](b, `document.getElementById("select-all").indeterminate && !document.getElementById("bulk-actions").disabled`) {
		t.Error("with two of three ticked, Select all is not mixed or the actions are off")
	}
	if got := js[string](b, `document.getElementById("bulk-count").getAttribute("role")`); got != "status" {
		t.Errorf("the count's role is %q, want status (announced)", got)
	}
	b.shot("agent-bulk-two")
	browsertest.Axe(t, b.ctx)

	// A new conversation comes to the queue: the rows are fetched again
	// and the two stay ticked, the focus on the box it was on.
	js[bool](b, `window.__same = true`)
	c4 := w.customer("Finn Newcomer", "finn@example.com", "Anyone?")
	b.waitFor("the new row", fmt.Sprintf(`!!document.querySelector('tr[data-conversation="%d"]')`, c4))
	if got := count(); got != "2 selected" {
		t.Errorf("after the list refreshed the bar says %q, want 2 selected", got)
	}
	if !js[bool](b, fmt.Sprintf(`document.querySelector(%q).checked && document.querySelector(%q).checked && !document.querySelector(%q).checked`,
		pick(c1), pick(c3), pick(c2))) || !js[bool](b, `window.__same === true`) {
		t.Error("the ticks did not survive the list's refresh (or the page reloaded)")
	}
	if got := js[string](b, `document.activeElement.id`); got != pick(c3)[1:] {
		t.Errorf("after the refresh the focus is on %q, want %s", got, pick(c3))
	}

	// Back to the bar: Ada for both.
	b.tabBackTo("#bulk-assignee")
	b.keys(kb.ArrowDown)
	b.keys(kb.ArrowDown)
	if got := js[string](b, `document.getElementById("bulk-assignee").selectedOptions[0].textContent`); got != "Ada Admin" {
		t.Fatalf("ArrowDown twice chose %q, want Ada Admin", got)
	}
	b.tabTo(`#bulk-actions button[value="assign"]`)
	if !b.focusVisible() {
		t.Error("the Assign button shows no focus")
	}
	b.shot("agent-bulk-assign")
	b.keys(kb.Enter)
	b.waitFor("the result", `document.getElementById("bulk-result") && document.activeElement === document.getElementById("bulk-result")`)
	if got := js[string](b, `document.getElementById("bulk-result").textContent`); got != "2 conversations assigned to Ada Admin." {
		t.Errorf("the result says %q", got)
	}
	for _, id := range []int64{c1, c3} {
		c, err := w.App.Conversation(batontest.System(), w.account, id)
		if err != nil || c.Assignee == nil || c.Assignee.Name != "Ada Admin" {
			t.Errorf("conversation %d: %v, %v: want Ada's", id, c, err)
		}
	}
	if c, _ := w.App.Conversation(batontest.System(), w.account, c2); c.AssigneeID != 0 || c.Status != baton.StatusPending {
		t.Errorf("the unticked conversation changed: assignee %d, %s", c.AssigneeID, c.Status)
	}
	if got := count(); got != "None selected" {
		t.Errorf("after the action the bar says %q", got)
	}
	b.shot("agent-bulk-result")
	browsertest.Axe(t, b.ctx)

	// Resolve by mouse, then the dark page.
	b.open(fmt.Sprintf("/app/accounts/%d/conversations?queue=bot", w.account))
	b.waitFor("the rows", fmt.Sprintf(`!!document.querySelector(%q)`, pick(c2)))
	if err := chromedp.Do(b.ctx, chromedp.Click(pick(c2)), chromedp.Click(pick(c4))); err != nil {
		t.Fatal(err)
	}
	b.waitFor("two ticked", `document.getElementById("bulk-count").textContent === "2 selected"`)
	if err := chromedp.Do(b.ctx, chromedp.Click(`#bulk-actions button[value="resolve"]`)); err != nil {
		t.Fatal(err)
	}
	b.waitFor("the result", `document.getElementById("bulk-result") && document.getElementById("bulk-result").textContent === "2 conversations resolved."`)
	for _, id := range []int64{c2, c4} {
		if c, _ := w.App.Conversation(batontest.System(), w.account, id); c.Status != baton.StatusResolved {
			t.Errorf("conversation %d is %s, want resolved", id, c.Status)
		}
	}
	b.dark()
	b.open(fmt.Sprintf("/app/accounts/%d/conversations?queue=bot", w.account))
	b.waitFor("the rows", `document.querySelectorAll("tr[data-conversation]").length > 0`)
	b.tabTo("#select-all")
	b.keys(" ")
	b.waitFor("ticked", `document.getElementById("bulk-count").textContent.endsWith(" selected") && !document.getElementById("bulk-actions").disabled`)
	b.tabBackTo("#bulk-assignee")
	if ratio := b.focusContrast(); ratio < 3 {
		t.Errorf("dark: the focus on the bar has contrast %.2f, want 3:1", ratio)
	}
	b.shot("agent-bulk-dark")
	browsertest.Axe(t, b.ctx)

	// A phone: the boxes and the bar fit 375 px.
	p := w.tab(t)
	p.phone()
	p.signIn(w.agentMail, password)
	p.waitFor("the queues", `location.pathname.endsWith("/conversations")`)
	p.open(fmt.Sprintf("/app/accounts/%d/conversations?queue=bot", w.account))
	p.waitFor("the rows", `document.querySelectorAll("tr[data-conversation]").length > 0`)
	if err := chromedp.Do(p.ctx, chromedp.Click(`input[name="ids"]`)); err != nil {
		t.Fatal(err)
	}
	p.waitFor("one ticked", `document.getElementById("bulk-count").textContent === "1 selected"`)
	p.fits("phone-bulk")
}
