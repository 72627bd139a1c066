package agent_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/batontest"
	"github.com/batonhq/baton/internal/browsertest"
)

// openConversation opens the conversation's page in the tab and waits for
// its script to have run (the reply box's canned responses button shows).
func (b *tab) openConversation(id int64) {
	b.t.Helper()
	b.open(fmt.Sprintf("/app/accounts/%d/conversations/%d", b.w.account, id))
	b.waitFor("the conversation", `document.getElementById("reply-content") !== null && document.readyState === "complete"`)
}

// click clicks the element with the mouse.
func (b *tab) click(selector string) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.Click(selector)); err != nil {
		b.t.Fatalf("click %s: %v", selector, err)
	}
}

// TestBrowserCannedResponsesButton: beside the reply box a labelled button
// opens the canned responses' picker, by keyboard and by mouse. In an
// empty box it is "/" typed; in a draft the chosen response goes where
// the caret was, the draft kept; closed with nothing chosen, the box is
// as it was.
func TestBrowserCannedResponsesButton(t *testing.T) {
	t.Parallel()
	w := setup(t)
	sys := batontest.System()
	for _, c := range [][2]string{{"refund", "Your refund is on its way."}, {"refund-late", "Sorry, your refund is late."},
		{"hello", "Hello! How can I help?"}} {
		if _, err := w.App.CreateCannedResponse(sys, w.account, app.CannedResponseInput{ShortCode: ptr(c[0]), Content: ptr(c[1])}); err != nil {
			t.Fatal(err)
		}
	}
	id := w.customer("Casey Customer", "casey@example.com", "Where is my money?")
	b := w.signedInTab(t, w.adminMail)
	b.openConversation(id)
	b.waitFor("the button", `!document.getElementById("canned-open").hidden`)
	if got := js[string](b, `document.getElementById("canned-open").textContent`); got != "Canned responses" {
		t.Errorf("the button says %q", got)
	}
	if got := js[string](b, `document.getElementById("canned-open").getAttribute("aria-expanded")`); got != "false" {
		t.Errorf("closed, aria-expanded is %q", got)
	}
	js[bool](b, `(document.querySelector(".reply-row").scrollIntoView({block: "end"}), true)`)
	b.shot("agent-canned-button")

	// By keyboard, in an empty box: the picker opens with every response
	// (three), the focus in the box; typing narrows; Enter inserts.
	b.tabTo("#canned-open")
	if !b.focusVisible() {
		t.Error("the focused button shows no focus outline")
	}
	b.keys(kb.Enter)
	b.waitFor("the picker", `!document.getElementById("canned-picker").hidden && document.querySelectorAll("#canned-picker [role=option]").length === 3`)
	if !js[bool](b, `document.activeElement.id === "reply-content" && document.getElementById("reply-content").value === "/"`) {
		t.Errorf("after the button the focus is on %q and the box holds %q", js[string](b, `document.activeElement.id`),
			js[string](b, `document.getElementById("reply-content").value`))
	}
	if got := js[string](b, `document.getElementById("canned-open").getAttribute("aria-expanded")`); got != "true" {
		t.Errorf("open, aria-expanded is %q", got)
	}
	b.shot("agent-canned-button-open")
	browsertest.Axe(t, b.ctx)
	b.keys("refund-")
	b.waitFor("one option", `document.querySelectorAll("#canned-picker [role=option]").length === 1`)
	b.keys(kb.Enter)
	b.waitFor("the inserted text", `document.getElementById("reply-content").value === "Sorry, your refund is late."`)

	// Escape with nothing typed after the button's "/" leaves the box as
	// it was.
	b.tabTo("#canned-open")
	b.keys(kb.Enter)
	b.waitFor("the picker", `!document.getElementById("canned-picker").hidden`)
	if v := js[string](b, `document.getElementById("reply-content").value`); v != "Sorry, your refund is late. /" {
		t.Errorf("the button after a draft made the box %q", v)
	}
	b.keys(kb.Escape)
	b.waitFor("the picker closed", `document.getElementById("canned-picker").hidden`)
	if v := js[string](b, `document.getElementById("reply-content").value`); v != "Sorry, your refund is late." {
		t.Errorf("closed with nothing chosen, the box holds %q", v)
	}

	// By mouse, the caret in the middle of a draft: the response goes
	// there, the words around it kept.
	js[bool](b, `(() => { const x = document.getElementById("reply-content"); x.value = "Hi Casey, Thanks!"; x.focus(); x.setSelectionRange(10, 10); return true; })()`)
	b.click("#canned-open")
	b.waitFor("the picker", `!document.getElementById("canned-picker").hidden && document.querySelectorAll("#canned-picker [role=option]").length === 3`)
	b.keys("hel")
	b.waitFor("hello alone", `document.querySelectorAll("#canned-picker [role=option]").length === 1`)
	b.shot("agent-canned-button-draft")
	b.click("#canned-option-0")
	b.waitFor("the inserted text", `document.getElementById("reply-content").value === "Hi Casey, Hello! How can I help? Thanks!"`)
	if !js[bool](b, `document.activeElement.id === "reply-content" && document.getElementById("reply-content").selectionStart === 32`) {
		t.Errorf("after the choice the focus is on %q, the caret at %v", js[string](b, `document.activeElement.id`),
			js[float64](b, `document.getElementById("reply-content").selectionStart`))
	}
	// The button again, while open, closes it.
	b.click("#canned-open")
	b.waitFor("the picker", `!document.getElementById("canned-picker").hidden`)
	b.click("#canned-open")
	b.waitFor("the picker closed", `document.getElementById("canned-picker").hidden && document.getElementById("canned-open").getAttribute("aria-expanded") === "false"`)
	if v := js[string](b, `document.getElementById("reply-content").value`); v != "Hi Casey, Hello! How can I help? Thanks!" {
		t.Errorf("opened and closed, the box holds %q", v)
	}
}

