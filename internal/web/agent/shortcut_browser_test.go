package agent_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/batontest"
	"github.com/batonhq/baton/internal/browsertest"
)

// chord presses a key with modifiers as a keyboard does when the chord
// types nothing (Alt+K, Ctrl+Enter): a key down and up, without the
// character event that chromedp's KeyEvent sends, which would type the
// letter into a focused field where no browser types it.
func (b *tab) chord(mods chromedp.Modifier, key string) {
	b.t.Helper()
	code, vk := "Key"+strings.ToUpper(key), int64(strings.ToUpper(key)[0])
	switch key {
	case "Enter":
		code, vk = "Enter", 13
	case "/":
		code, vk = "Slash", 191
	}
	for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeRawKeyDown, input.DispatchKeyEventTypeKeyUp} {
		if _, err := chromedp.Call(b.ctx, input.DispatchKeyEvent, input.DispatchKeyEventParams{Type: typ, Key: key,
			Code: code, Modifiers: int64(mods), WindowsVirtualKeyCode: vk, NativeVirtualKeyCode: vk}); err != nil {
			b.t.Fatal(err)
		}
	}
}

func (b *tab) alt(key string) { b.t.Helper(); b.chord(chromedp.ModifierAlt, key) }

// focusedRow is the conversation number of the list row the focus is in,
// or "" when it is in none.
func (b *tab) focusedRow() string {
	return js[string](b, `(document.activeElement.closest("tr[data-conversation]") || {dataset: {}}).dataset.conversation || ""`)
}

