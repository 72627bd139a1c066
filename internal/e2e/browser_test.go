package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/batonhq/baton/internal/browsertest"
	"github.com/batonhq/baton/internal/store/storetest"
)

func TestMain(m *testing.M) { browsertest.Main(m) }

// The website widget in a real browser: a shop's page with Chatwoot's
// snippet as Chatwoot gives it, pointed at Baton.

// hostPage is Chatwoot's snippet, statement for statement as the dashboard
// shows it, with listeners that record the widget's DOM events.
const hostPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Acme shop</title></head>
<body><main><h1>Acme shop</h1><p><a href="#products">Our products</a></p></main>
<script>
window.cwEvents = [];
['chatwoot:ready','chatwoot:opened','chatwoot:closed','chatwoot:on-message','chatwoot:postback','chatwoot:error'].forEach(function (n) {
  window.addEventListener(n, function (e) { window.cwEvents.push({name: n, detail: e.detail}); if (n === 'chatwoot:ready') window.cwReadyAt = performance.now(); });
});
</script>
<script>
  (function(d,t) {
    var BASE_URL="%s";
    var g=d.createElement(t),s=d.getElementsByTagName(t)[0];
    g.src=BASE_URL+"/packs/js/sdk.js";
    g.defer = true;
    g.async = true;
    s.parentNode.insertBefore(g,s);
    g.onload=function(){
      window.chatwootSDK.run({
        websiteToken: '%s',
        baseUrl: BASE_URL
      })
    }
  })(document,"script");