// TestBrowserReplyBoxGrows: the reply box starts three lines high, grows a
// line at a time as lines are written, its top where it was, up to its
// limit, past which it scrolls; sent, it is three lines again. The same
// where the browser sizes fields by their content (field-sizing) and, the
// script doing it, where it does not.
func TestBrowserReplyBoxGrows(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name    string
		without bool // the browser pretends to lack field-sizing
	}{{"field-sizing", false}, {"script", true}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w := setup(t)
			id := w.customer("Casey Customer", "casey@example.com", "Where is my parcel?")
			b := w.signedInTab(t, w.adminMail)
			if c.without {
				b.onEveryPage(`(() => {
					const supports = CSS.supports.bind(CSS);
					CSS.supports = (...a) => String(a[0]).includes("field-sizing") ? false : supports(...a);
					// Not a <style>: the page's CSP refuses inline ones.
					document.addEventListener("DOMContentLoaded", () => {
						const box = document.getElementById("reply-content");
						if (box) { box.style.setProperty("field-sizing", "fixed", "important"); }
					});
				})()`)
			}
			b.openConversation(id)
			if got := js[bool](b, `getComputedStyle(document.getElementById("reply-content")).fieldSizing === "content"`); got == c.without {
				t.Fatalf("field-sizing in use: %v", got)
			}
			height := func() float64 {
				return js[float64](b, `document.getElementById("reply-content").getBoundingClientRect().height`)
			}
			top := func() float64 {
				return js[float64](b, `document.getElementById("reply-content").getBoundingClientRect().top + window.scrollY`)
			}
			lineHeight := js[float64](b, `parseFloat(getComputedStyle(document.getElementById("reply-content")).lineHeight)`)
			b.tabTo("#reply-content")
			start, at := height(), top()
			b.keys("Hi Casey,")
			if h := height(); h != start {
				t.Errorf("one line made the box %.1f high from %.1f", h, start)
			}
			prev := start
			grew := 0
			for i := 2; i <= 30; i++ {
				b.keys(kb.Enter, chromedp.KeyModifiers(chromedp.ModifierShift))
				b.keys(fmt.Sprintf("line %d", i))
				h := height()
				if h < prev || h-prev > lineHeight+1 {
					t.Fatalf("line %d: the box went from %.1f to %.1f (a line is %.1f)", i, prev, h, lineHeight)
				}
				if h > prev {
					grew++
				}
				if tp := top(); tp != at {
					t.Fatalf("line %d: the box's top moved from %.1f to %.1f", i, at, tp)
				}
				if i == 8 {
					b.shot("agent-reply-box-grown-" + c.name)
				}
				prev = h
			}
			limit := js[float64](b, `parseFloat(getComputedStyle(document.getElementById("reply-content")).maxHeight)`)
			if grew < 5 || prev > limit+0.5 || prev < limit-lineHeight {
				t.Errorf("after 30 lines the box is %.1f high (grew %d times, limit %.1f)", prev, grew, limit)
			}
			if !js[bool](b, `(x => x.scrollHeight > x.clientHeight)(document.getElementById("reply-content"))`) {
				t.Error("past its limit the box does not scroll")
			}
			b.shot("agent-reply-box-full-" + c.name)
			b.keys(kb.Enter)
			b.waitFor("the reply sent", `document.getElementById("reply-content").value === ""`)
			b.waitFor("the box back to its start", fmt.Sprintf(`Math.abs(document.getElementById("reply-content").getBoundingClientRect().height - %f) < 1`, start))
		})
	}
}

