package e2e_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/batonhq/baton/internal/batontest"
	"github.com/batonhq/baton/internal/browsertest"
)

// browserPreChatForm asks for an e-mail and a name, optionally a phone, a
// plan (a contact attribute) and an order reference (the conversation's).
const browserPreChatForm = `{"channel":{"pre_chat_form_enabled":true,"pre_chat_form_options":{
	"pre_chat_message":"Tell us who you are and we will be right with you.",
	"pre_chat_fields":[
	 {"field_type":"standard","label":"Email Id","name":"emailAddress","type":"email","required":true,"enabled":true},
	 {"field_type":"standard","label":"Full name","name":"fullName","type":"text","required":true,"enabled":true},
	 {"field_type":"standard","label":"Phone number","name":"phoneNumber","type":"text","required":false,"enabled":true},
	 {"field_type":"contact_attribute","label":"Plan","name":"plan","type":"list","values":["free","pro"],"required":true,"enabled":true},
	 {"field_type":"conversation_attribute","label":"Order reference","name":"order_ref","type":"text","required":false,"enabled":true,
	  "placeholder":"AB123","regex_pattern":"[A-Z]{2}[0-9]+","regex_cue":"Two capitals and digits, like AB123."}]}}}`

// preChatShop opens a tab and a shop whose widget asks browserPreChatForm.
func preChatShop(t *testing.T) (context.Context, *shop) {
	t.Helper()
	ctx := browsertest.Tab(t)
	s := newShop(t)
	s.e.call("PATCH", s.e.acc(fmt.Sprintf("/inboxes/%d", s.inboxID)), s.e.adminToken, browserPreChatForm, 200)
	return ctx, s
}

