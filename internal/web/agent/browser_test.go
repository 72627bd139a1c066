package agent_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/batontest"
	"github.com/batonhq/baton/internal/browsertest"
)

func TestMain(m *testing.M) { browsertest.Main(m) }

// tab is a browser tab on the world's server.
type tab struct {
	t   *testing.T
	w   *world
	ctx context.Context
}

func (w *world) tab(t *testing.T) *tab {
	return &tab{t: t, w: w, ctx: browsertest.Tab(t)}
}

// signedInTab is a tab signed in as the user with the email (and the test
// password), on the queues where signing in lands.
func (w *world) signedInTab(t *testing.T, email string) *tab {
	t.Helper()
	b := w.tab(t)
	b.signIn(email, password)
	b.waitFor("the queues", `location.pathname.endsWith("/conversations")`)
	return b
}

func (b *tab) open(path string) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.Navigate(b.w.URL+path)); err != nil {
		b.t.Fatalf("open %s: %v", path, err)
	}
}

// js evaluates an expression and returns its value.
func js[T any](b *tab, expr string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitFor waits until the expression is truthy.
// It asks again and again, so a navigation on the way does not end it.
func (b *tab) waitFor(what, expr string) {
	b.t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for time.Now().Before(deadline) {
		if ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool]("!!("+expr+")")); err == nil && ok {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.t.Fatalf("waiting for %s (page text: %.600s)", what, b.text())
}

func (b *tab) text() string {
	v, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	return v
}

func (b *tab) has(s string) bool { return strings.Contains(b.text(), s) }

// keys types keys into whatever has the focus.
func (b *tab) keys(k string, opts ...chromedp.KeyOption) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.KeyEvent(k, opts...)); err != nil {
		b.t.Fatal(err)
	}
}

// tabTo presses Tab until the focused element matches the CSS selector,
// as a keyboard user moves through the page; it fails after 80 presses.
func (b *tab) tabTo(selector string) {
	b.t.Helper()
	for range 80 {
		if js[bool](b, fmt.Sprintf(`document.activeElement && document.activeElement.matches(%q)`, selector)) {
			return
		}
		b.keys(kb.Tab)
	}
	b.t.Fatalf("Tab never reached %s", selector)
}

// focusVisible reports whether the focused element shows a focus outline.
func (b *tab) focusVisible() bool {
	return js[bool](b, `(() => { const s = getComputedStyle(document.activeElement); return s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2; })()`)
}

func (b *tab) shot(name string) { browsertest.Screenshot(b.t, b.ctx, name) }

// dark switches the tab to the dark color scheme.
func (b *tab) dark() {
	b.t.Helper()
	err := chromedp.Do(b.ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}})
		return err
	}))
	if err != nil {
		b.t.Fatal(err)
	}
}

// signIn signs in with the keyboard alone: Tab to each field, type, Enter.
func (b *tab) signIn(email, pass string) {
	b.t.Helper()
	b.open("/app/login")
	b.tabTo("#email")
	b.keys(email)
	b.tabTo("#password")
	b.keys(pass + kb.Enter)
}

func TestBrowserSignInAndQueues(t *testing.T) {
	t.Parallel()
	w := setup(t)
	w.customer("Bea Bot", "bea@example.com", "Hello bot")
	id := w.customer("Casey Customer", "casey@example.com", "Where is my parcel?")
	w.handOff(id, "Customer asked for a person", "Parcel A-1234 is late; Casey wants to talk to someone.", "Order number: A-1234")
	b := w.tab(t)

	b.open("/app/login")
	b.shot("agent-login")
	browsertest.Axe(t, b.ctx)
	b.signIn(w.agentMail, "wrong-password")
	b.waitFor("the refusal", `document.getElementById("login-error") !== null`)
	if !b.has("do not match") {
		t.Fatalf("a wrong password was not refused: %s", b.text())
	}
	b.shot("agent-login-refused")

	b.signIn(w.agentMail, password)
	b.waitFor("the waiting queue", `location.pathname.endsWith("/conversations")`)
	b.waitFor("the row", `document.body.innerText.includes("Casey Customer")`)
	for key, n := range map[string]string{"waiting": "1", "bot": "1", "mine": "0", "open": "1", "resolved": "0"} {
		got := js[string](b, fmt.Sprintf(`document.querySelector('.queues [data-count=%q]').textContent`, key))
		if got != n {
			t.Errorf("queue %s shows %s, want %s", key, got, n)
		}
	}
	if !b.has("Waiting") || b.has("Bea Bot") {
		t.Errorf("the waiting queue: %s", b.text())
	}
	b.waitFor("the title count", `document.title.startsWith("(1) ")`)
	// Routing may give Casey to the agent, who is online now: the rows
	// show what the count says either way.
	b.waitFor("the rows to match the count", `document.querySelectorAll('tr[data-conversation]').length === `+
		`Number(document.querySelector('.queues [data-count="waiting"]').textContent)`)
	b.shot("agent-queue-waiting")
	browsertest.Axe(t, b.ctx)

	// Another handoff while the page is open: the counts, the title and
	// the page's announcement follow without a reload. The agent's page is
	// connected, so they count as there, and routing may give it to them:
	// either way it is theirs to see (waiting or mine).
	js[bool](b, `window.__same = true`)
	id2 := w.customer("Dora Later", "dora@example.com", "Hello?")
	w.handOff(id2, "Customer asked for a person", "Dora wants a person")
	count := func(k string) string {
		return `Number(document.querySelector('.queues [data-count="` + k + `"]').textContent)`
	}
	b.waitFor("the new count", count("waiting")+" + "+count("mine")+" === 2")
	b.waitFor("the title", `document.title.startsWith("(2) ")`)
	b.waitFor("the announcement", `/handed to the team|assigned to you/.test(document.getElementById("live").textContent)`)
	if !js[bool](b, `window.__same === true`) {
		t.Error("the page reloaded to update the counts")
	}
	// The rows follow too: Casey's conversation, resolved, leaves the
	// queue's page without a reload (its row stayed, marked Waiting, while
	// the counts moved on).
	w.Call("POST", fmt.Sprintf("/api/v1/accounts/%d/conversations/%d/toggle_status", w.account, id), w.botToken,
		map[string]any{"status": "resolved"}, 200)
	b.waitFor("Casey's row to go", fmt.Sprintf(`document.querySelector('tr[data-conversation="%d"]') === null`, id))
	if !js[bool](b, `window.__same === true`) {
		t.Error("the page reloaded to update its rows")
	}

	b.open(fmt.Sprintf("/app/accounts/%d/conversations?queue=bot", w.account))
	if !b.has("Bea Bot") || js[string](b, `document.querySelector(".owner").textContent`) != "Bot" {
		t.Errorf("the bot's queue: %s", b.text())
	}
	// The last message's sender is named as the transcript names it.
	if got := js[string](b, `document.querySelector("td.last .from").textContent`); got != "Customer:" {
		t.Errorf("the last message is from %q, want Customer:", got)
	}
	b.shot("agent-queue-bot")

	// A filtered page's counts are polled with its filters: searching for
	// Casey, whose conversation is resolved, nothing is open, and the rows
	// are not fetched again for counts that were never the page's.
	b.open(fmt.Sprintf("/app/accounts/%d/conversations?queue=resolved&q=Casey", w.account))
	js[bool](b, `(function () {
		window.__counts = 0; window.__rows = 0;
		var f = window.fetch;
		window.fetch = function (u) {
			if (String(u).indexOf("/counts?") >= 0) { window.__counts++; } else { window.__rows++; }
			return f.apply(this, arguments);
		};
		return true;
	})()`)
	b.waitFor("two polls of the counts", `window.__counts >= 2`)
	if got := js[string](b, `document.querySelector('.queues [data-count="open"]').textContent`); got != "0" {
		t.Errorf("searching for Casey, the open count shows %s, want 0", got)
	}
	if n := js[float64](b, `window.__rows`); n != 0 {
		t.Errorf("the rows were fetched %v times while nothing changed", n)
	}

	// Dark, and still AA.
	b.dark()
	b.open(fmt.Sprintf("/app/accounts/%d/conversations", w.account))
	b.shot("agent-queue-waiting-dark")
	browsertest.Axe(t, b.ctx)
	// The focus indicator meets WCAG 2.1 non-text contrast (3:1) against
	// what is behind it, on each control keyboard focus reaches.
	for i := 0; i < 12; i++ {
		b.keys(kb.Tab)
		if ratio := b.focusContrast(); ratio < 3 {
			t.Errorf("dark: focus on %s has contrast %.2f, want 3:1", js[string](b, `document.activeElement.outerHTML.slice(0, 80)`), ratio)
		}
	}
	b.shot("agent-queue-waiting-dark-focus")
}

