package e2e_test

import (
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
	_, token := s.visit()
	s.must(200, "POST", "/messages", "", token, `{"message":{"content":"Where is my parcel?"}}`)
	s.bot.next(t, is("message_created", "incoming"))
	convID := int64(s.adminConversation(t)["id"].(float64))
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