// onEveryPage runs the script in each page the tab opens from now on,
// before the page's own.
func (b *tab) onEveryPage(script string) {
	b.t.Helper()
	err := chromedp.Do(b.ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: script})
		return err
	}))
	if err != nil {
		b.t.Fatal(err)
	}
}

// TestBrowserMarkAsUnread: from a conversation opened from a queue, Mark
// as unread, by keyboard, goes back to that queue, where the conversation
// shows unread again and the page says what was done, the focus on it.
func TestBrowserMarkAsUnread(t *testing.T) {
	t.Parallel()
	w := setup(t)
	id := w.customer("Ann First", "ann@example.com", "Hello")
	w.handOff(id, "Customer asked for a person", "Ann wants a person")
	w.say("ann-first", id, "Are you there?")
	other := w.customer("Ben Second", "ben@example.com", "Hi")
	w.handOff(other, "Customer asked for a person", "Ben wants a person")
	b := w.signedInTab(t, w.adminMail)
	b.open(fmt.Sprintf("/app/accounts/%d/conversations?queue=open", w.account))
	row := fmt.Sprintf(`document.querySelector('tr[data-conversation="%d"]')`, id)
	b.waitFor("Ann's row, unread", row+` && `+row+`.querySelector(".badge.unread")`)
	b.tabTo(fmt.Sprintf(`a[href$="/conversations/%d"]`, id))
	b.keys(kb.Enter)
	b.waitFor("the conversation", `document.getElementById("reply-content") !== null && document.readyState === "complete"`)
	b.tabTo(`form[data-unread] button`)
	if got := js[string](b, `document.activeElement.textContent`); got != "Mark as unread" {
		t.Errorf("the button says %q", got)
	}
	b.shot("agent-mark-unread")
	b.keys(kb.Enter)
	b.waitFor("the open queue again", `location.pathname.endsWith("/conversations") && location.search.includes("queue=open") && document.readyState === "complete"`)
	b.waitFor("the notice, focused", `document.activeElement && document.activeElement.id === "bulk-result"`)
	if got := js[string](b, `document.getElementById("bulk-result").textContent`); got != fmt.Sprintf("Conversation #%d marked as unread.", id) {
		t.Errorf("the list says %q", got)
	}
	if !js[bool](b, row+` && !!`+row+`.querySelector(".badge.unread")`) {
		t.Errorf("Ann's row is not unread: %s", js[string](b, row+`.innerText`))
	}
	c, err := w.App.Conversation(batontest.System(), w.account, id)
	if err != nil || c.UnreadCount < 1 {
		t.Errorf("the conversation has %d unread (%v)", c.UnreadCount, err)
	}
	b.shot("agent-mark-unread-list")
	browsertest.Axe(t, b.ctx)
}

