package e2e_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/batonhq/baton/internal/browsertest"
)

// frameAttr reads an attribute of the widget page's <html> inside the frame.
func frameAttr(t *testing.T, ctx context.Context, f *chromedp.Node, name string) (string, bool) {
	t.Helper()
	n, err := chromedp.Run(ctx, chromedp.Nodes("html["+name+"]", in(f), chromedp.AtLeast(0)))
	if err != nil {
		t.Fatalf("html[%s]: %v", name, err)
	}
	if len(n) == 0 {
		return "", false
	}
	return n[0].AttributeValue(name), true
}

// TestWidgetOverCable proves the open widget lives on /cable: a bot's
// reply and a person's typing and reply arrive as /cable frames while the
// widget is subscribed (polling stands still then), and after the
// connection drops the widget reconnects and refetches what it missed.
func TestWidgetOverCable(t *testing.T) {
	t.Parallel()
	ctx := browsertest.Tab(t)
	s := newShop(t)
	e := s.e

	openWidget(t, ctx, s)
	f := frame(t, ctx)
	waitVisible(t, ctx, "html[data-live]", in(f))
	frames := func() int {
		v, _ := frameAttr(t, ctx, f, "data-cable-frames")
		n, _ := strconv.Atoi(v)
		return n
	}
	live := func() bool { _, ok := frameAttr(t, ctx, f, "data-live"); return ok }

	// The bot's reply comes over /cable.
	before := frames()
	if err := chromedp.Do(ctx, chromedp.SendKeys("#cw-input", "hello cable", in(f)), chromedp.Click("button.cw-send", in(f))); err != nil {
		t.Fatal(err)
	}
	s.bot.next(t, is("message_created", "incoming"))
	waitText(t, ctx, f, ".cw-messages", "shop bot")
	if !live() || frames() <= before {
		t.Fatalf("the bot's reply did not come over /cable: live %v, frames %d -> %d", live(), before, frames())
	}

	// A person's typing (which polling never shows) and reply.
	conv := s.adminConversation(t)
	convID := int64(conv["id"].(float64))
	e.call("POST", e.acc(fmt.Sprintf("/conversations/%d/toggle_typing_status", convID)), e.adminToken, `{"typing_status":"on"}`, 200)
	waitText(t, ctx, f, ".cw-typing", "Alex")
	browsertest.Screenshot(t, ctx, "widget-cable-1-typing")
	before = frames()
	e.call("POST", e.acc(fmt.Sprintf("/conversations/%d/messages", convID)), e.adminToken, `{"content":"Alex here, over the cable"}`, 200)
	waitText(t, ctx, f, ".cw-messages", "over the cable")
	if !live() || frames() <= before {
		t.Fatalf("the person's reply did not come over /cable: live %v, frames %d -> %d", live(), before, frames())
	}

	// The connection drops; what is said meanwhile is refetched on reconnect.
	if n := e.cable.drop(); n == 0 {
		t.Fatal("no /cable connection to drop")
	}
	e.call("POST", e.acc(fmt.Sprintf("/conversations/%d/messages", convID)), e.adminToken, `{"content":"said while you were away"}`, 200)
	waitVisible(t, ctx, "html[data-cable-resumes]", in(f))
	waitVisible(t, ctx, "html[data-live]", in(f))
	waitText(t, ctx, f, ".cw-messages", "said while you were away")
	browsertest.Screenshot(t, ctx, "widget-cable-2-reconnected")
	before = frames()
	e.call("POST", e.acc(fmt.Sprintf("/conversations/%d/messages", convID)), e.adminToken, `{"content":"and live again"}`, 200)
	waitText(t, ctx, f, ".cw-messages", "and live again")
	if frames() <= before {
		t.Fatalf("after the reconnect the reply did not come over /cable: frames %d -> %d", before, frames())
	}
}