</script>
</body></html>`

// shop is a web widget site with a bot and a host page.
type shop struct {
	*widgetSite
	bot  *bot
	host string // the host page's URL
}

// newShop starts Baton (SQLite) with a web widget inbox whose bot answers
// "hello" with an input_select, and serves the host page; now, when given,
// is Baton's clock.
func newShop(t *testing.T, now ...func() time.Time) *shop {
	t.Helper()
	e := start(t, storetest.OpenSQLite(t), now...)
	s := &shop{widgetSite: newWidgetSite(e)}
	s.bot = newBot(t, func(b *bot, ev map[string]any, w http.ResponseWriter, r *http.Request) {
		if ev["event"] != "message_created" || ev["message_type"] != "incoming" {
			return
		}
		conv, _ := ev["conversation"].(map[string]any)
		id, _ := conv["id"].(float64)
		reply := func(body string) {
			req, _ := http.NewRequest("POST", e.URL+e.acc(fmt.Sprintf("/conversations/%d/messages", int64(id))), strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("api_access_token", b.token)
			if res, err := http.DefaultClient.Do(req); err == nil {
				res.Body.Close()
			}
		}
		if content, _ := ev["content"].(string); strings.Contains(strings.ToLower(content), "hello") {
			go reply(`{"content":"Hi! I am the **shop bot**. What do you need?","content_type":"input_select",
				"content_attributes":{"items":[{"title":"Sales","value":"sales"},{"title":"Support","value":"support"}]}}`)
		}
	})
	s.connect(s.bot)
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, hostPage, e.URL, s.token)
	}))
	t.Cleanup(host.Close)
	s.host = host.URL
	return s
}

// openWidget opens the shop's page in the tab and its widget with a click
// on the bubble.
func openWidget(t *testing.T, ctx context.Context, s *shop) {
	t.Helper()
	const bubble = "#cw-bubble-holder button.woot-widget-bubble:not(.woot--hide)"
	if err := chromedp.Do(ctx, chromedp.Navigate(s.host), chromedp.WaitVisible(bubble), chromedp.Click(bubble)); err != nil {
		t.Fatal(err)
	}
}

// frame returns the widget's iframe node, for queries inside it.
func frame(t *testing.T, ctx context.Context) *chromedp.Node {
	t.Helper()
	nodes, err := chromedp.Run(ctx, chromedp.Nodes("#chatwoot_live_chat_widget"))
	if err != nil || len(nodes) == 0 {
		t.Fatalf("no widget iframe: %v", err)
	}
	return nodes[0]
}

// in runs actions on elements inside the widget iframe.
func in(f *chromedp.Node) chromedp.QueryOption { return chromedp.FromNode(f) }

// waitText waits until an element inside the widget has the text.
func waitText(t *testing.T, ctx context.Context, f *chromedp.Node, sel, want string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		txt, err := chromedp.Run(ctx, chromedp.Text(sel, in(f), chromedp.AtLeast(0)))
		if err == nil && strings.Contains(txt, want) {
			return
		}
		last = txt
		time.Sleep(150 * time.Millisecond)
	}
	t.Fatalf("%s never said %q; it says %q", sel, want, last)
}

// hostEval evaluates JavaScript in the host page.
func hostEval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}

// adminConversation is the visitor's conversation as the administrator sees it.
func (s *shop) adminConversation(t *testing.T) map[string]any {
	t.Helper()
	list := s.e.call("GET", s.e.acc("/conversations?status=all"), s.e.adminToken, "", 200).(map[string]any)
	payload := list["data"].(map[string]any)["payload"].([]any)
	for _, c := range payload {
		c := c.(map[string]any)
		if int64(c["inbox_id"].(float64)) == s.inboxID {
			return c
		}
	}
	t.Fatalf("no conversation in the widget inbox")
	return nil
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if ok() {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestWidgetInBrowser(t *testing.T) {
	t.Parallel()
	ctx := browsertest.Tab(t)
	s := newShop(t)
	e := s.e

	// The snippet loads the loader, which builds the bubble and the frame.
	if err := chromedp.Do(ctx, chromedp.Navigate(s.host), chromedp.WaitVisible("#cw-bubble-holder button.woot-widget-bubble[aria-label='Open chat']")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "chatwoot:ready", func() bool { return hostEval[bool](t, ctx, `window.cwReadyAt > 0`) })
	ms := hostEval[float64](t, ctx, `window.cwReadyAt - performance.getEntriesByType('resource').find(function (r) { return r.name.indexOf('/packs/js/sdk.js') > 0 }).responseEnd`)
	t.Logf("widget ready %.0f ms after run", ms)
	for _, id := range []string{"#cw-widget-holder.woot-widget-holder.woot--hide.woot-elements--right", "#cw-widget-styles", "iframe#chatwoot_live_chat_widget"} {
		if n := hostEval[int](t, ctx, fmt.Sprintf(`document.querySelectorAll(%q).length`, id)); n != 1 {
			t.Errorf("%s: %d elements", id, n)
		}
	}
	if c := hostEval[string](t, ctx, `document.cookie`); !strings.Contains(c, "cw_conversation=") {
		t.Errorf("no cw_conversation cookie: %q", c)
	}
	browsertest.Screenshot(t, ctx, "widget-1-closed")
	browsertest.Axe(t, ctx)
	browsertest.Audit(t, ctx)

	// Opening.
	if err := chromedp.Do(ctx, chromedp.Click("#cw-bubble-holder button.woot-widget-bubble:not(.woot--hide)")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the widget to open", func() bool {
		return hostEval[bool](t, ctx, `!document.getElementById('cw-widget-holder').classList.contains('woot--hide') && window.$chatwoot.isOpen`)
	})
	f := frame(t, ctx)
	if err := chromedp.Do(ctx, chromedp.WaitVisible("#cw-input", in(f))); err != nil {
		t.Fatal(err)
	}
	browsertest.Screenshot(t, ctx, "widget-2-open")

	// A message reaches the bot; its reply and options appear.
	if err := chromedp.Do(ctx, chromedp.SendKeys("#cw-input", "hello there", in(f)), chromedp.Click("button.cw-send", in(f))); err != nil {
		t.Fatal(err)
	}
	got := s.bot.next(t, is("message_created", "incoming"))
	if got["content"] != "hello there" {
		t.Errorf("the bot got %v", got["content"])
	}
	waitText(t, ctx, f, ".cw-messages", "shop bot")
	if err := chromedp.Do(ctx, chromedp.WaitVisible("button.cw-option", in(f))); err != nil {
		t.Fatal(err)
	}
	html, _ := chromedp.Run(ctx, chromedp.InnerHTML(".cw-msg.cw-type-input_select .cw-bubble", in(f)))
	if !strings.Contains(html, "<strong>shop bot</strong>") {
		t.Errorf("the bot's Markdown is rendered as %q", html)
	}
	browsertest.Screenshot(t, ctx, "widget-3-bot-reply")

	// Choosing an option reaches the bot as message_updated; the question locks.
	if err := chromedp.Do(ctx, chromedp.Click(`button.cw-option:nth-child(2)`, in(f))); err != nil {
		t.Fatal(err)
	}
	upd := s.bot.next(t, is("message_updated"))
	if b, _ := json.Marshal(upd["content_attributes"]); !bytes.Contains(b, []byte(`"submitted_values":[{"title":"Support","value":"support"}]`)) {
		t.Errorf("message_updated content_attributes %s", b)
	}
	// The answer is the customer's: a message of their side after the
	// bot's, not a part of it.
	waitVisible(t, ctx, ".cw-msg.cw-type-input_select + .cw-msg--mine.cw-msg--answer", in(f))
	waitText(t, ctx, f, ".cw-msg--answer .cw-bubble", "Support")
	if n, _ := chromedp.Run(ctx, chromedp.Nodes("button.cw-option", in(f), chromedp.AtLeast(0))); len(n) != 0 {
		t.Errorf("an answered question still has %d option buttons", len(n))
	}
	if txt, _ := chromedp.Run(ctx, chromedp.Text(".cw-msg.cw-type-input_select", in(f))); strings.Contains(txt, "Support") {
		t.Errorf("the answer is drawn in the bot's message: %q", txt)
	}
	browsertest.Screenshot(t, ctx, "widget-4-answered")

	// setUser and setCustomAttributes change the contact.
	hostEval[any](t, ctx, `window.$chatwoot.setUser('user-42', {email: 'jane@acme.test', name: 'Jane Roe'}); window.$chatwoot.setCustomAttributes({plan: 'pro'}); null`)
	conv := s.adminConversation(t)
	contactID := int64(conv["meta"].(map[string]any)["sender"].(map[string]any)["id"].(float64))
	waitFor(t, "the contact to change", func() bool {
		c := e.call("GET", e.acc(fmt.Sprintf("/contacts/%d", contactID)), e.adminToken, "", 200).(map[string]any)["payload"].(map[string]any)
		attrs, _ := c["custom_attributes"].(map[string]any)
		return c["name"] == "Jane Roe" && c["email"] == "jane@acme.test" && c["identifier"] == "user-42" && attrs["plan"] == "pro"
	})

	// Talk to a person: the conversation leaves the bot.
	waitText(t, ctx, f, "#cw-state", "bot")
	if err := chromedp.Do(ctx, chromedp.Click("button.cw-human", in(f))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the handoff", func() bool { return s.adminConversation(t)["status"] == "open" })
	// Nobody of the inbox is connected yet; then Alex comes online.
	waitText(t, ctx, f, "#cw-state", "Nobody is online")
	browsertest.Screenshot(t, ctx, "widget-5-nobody-online")
	admin := e.call("GET", "/api/v1/profile", e.adminToken, "", 200).(map[string]any)
	adminID := int64(admin["id"].(float64))
	e.call("POST", e.acc("/inbox_members"), e.adminToken, fmt.Sprintf(`{"inbox_id":%d,"user_ids":[%d]}`, s.inboxID, adminID), 200)
	if err := e.App.UserConnected(context.Background(), e.App.ProcessID(), adminID); err != nil {
		t.Fatal(err)
	}
	// The waiting conversation is routed to Alex as he comes online.
	waitText(t, ctx, f, "#cw-state", "You are talking to Alex")

	// Alex answers; his private note never reaches the customer.
	display := int64(conv["id"].(float64))
	e.call("POST", e.acc(fmt.Sprintf("/conversations/%d/messages", display)), e.adminToken, `{"content":"internal: refund approved","private":true}`, 200)
	e.call("POST", e.acc(fmt.Sprintf("/conversations/%d/messages", display)), e.adminToken, `{"content":"Hello Jane, Alex here. How can I help?"}`, 200)
	waitText(t, ctx, f, ".cw-messages", "Alex here")
	txt, _ := chromedp.Run(ctx, chromedp.Text(".cw-messages", in(f)))
	if strings.Contains(txt, "refund approved") {
		t.Errorf("the customer sees a private note: %q", txt)
	}
	waitText(t, ctx, f, "#cw-state", "You are talking to Alex")
	// His Markdown: code in a link's text, and an address that ends in &.
	mdMsg := e.call("POST", e.acc(fmt.Sprintf("/conversations/%d/messages", display)), e.adminToken,
		`{"content":"See [`+"`baton serve`"+`](https://example.com/docs) or https://shop.test/?a=1&, then **reply**."}`, 200).(map[string]any)
	waitText(t, ctx, f, ".cw-messages", "then reply")
	md, err := chromedp.Run(ctx, chromedp.InnerHTML(fmt.Sprintf(`.cw-msg[data-id="%v"] .cw-bubble`, mdMsg["id"]), in(f)))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`href="https://example.com/docs"`, `><code>baton serve</code></a>`, `href="https://shop.test/?a=1&amp;"`,
		`>https://shop.test/?a=1&amp;</a>, then <strong>reply</strong>.`} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown rendered as %q, want %q in it", md, want)
		}
	}
	if strings.ContainsRune(md, 0) {
		t.Errorf("Markdown rendered with a NUL: %q", md)
	}
	browsertest.Screenshot(t, ctx, "widget-7-person")

	// Closed, a new message shows as unread on the bubble.
	hostEval[any](t, ctx, `window.$chatwoot.toggle('close'); null`)
	e.call("POST", e.acc(fmt.Sprintf("/conversations/%d/messages", display)), e.adminToken, `{"content":"Your refund is on its way."}`, 200)
	waitFor(t, "the unread count", func() bool {
		return hostEval[string](t, ctx, `(function (b) { return b && !b.hidden ? b.textContent : '' })(document.querySelector('#cw-bubble-holder .woot--unread'))`) == "1"
	})
	if got := hostEval[string](t, ctx, `document.querySelector('#cw-bubble-holder .woot-widget-bubble').getAttribute('aria-label')`); got != "Open chat (1)" {
		t.Errorf("the bubble with an unread message is named %q", got)
	}
	browsertest.Screenshot(t, ctx, "widget-8-unread")

	// The person resolves it; the customer starts a new conversation.
	e.call("POST", e.acc(fmt.Sprintf("/conversations/%d/toggle_status", display)), e.adminToken, `{"status":"resolved"}`, 200)
	hostEval[any](t, ctx, `window.$chatwoot.toggle('open'); null`)
	waitText(t, ctx, f, ".cw-notice", "This conversation has ended")
	browsertest.Screenshot(t, ctx, "widget-9-resolved")
	if err := chromedp.Do(ctx, chromedp.Click(".cw-notice button", in(f))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.SendKeys("#cw-input", "hello again", in(f)), chromedp.Click("button.cw-send", in(f))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a second conversation", func() bool {
		list := e.call("GET", e.acc("/conversations?status=all"), e.adminToken, "", 200).(map[string]any)
		n := 0
		for _, c := range list["data"].(map[string]any)["payload"].([]any) {
			if int64(c.(map[string]any)["inbox_id"].(float64)) == s.inboxID {
				n++
			}
		}
		return n == 2
	})
	waitText(t, ctx, f, ".cw-messages", "shop bot")
	browsertest.Screenshot(t, ctx, "widget-10-new-conversation")

	// The host page heard the messages.
	if n := hostEval[int](t, ctx, `window.cwEvents.filter(function (e) { return e.name === 'chatwoot:on-message' }).length`); n < 2 {
		t.Errorf("chatwoot:on-message fired %d times", n)
	}
	if n := hostEval[int](t, ctx, `window.cwEvents.filter(function (e) { return e.name === 'chatwoot:opened' }).length`); n != 2 {
		t.Errorf("chatwoot:opened fired %d times", n)
	}
}