// TestBrowserUnreadDivider: a conversation opened after the customer wrote
// more marks where the messages the team had not seen begin, in words; the
// page opens there when they run past the transcript's view, and at the
// newest message when they fit. Opened again, nothing is unread.
func TestBrowserUnreadDivider(t *testing.T) {
	t.Parallel()
	w := setup(t)
	id := w.customer("Casey Customer", "casey@example.com", "Hello")
	w.handOff(id, "Customer asked for a person", "Casey wants a person")
	for i := 1; i <= 15; i++ {
		w.say("casey-customer", id, fmt.Sprintf("Earlier message %d", i))
	}
	b := w.signedInTab(t, w.adminMail)
	b.openConversation(id)
	if got := js[string](b, `(document.getElementById("unread-start") || {}).textContent || ""`); got != "16 unread messages" {
		t.Errorf("the conversation, never seen, is marked %q", got)
	}
	b.open(fmt.Sprintf("/app/accounts/%d/conversations", w.account)) // seen; away
	for i := 1; i <= 20; i++ {
		w.say("casey-customer", id, fmt.Sprintf("New message %d", i))
	}
	b.openConversation(id)
	mark := `document.getElementById("unread-start")`
	if got := js[string](b, mark+` ? `+mark+`.textContent : ""`); got != "20 unread messages" {
		t.Fatalf("the mark says %q", got)
	}
	if got := js[string](b, mark+`.nextElementSibling.querySelector(".body").textContent`); got != "New message 1" {
		t.Errorf("the mark is before %q", got)
	}
	// In the view, at its top; the newest message below it.
	view := `document.getElementById("transcript-wrap").getBoundingClientRect()`
	if !js[bool](b, `(() => { const v = `+view+`, m = `+mark+`.getBoundingClientRect(); return m.top >= v.top && m.top < v.top + 40; })()`) {
		t.Errorf("the mark is not at the top of the view: mark %v, view %v", js[float64](b, mark+`.getBoundingClientRect().top`), js[float64](b, view+`.top`))
	}
	if js[bool](b, `(() => { const v = `+view+`, l = document.querySelector("#transcript li:last-child").getBoundingClientRect(); return l.top < v.bottom; })()`) {
		t.Error("the newest message is in view: the page did not open at the first unread")
	}
	b.shot("agent-unread-divider")
	browsertest.Axe(t, b.ctx)

	// Seen now: opened again, no mark.
	b.openConversation(id)
	if js[bool](b, `!!`+mark) {
		t.Error("opened again, the conversation is still marked unread")
	}

	// Two new ones fit in the view: the page opens at the newest, the
	// mark in view above them.
	w.say("casey-customer", id, "One more thing")
	w.say("casey-customer", id, "And another")
	b.open(fmt.Sprintf("/app/accounts/%d/conversations", w.account))
	b.openConversation(id)
	if got := js[string](b, mark+` ? `+mark+`.textContent : ""`); got != "2 unread messages" {
		t.Fatalf("the mark says %q", got)
	}
	if !js[bool](b, `(w => w.scrollHeight - w.scrollTop - w.clientHeight < 2)(document.getElementById("transcript-wrap"))`) {
		t.Error("with the unread in view, the transcript is not at its newest")
	}
	if !js[bool](b, `(() => { const v = `+view+`, m = `+mark+`.getBoundingClientRect(); return m.top >= v.top && m.bottom <= v.bottom; })()`) {
		t.Error("the mark is out of view")
	}
	b.dark()
	b.shot("agent-unread-divider-dark")
	browsertest.Axe(t, b.ctx)
}