// TestWidgetPreChatFormInBrowser: on the shop's page, the pre-chat form
// stands before the first message; filled with the keyboard alone it
// refuses a missing and a malformed answer, then starts the conversation
// with the answers on the contact and the conversation. axe finds nothing
// wrong with the form, empty or refused.
func TestWidgetPreChatFormInBrowser(t *testing.T) {
	t.Parallel()
	ctx, s := preChatShop(t)
	e := s.e

	if err := chromedp.Do(ctx, chromedp.Navigate(s.host), chromedp.WaitVisible("#cw-bubble-holder button.woot-widget-bubble:not(.woot--hide)")); err != nil {
		t.Fatal(err)
	}
	press := func(a ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, a...); err != nil {
			t.Fatal(err)
		}
	}
	// The page's link, the bubble, Enter: the form, its first field focused.
	press(chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(kb.Enter))
	f := frame(t, ctx)
	waitVisible(t, ctx, "#cw-pc-emailAddress:focus", in(f))
	waitText(t, ctx, f, ".cw-prechat", "Tell us who you are")
	if n, _ := chromedp.Run(ctx, chromedp.Nodes("#cw-input", in(f), chromedp.AtLeast(0))); len(n) != 1 {
		t.Fatal("no message box in the page")
	}
	visible := func(sel string) bool {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(
			`(() => { const el = document.querySelector('#chatwoot_live_chat_widget').contentDocument.querySelector(%q); return !!el && el.offsetParent !== null; })()`, sel)))
		return err == nil && ok
	}
	if visible("#cw-input") {
		t.Error("the message box shows while the pre-chat form is asked")
	}
	browsertest.Screenshot(t, ctx, "widget-prechat-1-form")

	// Enter on the empty form: the e-mail is required.
	press(chromedp.KeyEvent(kb.Enter))
	waitText(t, ctx, f, "#cw-pc-emailAddress-err", "This field is required.")
	waitVisible(t, ctx, `#cw-pc-emailAddress:focus[aria-invalid="true"]`, in(f))
	// A malformed e-mail is refused too.
	press(chromedp.KeyEvent("ana@shop"), chromedp.KeyEvent(kb.Enter))
	waitText(t, ctx, f, "#cw-pc-emailAddress-err", "Enter a valid e-mail address.")
	browsertest.Screenshot(t, ctx, "widget-prechat-2-refused")
	if c := s.visitorConversations(t); c != 0 {
		t.Fatalf("a refused form started %d conversations", c)
	}

	// Filled in with the keyboard: e-mail, name, (no phone), plan, order, message.
	press(chromedp.KeyEvent(".test"), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent("Ana Lima"),
		chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(kb.Tab))
	waitVisible(t, ctx, "#cw-pc-plan:focus", in(f))
	press(chromedp.KeyEvent("pro"))
	press(chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent("ab12"), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent("hello, where is my parcel?"),
		chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(kb.Enter))
	// The order reference does not match its pattern: its cue is shown.
	waitText(t, ctx, f, "#cw-pc-order_ref-err", "Two capitals and digits, like AB123.")
	waitVisible(t, ctx, "#cw-pc-order_ref:focus", in(f))
	press(chromedp.KeyEvent(kb.Backspace), chromedp.KeyEvent(kb.Backspace), chromedp.KeyEvent(kb.Backspace), chromedp.KeyEvent(kb.Backspace),
		chromedp.KeyEvent("AB12"), chromedp.KeyEvent(kb.Enter))

	// The conversation starts with the message; the form is gone.
	ev := s.bot.next(t, is("message_created", "incoming"))
	if ev["content"] != "hello, where is my parcel?" {
		t.Errorf("the bot got %v", ev["content"])
	}
	waitVisible(t, ctx, "#cw-input", in(f))
	waitText(t, ctx, f, ".cw-messages", "hello, where is my parcel?")
	if visible(".cw-prechat") {
		t.Error("the pre-chat form still shows after the conversation started")
	}
	browsertest.Screenshot(t, ctx, "widget-prechat-3-started")

	conv := s.adminConversation(t)
	if attrs := conv["custom_attributes"].(map[string]any); attrs["order_ref"] != "AB12" {
		t.Errorf("conversation custom attributes %v", attrs)
	}
	sender := conv["meta"].(map[string]any)["sender"].(map[string]any)
	contact := e.call("GET", e.acc(fmt.Sprintf("/contacts/%v", sender["id"])), e.adminToken, "", 200).(map[string]any)["payload"].(map[string]any)
	if contact["name"] != "Ana Lima" || contact["email"] != "ana@shop.test" || contact["phone_number"] != nil ||
		contact["custom_attributes"].(map[string]any)["plan"] != "pro" {
		t.Errorf("contact after the form: name %v email %v phone %v attributes %v", contact["name"], contact["email"],
			contact["phone_number"], contact["custom_attributes"])
	}

	// The form, in its own tab, empty and refused, light and dark: axe and the audit find nothing.
	for _, q := range []string{"", "&dark_mode=dark", "&locale=ar"} {
		if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/widget?website_token=%s%s", e.URL, s.token, q)),
			chromedp.WaitReady("html[data-ready]"), chromedp.WaitVisible("#cw-pc-emailAddress")); err != nil {
			t.Fatal(err)
		}
		browsertest.Axe(t, ctx)
		browsertest.Audit(t, ctx)
		if err := chromedp.Do(ctx, chromedp.Click(".cw-prechat button[type=submit]"), chromedp.WaitVisible(`#cw-pc-emailAddress[aria-invalid="true"]`)); err != nil {
			t.Fatal(err)
		}
		browsertest.Axe(t, ctx)
		browsertest.Audit(t, ctx)
	}
	browsertest.Screenshot(t, ctx, "widget-prechat-4-rtl-refused")
}

// visitorConversations counts the conversations of the widget inbox.
func (s *shop) visitorConversations(t *testing.T) int {
	t.Helper()
	list := s.e.call("GET", s.e.acc("/conversations?status=all"), s.e.adminToken, "", 200).(map[string]any)
	n := 0
	for _, c := range list["data"].(map[string]any)["payload"].([]any) {
		if int64(c.(map[string]any)["inbox_id"].(float64)) == s.inboxID {
			n++
		}
	}
	return n
}

