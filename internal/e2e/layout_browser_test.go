package e2e_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/batonhq/baton/internal/browsertest"
)

// TestWidgetOnPhone: on a 375 px phone the open widget fills the screen,
// its fields in 16 px type (iOS Safari zooms into smaller ones).
// The loader's close bubble must not cover the message box (a tap on Send
// would close the chat), so it hides, and the window's own Close button in
// its header closes it.
func TestWidgetOnPhone(t *testing.T) {
	t.Parallel()
	ctx := browsertest.Tab(t)
	s := newShop(t)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(375, 667),
		chromedp.Navigate(s.host), chromedp.WaitVisible("#cw-bubble-holder button.woot-widget-bubble:not(.woot--hide)"),
		chromedp.Click("#cw-bubble-holder button.woot-widget-bubble:not(.woot--hide)")); err != nil {
		t.Fatal(err)
	}
	f := frame(t, ctx)
	waitVisible(t, ctx, "#cw-input", in(f))
	if got := hostEval[string](t, ctx, `getComputedStyle(document.querySelector('#cw-bubble-holder .woot--close')).display`); got != "none" {
		t.Errorf("the close bubble shows (display %s) over the full-screen window", got)
	}
	// Fields of 16 px at least, which iOS Safari does not zoom into.
	styles, err := chromedp.Run(ctx, chromedp.ComputedStyle("#cw-input", in(f)))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range styles {
		if px, _ := strconv.ParseFloat(strings.TrimSuffix(p.Value, "px"), 64); p.Name == "font-size" && px < 16 {
			t.Errorf("the message box's text is %s", p.Value)
		}
	}
	// A tap on Send (at its place on the screen) sends, and the window stays open.
	if err := chromedp.Do(ctx, chromedp.SendKeys("#cw-input", "hello from my phone", in(f)), chromedp.Click("button.cw-send", in(f))); err != nil {
		t.Fatal(err)
	}
	if got := s.bot.next(t, is("message_created", "incoming")); got["content"] != "hello from my phone" {
		t.Errorf("the bot got %v", got["content"])
	}
	if !hostEval[bool](t, ctx, `window.$chatwoot.isOpen`) {
		t.Fatal("a tap on Send closed the widget")
	}
	waitText(t, ctx, f, ".cw-messages", "shop bot")
	browsertest.Screenshot(t, ctx, "widget-phone-1-open")

	// The header's Close button is visible, named, and closes the window.
	waitVisible(t, ctx, "header button.cw-close[aria-label='Close']", in(f))
	if err := chromedp.Do(ctx, chromedp.Click("header button.cw-close", in(f))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the widget to close", func() bool {
		return hostEval[bool](t, ctx, `!window.$chatwoot.isOpen && document.activeElement.getAttribute('aria-label') === 'Open chat'`)
	})
	browsertest.Screenshot(t, ctx, "widget-phone-2-closed")
}

// TestWidgetPageDoesNotScroll: only the message list scrolls. The page
// itself never does, whatever the list holds (the visitor's own messages
// carry a visually hidden "You" that once stretched the document), so a
// wheel over the header cannot push the header and the messages away.
func TestWidgetPageDoesNotScroll(t *testing.T) {
	t.Parallel()
	ctx := browsertest.Tab(t)
	s := newShop(t)
	_, token := s.visit()
	for i := 0; i < 30; i++ {
		s.must(200, "POST", "/messages", "", token, fmt.Sprintf(`{"message":{"content":"message number %d"}}`, i))
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(400, 600),
		chromedp.Navigate(fmt.Sprintf("%s/widget?website_token=%s&cw_conversation=%s", s.e.URL, s.token, token)),
		chromedp.WaitReady("html[data-ready]")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the messages", func() bool {
		return hostEval[bool](t, ctx, `document.querySelector('.cw-messages').textContent.indexOf('message number 29') >= 0`)
	})
	// The list shows its newest message, though the bar above it showed later.
	waitFor(t, "the list at its end", func() bool {
		return hostEval[bool](t, ctx, `(function (l) { return l.scrollHeight - l.clientHeight - l.scrollTop < 2 })(document.querySelector('.cw-messages'))`)
	})
	if h := hostEval[float64](t, ctx, `document.scrollingElement.scrollHeight - innerHeight`); h > 0 {
		t.Errorf("the page is %.0f px taller than the window", h)
	}
	if _, err := chromedp.Call(ctx, input.DispatchMouseEvent, input.DispatchMouseEventParams{
		Type: input.DispatchMouseEventTypeMouseWheel, X: 100, Y: 30, DeltaX: 1, DeltaY: 800}); err != nil { // DeltaX 0 is left out, and then refused
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // a wheel scrolls smoothly, over a few frames
	if y := hostEval[float64](t, ctx, `scrollX + scrollY - document.querySelector('.cw-header').getBoundingClientRect().top`); y != 0 {
		t.Errorf("a wheel over the header scrolled the page by %.0f px", y)
	}
	// The list itself scrolls.
	if hostEval[bool](t, ctx, `(function (l) { return l.scrollHeight <= l.clientHeight })(document.querySelector('.cw-messages'))`) {
		t.Errorf("the message list does not scroll")
	}
	browsertest.Screenshot(t, ctx, "widget-page-long")
}