// focusContrast returns the contrast ratio of the focused element's outline
// against the background it is drawn on (the nearest opaque background of
// the element's parents), or 21 when nothing is focused.
func (b *tab) focusContrast() float64 {
	return js[float64](b, `(() => {
		const el = document.activeElement;
		if (!el || el === document.body) { return 21; }
		const rgb = (s) => s.match(/[\d.]+/g).map(Number);
		const lum = ([r, g, bl]) => [r, g, bl].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); })
			.reduce((a, v, i) => a + v * [0.2126, 0.7152, 0.0722][i], 0);
		let bg = null;
		for (let p = el.parentElement; p && !bg; p = p.parentElement) {
			const c = rgb(getComputedStyle(p).backgroundColor);
			if (c.length < 4 || c[3] > 0) { bg = c; }
		}
		bg = bg || [255, 255, 255];
		const a = lum(rgb(getComputedStyle(el).outlineColor)), c = lum(bg);
		return (Math.max(a, c) + 0.05) / (Math.min(a, c) + 0.05);
	})()`)
}

func TestBrowserConversation(t *testing.T) {
	t.Parallel()
	w := setup(t)
	source := "casey-customer"
	id := w.customer("Casey Customer", "casey@example.com", "Where is my parcel?")
	w.handOff(id, "Customer asked for a person", "Parcel A-1234 is late; Casey wants to talk to someone.",
		"Order number: A-1234", "E-mail confirmed: casey@example.com")
	// An administrator, who works every inbox without being routed to:
	// an agent who connects is online and routing gives them the waiting
	// conversation before they could take it over.
	b := w.signedInTab(t, w.adminMail)

	// To the conversation with the keyboard: Tab to its row's link, Enter.
	b.tabTo(`a[href$="/conversations/` + fmt.Sprint(id) + `"]`)
	b.keys(kb.Enter)
	b.waitFor("the conversation", `document.getElementById("reply-content") !== null`)
	for _, want := range []string{"Handed over by Order Bot", "Customer asked for a person", "Parcel A-1234 is late",
		"Order number: A-1234", "Private note", "Where is my parcel?"} {
		if !b.has(want) {
			t.Errorf("the conversation page lacks %q", want)
		}
	}
	b.shot("agent-conversation-handed-off")
	browsertest.Axe(t, b.ctx)

	// Take over, by keyboard.
	b.tabTo(`button.primary[type=submit]`)
	if !b.focusVisible() {
		t.Error("the focused Take over button shows no focus outline")
	}
	if label := js[string](b, `document.activeElement.textContent`); label != "Take over" {
		t.Fatalf("focused %q, want Take over", label)
	}
	b.keys(kb.Enter)
	b.waitFor("me as owner", `document.getElementById("owner").textContent === "Ada Admin"`)
	// The Take over button is gone: the focus is where the next step is.
	b.waitFor("the focus on the reply box", `document.activeElement.id === "reply-content"`)

	// Reply: Shift+Enter is a new line, Enter sends.
	b.tabTo("#reply-content")
	b.keys("Hi Casey,")
	b.keys(kb.Enter, chromedp.KeyModifiers(chromedp.ModifierShift))
	b.keys("it ships today.")
	b.keys(kb.Enter)
	b.waitFor("the reply in the transcript", `[...document.querySelectorAll("#transcript .msg-person .body")].some(e => e.innerText === "Hi Casey,\nit ships today.")`)
	if v := js[string](b, `document.getElementById("reply-content").value`); v != "" {
		t.Errorf("the reply box kept %q after sending", v)
	}
	// Times show in the reader's zone, the server's UTC kept as their
	// title, for the messages that came with the page and those after.
	if bad := js[int](b, `[...document.querySelectorAll("#transcript time.clock")].filter(e => !e.dataset.local || e.textContent.includes("UTC") || !e.title.includes("UTC")).length`); bad > 0 {
		t.Errorf("%d of the transcript's times are not shown in the reader's zone", bad)
	}
	w.bot.wait(t, "the agent's reply", func(e map[string]any) bool {
		return e["event"] == "message_created" && e["content"] == "Hi Casey,\nit ships today."
	})

	// A private note.
	b.tabTo("#private-note")
	b.keys(" ")
	b.tabTo("#reply-content")
	b.keys("Checked the warehouse" + kb.Enter)
	b.waitFor("the note", `[...document.querySelectorAll("#transcript .msg-note .body")].some(e => e.textContent === "Checked the warehouse")`)

	// A new customer message appears without a reload.
	js[bool](b, `window.__same = true`)
	w.say(source, id, "Thank you! <script>alert(1)</script>")
	b.waitFor("the customer's new message", `[...document.querySelectorAll("#transcript .msg-customer .body")].some(e => e.textContent === "Thank you! <script>alert(1)</script>")`)
	if !js[bool](b, `window.__same === true`) {
		t.Error("the page reloaded to show the new message")
	}
	b.shot("agent-conversation-replied")

	// Hand back to the bot, with a note; the bot hears of it.
	b.tabTo("details.handback summary")
	b.keys(kb.Enter)
	b.tabTo("#handback-note")
	b.keys("Please confirm the delivery date")
	b.tabTo(`details.handback button[type=submit]`)
	b.keys(kb.Enter)
	b.waitFor("the bot as owner", `document.getElementById("owner").textContent.startsWith("Bot")`)
	w.bot.wait(t, "the status change", func(e map[string]any) bool {
		return e["event"] == "conversation_status_changed" && e["status"] == "pending"
	})
	w.bot.wait(t, "the note to the bot", func(e map[string]any) bool {
		return e["event"] == "message_created" && e["content"] == "Please confirm the delivery date"
	})
	if !b.has("Sending a reply takes it over from the bot") {
		t.Error("the page does not warn that replying takes over")
	}
	b.shot("agent-conversation-handed-back")

	// Resolve.
	b.tabTo(`form[action$="/resolve"] button`)
	b.keys(kb.Enter)
	b.waitFor("resolved", `document.getElementById("status").textContent === "resolved"`)
	b.shot("agent-conversation-resolved")
	browsertest.Axe(t, b.ctx)
}

func TestBrowserManyMessages(t *testing.T) {
	t.Parallel()
	w := setup(t)
	source := "long-talker"
	id := w.customer("Long Talker", "long@example.com", "message 0")
	for i := 1; i < 1000; i++ {
		w.say(source, id, fmt.Sprintf("message %d", i))
	}
	b := w.signedInTab(t, w.agentMail)
	b.open(fmt.Sprintf("/app/accounts/%d/conversations/%d", w.account, id))
	b.waitFor("the newest message", `document.body.innerText.includes("message 999")`)
	if n := js[int](b, `document.querySelectorAll("#transcript li").length`); n > 100 {
		t.Errorf("the page rendered %d messages at first, want a window", n)
	}
	// Scrolling up loads older messages, keeping the place.
	for range 5 {
		js[bool](b, `(document.getElementById("transcript-wrap").scrollTop = 0, true)`)
		time.Sleep(300 * time.Millisecond)
	}
	b.waitFor("older messages", `document.querySelectorAll("#transcript li").length > 100`)
	b.shot("agent-conversation-long")
}