// TestWidgetConnectionLost: when the server cannot be reached the header says the
// widget is reconnecting (and a message that could not go says so, and
// stays in the box); when it comes back the line is as before, the widget
// is live again and what was said meanwhile shows.
func TestWidgetConnectionLost(t *testing.T) {
	t.Parallel()
	ctx := browsertest.Tab(t)
	s := newShop(t)
	e := s.e
	_, token := s.visit()
	s.must(200, "POST", "/messages", "", token, `{"message":{"content":"Is anyone there?"}}`)
	convID := int64(s.adminConversation(t)["id"].(float64))
	if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/widget?website_token=%s&cw_conversation=%s", e.URL, s.token, token)),
		chromedp.WaitReady("html[data-live]")); err != nil {
		t.Fatal(err)
	}
	offline := func(off bool) {
		t.Helper()
		if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			MatchedNetworkConditions: []*network.Conditions{{Offline: off, DownloadThroughput: -1, UploadThroughput: -1}}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	offline(true)
	e.cable.drop()
	waitVisible(t, ctx, "html[data-offline]")
	waitText(t, ctx, nil, "#cw-state", "No connection. Reconnecting")
	if err := chromedp.Do(ctx, chromedp.SendKeys("#cw-input", "are you there?"), chromedp.Click("button.cw-send")); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, nil, "#cw-alert", "No connection. Reconnecting")
	if v, _ := chromedp.Run(ctx, chromedp.Value("#cw-input")); v != "are you there?" {
		t.Errorf("the message that could not go is not kept in the box: %q", v)
	}
	browsertest.Screenshot(t, ctx, "widget-offline-reconnecting")
	s.botSays(t, convID, `{"content":"said while you were offline"}`)

	offline(false)
	waitFor(t, "the widget to be back", func() bool {
		_, off := frameAttr(t, ctx, nil, "data-offline")
		_, live := frameAttr(t, ctx, nil, "data-live")
		return !off && live
	})
	waitText(t, ctx, nil, ".cw-messages", "said while you were offline")
	waitText(t, ctx, nil, "#cw-state", "You are talking to Greeter, a bot.")
	if a, _ := chromedp.Run(ctx, chromedp.TextContent("#cw-alert")); a != "" {
		t.Errorf("back online the alert still says %q", a)
	}
	browsertest.Screenshot(t, ctx, "widget-offline-back")
}

// holdSubscribe makes the page's WebSockets keep back their subscribe
// commands until the page calls window.subscribeNow().
const holdSubscribe = `(() => {
  const Native = window.WebSocket, held = [];
  window.subscribeNow = () => { window.subscribing = true; held.splice(0).forEach(f => f()); };
  window.WebSocket = function (url, protocols) {
    const ws = new Native(url, protocols), send = ws.send.bind(ws);
    ws.send = d => String(d).includes('"subscribe"') && !window.subscribing ? held.push(() => send(d)) : send(d);
    return ws;
  };
  window.WebSocket.prototype = Native.prototype;
})();`

// TestWidgetCatchesUpWhenSubscribed: a message written after the widget's
// first fetch and before its subscription is confirmed came over no
// socket; the widget fetches it when the subscription is confirmed (it
// stayed away for good before: polling stops once subscribed).
func TestWidgetCatchesUpWhenSubscribed(t *testing.T) {
	t.Parallel()
	ctx := browsertest.Tab(t)
	s := newShop(t)
	e := s.e
	token, convID := s.botHeard(t, "Where is my parcel?")
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: holdSubscribe}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/widget?website_token=%s&cw_conversation=%s", e.URL, s.token, token)),
		chromedp.WaitReady("html[data-ready]")); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, nil, ".cw-messages", "Where is my parcel?")

	s.botSays(t, convID, `{"content":"Written before the subscription."}`)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](`window.subscribeNow()`)); err != nil {
		t.Fatal(err)
	}
	waitVisible(t, ctx, "html[data-live]")
	waitText(t, ctx, nil, ".cw-messages", "Written before the subscription.")
	browsertest.Screenshot(t, ctx, "widget-caught-up-on-subscribe")
}