// TestWidgetOfflineInBrowser: outside the inbox's working hours, by Baton's
// clock, the widget says the team is away, shows the out-of-office message
// and takes an e-mail to reply to; inside them it does not.
func TestWidgetOfflineInBrowser(t *testing.T) {
	t.Parallel()
	ctx := browsertest.Tab(t)
	// Baton's clock follows the wall clock from next Sunday noon (UTC), when
	// Chatwoot's default schedule is closed.
	clock := batontest.NewWallClock()
	now := time.Now().UTC()
	sunday := time.Date(now.Year(), now.Month(), now.Day()+7-int(now.Weekday()), 12, 0, 0, 0, time.UTC)
	clock.Add(sunday.Sub(now))
	s := newShop(t, clock.Now)
	e := s.e
	e.call("PATCH", e.acc(fmt.Sprintf("/inboxes/%d", s.inboxID)), e.adminToken, `{"working_hours_enabled":true,"timezone":"UTC",
		"out_of_office_message":"We are closed for the weekend. We reply on Monday from 9:00."}`, 200)

	openWidget(t, ctx, s)
	f := frame(t, ctx)
	waitText(t, ctx, f, "#cw-state", "We are away right now.")
	waitText(t, ctx, f, ".cw-notice", "We are closed for the weekend. We reply on Monday from 9:00.")
	waitVisible(t, ctx, ".cw-away-note input[type=email]", in(f))
	browsertest.Screenshot(t, ctx, "widget-offline-1-away")

	// The e-mail, by keyboard: a bad one is refused, a good one kept.
	if err := chromedp.Do(ctx, chromedp.Focus(".cw-away-note input[type=email]", in(f)), chromedp.KeyEvent("ana@"), chromedp.KeyEvent(kb.Enter)); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, f, ".cw-away-note .cw-error", "Enter a valid e-mail address.")
	if err := chromedp.Do(ctx, chromedp.KeyEvent("shop.test"), chromedp.KeyEvent(kb.Enter)); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, f, ".cw-notice", "We will reply to ana@shop.test")
	browsertest.Screenshot(t, ctx, "widget-offline-2-email")
	contacts := e.call("GET", e.acc("/contacts/search?q=ana%40shop.test"), e.adminToken, "", 200).(map[string]any)["payload"].([]any)
	if len(contacts) != 1 {
		t.Fatalf("%d contacts with the e-mail left in the widget", len(contacts))
	}
	// The visitor can still write while the team is away. (The bot is not
	// asked: the delivery engine runs on the wall clock, days behind.)
	if err := chromedp.Do(ctx, chromedp.Focus("#cw-input", in(f)), chromedp.KeyEvent("hello, anyone?"), chromedp.KeyEvent(kb.Enter)); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, f, ".cw-messages", "hello, anyone?")
	if n := s.visitorConversations(t); n != 1 {
		t.Fatalf("%d conversations after writing while away", n)
	}

	// In its own tab, light and dark: axe and the audit find nothing.
	for _, q := range []string{"", "&dark_mode=dark"} {
		if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/widget?website_token=%s%s", e.URL, s.token, q)),
			chromedp.WaitReady("html[data-ready]"), chromedp.WaitVisible(".cw-away-note input[type=email]")); err != nil {
			t.Fatal(err)
		}
		browsertest.Axe(t, ctx)
		browsertest.Audit(t, ctx)
	}

	// Monday 10:00: open, nothing about being away.
	clock.Add(22 * time.Hour)
	if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/widget?website_token=%s", e.URL, s.token)),
		chromedp.WaitReady("html[data-ready]")); err != nil {
		t.Fatal(err)
	}
	state, err := chromedp.Run(ctx, chromedp.Text("#cw-state"))
	if err != nil {
		t.Fatal(err)
	}
	if notes, _ := chromedp.Run(ctx, chromedp.Nodes(".cw-away-note", chromedp.AtLeast(0))); strings.Contains(state, "away") || len(notes) != 0 {
		t.Errorf("on Monday at 10:00 the widget says %q", state)
	}
	browsertest.Screenshot(t, ctx, "widget-offline-3-open")
}

// TestWidgetPreChatFocusWhileLoading: a visitor who opens the widget while
// it still loads (its conversations not read yet, so its pre-chat form not
// shown) gets the focus on the form's first field once it shows, not on the
// message box the form hides. The browser holds the widget's read of its
// conversations until the widget is open.
func TestWidgetPreChatFocusWhileLoading(t *testing.T) {
	t.Parallel()
	ctx, s := preChatShop(t)

	held := make(chan fetch.RequestID, 4)
	if err := chromedp.Listen(ctx, func(ev any) {
		if p, ok := ev.(*fetch.EventRequestPaused); ok {
			select { // never block the tab's loop; later polls stay held
			case held <- p.RequestID:
			default:
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{
		{URLPattern: "*/api/v1/widget/conversations?*", RequestStage: fetch.RequestStageRequest}}}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(s.host), chromedp.WaitVisible("#cw-bubble-holder button.woot-widget-bubble:not(.woot--hide)")); err != nil {
		t.Fatal(err)
	}
	var id fetch.RequestID
	select {
	case id = <-held:
	case <-time.After(15 * time.Second):
		t.Fatal("the widget never read its conversations")
	}
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(kb.Enter)); err != nil {
		t.Fatal(err)
	}
	if ok := hostEval[bool](t, ctx, `window.$chatwoot.isOpen`); !ok {
		t.Fatal("the widget did not open")
	}
	if _, err := chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: id}); err != nil {
		t.Fatal(err)
	}
	f := frame(t, ctx)
	waitVisible(t, ctx, "#cw-pc-emailAddress:focus", in(f))
	browsertest.Screenshot(t, ctx, "widget-prechat-focus-after-loading")
}

