package e2e_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/batonhq/baton/internal/browsertest"
	"github.com/chromedp/chromedp"
)

// csatMessages are the conversation's input_csat messages as the
// administrator sees them.
func csatMessages(t *testing.T, e *env, convID int64) []map[string]any {
	t.Helper()
	v := e.call("GET", e.acc(fmt.Sprintf("/conversations/%d/messages", convID)), e.adminToken, "", 200).(map[string]any)
	var out []map[string]any
	for _, m := range v["payload"].([]any) {
		if m := m.(map[string]any); m["content_type"] == "input_csat" {
			out = append(out, m)
		}
	}
	return out
}

// TestWidgetCSAT: an inbox that asks for CSAT gets a survey when a
// conversation is resolved (once), the widget shows it, and the rating and
// the comment are stored on the message.
func TestWidgetCSAT(t *testing.T) {
	t.Parallel()
	ctx := browsertest.Tab(t)
	s := newShop(t)
	e := s.e
	e.call("PATCH", e.acc(fmt.Sprintf("/inboxes/%d", s.inboxID)), e.adminToken, `{"csat_survey_enabled":true}`, 200)

	openWidget(t, ctx, s)
	f := frame(t, ctx)
	waitVisible(t, ctx, "#cw-input", in(f))
	if err := chromedp.Do(ctx, chromedp.SendKeys("#cw-input", "my parcel is late", in(f)), chromedp.Click("button.cw-send", in(f))); err != nil {
		t.Fatal(err)
	}
	s.bot.next(t, is("message_created", "incoming"))
	convID := int64(s.adminConversation(t)["id"].(float64))
	// Enough said for the messages to scroll: the survey comes at their end.
	for i := range 12 {
		e.call("POST", e.acc(fmt.Sprintf("/conversations/%d/messages", convID)), e.adminToken, fmt.Sprintf(`{"content":"answer %d"}`, i), 200)
	}
	waitText(t, ctx, f, ".cw-messages", "answer 11")
	e.call("POST", e.acc(fmt.Sprintf("/conversations/%d/toggle_status", convID)), e.adminToken, `{"status":"resolved"}`, 200)

	got := csatMessages(t, e, convID)
	if len(got) != 1 || got[0]["message_type"] != float64(3) || got[0]["content"] != "Please rate the conversation" {
		t.Fatalf("CSAT messages after resolving: %v", got)
	}
	// The bot hears the survey as a template message, after the resolution.
	s.bot.next(t, is("conversation_resolved"))
	if ev := s.bot.next(t, is("message_created", "template")); ev["content_type"] != "input_csat" {
		t.Errorf("after the resolution the bot heard %v %v", ev["content_type"], ev["content"])
	}
	waitVisible(t, ctx, ".cw-type-input_csat button.cw-rate", in(f))
	waitText(t, ctx, f, ".cw-type-input_csat", "Please rate the conversation")
	// The question is said once.
	if txt, _ := chromedp.Run(ctx, chromedp.Text(".cw-messages", in(f))); strings.Count(txt, "Please rate the conversation") != 1 {
		t.Errorf("the survey's question shows %d times", strings.Count(txt, "Please rate the conversation"))
	}
	browsertest.Screenshot(t, ctx, "widget-csat-1-asked")
	// A rating, then another: the customer may change their mind.
	if err := chromedp.Do(ctx, chromedp.Click(".cw-type-input_csat button.cw-rate:nth-child(2)", in(f))); err != nil {
		t.Fatal(err)
	}
	waitVisible(t, ctx, `.cw-type-input_csat button.cw-rate:nth-child(2)[aria-pressed="true"]`, in(f))
	if err := chromedp.Do(ctx, chromedp.Click(".cw-type-input_csat button.cw-rate:nth-child(5)", in(f))); err != nil {
		t.Fatal(err)
	}
	waitVisible(t, ctx, `.cw-type-input_csat button.cw-rate:nth-child(5)[aria-pressed="true"]`, in(f))
	waitVisible(t, ctx, ".cw-type-input_csat textarea", in(f))
	// The survey grew where it is, at the end of the messages: the comment
	// box it grew is in view, not below the fold.
	var box [3]float64
	for end := time.Now().Add(3 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		for i, name := range []string{"scrollHeight", "clientHeight", "scrollTop"} {
			v, err := chromedp.Run(ctx, chromedp.JavascriptAttribute[float64](".cw-messages", name, in(f)))
			if err != nil {
				t.Fatal(err)
			}
			box[i] = v
		}
		if box[0] > box[1] && box[0]-box[1]-box[2] < 2 || time.Now().After(end) {
			break
		}
	}
	if !(box[0] > box[1] && box[0]-box[1]-box[2] < 2) {
		t.Errorf("after the survey grew, the messages (scrollHeight, clientHeight, scrollTop) %v are not at their end", box)
	}
	if err := chromedp.Do(ctx, chromedp.SendKeys(".cw-type-input_csat textarea", "Quick and kind", in(f)),
		chromedp.Click(".cw-type-input_csat button.cw-primary", in(f))); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, f, ".cw-type-input_csat", "Quick and kind")
	// The form is gone: the focus is on the thanks, not lost to the page.
	waitVisible(t, ctx, ".cw-type-input_csat .cw-csat-title:focus", in(f))
	browsertest.Screenshot(t, ctx, "widget-csat-2-answered")
	waitFor(t, "the rating and comment to be stored", func() bool {
		m := csatMessages(t, e, convID)[0]
		attrs, _ := m["content_attributes"].(map[string]any)
		sv, _ := attrs["submitted_values"].(map[string]any)
		r, _ := sv["csat_survey_response"].(map[string]any)
		return r["rating"] == float64(5) && r["feedback_message"] == "Quick and kind"
	})

	// Reopened and resolved again: no second survey.
	e.call("POST", e.acc(fmt.Sprintf("/conversations/%d/toggle_status", convID)), e.adminToken, `{"status":"open"}`, 200)
	e.call("POST", e.acc(fmt.Sprintf("/conversations/%d/toggle_status", convID)), e.adminToken, `{"status":"resolved"}`, 200)
	if n := len(csatMessages(t, e, convID)); n != 1 {
		t.Fatalf("%d CSAT surveys after resolving twice", n)
	}
}