// TestWidgetPageAccessible checks the widget page itself, opened as the
// popout window opens it, in light and dark, left to right and right to
// left, with a conversation holding every interactive message type.
func TestWidgetPageAccessible(t *testing.T) {
	t.Parallel()
	ctx := browsertest.Tab(t)
	s := newShop(t)
	e := s.e
	// A visitor with a conversation, through the widget API.
	_, token := s.visit()
	s.must(200, "POST", "/messages", "", token, `{"message":{"content":"Hi, I need help with my order"}}`)
	conv := s.adminConversation(t)
	display := int64(conv["id"].(float64))
	post := func(body string) {
		req, _ := http.NewRequest("POST", e.URL+e.acc(fmt.Sprintf("/conversations/%d/messages", display)), strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("api_access_token", s.bot.token)
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("bot message: %v %v", err, res)
		}
		res.Body.Close()
	}
	post(`{"content":"Here is what I found:\n- **Orders** ship in 2 days\n- see [our FAQ](https://shop.test/faq)\n\n<img src=x onerror=alert(1)>"}`)
	post(`{"content":"Pick a topic","content_type":"input_select","content_attributes":{"items":[{"title":"Sales","value":"sales"},{"title":"Support","value":"support"}]}}`)
	post(`{"content":"Our products","content_type":"cards","content_attributes":{"items":[{"media_url":"","title":"Blue mug","description":"Holds 300 ml","actions":[{"type":"link","text":"View","uri":"https://shop.test/mug"},{"type":"postback","text":"Buy the mug","payload":"BUY_MUG"}]}]}}`)
	post(`{"content":"Tell us more","content_type":"form","content_attributes":{"items":[{"name":"email","label":"Email","type":"email","placeholder":"you@example.com"},{"name":"size","label":"Size","type":"select","options":[{"label":"Small","value":"s"},{"label":"Large","value":"l"}]}]}}`)
	post(`{"content":"Read these","content_type":"article","content_attributes":{"items":[{"title":"Returns","description":"How to return an item","link":"https://shop.test/returns"}]}}`)
	post(`{"content":"Where can we reach you?","content_type":"input_email"}`)
	post(`{"content":"How did we do?","content_type":"input_csat","content_attributes":{"display_type":"emoji"}}`)

	base := fmt.Sprintf("%s/widget?website_token=%s&cw_conversation=%s", e.URL, s.token, token)
	for _, v := range []struct{ name, query, scheme string }{
		{"light", "", "light"},
		{"dark", "&dark_mode=dark", "light"},
		{"auto-dark", "&dark_mode=auto", "dark"}, // the site follows the visitor's system
		{"rtl", "&locale=ar", "light"},
	} {
		if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: v.scheme}}})
			return err
		})); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(base+v.query), chromedp.WaitReady("html[data-ready]"), chromedp.WaitVisible(".cw-type-input_csat button.cw-rate")); err != nil {
			t.Fatal(err)
		}
		if v.name == "rtl" {
			if err := chromedp.Do(ctx, chromedp.WaitReady("html[dir=rtl]")); err != nil {
				t.Fatal(err)
			}
		}
		browsertest.Screenshot(t, ctx, "widget-page-"+v.name)
		browsertest.Axe(t, ctx)
		browsertest.Audit(t, ctx, browsertest.LiveRegion(".cw-messages"))
	}
	// A rating answers the survey at once; the buttons stay, to change it.
	if err := chromedp.Do(ctx, chromedp.Click(`.cw-type-input_csat button.cw-rate:nth-child(4)`)); err != nil {
		t.Fatal(err)
	}
	waitVisible(t, ctx, `.cw-type-input_csat button.cw-rate:nth-child(4)[aria-pressed="true"]:not([disabled]):focus`)
	browsertest.Screenshot(t, ctx, "widget-page-csat")
	// Raw HTML in a message is shown as text, never run.
	html, err := chromedp.Run(ctx, chromedp.InnerHTML(".cw-messages"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(html, "<img src=\"x\"") || !strings.Contains(html, "&lt;img src=x onerror=alert(1)&gt;") {
		t.Errorf("raw HTML in a message is not escaped")
	}
	// The form refuses an invalid e-mail and says why.
	if err := chromedp.Do(ctx, chromedp.Navigate(base), chromedp.WaitReady("html[data-ready]"),
		chromedp.SendKeys(".cw-type-form input[type=email]", "not-an-email"), chromedp.Click(".cw-type-form button[type=submit]")); err != nil {
		t.Fatal(err)
	}
	if msg, _ := chromedp.Run(ctx, chromedp.Text(".cw-type-form .cw-error")); msg == "" {
		t.Errorf("no error for an invalid e-mail")
	}
}

// TestWidgetKeyboardOnly uses the widget with the keyboard alone: Tab to
// the bubble, Enter to open, type and Enter to send, Shift+Tab to the
// bot's options and Enter to choose.
func TestWidgetKeyboardOnly(t *testing.T) {
	t.Parallel()
	ctx := browsertest.Tab(t)
	s := newShop(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(s.host), chromedp.WaitVisible("#cw-bubble-holder button.woot-widget-bubble:not(.woot--hide)")); err != nil {
		t.Fatal(err)
	}
	// The page's link, then the bubble.
	for i := 0; i < 2; i++ {
		if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab)); err != nil {
			t.Fatal(err)
		}
	}
	if got := hostEval[string](t, ctx, `document.activeElement.getAttribute('aria-label')`); got != "Open chat" {
		t.Fatalf("after two Tabs the focus is on %q", got)
	}
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Enter)); err != nil {
		t.Fatal(err)
	}
	f := frame(t, ctx)
	waitVisible(t, ctx, "#cw-input:focus", in(f))
	if err := chromedp.Do(ctx, chromedp.KeyEvent("hello from the keyboard"), chromedp.KeyEvent(kb.Enter)); err != nil {
		t.Fatal(err)
	}
	s.bot.next(t, is("message_created", "incoming"))
	if err := chromedp.Do(ctx, chromedp.WaitVisible("button.cw-option", in(f))); err != nil {
		t.Fatal(err)
	}
	browsertest.Screenshot(t, ctx, "widget-keyboard-options")
	// Back from the message box to the last option, Support.
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift))); err != nil {
		t.Fatal(err)
	}
	waitVisible(t, ctx, "button.cw-option:focus", in(f))
	browsertest.Screenshot(t, ctx, "widget-keyboard-focus")
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Enter)); err != nil {
		t.Fatal(err)
	}
	upd := s.bot.next(t, is("message_updated"))
	if b, _ := json.Marshal(upd["content_attributes"]); !bytes.Contains(b, []byte(`"value":"support"`)) {
		t.Errorf("message_updated content_attributes %s", b)
	}
	// Escape closes the widget and gives the focus back to the bubble.
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Escape)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the widget to close", func() bool {
		return hostEval[bool](t, ctx, `!window.$chatwoot.isOpen && document.activeElement.getAttribute('aria-label') === 'Open chat'`)
	})
}

// waitVisible waits a while for an element to show, and on failure leaves a
// screenshot of what the page showed instead.
func waitVisible(t *testing.T, ctx context.Context, sel string, opts ...chromedp.QueryOption) {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(wctx, chromedp.WaitVisible(sel, opts...)); err != nil {
		browsertest.Screenshot(t, ctx, "failed-"+strings.NewReplacer(" ", "_", ":", "_", "#", "", ".", "_").Replace(sel))
		t.Fatalf("%s never showed: %v; host page focus on %s", sel, err,
			hostEval[string](t, ctx, `document.activeElement.outerHTML.slice(0, 120) + ' open=' + window.$chatwoot.isOpen`))
	}
}