// TestBrowserKeyboardShortcuts presses each shortcut where it is meant to
// work and where it must not (typing in a field), and checks where the
// page went and what has the focus.
func TestBrowserKeyboardShortcuts(t *testing.T) {
	t.Parallel()
	w := setup(t)
	var ids []int64 // oldest first: the list shows them newest first
	for _, name := range []string{"Ann Oldest", "Ben Middle", "Cat Newest"} {
		id := w.customer(name, strings.ToLower(strings.Fields(name)[0])+"@example.com", "Hello from "+name)
		w.handOff(id, "Customer asked for a person", name+" wants a person")
		ids = append(ids, id)
	}
	conv := func(id int64) string { return fmt.Sprintf("/app/accounts/%d/conversations/%d", w.account, id) }
	// An administrator: routing gives an agent who connects the waiting
	// conversations, which would change the list under the test.
	b := w.signedInTab(t, w.adminMail)
	list := fmt.Sprintf("/app/accounts/%d/conversations?queue=open", w.account)
	b.open(list)
	b.waitFor("three rows", `document.querySelectorAll("tr[data-conversation]").length === 3`)
	newest, middle, oldest := fmt.Sprint(ids[2]), fmt.Sprint(ids[1]), fmt.Sprint(ids[0])

	// On the list, Alt+K and Alt+J move the focus from row to row.
	b.alt("k")
	if got := b.focusedRow(); got != newest {
		t.Fatalf("Alt+K with no row focused focused row %q, want the first, %s", got, newest)
	}
	b.alt("k")
	b.alt("k")
	if got := b.focusedRow(); got != oldest {
		t.Errorf("Alt+K twice more focused row %q, want %s", got, oldest)
	}
	b.alt("k") // past the last: stays, and says so
	b.waitFor("the last row said", `document.getElementById("live").textContent.includes("Last conversation")`)
	b.alt("j")
	if got := b.focusedRow(); got != middle {
		t.Errorf("Alt+J focused row %q, want %s", got, middle)
	}
	if !b.focusVisible() {
		t.Error("the row focused by Alt+J shows no focus outline")
	}

	// A plain letter is left to the browser and screen readers.
	b.keys("k")
	if got := b.focusedRow(); got != middle {
		t.Errorf("a plain k moved the focus to row %q", got)
	}

	// "?" opens the dialog, focus inside, labelled; Escape closes it and
	// the focus is back on the row.
	b.keys("?")
	b.waitFor("the dialog", `document.getElementById("shortcuts").open`)
	if !js[bool](b, `document.getElementById("shortcuts").contains(document.activeElement)`) {
		t.Error("the focus is not in the open dialog")
	}
	if name := js[string](b, `document.getElementById(document.getElementById("shortcuts").getAttribute("aria-labelledby")).textContent`); name != "Keyboard shortcuts" {
		t.Errorf("the dialog is labelled %q", name)
	}
	listed := js[string](b, `document.getElementById("shortcuts-list").innerText`)
	for _, want := range []string{"Alt + J", "Alt + K", "Alt + C", "Alt + L", "Alt + P", "Alt + T", "Alt + E", "Ctrl + Enter", "Ctrl + /", "?", "Escape"} {
		if !strings.Contains(listed, want) {
			t.Errorf("the dialog does not list %s: %s", want, listed)
		}
	}
	// Keys pressed while it is open are its own.
	b.alt("k")
	if !js[bool](b, `document.getElementById("shortcuts").open`) {
		t.Error("Alt+K closed the dialog")
	}
	b.shot("agent-shortcuts-dialog")
	browsertest.Axe(t, b.ctx)
	b.keys(kb.Escape)
	b.waitFor("the dialog closed", `!document.getElementById("shortcuts").open`)
	if got := b.focusedRow(); got != middle {
		t.Errorf("after Escape the focus is in row %q, want back on %s", got, middle)
	}

	// The header's button opens the same dialog, and the focus comes back
	// to it when it closes.
	b.tabTo("#shortcuts-open")
	b.keys(kb.Enter)
	b.waitFor("the dialog", `document.getElementById("shortcuts").open`)
	b.tabTo("#shortcuts-close")
	b.keys(kb.Enter)
	b.waitFor("the dialog closed", `!document.getElementById("shortcuts").open`)
	if id := js[string](b, `document.activeElement.id`); id != "shortcuts-open" {
		t.Errorf("after Close the focus is on %q, want the button that opened it", id)
	}

	// Typing in the search field, "?" and Alt+K are the field's.
	b.tabTo("#f-q")
	b.keys("why?")
	b.alt("k")
	if js[bool](b, `document.getElementById("shortcuts").open`) || js[string](b, `document.activeElement.id`) != "f-q" ||
		js[string](b, `document.getElementById("f-q").value`) != "why?" {
		t.Errorf("typing ? and Alt+K in the search field: dialog open %v, focus on %q, field %q",
			js[bool](b, `document.getElementById("shortcuts").open`), js[string](b, `document.activeElement.id`),
			js[string](b, `document.getElementById("f-q").value`))
	}

	// Open the middle conversation from its row; Alt+K opens the next of
	// the list, Alt+J the one before.
	b.open(list)
	b.waitFor("three rows", `document.querySelectorAll("tr[data-conversation]").length === 3`)
	b.alt("k")
	b.alt("k")
	b.keys(kb.Enter)
	b.waitFor("the middle conversation", fmt.Sprintf(`location.pathname === %q && document.readyState === "complete"`, conv(ids[1])))
	b.alt("k")
	b.waitFor("the next conversation", fmt.Sprintf(`location.pathname === %q && document.readyState === "complete"`, conv(ids[0])))
	b.alt("k") // the last of the list: it stays
	b.waitFor("the last said", `document.getElementById("live").textContent.includes("Last conversation")`)
	b.alt("j")
	b.waitFor("the previous conversation", fmt.Sprintf(`location.pathname === %q && document.readyState === "complete"`, conv(ids[1])))

	// Alt+L goes to the reply box; Alt+P there turns a private note on
	// and off; neither Alt+J nor "?" leaves the box or opens anything.
	b.alt("l")
	b.waitFor("the reply box focused", `document.activeElement.id === "reply-content"`)
	if js[bool](b, `document.getElementById("private-note").checked`) {
		t.Error("Alt+L left the private note on")
	}
	b.alt("p")
	b.waitFor("a private note", `document.getElementById("private-note").checked && document.getElementById("reply").classList.contains("private")`)
	if got := js[string](b, `document.querySelector('label[for="reply-content"]').textContent`); !strings.HasPrefix(got, "Private note") ||
		js[string](b, `document.activeElement.id`) != "reply-content" {
		t.Errorf("after Alt+P the box is labelled %q, the focus on %q", got, js[string](b, `document.activeElement.id`))
	}
	b.alt("p")
	b.waitFor("a reply again", `!document.getElementById("private-note").checked`)
	b.keys("Is this ok?")
	b.alt("j")
	if js[string](b, `location.pathname`) != conv(ids[1]) || js[bool](b, `document.getElementById("shortcuts").open`) ||
		js[string](b, `document.getElementById("reply-content").value`) != "Is this ok?" {
		t.Errorf("typing ? and Alt+J in the reply box: at %s, dialog open %v, box %q", js[string](b, `location.pathname`),
			js[bool](b, `document.getElementById("shortcuts").open`), js[string](b, `document.getElementById("reply-content").value`))
	}
	b.shot("agent-shortcuts-reply")

	// Alt+T takes the conversation over (outside the box), Ctrl+Enter
	// sends from the box, Alt+E resolves.
	b.keys(kb.Tab)
	b.alt("t")
	b.waitFor("Ada as owner", `document.getElementById("owner") && document.getElementById("owner").textContent === "Ada Admin"`)
	b.waitFor("the draft back in the box", `document.getElementById("reply-content").value === "Is this ok?" && document.readyState === "complete"`)
	b.alt("l")
	b.chord(chromedp.ModifierCtrl, "Enter")
	b.waitFor("the reply in the transcript", `[...document.querySelectorAll("#transcript .msg-person .body")].some(e => e.innerText === "Is this ok?")`)
	if v := js[string](b, `document.getElementById("reply-content").value`); v != "" {
		t.Errorf("the box kept %q after Ctrl+Enter sent it", v)
	}
	w.bot.wait(t, "the reply sent with Ctrl+Enter", func(e map[string]any) bool {
		return e["event"] == "message_created" && e["content"] == "Is this ok?"
	})
	b.keys(kb.Tab)
	b.alt("e")
	b.waitFor("resolved", `document.getElementById("status") && document.getElementById("status").textContent === "resolved" && document.readyState === "complete"`)

	// Alt+C goes back to the list it was opened from, filters and all.
	b.alt("c")
	b.waitFor("the list", fmt.Sprintf(`location.pathname + location.search === %q && document.readyState === "complete"`, list))

	// Ctrl+/ opens the list of shortcuts from within a field, too.
	b.tabTo("#f-q")
	b.chord(chromedp.ModifierCtrl, "/")
	b.waitFor("the dialog", `document.getElementById("shortcuts").open`)
	b.keys(kb.Escape)
	b.waitFor("the focus back in the field", `!document.getElementById("shortcuts").open && document.activeElement.id === "f-q"`)
}