// TestBrowserNewMessagesBelow: a message that comes while the person reads
// higher up in the transcript does not move it; a button over the
// transcript's foot says how many came and goes down to them (by keyboard
// too, the focus then on the transcript), and goes away once they are
// scrolled to.
func TestBrowserNewMessagesBelow(t *testing.T) {
	t.Parallel()
	w := setup(t)
	source := "rita-reader"
	id := w.customer("Rita Reader", "rita@example.com", "message 0")
	for i := 1; i < 40; i++ {
		w.say(source, id, fmt.Sprintf("message %d", i))
	}
	b := w.signedInTab(t, w.agentMail)
	b.open(fmt.Sprintf("/app/accounts/%d/conversations/%d", w.account, id))
	b.waitFor("the page", `document.readyState === "complete" && document.body.innerText.includes("message 39")`)
	js[bool](b, `(document.getElementById("transcript-wrap").scrollTop = 0, true)`)
	w.say(source, id, "Are you there?")
	b.waitFor("the button", `!document.getElementById("to-latest").hidden`)
	if got := js[string](b, `document.getElementById("to-latest").textContent`); got != "1 new message below" {
		t.Errorf("the button says %q", got)
	}
	if top := js[int](b, `document.getElementById("transcript-wrap").scrollTop`); top != 0 {
		t.Errorf("the transcript moved to %d while read above", top)
	}
	w.say(source, id, "Hello?")
	b.waitFor("two below", `document.getElementById("to-latest").textContent === "2 new messages below"`)
	b.shot("agent-new-messages-below")
	browsertest.Axe(t, b.ctx)
	b.tabTo("#to-latest")
	b.keys(kb.Enter)
	b.waitFor("at the foot, the button gone", `document.getElementById("to-latest").hidden && document.activeElement.id === "transcript-wrap"`)
	if !js[bool](b, `(w => w.scrollHeight - w.scrollTop - w.clientHeight < 40)(document.getElementById("transcript-wrap"))`) {
		t.Error("the button did not go down to the new messages")
	}

	// Scrolled down by hand, the button goes too.
	js[bool](b, `(document.getElementById("transcript-wrap").scrollTop = 0, true)`)
	w.say(source, id, "Still there?")
	b.waitFor("the button", `!document.getElementById("to-latest").hidden && document.getElementById("to-latest").textContent === "1 new message below"`)
	js[bool](b, `(w => (w.scrollTop = w.scrollHeight, true))(document.getElementById("transcript-wrap"))`)
	b.waitFor("the button gone", `document.getElementById("to-latest").hidden`)

	// One's own reply, sent from higher up in a conversation that is
	// already theirs (a reply that takes it over shows the page anew), is
	// shown: not a new message below.
	js[bool](b, `(document.querySelector('form[action$="/take_over"] button').click(), true)`)
	b.waitFor("the conversation theirs", `document.readyState === "complete" && document.getElementById("owner") &&
		document.getElementById("owner").textContent === "Sam Agent" && !document.getElementById("takeover-warning")`)
	js[bool](b, `(document.getElementById("transcript-wrap").scrollTop = 0, true)`)
	b.tabTo("#reply-content")
	b.keys("On it, Rita." + kb.Enter)
	b.waitFor("the reply at the foot", `document.body.innerText.includes("On it, Rita.") &&
		(w => w.scrollHeight - w.scrollTop - w.clientHeight < 40)(document.getElementById("transcript-wrap"))`)
	if !js[bool](b, `document.getElementById("to-latest").hidden`) {
		t.Errorf("one's own reply is counted below: %q", js[string](b, `document.getElementById("to-latest").textContent`))
	}
}

func TestBrowserAdministration(t *testing.T) {
	t.Parallel()
	w := setup(t)
	w.customer("Casey", "casey@example.com", "hello bot")
	w.bot.wait(t, "the customer's message", func(e map[string]any) bool { return e["event"] == "message_created" })
	// Two handoffs, one answered, for the reports.
	for _, name := range []string{"Dana", "Eli"} {
		id := w.customer(name, strings.ToLower(name)+"@example.com", "a person please")
		w.handOff(id, "Customer asked for a person", name+" wants a person")
		if name == "Dana" {
			hb := w.browser()
			p := hb.signIn(w.agentMail, password)
			hb.post(fmt.Sprintf("/app/accounts/%d/conversations/%d/messages", w.account, id),
				url.Values{"csrf_token": {p.csrf(t)}, "content": {"Hello Dana"}})
		}
	}
	b := w.signedInTab(t, w.adminMail)
	set := fmt.Sprintf("/app/accounts/%d/settings", w.account)
	pages := []struct{ path, name, want string }{
		{"/inboxes", "admin-inboxes", "New inbox"},
		{fmt.Sprintf("/inboxes/%d", w.inbox.ID), "admin-inbox", "Members"},
		{"/agents", "admin-agents", "New agent"},
		{"/teams", "admin-teams", "New team"},
		{"/bots", "admin-bots", "Order Bot"},
		{fmt.Sprintf("/bots/%d", w.botID), "admin-bot", "Reset token"},
		{fmt.Sprintf("/bots/%d/deliveries", w.botID), "admin-deliveries", "message_created"},
		{"/../reports/bots", "admin-bot-reports", "Handoff rate"},
	}
	for _, p := range pages {
		b.open(strings.Replace(set+p.path, "/settings/../", "/", 1))
		if !b.has(p.want) {
			t.Errorf("%s lacks %q", p.path, p.want)
		}
		b.shot(p.name)
		browsertest.Axe(t, b.ctx)
	}
	// A website inbox made in the page shows its snippet.
	b.open(set + "/inboxes")
	b.tabTo("#inbox-name")
	b.keys("Shop")
	b.tabTo(`input[name=channel][value=api]`)
	b.keys(kb.ArrowDown)
	b.tabTo(`form[action$="/settings/inboxes"] button[type=submit]`)
	b.keys(kb.Enter)
	b.waitFor("the snippet", `document.getElementById("snippet") !== null`)
	if !strings.Contains(js[string](b, `document.getElementById("snippet").value`), "chatwootSDK.run") {
		t.Error("the snippet does not run the SDK")
	}
	b.shot("admin-inbox-website")
	// A delivery's attempt.
	b.open(set + fmt.Sprintf("/bots/%d/deliveries", w.botID))
	b.tabTo(`a[href*="/deliveries/"]`)
	b.keys(kb.Enter)
	b.waitFor("the delivery", `document.body.innerText.includes("Attempts")`)
	b.shot("admin-delivery")
	browsertest.Axe(t, b.ctx)
}

func TestBrowserAgentRefusedAdministration(t *testing.T) {
	t.Parallel()
	w := setup(t)
	b := w.signedInTab(t, w.agentMail)
	if b.has("Inboxes") || b.has("Bots") {
		t.Error("an agent sees the administration in the navigation")
	}
	b.open(fmt.Sprintf("/app/accounts/%d/settings/bots", w.account))
	if !b.has("Only administrators") || b.has("Order Bot") {
		t.Errorf("an agent at the bots page: %s", b.text())
	}
	b.shot("agent-refused-admin")
}