// TestWidgetPreChatLabelsWithoutLabels: a pre-chat field its inbox gave no
// label is named in words, never by its key: a standard field in the
// visitor's language, any other by its key in words.
func TestWidgetPreChatLabelsWithoutLabels(t *testing.T) {
	t.Parallel()
	ctx := browsertest.Tab(t)
	s := newShop(t)
	s.e.call("PATCH", s.e.acc(fmt.Sprintf("/inboxes/%d", s.inboxID)), s.e.adminToken, `{"channel":{"pre_chat_form_enabled":true,
	"pre_chat_form_options":{"pre_chat_fields":[
	 {"field_type":"standard","name":"emailAddress","type":"email","required":true,"enabled":true},
	 {"field_type":"conversation_attribute","name":"order_number","type":"text","required":true,"enabled":true},
	 {"field_type":"contact_attribute","label":"  ","name":"accountType","type":"text","required":false,"enabled":true}]}}}`, 200)
	openWidget(t, ctx, s)
	f := frame(t, ctx)
	waitVisible(t, ctx, "#cw-pc-emailAddress", in(f))
	for id, want := range map[string]string{"emailAddress": "Your e-mail", "order_number": "Order number",
		"accountType": "Account type (optional)", "message": "Your message"} {
		got, err := chromedp.Run(ctx, chromedp.Text(`label[for="cw-pc-`+id+`"]`, in(f)))
		if err != nil || got != want {
			t.Errorf("%s's label: %q (%v), want %q", id, got, err, want)
		}
	}
	browsertest.Screenshot(t, ctx, "widget-prechat-unlabelled")
}

// TestWidgetBotMenuClosesWithPeople: a bot's menu the visitor did not
// answer closes (its options disabled) once the conversation is with
// people, where a choice would reach nobody who acts on it, and opens
// again when a person hands the conversation back to the bot.
func TestWidgetBotMenuClosesWithPeople(t *testing.T) {
	t.Parallel()
	ctx := browsertest.Tab(t)
	s := newShop(t)
	e := s.e
	openWidget(t, ctx, s)
	f := frame(t, ctx)
	if err := chromedp.Do(ctx, chromedp.WaitVisible("#cw-input", in(f)), chromedp.SendKeys("#cw-input", "hello", in(f)),
		chromedp.Click("button.cw-send", in(f))); err != nil {
		t.Fatal(err)
	}
	got := s.bot.next(t, is("message_created", "incoming"))
	conv := int64(got["conversation"].(map[string]any)["id"].(float64))
	waitVisible(t, ctx, "button.cw-option", in(f))
	options := func(sel string) int {
		n, _ := chromedp.Run(ctx, chromedp.Nodes(sel, in(f), chromedp.AtLeast(0)))
		return len(n)
	}
	if options("button.cw-option:not([disabled])") != 2 {
		t.Fatal("the bot's menu is not open while the bot has the conversation")
	}

	status := func(token, to string) {
		t.Helper()
		e.call("POST", e.acc(fmt.Sprintf("/conversations/%d/toggle_status", conv)), token, `{"status":"`+to+`"}`, 200)
	}
	status(s.bot.token, "open")
	waitFor(t, "the menu closed", func() bool { return options("button.cw-option[disabled]") == 2 })
	// Nobody is online: the e-mail is asked for once, by the transcript's
	// "Get notified by email", not again by the notice under it.
	waitText(t, ctx, f, ".cw-messages", "Get notified by email")
	time.Sleep(300 * time.Millisecond) // the notice's render after the message's
	if n := options(`input[type=email]`); n != 1 {
		t.Errorf("%d e-mail fields, want the transcript's one", n)
	}
	browsertest.Screenshot(t, ctx, "widget-menu-closed")
	status(e.adminToken, "pending")
	waitFor(t, "the menu open again", func() bool { return options("button.cw-option:not([disabled])") == 2 })
}
