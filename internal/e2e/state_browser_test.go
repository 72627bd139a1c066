package e2e_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/batonhq/baton/internal/browsertest"
)

// TestWidgetHeaderFollowsSpeaker: the header's line names who the visitor
// talks to as their messages arrive: the bot by its name, then a person who
// writes in.
func TestWidgetHeaderFollowsSpeaker(t *testing.T) {
	t.Parallel()
	ctx := browsertest.Tab(t)
	s := newShop(t)
	e := s.e
	token, convID := s.botHeard(t, "Where is my parcel?")
	if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/widget?website_token=%s&cw_conversation=%s", e.URL, s.token, token)),
		chromedp.WaitReady("html[data-ready]")); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, nil, "#cw-state", "a bot")

	// The bot writes: the header names it.
	s.botSays(t, convID, `{"content":"Let me look that up."}`)
	waitText(t, ctx, nil, ".cw-messages", "Let me look that up.")
	waitText(t, ctx, nil, "#cw-state", "You are talking to Greeter, a bot.")
	browsertest.Screenshot(t, ctx, "widget-state-1-bot")

	// A person writes in: the header names them.
	e.call("POST", e.acc(fmt.Sprintf("/conversations/%d/messages", convID)), e.adminToken, `{"content":"Alex here, I have your parcel number."}`, 200)
	waitText(t, ctx, nil, ".cw-messages", "Alex here")
	waitText(t, ctx, nil, "#cw-state", "You are talking to Alex")
	browsertest.Screenshot(t, ctx, "widget-state-2-person")
}

// botHeard starts a visitor's conversation with their message and waits
// for the bot to hear it; it returns the visitor's token and the
// conversation's id.
func (s *shop) botHeard(t *testing.T, content string) (token string, convID int64) {
	t.Helper()
	_, token = s.visit()
	body, _ := json.Marshal(map[string]any{"message": map[string]string{"content": content}})
	s.must(200, "POST", "/messages", "", token, string(body))
	s.bot.next(t, is("message_created", "incoming"))
	return token, int64(s.adminConversation(t)["id"].(float64))
}

// botSays posts a message as the shop's bot into a conversation.
func (s *shop) botSays(t *testing.T, convID int64, body string) {
	t.Helper()
	req, _ := http.NewRequest("POST", s.e.URL+s.e.acc(fmt.Sprintf("/conversations/%d/messages", convID)), strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("api_access_token", s.bot.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("bot message: %s", res.Status)
	}
}

// TestWidgetAfterResolved: an inbox that takes messages after resolution
// (Baton's default, as Chatwoot's) keeps the message box on a resolved
// conversation, and a message reopens it; one that does not hides the box,
// and "Start a new conversation" clears the ended line.
func TestWidgetAfterResolved(t *testing.T) {
	t.Parallel()
	ctx := browsertest.Tab(t)
	s := newShop(t)
	e := s.e
	_, token := s.visit()
	s.must(200, "POST", "/messages", "", token, `{"message":{"content":"Thanks, that is all"}}`)
	convID := int64(s.adminConversation(t)["id"].(float64))
	e.call("POST", e.acc(fmt.Sprintf("/conversations/%d/toggle_status", convID)), e.adminToken, `{"status":"resolved"}`, 200)
	page := fmt.Sprintf("%s/widget?website_token=%s&cw_conversation=%s", e.URL, s.token, token)
	if err := chromedp.Do(ctx, chromedp.Navigate(page), chromedp.WaitReady("html[data-ready]")); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, nil, "#cw-state", "This conversation has ended.")
	waitVisible(t, ctx, "#cw-input")
	browsertest.Screenshot(t, ctx, "widget-resolved-1-box-kept")
	if err := chromedp.Do(ctx, chromedp.SendKeys("#cw-input", "one more thing"), chromedp.Click("button.cw-send")); err != nil {
		t.Fatal(err)
	}
	// Reopened: pending, for the inbox has a bot.
	waitFor(t, "the conversation to reopen", func() bool { return s.adminConversation(t)["status"] != "resolved" })
	if n := s.visitorConversations(t); n != 1 {
		t.Errorf("%d conversations after writing into a resolved one", n)
	}
	waitFor(t, "the line to leave the ended state", func() bool {
		txt, _ := chromedp.Run(ctx, chromedp.Text("#cw-state"))
		return txt != "" && !strings.Contains(txt, "ended")
	})

	// Without messages after resolution: no box, and a new conversation.
	e.call("PATCH", e.acc(fmt.Sprintf("/inboxes/%d", s.inboxID)), e.adminToken, `{"allow_messages_after_resolved":false}`, 200)
	e.call("POST", e.acc(fmt.Sprintf("/conversations/%d/toggle_status", convID)), e.adminToken, `{"status":"resolved"}`, 200)
	if err := chromedp.Do(ctx, chromedp.Navigate(page), chromedp.WaitReady("html[data-ready]")); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, nil, "#cw-state", "This conversation has ended.")
	if !hostEval[bool](t, ctx, `document.getElementById('cw-input').offsetParent === null`) {
		t.Errorf("the message box shows on a resolved conversation that takes no messages")
	}
	if err := chromedp.Do(ctx, chromedp.Click(".cw-notice button")); err != nil {
		t.Fatal(err)
	}
	waitVisible(t, ctx, "#cw-input:focus")
	if txt, _ := chromedp.Run(ctx, chromedp.Text("#cw-state")); strings.Contains(txt, "ended") {
		t.Errorf("starting a new conversation, the header says %q", txt)
	}
	if hostEval[bool](t, ctx, `!document.querySelector('.cw-link').hidden`) {
		t.Errorf("starting a new conversation, End conversation is offered")
	}
	browsertest.Screenshot(t, ctx, "widget-resolved-2-new")
	if err := chromedp.Do(ctx, chromedp.SendKeys("#cw-input", "a new question"), chromedp.Click("button.cw-send")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a second conversation", func() bool { return s.visitorConversations(t) == 2 })
}