// TestBrowserLabelSuggestions: typing in the labels field suggests the
// labels the account's conversations use that match the label being typed
// (those that start with it first, none already in the field); Down
// chooses, Enter takes it in place of what was typed, a comma after it;
// a click takes one too; Escape closes; Enter with none chosen saves.
func TestBrowserLabelSuggestions(t *testing.T) {
	t.Parallel()
	w := setup(t)
	sys := batontest.System()
	for i, labels := range [][]string{{"billing", "vip"}, {"bug", "refund-late"}} {
		id := w.customer(fmt.Sprintf("Labelled %d", i), fmt.Sprintf("l%d@example.com", i), "Hello")
		if _, err := w.App.SetLabels(sys, w.account, id, labels); err != nil {
			t.Fatal(err)
		}
	}
	id := w.customer("Casey Customer", "casey@example.com", "My refund is late")
	b := w.signedInTab(t, w.adminMail)
	b.openConversation(id)
	field := `document.getElementById("labels")`
	options := func() string {
		return js[string](b, `[...document.querySelectorAll("#label-suggestions [role=option]")].map(o => o.textContent).join("|")`)
	}
	b.tabTo("#labels")
	if got := js[string](b, field+`.getAttribute("role") + " " + `+field+`.getAttribute("aria-expanded")`); got != "combobox false" {
		t.Errorf("the field is %q", got)
	}
	b.keys("b")
	b.waitFor("the suggestions", `!document.getElementById("label-suggestions").hidden`)
	if got := options(); got != "billing|bug" {
		t.Errorf("for b, suggested %q", got)
	}
	b.waitFor("the count said", `document.getElementById("live").textContent === "2 labels suggested"`)
	b.keys(kb.ArrowDown)
	if got := js[string](b, field+`.getAttribute("aria-activedescendant")`); got != "label-option-0" {
		t.Errorf("Down chose %q", got)
	}
	b.shot("agent-label-suggestions")
	browsertest.Axe(t, b.ctx)
	b.keys(kb.Enter)
	if got := js[string](b, field+`.value`); got != "billing, " {
		t.Errorf("taken, the field holds %q", got)
	}
	// What is in the field is not offered again; a word inside a label
	// matches after those that start with it.
	b.keys("l")
	b.waitFor("the suggestions", `!document.getElementById("label-suggestions").hidden`)
	if got := options(); got != "refund-late" {
		t.Errorf("for l after billing, suggested %q", got)
	}
	b.keys(kb.Escape)
	if !js[bool](b, `document.getElementById("label-suggestions").hidden && document.activeElement.id === "labels"`) {
		t.Error("Escape left the suggestions open or the field")
	}
	// A click takes one.
	js[bool](b, `(() => { const f = `+field+`; f.value = "billing, v"; f.setSelectionRange(10, 10); f.dispatchEvent(new Event("input")); return true; })()`)
	b.waitFor("vip", `document.querySelector("#label-suggestions [role=option]") && document.querySelector("#label-suggestions [role=option]").textContent === "vip"`)
	b.click("#label-option-0")
	if got := js[string](b, field+`.value`); got != "billing, vip, " {
		t.Errorf("clicked, the field holds %q", got)
	}
	// Enter with nothing chosen saves.
	b.keys(kb.Enter)
	b.waitFor("the labels saved", `document.readyState === "complete" && [...document.querySelectorAll(".conv-meta .badge.label")].map(e => e.textContent).join(",") === "billing,vip"`)
	if n := js[int](b, `performance.getEntriesByType("resource").filter(e => e.name.endsWith("/labels") && e.initiatorType === "fetch").length`); n != 0 {
		t.Errorf("the new page asked for the labels %d times before they were typed", n)
	}
}