// TestBrowserResolveAndNext: a conversation's page names the list it was
// opened from and its place there, with links to the ones before and
// after; "Resolve and next" (a button, or Ctrl+Alt+E) resolves it and
// opens the next one of that list as it now stands (one resolved meanwhile
// by someone else skipped, going round to the top), the focus on its
// name and the person told; with no other one left, the list.
func TestBrowserResolveAndNext(t *testing.T) {
	t.Parallel()
	w := setup(t)
	var ids []int64 // oldest first: the list shows them newest first
	for _, name := range []string{"Ann Oldest", "Ben Second", "Cat Third", "Dan Newest"} {
		id := w.customer(name, strings.ToLower(strings.Fields(name)[0])+"@example.com", "Hello from "+name)
		w.handOff(id, "Customer asked for a person", name+" wants a person")
		ids = append(ids, id)
	}
	ann, ben, cat, dan := ids[0], ids[1], ids[2], ids[3]
	conv := func(id int64) string { return fmt.Sprintf("/app/accounts/%d/conversations/%d", w.account, id) }
	at := func(id int64) string {
		return fmt.Sprintf(`location.pathname === %q && document.readyState === "complete"`, conv(id))
	}
	status := func(id int64) string {
		t.Helper()
		c, err := w.App.Conversation(batontest.System(), w.account, id)
		if err != nil {
			t.Fatal(err)
		}
		return c.Status.String()
	}
	b := w.signedInTab(t, w.adminMail)
	list := fmt.Sprintf("/app/accounts/%d/conversations?queue=open", w.account)
	b.open(list)
	b.waitFor("four rows", `document.querySelectorAll("tr[data-conversation]").length === 4`)
	b.open(conv(cat))
	b.waitFor("Cat's page", at(cat))

	// The list it came from, its place there, and its neighbours.
	if got := js[string](b, `document.getElementById("list-link").getAttribute("href") + " | " + document.getElementById("list-link").textContent`); got != list+" | ← All open" {
		t.Errorf("the list's link: %q", got)
	}
	if got := js[string](b, `document.getElementById("list-position").textContent`); got != "2 of 4" {
		t.Errorf("the place: %q, want 2 of 4", got)
	}
	if got := js[string](b, `document.getElementById("prev-link").getAttribute("href") + " " + document.getElementById("next-link").getAttribute("href")`); got != conv(dan)+" "+conv(ben) {
		t.Errorf("previous and next: %q", got)
	}
	if got := js[string](b, `document.getElementById("next-link").textContent`); got != "Next conversation" {
		t.Errorf("the next link reads %q", got)
	}
	b.shot("agent-resolve-and-next")
	browsertest.Axe(t, b.ctx)

	// A draft written here is kept for when the person comes back.
	b.tabTo("#reply-content")
	b.keys("Half written")

	// The button, by keyboard: Cat resolved, Ben (after Cat) opens.
	b.tabTo("form[data-resolve-next] button")
	b.keys(kb.Enter)
	b.waitFor("Ben's page", at(ben))
	b.waitFor("the focus on Ben's name", `document.activeElement.id === "conv-title"`)
	b.waitFor("told", `document.getElementById("live").textContent === "Conversation #`+fmt.Sprint(cat)+` resolved. Next: Ben Second."`)
	if s := status(cat); s != "resolved" {
		t.Errorf("Cat's conversation is %s", s)
	}
	if got := js[string](b, `document.getElementById("list-position").textContent`); got != "2 of 3" {
		t.Errorf("Ben's place in the list as it now is: %q, want 2 of 3", got)
	}
	b.shot("agent-resolve-and-next-arrived")

	// Ann, after Ben, is resolved by someone else meanwhile: Ctrl+Alt+E
	// skips her and goes round to Dan, at the top.
	w.Call("POST", fmt.Sprintf("/api/v1/accounts/%d/conversations/%d/toggle_status", w.account, ann), w.botToken,
		map[string]any{"status": "resolved"}, 200)
	b.chord(chromedp.ModifierCtrl|chromedp.ModifierAlt, "e")
	b.waitFor("Dan's page", at(dan))
	b.waitFor("the focus on Dan's name", `document.activeElement.id === "conv-title"`)
	if s := status(ben); s != "resolved" {
		t.Errorf("Ben's conversation is %s", s)
	}

	// Dan is the last: resolved, the list opens, empty, the focus on it.
	// The list is slow to come: the page, seeing its conversation
	// resolved meanwhile, does not reload itself instead of going.
	js[bool](b, `(f => (window.fetch = (u, o) => String(u).includes("/conversations?") ?
		new Promise(r => setTimeout(r, 2500)).then(() => f(u, o)) : f(u, o), true))(window.fetch)`)
	b.chord(chromedp.ModifierCtrl|chromedp.ModifierAlt, "e")
	b.waitFor("the list", fmt.Sprintf(`location.pathname + location.search === %q && document.readyState === "complete"`, list))
	b.waitFor("told", `document.getElementById("live").textContent.endsWith("No other conversation is in this list.")`)
	if id := js[string](b, `document.activeElement.id`); id != "main" {
		t.Errorf("the focus is on %q, want the page", id)
	}
	if s := status(dan); s != "resolved" {
		t.Errorf("Dan's conversation is %s", s)
	}

	// Cat's page again: its draft is back, and a resolved conversation
	// offers no Resolve and next (the chord says so).
	b.open(conv(cat))
	b.waitFor("Cat's page", at(cat))
	if v := js[string](b, `document.getElementById("reply-content").value`); v != "Half written" {
		t.Errorf("Cat's draft came back as %q", v)
	}
	if js[bool](b, `!!document.querySelector("form[data-resolve-next]")`) {
		t.Error("a resolved conversation offers Resolve and next")
	}
	b.keys(kb.Tab)
	b.chord(chromedp.ModifierCtrl|chromedp.ModifierAlt, "e")
	b.waitFor("told", `document.getElementById("live").textContent === "The conversation is resolved already"`)
}