func TestBrowserOtherAccountAndCSRF(t *testing.T) {
	t.Parallel()
	w := setup(t)
	id := w.customer("Casey Secret", "casey@example.com", "My card number is 4242")
	b := w.tab(t)
	b.signIn(w.other, password)
	b.waitFor("their own queues", `location.pathname.endsWith("/conversations")`)
	b.open(fmt.Sprintf("/app/accounts/%d/conversations/%d", w.account, id))
	if b.has("Casey") || b.has("4242") || !b.has("not yours to see") {
		t.Errorf("an agent of another account at the conversation: %s", b.text())
	}
	b.shot("agent-other-account")
	b.open(fmt.Sprintf("/app/accounts/%d/conversations", w.account))
	if b.has("Casey") {
		t.Error("an agent of another account sees the queue")
	}

	// A state-changing call without the CSRF token is refused, even from
	// the app's own page with its cookie.
	own := w.signedInTab(t, w.agentMail)
	got, err := chromedp.Run(own.ctx, chromedp.Evaluate[int](fmt.Sprintf(`fetch("/app/accounts/%d/conversations/%d/resolve", {method: "POST", credentials: "same-origin"}).then(r => r.status)`, w.account, id), chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if got != 403 {
		t.Errorf("resolve without the token: %d, want 403", got)
	}
	c, _ := w.App.Conversation(batontest.System(), w.account, id)
	if c.Status.String() == "resolved" {
		t.Error("the conversation was resolved without the token")
	}
}

func TestBrowserCollision(t *testing.T) {
	t.Parallel()
	w := setup(t)
	id := w.customer("Casey Customer", "casey@example.com", "Anyone?")
	w.handOff(id, "Customer asked for a person", "Casey wants a person")
	conv := fmt.Sprintf("/app/accounts/%d/conversations/%d", w.account, id)
	sam := w.signedInTab(t, w.agentMail)
	sam.open(conv)
	ada := w.signedInTab(t, w.adminMail)
	ada.open(conv)
	ada.waitFor("Sam as a viewer", `document.getElementById("viewers").textContent === "Also viewing: Sam Agent"`)
	sam.waitFor("Ada as a viewer", `document.getElementById("viewers").textContent === "Also viewing: Ada Admin"`)
	sam.shot("agent-conversation-collision")
}

func TestBrowserCustomerTyping(t *testing.T) {
	t.Parallel()
	w := setup(t)
	id := w.customer("Tess Typer", "tess@example.com", "Hello")
	w.handOff(id, "Customer asked for a person", "Tess wants a person")
	b := w.signedInTab(t, w.agentMail)
	b.open(fmt.Sprintf("/app/accounts/%d/conversations/%d", w.account, id))
	// The page's /cable subscription is up once the socket has said welcome;
	// typing is sent until the page shows it. The page reloads itself when
	// the conversation changes hands (the handoff's routing may assign it
	// to the agent who just signed in), and while it does there is no
	// #typing to read, or no page to ask.
	shows := func() string {
		v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.getElementById("typing")?.textContent ?? ""`))
		if err != nil {
			return ""
		}
		return v
	}
	deadline := time.Now().Add(30 * time.Second)
	for got := ""; got != "Tess Typer is typing…"; got = shows() {
		if time.Now().After(deadline) {
			t.Fatalf("the customer's typing never showed as Tess Typer's (last %q): %s", got, b.text())
		}
		if err := w.App.PublicTyping(w.asCustomer("tess-typer"), id, "on"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	b.shot("agent-conversation-customer-typing")
}

// The agent's typing in the Reply box reaches the customer over /cable (the
// public side's RoomChannel, in a browser of its own), and stops by itself
// a few seconds after the agent stops typing.
func TestBrowserAgentTypingReachesCustomer(t *testing.T) {
	t.Parallel()
	w := setup(t)
	name, email := "Cleo Customer", "cleo@example.com"
	ctx := w.asCustomer("cleo")
	_, ci, err := w.App.PublicCreateContact(ctx, app.PublicContactInput{SourceID: "cleo",
		ContactInput: app.ContactInput{Name: &name, Email: &email}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := w.App.PublicCreateConversation(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.say("cleo", c.DisplayID, "Is anyone there?")
	w.handOff(c.DisplayID, "Customer asked for a person", "Cleo wants a person")

	// The customer's side: a page listening on /cable as the contact does.
	cust := w.tab(t)
	cust.open("/app/login")
	js[bool](cust, fmt.Sprintf(`(() => {
		window.heard = [];
		const ws = new WebSocket(location.origin.replace(/^http/, "ws") + "/cable");
		const identifier = JSON.stringify({channel: "RoomChannel", pubsub_token: %q});
		ws.onopen = () => ws.send(JSON.stringify({command: "subscribe", identifier}));
		ws.onmessage = (m) => {
			const f = JSON.parse(m.data);
			if (f.type === "confirm_subscription") { window.subscribed = true; }
			if (f.message && f.message.event) {
				const d = f.message.data || {};
				window.heard.push({event: f.message.event, at: Date.now(), private: !!d.is_private,
					user: (d.user && d.user.name) || ""});
			}
		};
		return true;
	})()`, ci.PubsubToken))
	cust.waitFor("the customer's subscription", `window.subscribed === true`)

	agent := w.signedInTab(t, w.agentMail)
	// Sam, online now, is routed the waiting conversation; a page opened
	// before that would reload itself when it changes hands, mid-typing.
	deadline := time.Now().Add(30 * time.Second)
	for {
		conv, err := w.App.Conversation(batontest.System(), w.account, c.DisplayID)
		if err != nil {
			t.Fatal(err)
		}
		if conv.AssigneeID == w.agentID {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the conversation was not routed to Sam (assignee %d)", conv.AssigneeID)
		}
		time.Sleep(20 * time.Millisecond)
	}
	agent.open(fmt.Sprintf("/app/accounts/%d/conversations/%d", w.account, c.DisplayID))
	agent.waitFor("the reply box", `!!document.getElementById("reply-content")`)
	if err := chromedp.Do(agent.ctx, chromedp.SendKeys(`#reply-content`, "Hello Cleo, one mo")); err != nil {
		t.Fatal(err)
	}
	cust.waitFor("the agent's typing", `window.heard.some(e => e.event === "conversation.typing_on" && e.user === "Sam Agent")`)
	cust.waitFor("the typing to stop by itself", `window.heard.some(e => e.event === "conversation.typing_off")`)
	on := js[float64](cust, `window.heard.find(e => e.event === "conversation.typing_on").at`)
	off := js[float64](cust, `window.heard.find(e => e.event === "conversation.typing_off").at`)
	if d := time.Duration(off-on) * time.Millisecond; d < 2*time.Second || d > 15*time.Second {
		t.Errorf("typing stopped %v after it started, want a few seconds after the last key", d)
	}
	agent.shot("agent-conversation-typing-to-customer")
}

// TestBrowserBotAdmin: an administrator gives the bot an avatar through the
// page's file input and sees it, then replays the delivery log since an hour
// ago and the bot receives the customer's message again.
func TestBrowserBotAdmin(t *testing.T) {
	t.Parallel()
	w := setup(t)
	conv := w.customer("Fay", "fay@example.com", "replay me")
	isMsg := func(e map[string]any) bool { return e["event"] == "message_created" && e["content"] == "replay me" }
	w.bot.wait(t, "the customer's message", isMsg)

	// A 2×2 red PNG.
	var img bytes.Buffer
	pic := image.NewRGBA(image.Rect(0, 0, 2, 2))
	for x := range 2 {
		for y := range 2 {
			pic.Set(x, y, color.RGBA{R: 200, A: 255})
		}
	}
	if err := png.Encode(&img, pic); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "bot.png")
	if err := os.WriteFile(file, img.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}

	b := w.signedInTab(t, w.adminMail)
	bot := fmt.Sprintf("/app/accounts/%d/settings/bots/%d", w.account, w.botID)
	b.open(bot)
	if err := chromedp.Do(b.ctx, chromedp.SetUploadFiles(chromedp.CSS("#bot-avatar"), []string{file})); err != nil {
		t.Fatal(err)
	}
	b.tabTo(`form[enctype="multipart/form-data"] button[type=submit]`)
	b.keys(kb.Enter)
	b.waitFor("the avatar", `(() => { const i = document.querySelector('img[alt^="Avatar of"]'); return i && i.complete && i.naturalWidth === 2; })()`)
	v, err := w.App.AgentBot(batontest.System(), w.account, w.botID)
	if err != nil {
		t.Fatal(err)
	}
	if key := v.Bot.AvatarKey; key == "" || !strings.HasSuffix(js[string](b, `document.querySelector('img[alt^="Avatar of"]').src`), "/"+key) {
		t.Errorf("the page's avatar is not the stored one %q", key)
	}
	b.shot("admin-bot-avatar")
	browsertest.Axe(t, b.ctx)

	// Replay the conversation's events since an hour ago.
	b.open(bot + "/deliveries")
	since := time.Now().UTC().Add(-time.Hour).Format("2006-01-02T15:04")
	if err := chromedp.Do(b.ctx, chromedp.SetValue(chromedp.CSS("#replay-since"), since)); err != nil {
		t.Fatal(err)
	}
	b.tabTo("#replay-conv")
	b.keys(fmt.Sprint(conv))
	b.tabTo(`form[action$="/replay"] button[type=submit]`)
	b.keys(kb.Enter)
	b.waitFor("the replay's count", `document.body.innerText.includes("events queued again")`)
	b.shot("admin-deliveries-replayed")
	browsertest.Axe(t, b.ctx)
	deadline := time.Now().Add(30 * time.Second)
	for w.bot.count(isMsg) < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the bot never received the replayed message")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestBrowserOwnerChangesUnderThePage: the conversation an agent has open
// passes to another person; the page shows the new owner by itself, with
// its controls (Take over again), and the reply the agent was writing is
// still in the box. Taking it over from a page that saw it as someone
// else's, after a third person took it, is refused with who was first.
func TestBrowserOwnerChangesUnderThePage(t *testing.T) {
	t.Parallel()
	w := setup(t)
	id := w.customer("Casey Customer", "casey@example.com", "Where is my parcel?")
	w.handOff(id, "Customer asked for a person", "Parcel late.")
	sys := batontest.System()
	if _, err := w.App.Assign(sys, w.account, id, w.agentID); err != nil {
		t.Fatal(err)
	}
	olly, _ := w.NewUser(w.account, "Olly Other", fmt.Sprintf("olly%d@acme.test", w.account), "administrator")
	b := w.signedInTab(t, w.agentMail)
	b.open(fmt.Sprintf("/app/accounts/%d/conversations/%d", w.account, id))
	b.waitFor("the page as Sam's", `document.getElementById("owner").textContent.includes("Sam Agent")`)
	b.waitFor("the live channel", `document.body.dataset.live === "on"`)
	// Sam is writing a private note, the box focused.
	js[any](b, `(document.getElementById("private-note").click(), null)`)
	js[any](b, `(document.getElementById("reply-content").focus(), document.getElementById("reply-content").value = "Half a note", null)`)

	if _, err := w.App.Assign(sys, w.account, id, olly); err != nil {
		t.Fatal(err)
	}
	b.waitFor("the new owner", `document.getElementById("owner") && document.getElementById("owner").textContent.includes("Olly Other")`)
	b.waitFor("Take over offered again", `document.querySelector('form[action$="/take_over"]') !== null`)
	// A reply now would go to the customer beside Olly's: the page says so,
	// and the reply box is described by it.
	if got := js[string](b, `document.getElementById("others-warning") ? document.getElementById("others-warning").textContent : ""`); !strings.HasPrefix(got, "Olly Other has this conversation") {
		t.Errorf("the page does not say Olly has the conversation: %q", got)
	}
	if got := js[string](b, `document.getElementById("reply-content").getAttribute("aria-describedby")`); !strings.Contains(got, "others-warning") {
		t.Errorf("the reply box is described by %q", got)
	}
	// The page's script puts the draft back once it runs, after the page
	// shows.
	// It is still a private note, says so, and has the focus: the next
	// Enter must not send it to the customer.
	b.waitFor("the draft put back", `document.getElementById("reply-content").value === "Half a note"`)
	if !js[bool](b, `document.getElementById("private-note").checked`) {
		t.Error("the draft of a private note came back as a reply to the customer")
	}
	if got := js[string](b, `document.querySelector('#reply button[type=submit]').textContent`); got != "Add private note" {
		t.Errorf("the send button of a private note says %q", got)
	}
	if got := js[string](b, `document.activeElement.id`); got != "reply-content" {
		t.Errorf("after the reload the focus is on %q, want the reply box", got)
	}
	b.shot("agent-conversation-taken-from-me")

	// Pat takes it from Olly while Sam's page still shows Olly's: Sam's
	// take over is refused, says who was first, and the page shows Pat's.
	seen := js[string](b, `document.querySelector('form[action$="/take_over"] input[name=seen]').value`)
	if seen != fmt.Sprintf("person:%d", olly) {
		t.Fatalf("the take over form saw %q, want Olly's", seen)
	}
	// The page must not see Pat's take over before Sam's click (it would
	// show it, as it should): its reads of the conversation hang.
	js[any](b, `(window.realFetch = window.fetch, window.fetch = function (u, o) {
		return String(u).indexOf("/messages") >= 0 ? new Promise(function () {}) : window.realFetch(u, o);
	}, null)`)
	pat, patToken := w.NewUser(w.account, "Pat Peer", fmt.Sprintf("pat%d@acme.test", w.account), "administrator")
	actor, err := w.App.Authenticate(context.Background(), patToken)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.App.TakeOver(baton.NewContextWithActor(context.Background(), actor), w.account, id, seen); err != nil {
		t.Fatal(err)
	}
	js[any](b, `(window.alert = function (m) { window.lastAlert = m; }, null)`)
	js[any](b, `(document.querySelector('form[action$="/take_over"] button').click(), null)`)
	b.waitFor("the page as it stands", `document.getElementById("owner") && document.getElementById("owner").textContent.includes("Pat Peer")`)
	c, err := w.App.Conversation(sys, w.account, id)
	if err != nil || c.AssigneeID != pat {
		t.Fatalf("after the refused take over the conversation is %d's, want Pat's %d (%v)", c.AssigneeID, pat, err)
	}
}

// TestBrowserLiveRowsAndAnswers: a queue's rows show a conversation's new
// last message as it comes, though no count changed; an open conversation
// shows the customer's answer to the bot's question as it comes.
func TestBrowserLiveRowsAndAnswers(t *testing.T) {
	t.Parallel()
	w := setup(t)
	id := w.customer("Casey Customer", "casey@example.com", "Where is my parcel?")
	w.handOff(id, "Customer asked for a person", "Parcel late.")
	if _, err := w.App.Assign(batontest.System(), w.account, id, w.agentID); err != nil {
		t.Fatal(err)
	}
	b := w.signedInTab(t, w.agentMail)
	b.open(fmt.Sprintf("/app/accounts/%d/conversations?queue=mine", w.account))
	b.waitFor("the row", `document.body.innerText.includes("Casey Customer")`)
	b.waitFor("the live channel", `document.body.dataset.live === "on"`)
	w.say("casey-customer", id, "Also, the box was open")
	b.waitFor("the row's new last message", `document.getElementById("rows").innerText.includes("the box was open")`)
	// The customer wrote in one of Sam's conversations, which Sam is not
	// looking at: Sam is told.
	b.waitFor("Sam told", fmt.Sprintf(`document.getElementById("live").textContent === "Casey Customer wrote in conversation %d."`, id))

	// The bot asks another customer, whose conversation it has; the page
	// is open; the customer answers.
	id = w.customer("Dana Doe", "dana@example.com", "Hello")
	q := w.Call("POST", fmt.Sprintf("/api/v1/accounts/%d/conversations/%d/messages", w.account, id), w.botToken,
		map[string]any{"content": "Which one?", "content_type": "input_select",
			"content_attributes": map[string]any{"items": []any{map[string]any{"title": "The blue one", "value": "blue"}}}}, http.StatusOK).(map[string]any)
	b.open(fmt.Sprintf("/app/accounts/%d/conversations/%d", w.account, id))
	b.waitFor("the question", `document.body.innerText.includes("Which one?")`)
	b.waitFor("the live channel", `document.body.dataset.live === "on"`)
	if _, err := w.App.PublicAnswer(w.asCustomer("dana-doe"), id, int64(q["id"].(float64)),
		app.Answer{SubmittedValues: []any{map[string]any{"title": "The blue one", "value": "blue"}}}); err != nil {
		t.Fatal(err)
	}
	b.waitFor("the answer", `document.getElementById("transcript").innerText.includes("answered")`)
	b.shot("agent-conversation-live-answer")
}

// phone makes the tab a phone's: a 375×740 viewport, mobile and touch.
func (b *tab) phone() {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.EmulateViewport(375, 740, chromedp.EmulateMobile, chromedp.EmulateTouch)); err != nil {
		b.t.Fatal(err)
	}
}

// fits fails the test when the page is wider than the phone's viewport
// (it would scroll sideways), naming the elements that stick out, and
// writes a screenshot with the name.
func (b *tab) fits(name string) {
	b.t.Helper()
	// Measured once the page has its style sheet: before, a table is as
	// wide as its words make it.
	b.waitFor("the page loaded", `document.readyState === "complete"`)
	// A mobile browser zooms out to show a page wider than its viewport,
	// which widens innerWidth too: it must stay the device's width.
	got := js[string](b, `(() => {
		const vw = window.innerWidth, sw = document.documentElement.scrollWidth;
		if (vw === 375 && sw <= vw) { return ""; }
		const out = [...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > 375.5)
			.map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className && typeof e.className === "string" ? "." + e.className.trim().split(/\s+/).join(".") : "") +
				" (" + Math.round(e.getBoundingClientRect().right) + "px)");
		return "innerWidth " + vw + ", scrollWidth " + sw + "; sticking out: " + out.slice(0, 8).join(", ");
	})()`)
	if got != "" {
		b.t.Errorf("%s does not fit a 375 px phone: %s", name, got)
	}
	b.shot(name)
}

// TestBrowserPhone: every page of the agent app fits a phone's 375 px wide
// viewport, with no sideways scroll, even with long URLs, tokens and words
// in what it shows; wide tables scroll in their own box.
func TestBrowserPhone(t *testing.T) {
	t.Parallel()
	w := setup(t)
	sys := batontest.System()
	long := "https://parcels.example.com/track/" + strings.Repeat("A1B2C3D4", 12) + "?utm_source=newsletter&utm_medium=email"
	word := strings.Repeat("Donaudampfschifffahrt", 5)
	name := "Casey Customer-Hyphenated-Verylongsurname"
	id := w.customer(name, "casey.with.a.rather.long.address.for.testing@logistics-example.com", "Where is my parcel? "+long)
	w.say(strings.ToLower(strings.ReplaceAll(name, " ", "-")), id, word)
	w.handOff(id, "Customer asked for a person", "Parcel late, tracking at "+long+" "+word,
		"Token: "+strings.Repeat("f3a9c0de", 8))
	site := "https://www.a-shop-with-a-really-long-domain-name-for-testing.example.com/"
	web, err := w.App.CreateInbox(sys, w.account, app.InboxInput{Name: ptr("Website " + word), ChannelType: baton.ChannelWebWidget, WebsiteURL: &site})
	if err != nil {
		t.Fatal(err)
	}
	team, err := w.App.CreateTeam(sys, w.account, app.TeamInput{Name: ptr("Returns"), Description: ptr(word)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.App.CreateAgentBot(sys, w.account, app.AgentBotInput{Name: ptr("Tracker " + word), Description: ptr(long),
		OutgoingURL: ptr(w.bot.URL + "/hook/" + strings.Repeat("segment", 12))}); err != nil {
		t.Fatal(err)
	}
	w.bot.wait(t, "the customer's message", func(e map[string]any) bool { return e["event"] == "message_created" })

	b := w.tab(t)
	b.phone()
	b.open("/app/login")
	b.fits("phone-login")
	b.signIn(w.adminMail, password)
	b.waitFor("the queues", `location.pathname.endsWith("/conversations")`)
	acc := fmt.Sprintf("/app/accounts/%d", w.account)
	set := acc + "/settings"
	pages := []struct{ path, name, want string }{
		{acc + "/conversations?queue=open", "phone-queue", name},
		{fmt.Sprintf("%s/conversations/%d", acc, id), "phone-conversation", "Handed over by"},
		{set + "/inboxes", "phone-admin-inboxes", "New inbox"},
		{fmt.Sprintf("%s/inboxes/%d", set, w.inbox.ID), "phone-admin-inbox", "Members"},
		{fmt.Sprintf("%s/inboxes/%d", set, web.ID), "phone-admin-inbox-website", "Snippet"},
		{set + "/agents", "phone-admin-agents", "New agent"},
		{set + "/teams", "phone-admin-teams", "New team"},
		{fmt.Sprintf("%s/teams/%d", set, team.ID), "phone-admin-team", "Members"},
		{set + "/bots", "phone-admin-bots", "Order Bot"},
		{fmt.Sprintf("%s/bots/%d", set, w.botID), "phone-admin-bot", "Reset token"},
		{fmt.Sprintf("%s/bots/%d/deliveries", set, w.botID), "phone-admin-deliveries", "message_created"},
		{acc + "/reports/bots", "phone-admin-bot-reports", "Handoff rate"},
		{acc + "/conversations/999999", "phone-not-found", "not yours to see"},
	}
	for _, p := range pages {
		b.open(p.path)
		b.waitFor(p.want, fmt.Sprintf(`document.body.innerText.includes(%q)`, p.want))
		b.fits(p.name)
		if p.name == "phone-conversation" {
			// Further down: the transcript and the reply box.
			js[bool](b, `(document.getElementById("reply").scrollIntoView({block: "end"}), true)`)
			b.fits("phone-conversation-transcript")
			js[bool](b, `(document.querySelector("details.handback").open = true, true)`)
			js[bool](b, `(document.querySelector("aside.side").scrollIntoView(), true)`)
			b.fits("phone-conversation-details")
		}
		if p.name == "phone-admin-bot" {
			js[bool](b, `(document.querySelector("details").open = true, document.querySelector("details").scrollIntoView(), true)`)
			b.fits("phone-admin-bot-token")
		}
	}
	// A delivery's page, with its request body and attempts.
	b.open(fmt.Sprintf("%s/bots/%d/deliveries", set, w.botID))
	b.open(js[string](b, `document.querySelector('a[href*="/deliveries/"]').getAttribute("href")`))
	b.waitFor("the delivery", `document.body.innerText.includes("Attempts")`)
	b.fits("phone-admin-delivery")
	// The navigation, signed in as an agent.
	a := w.tab(t)
	a.phone()
	a.signIn(w.agentMail, password)
	a.waitFor("the queues", `location.pathname.endsWith("/conversations")`)
	a.fits("phone-agent-queue")
}

// TestBrowserInteractiveMessages: the transcript shows what the bot's cards,
// articles, form and questions showed the customer, and the customer's
// answers: each card's image, title, description and buttons, http(s) links
// opening in a new tab, and the bot's text never as markup.
func TestBrowserInteractiveMessages(t *testing.T) {
	t.Parallel()
	w := setup(t)
	id := w.customer("Casey Customer", "casey@example.com", "Which parcel is late?")
	// An image the page may load (its own origin): the bot's avatar.
	var img bytes.Buffer
	pic := image.NewRGBA(image.Rect(0, 0, 240, 140))
	for x := range 240 {
		for y := range 140 {
			pic.Set(x, y, color.RGBA{R: uint8(40 + x/2), G: uint8(90 + y), B: 200, A: 255})
		}
	}
	if err := png.Encode(&img, pic); err != nil {
		t.Fatal(err)
	}
	v, err := w.App.UpdateAgentBot(batontest.System(), w.account, w.botID, app.AgentBotInput{
		Avatar: &app.FileInput{Name: "parcel.png", ContentType: "image/png", Body: &img}})
	if err != nil {
		t.Fatal(err)
	}
	picture := w.URL + "/" + v.Bot.AvatarKey
	title := `Parcel A-1234 <img src=x onerror="window.__xss=1">`
	conv := fmt.Sprintf("/api/v1/accounts/%d/conversations/%d/messages", w.account, id)
	send := func(content, contentType string, attrs map[string]any) int64 {
		m := w.Call("POST", conv, w.botToken, map[string]any{"content": content, "content_type": contentType,
			"content_attributes": attrs}, http.StatusOK).(map[string]any)
		return int64(m["id"].(float64))
	}
	send("Here are your parcels", "cards", map[string]any{"items": []any{
		map[string]any{"title": title, "description": "Left the depot on Monday; arrives Friday.", "media_url": picture,
			"actions": []any{
				map[string]any{"type": "link", "text": "Track it", "uri": "https://track.example.com/p/A-1234"},
				map[string]any{"type": "postback", "text": "It is late", "payload": "LATE_A1234"}}},
		map[string]any{"title": "Parcel B-5678", "description": "Delivered yesterday.",
			"actions": []any{map[string]any{"type": "link", "text": "Call the courier", "uri": "tel:+3512345678"}}}}})
	send("These may help", "article", map[string]any{"items": []any{
		map[string]any{"title": "Late parcels", "description": "What to do when a parcel is late.", "link": "https://help.example.com/late"}}})
	form := send("A few details", "form", map[string]any{"items": []any{
		map[string]any{"name": "order", "label": "Order number", "type": "text", "required": true},
		map[string]any{"name": "when", "label": "When did you order?", "type": "text"}}})
	email := send("Where can we write to you?", "input_email", nil)
	cust := w.asCustomer("casey-customer")
	if _, err := w.App.PublicAnswer(cust, id, form, app.Answer{SubmittedValues: []any{
		map[string]any{"name": "order", "value": "A-1234"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.App.PublicAnswer(cust, id, email, app.Answer{SubmittedEmail: "casey.parcels@example.com"}); err != nil {
		t.Fatal(err)
	}

	b := w.signedInTab(t, w.adminMail)
	b.open(fmt.Sprintf("/app/accounts/%d/conversations/%d", w.account, id))
	b.waitFor("the cards", `document.querySelectorAll(".msg-card").length === 2`)
	b.waitFor("the card's image", `(() => { const i = document.querySelector(".card-image"); return i && i.complete && i.naturalWidth === 240; })()`)
	if got := js[string](b, `document.querySelector(".card-title").textContent`); got != title {
		t.Errorf("the card's title reads %q, want %q as text", got, title)
	}
	if got := js[string](b, `document.querySelector(".card-image").alt`); got != title {
		t.Errorf("the card's image is described as %q, want its title", got)
	}
	if js[bool](b, `window.__xss === 1 || document.querySelector('img[src="x"]') !== null`) {
		t.Error("the card's title became markup")
	}
	links := js[[]string](b, `[...document.querySelectorAll("#transcript a")].map(a => a.href + " " + a.target + " " + a.rel)`)
	wantLinks := []string{"https://track.example.com/p/A-1234 _blank noopener noreferrer",
		"https://help.example.com/late _blank noopener noreferrer"}
	if fmt.Sprint(links) != fmt.Sprint(wantLinks) {
		t.Errorf("the transcript's links are %q, want %q", links, wantLinks)
	}
	text := js[string](b, `document.getElementById("transcript").innerText`)
	for _, want := range []string{"Left the depot on Monday; arrives Friday.", "It is late", "Call the courier", "tel:+3512345678",
		"Delivered yesterday.", "Late parcels", "What to do when a parcel is late.",
		"Order number (text, required): A-1234", "When did you order? (text)",
		"Asked for an e-mail address.", "Customer answered: casey.parcels@example.com"} {
		if !strings.Contains(text, want) {
			t.Errorf("the transcript lacks %q:\n%s", want, text)
		}
	}
	// The transcript shows the cards at its top; the page stays put.
	showCards := `(() => { const wrap = document.getElementById("transcript-wrap");
		wrap.scrollTop = document.querySelector(".msg-cards").closest("li.msg").offsetTop - wrap.offsetTop; return true; })()`
	js[bool](b, showCards)
	b.shot("agent-conversation-cards")
	browsertest.Axe(t, b.ctx)
	js[bool](b, `(() => { const wrap = document.getElementById("transcript-wrap"); wrap.scrollTop = wrap.scrollHeight; return true; })()`)
	b.shot("agent-conversation-form")

	b.phone()
	b.open(fmt.Sprintf("/app/accounts/%d/conversations/%d", w.account, id))
	b.waitFor("the cards", `document.querySelectorAll(".msg-card").length === 2`)
	js[bool](b, `(document.getElementById("transcript-wrap").scrollIntoView(), true)`)
	js[bool](b, showCards)
	b.waitFor("the card's image", `(() => { const i = document.querySelector(".card-image"); return i && i.complete && i.naturalWidth === 240; })()`)
	b.fits("phone-conversation-cards")
}

// TestBrowserCannedResponsePicker: "/ref" in the reply box asks the server
// for the matching canned responses and shows them in a listbox; the
// keyboard picks one, its text is inserted for editing, and Enter sends
// it. "/" alone shows the first 20 of many and says more match; what
// matches nothing says so; Enter typed before the answer comes waits for
// it; an answer is asked for once.
func TestBrowserCannedResponsePicker(t *testing.T) {
	t.Parallel()
	w := setup(t)
	sys := batontest.System()
	canned := [][2]string{{"refund", "Your refund is on its way."}, {"refund-late", "Sorry, your refund is late."},
		{"hello", "Hello! <b>How</b> can I help?"}}
	for i := range 30 {
		canned = append(canned, [2]string{fmt.Sprintf("zeta-%02d", i), fmt.Sprintf("Zeta answer number %d.", i)})
	}
	for _, c := range canned {
		if _, err := w.App.CreateCannedResponse(sys, w.account, app.CannedResponseInput{ShortCode: ptr(c[0]), Content: ptr(c[1])}); err != nil {
			t.Fatal(err)
		}
	}
	id := w.customer("Casey Customer", "casey@example.com", "Where is my money?")
	b := w.signedInTab(t, w.adminMail)
	b.open(fmt.Sprintf("/app/accounts/%d/conversations/%d", w.account, id))
	b.waitFor("the reply box", `!!document.getElementById("reply-content")`)
	if n := js[int](b, `document.documentElement.outerHTML.split("Zeta answer").length - 1`); n != 0 {
		t.Errorf("the page carries %d canned responses", n)
	}
	b.tabTo("#reply-content")
	b.keys("/ref")
	b.waitFor("the picker", `!document.getElementById("canned-picker").hidden && document.querySelectorAll("#canned-picker [role=option]").length === 2`)
	options := js[[]string](b, `[...document.querySelectorAll("#canned-picker [role=option]")].map(o => o.textContent)`)
	if strings.Join(options, "|") != "/refundYour refund is on its way.|/refund-lateSorry, your refund is late." {
		t.Errorf("options %q, want refund and refund-late", options)
	}
	b.waitFor("the count said", `document.getElementById("live").textContent === "2 canned responses"`)
	b.keys(kb.ArrowDown)
	if got := js[string](b, `document.getElementById("reply-content").getAttribute("aria-activedescendant")`); got != "canned-option-1" ||
		js[string](b, `document.getElementById("canned-option-1").getAttribute("aria-selected")`) != "true" {
		t.Errorf("after ArrowDown the active option is %q", got)
	}
	b.shot("agent-canned-picker")
	browsertest.Axe(t, b.ctx)
	b.keys(kb.Enter)
	b.waitFor("the inserted text", `document.getElementById("reply-content").value === "Sorry, your refund is late."`)
	if !js[bool](b, `document.getElementById("canned-picker").hidden && document.activeElement.id === "reply-content"`) {
		t.Error("after picking, the picker is open or the reply box lost the focus")
	}
	// The text stays editable before sending.
	b.keys(" Today.")
	b.keys(kb.Enter)
	b.waitFor("the reply in the transcript", `[...document.querySelectorAll("#transcript .msg-person .body")].some(e => e.innerText === "Sorry, your refund is late. Today.")`)
	w.bot.wait(t, "the reply", func(e map[string]any) bool {
		return e["event"] == "message_created" && e["content"] == "Sorry, your refund is late. Today."
	})

	// The reply took the conversation over from the bot: the page shows it
	// again as Ada's, the focus back in the reply box.
	b.waitFor("the page as Ada's", `document.getElementById("owner") && document.getElementById("owner").textContent.includes("Ada") && document.activeElement.id === "reply-content" && document.readyState === "complete"`)

	// Escape closes; content is shown as text, never as HTML.
	b.keys("/hel")
	b.waitFor("the picker", `!document.getElementById("canned-picker").hidden && document.querySelector("#canned-option-0 .code").textContent === "/hello"`)
	if n := js[int](b, `document.querySelectorAll("#canned-picker b").length`); n != 0 {
		t.Error("a canned response's content was inserted as HTML")
	}
	b.keys(kb.Escape)
	b.waitFor("the picker closed", `document.getElementById("canned-picker").hidden`)
	if v := js[string](b, `document.getElementById("reply-content").value`); v != "/hel" {
		t.Errorf("Escape changed the box to %q", v)
	}

	// "/" alone: the first 20, and a word that more match; ArrowUp from
	// the first goes round to the last.
	js[bool](b, `(document.getElementById("reply-content").value = "", true)`)
	b.keys("/")
	b.waitFor("20 options", `!document.getElementById("canned-picker").hidden && document.querySelectorAll("#canned-picker [role=option]").length === 20`)
	if got := js[string](b, `document.getElementById("canned-status").hidden ? "" : document.getElementById("canned-status").textContent`); !strings.Contains(got, "first 20") {
		t.Errorf("with more than 20, the picker says %q", got)
	}
	b.keys(kb.ArrowUp)
	if got := js[string](b, `document.getElementById("reply-content").getAttribute("aria-activedescendant")`); got != "canned-option-19" {
		t.Errorf("ArrowUp from the first chose %q, want the last", got)
	}
	if !js[bool](b, `(() => { const p = document.getElementById("canned-picker").getBoundingClientRect(), o = document.getElementById("canned-option-19").getBoundingClientRect(); return o.top >= p.top && o.bottom <= p.bottom + 1; })()`) {
		t.Error("the chosen option is scrolled out of the picker's view")
	}
	b.shot("agent-canned-picker-many")
	b.keys(kb.Escape)

	// Nothing matches: the picker says so, and Enter sends what was typed.
	js[bool](b, `(document.getElementById("reply-content").value = "", true)`)
	b.keys("/nomatch")
	b.waitFor("no match said", `!document.getElementById("canned-status").hidden && document.getElementById("canned-status").textContent.includes("No canned response matches /nomatch")`)
	if !js[bool](b, `document.getElementById("canned-picker").hidden && !document.getElementById("reply-content").hasAttribute("aria-activedescendant")`) {
		t.Error("with no match, the picker is open or the box points at an option")
	}
	b.shot("agent-canned-picker-none")
	js[bool](b, `(document.getElementById("reply-content").value = "", true)`)

	// Typed and Enter at once, before the answer can come: it waits and
	// inserts the first match.
	b.keys("/refund-l" + kb.Enter)
	b.waitFor("the inserted text", `document.getElementById("reply-content").value === "Sorry, your refund is late."`)

	// An answer once had is not asked for again.
	for range 2 {
		js[bool](b, `(document.getElementById("reply-content").value = "", true)`)
		b.keys("/ref")
		b.waitFor("the picker", `!document.getElementById("canned-picker").hidden && document.querySelectorAll("#canned-picker [role=option]").length === 2`)
		b.keys(kb.Escape)
	}
	if n := js[int](b, `performance.getEntriesByType("resource").filter(e => e.name.endsWith("/canned_responses?search=ref")).length`); n != 1 {
		t.Errorf("the answer for ref was asked for %d times, want once", n)
	}

	// The settings page lists them, each as a form to edit, as text.
	b.open(fmt.Sprintf("/app/accounts/%d/settings/canned_responses", w.account))
	b.waitFor("the settings page", fmt.Sprintf(`document.querySelectorAll(".canned-list li").length === %d`, len(canned)))
	if got := js[string](b, `document.getElementById("canned-content").labels[0].textContent`); got != "Content" {
		t.Errorf("the new response's content is labelled %q", got)
	}
	b.shot("agent-canned-responses")
	browsertest.Axe(t, b.ctx)
}

// TestBrowserSnooze: a person snoozes a conversation by keyboard for an
// hour; the page says until when, in their own clock; it is in the Snoozed
// queue, and out of the open ones; Reopen brings it back.
func TestBrowserSnooze(t *testing.T) {
	t.Parallel()
	w := setup(t)
	id := w.customer("Sam Snooze", "sam@example.com", "Call me back tomorrow")
	w.handOff(id, "Customer asked for a person", "Sam wants a call back.")
	b := w.signedInTab(t, w.adminMail)
	b.open(fmt.Sprintf("/app/accounts/%d/conversations/%d", w.account, id))
	b.waitFor("the conversation", `document.getElementById("reply-content") !== null`)

	b.tabTo("details.snooze summary")
	b.keys(kb.Enter)
	b.tabTo(`input[name=until][value=reply]`)
	b.keys(kb.ArrowDown) // the radio group: An hour from now
	if v := js[string](b, `document.querySelector("input[name=until]:checked").value`); v != "hour" {
		t.Fatalf("after one arrow down the choice is %q, want hour", v)
	}
	if tz := js[string](b, `document.querySelector("input[data-tz]").value`); tz != js[string](b, `String(-new Date().getTimezoneOffset())`) {
		t.Errorf("the page tells the server an offset of %q", tz)
	}
	if zone := js[string](b, `document.querySelector("input[data-zone]").value`); zone == "" || zone != js[string](b, `Intl.DateTimeFormat().resolvedOptions().timeZone`) {
		t.Errorf("the page tells the server the zone %q", zone)
	}
	b.shot("agent-snooze-choices")
	// Escape closes the choices, the focus on Snooze…; Enter opens them again.
	b.keys(kb.Escape)
	if js[bool](b, `document.querySelector("details.snooze").open`) || !js[bool](b, `document.activeElement.matches("details.snooze summary")`) {
		t.Errorf("after Escape the Snooze choices are open %v, the focus on %s", js[bool](b, `document.querySelector("details.snooze").open`),
			js[string](b, `document.activeElement.outerHTML.slice(0, 60)`))
	}
	b.keys(kb.Enter)
	b.tabTo(`input[name=until][value=hour]`)
	b.tabTo(`details.snooze button[type=submit]`)
	b.keys(kb.Enter)
	b.waitFor("snoozed", `document.getElementById("status").textContent === "snoozed"`)
	until := js[string](b, `document.querySelector(".snoozed time").getAttribute("datetime")`)
	at, err := time.Parse(time.RFC3339, until)
	if err != nil {
		t.Fatalf("snoozed until %q: %v", until, err)
	}
	if d := time.Until(at); d < 55*time.Minute || d > 65*time.Minute {
		t.Errorf("snoozed until %v, %v from now, want about an hour", at, d)
	}
	b.waitFor("the snooze's end in the reader's clock", `document.querySelector(".snoozed time").dataset.local === "1"`)
	if js[bool](b, `document.querySelector("details.snooze") !== null`) {
		t.Error("a snoozed conversation still offers Snooze")
	}
	b.shot("agent-snoozed")

	// The Snoozed queue has it; All open does not.
	b.open(fmt.Sprintf("/app/accounts/%d/conversations?queue=snoozed", w.account))
	b.waitFor("the snoozed queue", fmt.Sprintf(`document.querySelector('tr[data-conversation="%d"]') !== null`, id))
	if n := js[string](b, `document.querySelector('[data-count="snoozed"]').textContent`); n != "1" {
		t.Errorf("the Snoozed queue counts %q, want 1", n)
	}
	b.open(fmt.Sprintf("/app/accounts/%d/conversations?queue=open", w.account))
	b.waitFor("the open queue", `document.getElementById("list-title") !== null`)
	if js[bool](b, fmt.Sprintf(`document.querySelector('tr[data-conversation="%d"]') !== null`, id)) {
		t.Error("the snoozed conversation is in All open")
	}

	b.open(fmt.Sprintf("/app/accounts/%d/conversations/%d", w.account, id))
	b.waitFor("the conversation", `document.getElementById("reply-content") !== null`)
	b.tabTo(`form[action$="/reopen"] button`)
	b.keys(kb.Enter)
	b.waitFor("open again", `document.getElementById("status").textContent === "open"`)
	browsertest.Axe(t, b.ctx)
}