// TestBrowserContactLocalTime: the contact panel shows the contact's local
// time, in the reader's style, from the contact's time zone, or from the
// offset of the browser the conversation began in; and nothing when
// neither is known.
func TestBrowserContactLocalTime(t *testing.T) {
	t.Parallel()
	w := setup(t)
	sys := batontest.System()
	zoned := w.customer("Tomo Tokyo", "tomo@example.com", "Konnichiwa")
	c, err := w.App.Conversation(sys, w.account, zoned)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.App.UpdateContact(sys, w.account, c.ContactID, app.ContactInput{AdditionalAttributes: map[string]any{"timezone": "Asia/Tokyo"}}); err != nil {
		t.Fatal(err)
	}
	browsed := w.customer("Priya Pune", "priya@example.com", "Namaste")
	w.Call("PATCH", fmt.Sprintf("/api/v1/accounts/%d/conversations/%d", w.account, browsed), w.botToken,
		map[string]any{"additional_attributes": map[string]any{"initiated_at": map[string]any{
			"timestamp": "Mon Jan 06 2025 10:00:00 GMT+0530 (India Standard Time)"}}}, http.StatusOK)
	unknown := w.customer("Nora Nowhere", "nora@example.com", "Hi")

	b := w.signedInTab(t, w.adminMail)
	clock := `document.getElementById("contact-clock")`
	expect := func(zone string, offsetMinutes int) string {
		return fmt.Sprintf(`(() => {
			const f = new Intl.DateTimeFormat(undefined, {weekday: "short", hour: "numeric", minute: "2-digit", timeZone: %q});
			const now = Date.now() + %d * 60000;
			return [f.format(new Date(now)), f.format(new Date(now - 60000))].includes(%s.textContent);
		})()`, zone, offsetMinutes, clock)
	}

	b.openConversation(zoned)
	if !js[bool](b, `!!`+clock) {
		t.Fatal("no local time for a contact in Asia/Tokyo")
	}
	if !js[bool](b, expect("Asia/Tokyo", 0)) {
		t.Errorf("Tokyo's time shows %q", js[string](b, clock+`.textContent`))
	}
	if got := js[string](b, clock+`.closest("dd").previousElementSibling.textContent + ": " + `+clock+`.closest("dd").textContent`); !strings.Contains(got, "Local time: ") || !strings.HasSuffix(got, " Asia/Tokyo") {
		t.Errorf("the panel says %q", got)
	}
	js[bool](b, `(document.getElementById("contact-title").scrollIntoView(), true)`)
	b.shot("agent-contact-local-time")
	browsertest.Axe(t, b.ctx)

	b.openConversation(browsed)
	if !js[bool](b, `!!`+clock) || !js[bool](b, expect("UTC", 330)) {
		t.Errorf("the browser's offset shows %q", js[string](b, `(`+clock+` || {}).textContent || ""`))
	}
	if got := js[string](b, clock+`.nextElementSibling.textContent`); got != "GMT+05:30 (India Standard Time), from their browser" {
		t.Errorf("its source says %q", got)
	}

	b.openConversation(unknown)
	if js[bool](b, `!!`+clock) || b.has("Local time") {
		t.Error("a local time shows for a contact whose zone is not known")
	}

	// The contact's own page says it too: the zone's, or the offset of the
	// browser of their latest conversation.
	b.open(fmt.Sprintf("/app/accounts/%d/contacts/%d", w.account, c.ContactID))
	b.waitFor("Tokyo's time on the contact's page", `!!`+clock+` && `+expect("Asia/Tokyo", 0))
	p, err := w.App.Conversation(sys, w.account, browsed)
	if err != nil {
		t.Fatal(err)
	}
	b.open(fmt.Sprintf("/app/accounts/%d/contacts/%d", w.account, p.ContactID))
	b.waitFor("the browser's offset on the contact's page", `!!`+clock+` && `+expect("UTC", 330))
}

// zone sets the tab's time zone, as the computer's.
func (b *tab) zone(name string) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: name})
		return err
	})); err != nil {
		b.t.Fatal(err)
	}
}

