package agent_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

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