// TestBrowserMoreShortcuts: Chatwoot's other keys where Baton has what
// they act on: Alt+N the next queue, Alt+V the contacts, Alt+S the
// settings, Alt+R the reports (administrators only, and listed only for
// them), Alt+M Snooze…, Ctrl+Alt+A a file for the reply, Alt+O the
// details; the dialog lists each.
func TestBrowserMoreShortcuts(t *testing.T) {
	t.Parallel()
	w := setup(t)
	id := w.customer("Ann Asker", "ann@example.com", "Hello")
	w.handOff(id, "Customer asked for a person", "Ann wants a person")
	acc := fmt.Sprintf("/app/accounts/%d", w.account)
	b := w.signedInTab(t, w.adminMail)
	b.open(acc + "/conversations?queue=open")
	b.waitFor("the row", `document.querySelectorAll("tr[data-conversation]").length === 1`)

	b.keys("?")
	b.waitFor("the dialog", `document.getElementById("shortcuts").open`)
	listed := js[string](b, `document.getElementById("shortcuts-list").innerText`)
	for _, want := range []string{"Alt + N", "Alt + V", "Alt + S", "Alt + R", "Alt + M", "Alt + O", "Ctrl + Alt + E", "Ctrl + Alt + A",
		"Close Snooze… or Hand back…", "Choose a canned response", "Insert the chosen canned response"} {
		if !strings.Contains(listed, want) {
			t.Errorf("the dialog does not list %s: %s", want, listed)
		}
	}
	b.shot("agent-shortcuts-dialog-all")
	b.keys(kb.Escape)

	// Alt+N: the queue after All open, the focus on its link.
	b.alt("n")
	b.waitFor("the snoozed queue", `location.search === "?queue=snoozed" && document.readyState === "complete"`)
	b.waitFor("the focus on its link", `document.activeElement.getAttribute("aria-current") === "page" && document.activeElement.textContent.startsWith("Snoozed")`)
	b.waitFor("told", `document.getElementById("live").textContent === "Snoozed queue"`)
	b.alt("v")
	b.waitFor("the contacts", `location.pathname === "`+acc+`/contacts" && document.readyState === "complete"`)
	// Alt+J/K move through the contacts' rows as through a queue's.
	b.alt("k")
	b.waitFor("the contact's row focused", `document.activeElement.closest("table.contacts-table tbody tr") !== null && document.activeElement.textContent.includes("Ann Asker")`)
	b.alt("k")
	b.waitFor("told it is the last", `document.getElementById("live").textContent === "Last contact of the page"`)
	b.alt("s")
	b.waitFor("the settings", `location.pathname === "`+acc+`/settings/inboxes" && document.readyState === "complete"`)
	b.alt("r")
	b.waitFor("the reports", `location.pathname === "`+acc+`/reports/bots" && document.readyState === "complete"`)

	// In the conversation: Alt+M opens Snooze… on the chosen time, and
	// closes it back on its summary; from the reply box too.
	b.open(fmt.Sprintf("%s/conversations/%d", acc, id))
	b.waitFor("the page", `document.readyState === "complete" && !!document.getElementById("reply-content")`)
	b.alt("m")
	b.waitFor("Snooze… open", `document.querySelector("details.snooze").open && document.activeElement.name === "until" && document.activeElement.checked`)
	b.shot("agent-shortcut-snooze")
	b.alt("m")
	b.waitFor("Snooze… closed", `!document.querySelector("details.snooze").open && document.activeElement.tagName === "SUMMARY"`)
	b.tabTo("#reply-content")
	b.alt("m")
	b.waitFor("Snooze… open from the box", `document.querySelector("details.snooze").open`)
	b.keys(kb.Escape)
	b.waitFor("Snooze… closed by Escape", `!document.querySelector("details.snooze").open`)

	// Ctrl+Alt+A from the reply box opens the file chooser of the reply.
	opened := make(chan cdppage.FileChooserOpenedMode, 1)
	if err := chromedp.Listen(b.ctx, func(ev any) {
		if e, ok := ev.(*cdppage.EventFileChooserOpened); ok {
			select {
			case opened <- e.Mode:
			default:
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(b.ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, cdppage.SetInterceptFileChooserDialog, cdppage.SetInterceptFileChooserDialogParams{Enabled: true})
		return err
	})); err != nil {
		t.Fatal(err)
	}
	b.tabTo("#reply-content")
	b.chord(chromedp.ModifierCtrl|chromedp.ModifierAlt, "a")
	select {
	case mode := <-opened:
		if mode != cdppage.FileChooserOpenedModeSelectMultiple {
			t.Errorf("the file chooser opened for %s, want several files", mode)
		}
	case <-time.After(10 * time.Second):
		t.Error("Ctrl+Alt+A opened no file chooser")
	}
	if id := js[string](b, `document.activeElement.id`); id != "reply-files" {
		t.Errorf("after Ctrl+Alt+A the focus is on %q, want the attachments", id)
	}

	// Alt+O hides the details (the focus in them goes to the button that
	// shows them again), and they stay hidden on the next page.
	b.tabTo("#assignee + button")
	b.alt("o")
	b.waitFor("the details hidden", `document.getElementById("details").hidden`)
	if got := js[string](b, `(t => t.textContent + " " + t.getAttribute("aria-expanded") + " " + (document.activeElement === t))(document.getElementById("details-toggle"))`); got != "Show details false true" {
		t.Errorf("the details' button after Alt+O: %q", got)
	}
	b.shot("agent-details-hidden")
	b.open(fmt.Sprintf("%s/conversations/%d", acc, id))
	b.waitFor("the page", `document.readyState === "complete"`)
	if !js[bool](b, `document.getElementById("details").hidden`) {
		t.Error("the details came back on the next page")
	}
	b.tabTo("#details-toggle")
	b.keys(kb.Enter)
	b.waitFor("the details shown", `!document.getElementById("details").hidden && document.getElementById("details-toggle").getAttribute("aria-expanded") === "true"`)

	// An agent has no reports: Alt+R is not listed and does nothing;
	// Alt+S is the canned responses.
	a := w.signedInTab(t, w.agentMail)
	a.waitFor("the page's script", `document.readyState === "complete" && !document.getElementById("shortcuts-open").hidden`)
	a.keys("?")
	a.waitFor("the dialog", `document.getElementById("shortcuts").open`)
	if listed := js[string](a, `document.getElementById("shortcuts-list").innerText`); strings.Contains(listed, "Alt + R") || strings.Contains(listed, "reports") {
		t.Errorf("an agent's dialog lists the reports: %s", listed)
	}
	a.keys(kb.Escape)
	before := js[string](a, `location.href`)
	a.alt("r")
	if after := js[string](a, `location.href`); after != before {
		t.Errorf("an agent's Alt+R went to %s", after)
	}
	a.alt("s")
	a.waitFor("the canned responses", `location.pathname === "`+acc+`/settings/canned_responses" && document.readyState === "complete"`)
}

// TestBrowserUnreadAndCannedShortcuts: Alt+U is Mark as unread (not from
// a field, where it is the field's), Alt+Q the Canned responses button
// (from the reply box too, at its caret, and again to close the list); the
// dialog lists both, and the buttons name their keys to assistive
// technology.
func TestBrowserUnreadAndCannedShortcuts(t *testing.T) {
	t.Parallel()
	w := setup(t)
	if _, err := w.App.CreateCannedResponse(batontest.System(), w.account,
		app.CannedResponseInput{ShortCode: ptr("thanks"), Content: ptr("thank you for waiting.")}); err != nil {
		t.Fatal(err)
	}
	id := w.customer("Ann Asker", "ann@example.com", "Hello")
	w.handOff(id, "Customer asked for a person", "Ann wants a person")
	w.say("ann-asker", id, "Anyone?")
	b := w.signedInTab(t, w.adminMail)
	list := fmt.Sprintf("/app/accounts/%d/conversations?queue=open", w.account)
	b.open(list)
	b.waitFor("the row", `document.querySelectorAll("tr[data-conversation]").length === 1`)
	b.alt("k")
	b.keys(kb.Enter)
	b.waitFor("the conversation", `!!document.getElementById("reply-content") && document.readyState === "complete" && !document.getElementById("canned-open").hidden`)

	b.keys("?")
	b.waitFor("the dialog", `document.getElementById("shortcuts").open`)
	listed := js[string](b, `document.getElementById("shortcuts-list").innerText`)
	for _, want := range []string{"Alt + U\nMark as unread", "Alt + Q\nCanned responses"} {
		if !strings.Contains(listed, want) {
			t.Errorf("the dialog does not list %q: %s", want, listed)
		}
	}
	b.keys(kb.Escape)
	for sel, want := range map[string]string{"form[data-unread] button": "Alt+U", "#canned-open": "Alt+Q",
		"form[data-resolve-next] button": "Control+Alt+E", "#reply-files": "Control+Alt+A"} {
		if got := js[string](b, fmt.Sprintf(`document.querySelector(%q).getAttribute("aria-keyshortcuts") || ""`, sel)); got != want {
			t.Errorf("%s: aria-keyshortcuts %q, want %q", sel, got, want)
		}
	}

	// Alt+Q from outside the box: the list opens at the end of the draft,
	// the focus in the box; typing picks, Enter inserts.
	b.tabTo("#reply-content")
	b.keys("Dear Ann,")
	b.tabTo("#private-note")
	b.alt("q")
	b.waitFor("the list open from the box", `!document.getElementById("canned-picker").hidden && document.activeElement.id === "reply-content"`)
	if got := js[string](b, `document.getElementById("canned-open").getAttribute("aria-expanded")`); got != "true" {
		t.Errorf("the button is aria-expanded=%s with its list open", got)
	}
	b.keys("tha")
	b.waitFor("one option", `document.querySelectorAll("#canned-picker [role=option]").length === 1`)
	b.shot("agent-shortcut-canned")
	b.keys(kb.Enter)
	b.waitFor("the response inserted", `document.getElementById("reply-content").value === "Dear Ann, thank you for waiting."`)

	// Alt+Q in the box opens at the caret and, pressed again, closes,
	// taking back the "/" it put there.
	b.alt("q")
	b.waitFor("the list open", `!document.getElementById("canned-picker").hidden`)
	b.alt("q")
	b.waitFor("the list closed", `document.getElementById("canned-picker").hidden && document.getElementById("canned-open").getAttribute("aria-expanded") === "false"`)
	if got := js[string](b, `document.getElementById("reply-content").value`); got != "Dear Ann, thank you for waiting." {
		t.Errorf("after Alt+Q twice the draft is %q", got)
	}

	// Alt+U in the box is the box's: nothing happens.
	before := js[string](b, `location.href`)
	b.alt("u")
	time.Sleep(300 * time.Millisecond)
	if after := js[string](b, `location.href`); after != before {
		t.Errorf("Alt+U in the reply box went to %s", after)
	}

	// Outside it, Alt+U marks it unread and goes back to the list, which
	// says so.
	b.keys(kb.Tab)
	b.alt("u")
	b.waitFor("the list", fmt.Sprintf(`location.pathname + location.search === %q && document.readyState === "complete"`, list))
	b.waitFor("the notice, focused", `document.activeElement && document.activeElement.id === "bulk-result"`)
	if got := js[string](b, `document.getElementById("bulk-result").textContent`); got != fmt.Sprintf("Conversation #%d marked as unread.", id) {
		t.Errorf("the list says %q", got)
	}
	c, err := w.App.Conversation(batontest.System(), w.account, id)
	if err != nil || c.UnreadCount < 1 {
		t.Errorf("the conversation has %d unread (%v)", c.UnreadCount, err)
	}
	// The draft is kept for when the person comes back.
	b.open(fmt.Sprintf("/app/accounts/%d/conversations/%d", w.account, id))
	b.waitFor("the draft", `document.getElementById("reply-content").value === "Dear Ann, thank you for waiting."`)
}

// TestBrowserHandBackLeavesMine: a conversation opened from Mine says its
// place there; handed back to the bot it stays open on its page, which now
// says it is no longer in Mine, its link back to Mine kept.
func TestBrowserHandBackLeavesMine(t *testing.T) {
	t.Parallel()
	w := setup(t)
	id := w.customer("Casey Customer", "casey@example.com", "Where is my parcel?")
	w.handOff(id, "Customer asked for a person", "Parcel late")
	if _, err := w.App.Assign(batontest.System(), w.account, id, w.agentID); err != nil {
		t.Fatal(err)
	}
	b := w.signedInTab(t, w.agentMail)
	b.open(fmt.Sprintf("/app/accounts/%d/conversations?queue=mine", w.account))
	b.waitFor("Mine", `document.querySelectorAll("tr[data-conversation]").length === 1`)
	b.open(fmt.Sprintf("/app/accounts/%d/conversations/%d", w.account, id))
	b.waitFor("its place", `document.getElementById("list-position").textContent === "1 of 1"`)
	b.tabTo("details.handback summary")
	b.keys(kb.Enter)
	b.tabTo(`details.handback button[type=submit]`)
	b.keys(kb.Enter)
	b.waitFor("the bot as owner", `document.getElementById("owner").textContent.startsWith("Bot")`)
	b.waitFor("its place now", `document.getElementById("list-position").textContent === "no longer in Mine"`)
	if got := js[string](b, `document.getElementById("list-link").textContent`); got != "← Mine" {
		t.Errorf("the list's link reads %q", got)
	}
	b.shot("agent-handed-back-from-mine")
}