// TestBrowserWidgetVisitorLocalTime: a visitor writes from the website
// widget in a browser in Kolkata; the conversation keeps the browser's
// time zone, and the agent, in New York, sees the visitor's local time
// there, named, in their own style.
func TestBrowserWidgetVisitorLocalTime(t *testing.T) {
	t.Parallel()
	w := setup(t)
	site := w.NewInbox(w.account, "Website", baton.ChannelWebWidget)
	v := w.tab(t)
	v.zone("Asia/Kolkata")
	v.open("/widget?website_token=" + site.WebsiteToken)
	v.waitFor("the widget", `!!document.getElementById("cw-input")`)
	v.tabTo("#cw-input")
	v.keys("What time do you close?" + kb.Enter)
	v.waitFor("the message sent", `document.querySelector(".cw-messages").innerText.includes("What time do you close?")`)

	var id int64
	deadline := time.Now().Add(15 * time.Second)
	for id == 0 && time.Now().Before(deadline) {
		page, err := w.App.Conversations(batontest.System(), w.account, app.ConversationQuery{InboxID: site.ID, Status: "all"})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Conversations) > 0 {
			id = page.Conversations[0].DisplayID
		}
		time.Sleep(50 * time.Millisecond)
	}
	c, err := w.App.Conversation(batontest.System(), w.account, id)
	if err != nil {
		t.Fatal(err)
	}
	// Chromium names Kolkata by its older IANA name, Asia/Calcutta.
	zone := js[string](v, `Intl.DateTimeFormat().resolvedOptions().timeZone`)
	if zone != "Asia/Kolkata" && zone != "Asia/Calcutta" {
		t.Fatalf("the visitor's browser is in %q", zone)
	}
	if got := c.AdditionalAttributes["timezone"]; got != zone {
		t.Fatalf("the conversation's time zone is %v, want the browser's, %s (attributes %v)", got, zone, c.AdditionalAttributes)
	}

	b := w.signedInTab(t, w.adminMail)
	b.zone("America/New_York")
	b.openConversation(id)
	clock := `document.getElementById("contact-clock")`
	if got := js[string](b, `(`+clock+` || {dataset: {}}).dataset.zone || ""`); got != zone {
		t.Fatalf("the panel's clock is in %q, want %s", got, zone)
	}
	if got := js[string](b, clock+`.nextElementSibling.textContent`); got != zone+", from their browser" {
		t.Errorf("its source says %q", got)
	}
	b.waitFor("Kolkata's time, in the reader's style", `(() => {
		const f = new Intl.DateTimeFormat(undefined, {weekday: "short", hour: "numeric", minute: "2-digit", timeZone: "Asia/Kolkata"});
		return [f.format(new Date()), f.format(new Date(Date.now() - 60000))].includes(`+clock+`.textContent);
	})()`)
	js[bool](b, `(document.getElementById("contact-title").scrollIntoView(), true)`)
	b.shot("agent-visitor-local-time")
}

// TestBrowserNewMessagesAnnounced: what comes into an open conversation
// is said in the page's live region, who wrote it and what it says; the
// person's own reply is said as sent, not as a new message.
func TestBrowserNewMessagesAnnounced(t *testing.T) {
	t.Parallel()
	w := setup(t)
	id := w.customer("Casey Customer", "casey@example.com", "Where is my parcel?")
	w.handOff(id, "Customer asked for a person", "Casey wants a person")
	b := w.signedInTab(t, w.adminMail)
	b.openConversation(id)
	live := `document.getElementById("live").textContent`

	w.say("casey-customer", id, "Is anyone   there?\nIt is urgent.")
	b.waitFor("the message said", live+` === "New message from Casey Customer: Is anyone there? It is urgent."`)
	w.Call("POST", fmt.Sprintf("/api/v1/accounts/%d/conversations/%d/messages", w.account, id), w.botToken,
		map[string]any{"content": "Casey asked twice already", "private": true}, http.StatusOK)
	b.waitFor("the note said", live+` === "New private note from Order Bot: Casey asked twice already"`)

	b.tabTo("#reply-content")
	b.keys("One moment please" + kb.Enter)
	b.waitFor("the reply in the transcript", `[...document.querySelectorAll("#transcript .msg-person .body")].some(e => e.innerText === "One moment please")`)
	time.Sleep(500 * time.Millisecond)
	if got := js[string](b, live); got != "Reply sent" {
		t.Errorf("after the reply the page says %q, want Reply sent", got)
	}
}
