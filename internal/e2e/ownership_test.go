package e2e_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// messageLines lists a conversation's messages as "type: content", private
// notes marked, as the administrator sees them.
func (e *env) messageLines(conv int64) []string {
	e.t.Helper()
	r := e.call("GET", e.acc(fmt.Sprintf("/conversations/%d/messages", conv)), e.adminToken, "", 200).(map[string]any)
	var out []string
	for _, m := range r["payload"].([]any) {
		m := m.(map[string]any)
		kind := map[float64]string{0: "in", 1: "out", 2: "activity", 3: "template"}[m["message_type"].(float64)]
		if m["private"] == true {
			kind = "note"
		}
		content, _ := m["content"].(string)
		out = append(out, kind+": "+content)
	}
	return out
}

func count(lines []string, prefix string) int {
	n := 0
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

// TestOneOwner: a bot's public message into a conversation that is
// people's is refused with 409 and nothing is stored; its private notes go
// through; the inbox's bot_replies_when_open restores Chatwoot's behaviour.
func TestOneOwner(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e, b := startBot(t, s)
		conv := e.customer("casey")
		path := e.convPath(conv)
		e.call("POST", path+"/messages", b.token, `{"content":"Hello from the bot"}`, 200)
		e.call("POST", path+"/toggle_status", b.token, `{"status":"open"}`, 200)
		before := e.messageLines(conv)

		body := e.call("POST", path+"/messages", b.token, `{"content":"Still me!"}`, 409).(map[string]any)
		if msg, _ := body["error"].(string); !strings.Contains(msg, "private notes") {
			t.Errorf("409 body %v, want an error that says what a bot may do", body)
		}
		if after := e.messageLines(conv); len(after) != len(before) {
			t.Errorf("a refused message was stored: %v", after)
		}
		e.call("POST", path+"/messages", b.token, `{"content":"Customer asked about refunds","private":true}`, 200)
		if got := e.messageLines(conv); got[len(got)-1] != "note: Customer asked about refunds" {
			t.Errorf("the bot's private note is missing: %v", got)
		}

		// Resolved is not the bot's either.
		e.call("POST", path+"/toggle_status", e.adminToken, `{"status":"resolved"}`, 200)
		e.call("POST", path+"/messages", b.token, `{"content":"Bye"}`, 409)

		inbox := e.call("PATCH", e.acc(fmt.Sprintf("/inboxes/%v", e.inbox["id"])), e.adminToken,
			`{"bot_replies_when_open":true}`, 200).(map[string]any)
		if inbox["bot_replies_when_open"] != true || inbox["customer_can_request_human"] != true {
			t.Fatalf("inbox after update: bot_replies_when_open %v, customer_can_request_human %v",
				inbox["bot_replies_when_open"], inbox["customer_can_request_human"])
		}
		e.call("POST", path+"/messages", b.token, `{"content":"Bye"}`, 200)
	})
}

// TestTakeOver: a person's public reply to the bot's conversation takes it
// over: open, assigned to them, an activity message, and the bot hears of
// the status change; the bot's late reply is refused.
func TestTakeOver(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e, b := startBot(t, s)
		ann := e.person("ann", "agent", true)
		conv := e.customer("casey")
		path := e.convPath(conv)
		e.say("casey", conv, "My parcel is lost")
		b.next(t, is("message_created", "incoming"))

		// The bot is mid-answer when Ann replies.
		e.call("POST", path+"/messages", ann.token, `{"content":"I am on it."}`, 200)
		c := e.conversation(conv)
		if c["status"] != "open" {
			t.Fatalf("after a person's reply the conversation is %v, want open", c["status"])
		}
		if a, _ := c["meta"].(map[string]any)["assignee"].(map[string]any); a == nil || a["id"] != float64(ann.id) {
			t.Errorf("assignee after the take-over: %v, want Ann", c["meta"].(map[string]any)["assignee"])
		}
		h, _ := c["handoff"].(map[string]any)
		if h == nil || h["reason"] != "agent_takeover" || h["by"].(map[string]any)["type"] != "User" {
			t.Errorf("handoff after the take-over: %v", c["handoff"])
		}
		ev := b.next(t, is("conversation_status_changed"))
		if ev["status"] != "open" {
			t.Errorf("the bot heard status %v, want open", ev["status"])
		}
		lines := e.messageLines(conv)
		if count(lines, "activity: ann took the conversation over") != 1 {
			t.Errorf("messages after the take-over: %v", lines)
		}
		// The bot's late answer is refused.
		e.call("POST", path+"/messages", b.token, `{"content":"Let me check that for you"}`, 409)
		// A private note of a person does not take over.
		conv2 := e.customer("dana")
		e.call("POST", e.acc(fmt.Sprintf("/conversations/%d/messages", conv2)), ann.token, `{"content":"VIP","private":true}`, 200)
		if got := e.status(conv2); got != "pending" {
			t.Errorf("after a person's private note the conversation is %s, want pending", got)
		}
	})
}

// TestTakeOverButton: a person online taking the bot's conversation over
// (the agent app's Take over) is told as a reply's take-over is: who took it
// from the bot and that they have it, not that auto assignment chose them.
func TestTakeOverButton(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e, b := startBot(t, s)
		ann := e.person("ann", "agent", true)
		e.connectPerson(ann)
		conv := e.customer("casey")
		e.say("casey", conv, "My parcel is lost")
		b.next(t, is("message_created", "incoming"))
		actor, err := e.App.Authenticate(t.Context(), ann.token)
		if err != nil {
			t.Fatal(err)
		}
		c, err := e.App.TakeOver(baton.NewContextWithActor(t.Context(), actor), e.accountID, conv, "bot")
		if err != nil || c.AssigneeID != ann.id || c.Status != baton.StatusOpen {
			t.Fatalf("take over: %v (%v)", c, err)
		}
		var got []string
		for _, l := range e.messageLines(conv) {
			if strings.HasPrefix(l, "activity: ") {
				got = append(got, l)
			}
		}
		want := []string{"activity: ann took the conversation over from the bot", "activity: ann self-assigned this conversation"}
		if !slices.Equal(got, want) {
			t.Errorf("activity after the take-over: %q, want %q", got, want)
		}
		if h, _ := e.conversation(conv)["handoff"].(map[string]any); h == nil || h["reason"] != "agent_takeover" {
			t.Errorf("handoff after the take-over: %v", h)
		}
	})
}

// TestHandoffObject: toggle_status open carries why and to whom; the
// conversation shows the latest handoff, the activity message names who
// and why, the bot's events carry it, and bad handoffs are refused.
func TestHandoffObject(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e, b := startBot(t, s)
		ann := e.person("ann", "agent", true)
		outsider := e.person("olga", "agent", false)
		conv := e.customer("casey")
		path := e.convPath(conv)
		if c := e.conversation(conv); c["handoff"] != nil {
			t.Fatalf("handoff before any: %v", c["handoff"])
		}

		for _, tc := range []struct{ name, body string }{
			{"unknown key", `{"status":"open","handoff":{"reason":"x","priority":"high"}}`},
			{"not an object", `{"status":"open","handoff":"billing"}`},
			{"oversize reason", fmt.Sprintf(`{"status":"open","handoff":{"reason":%q}}`, strings.Repeat("r", 256))},
			{"oversize summary", fmt.Sprintf(`{"status":"open","handoff":{"summary":%q}}`, strings.Repeat("s", 4001))},
			{"assignee not in the account", `{"status":"open","handoff":{"assignee_id":999999}}`},
			{"assignee not in the inbox", fmt.Sprintf(`{"status":"open","handoff":{"assignee_id":%d}}`, outsider.id)},
			{"another account's team", `{"status":"open","handoff":{"team_id":999999}}`},
		} {
			e.call("POST", path+"/toggle_status", b.token, tc.body, 422)
			if got := e.status(conv); got != "pending" {
				t.Fatalf("%s: refused handoff left the conversation %s", tc.name, got)
			}
		}
		if c := e.conversation(conv); c["handoff"] != nil {
			t.Fatalf("refused handoffs were recorded: %v", c["handoff"])
		}

		e.call("POST", path+"/toggle_status", b.token, fmt.Sprintf(`{"status":"open","handoff":{"reason":"refund_request",
			"summary":"Wants a refund for order 1042","assignee_id":%d}}`, ann.id), 200)
		c := e.conversation(conv)
		h := c["handoff"].(map[string]any)
		if h["reason"] != "refund_request" || h["summary"] != "Wants a refund for order 1042" ||
			h["assignee_id"] != float64(ann.id) || h["team_id"] != nil || h["at"] == nil {
			t.Errorf("handoff: %v", h)
		}
		if by := h["by"].(map[string]any); by["type"] != "AgentBot" || by["id"] != float64(b.id) {
			t.Errorf("handoff by %v, want the bot", by)
		}
		lines := e.messageLines(conv)
		if count(lines, "activity: Helper handed the conversation to people (reason: refund_request)") != 1 {
			t.Errorf("messages: %v", lines)
		}
		ev := b.next(t, is("conversation_opened"))
		if eh, _ := ev["handoff"].(map[string]any); eh == nil || eh["reason"] != "refund_request" {
			t.Errorf("conversation_opened carries handoff %v", ev["handoff"])
		}
		// Ann is offline: she was asked for but not given it, and with
		// nobody online the conversation waits, the customer told once.
		if c["meta"].(map[string]any)["assignee"] != nil {
			t.Errorf("an offline agent was given the conversation: %v", c["meta"].(map[string]any)["assignee"])
		}
		if count(lines, "template: ") != 2 || count(lines, "template: Get notified by email") != 1 {
			t.Errorf("the customer was not told once that nobody is there: %v", lines)
		}
	})
}

// TestHandoffsAtOnce: two handoffs at the same moment hand over once.
func TestHandoffsAtOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e, b := startBot(t, s)
		conv := e.customer("casey")
		path := e.convPath(conv)
		var wg sync.WaitGroup
		for _, reason := range []string{"first", "second", "third"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				call(t, "POST", e.URL+path+"/toggle_status", b.token,
					fmt.Sprintf(`{"status":"open","handoff":{"reason":%q}}`, reason), 200)
			}()
		}
		wg.Wait()
		lines := e.messageLines(conv)
		if n := count(lines, "activity: Helper handed the conversation"); n != 1 {
			t.Errorf("%d handoff activity messages, want 1: %v", n, lines)
		}
		if n := count(lines, "template: "); n != 2 {
			t.Errorf("the customer was told %d times, want once (2 messages): %v", n, lines)
		}
	})
}

// TestCustomerAsksForPerson: the customer hands a pending conversation to
// people through the public API, once however often they ask; the bot is
// told; an inbox can turn it off.
func TestCustomerAsksForPerson(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e, b := startBot(t, s)
		conv := e.customer("casey")
		pub := fmt.Sprintf("/public/api/v1/inboxes/%s/contacts/casey/conversations/%d/toggle_status", e.identifier, conv)
		c := e.call("POST", pub, "", `{"status":"open"}`, 200).(map[string]any)
		if c["status"] != "open" {
			t.Fatalf("after the customer asked the conversation is %v", c["status"])
		}
		e.call("POST", pub, "", `{"status":"open"}`, 200)
		ev := b.next(t, is("conversation_status_changed"))
		if h, _ := ev["handoff"].(map[string]any); h == nil || h["reason"] != "customer_request" || h["by"].(map[string]any)["type"] != "Contact" {
			t.Errorf("the bot was told of handoff %v", ev["handoff"])
		}
		lines := e.messageLines(conv)
		if n := count(lines, "activity: Casey asked to talk to a person"); n != 1 {
			t.Errorf("%d activity messages for two asks, want 1: %v", n, lines)
		}
		if n := count(lines, "template: "); n != 2 {
			t.Errorf("the customer was told %d times: %v", n, lines)
		}
		e.call("POST", pub, "", `{"status":"snoozed"}`, 422)

		// An inbox that does not let customers ask.
		e.call("PATCH", e.acc(fmt.Sprintf("/inboxes/%v", e.inbox["id"])), e.adminToken, `{"customer_can_request_human":false}`, 200)
		conv2 := e.customer("dana")
		pub2 := fmt.Sprintf("/public/api/v1/inboxes/%s/contacts/dana/conversations/%d/toggle_status", e.identifier, conv2)
		e.call("POST", pub2, "", `{"status":"open"}`, 422)
		if got := e.status(conv2); got != "pending" {
			t.Errorf("a refused ask left the conversation %s", got)
		}
		// Chatwoot's toggle_status without a body still resolves.
		e.call("POST", pub2, "", ``, 200)
		if got := e.status(conv2); got != "resolved" {
			t.Errorf("toggle_status without a body left the conversation %s, want resolved", got)
		}
	})
}

// TestWidgetAsksForPerson: the widget's toggle_status with status open
// hands the visitor's pending conversation to people, as the public API's.
func TestWidgetAsksForPerson(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := start(t, s)
		site := newWidgetSite(e)
		b := newBot(t, nil)
		site.connect(b)
		_, token := site.visit()
		site.must(200, "POST", "/messages", "", token, `{"message":{"content":"Hello"}}`)
		site.must(200, "POST", "/conversations/toggle_status", "", token, `{"status":"open"}`)
		site.must(200, "POST", "/conversations/toggle_status", "", token, `{"status":"open"}`)
		ev := b.next(t, is("conversation_opened"))
		if h, _ := ev["handoff"].(map[string]any); h == nil || h["reason"] != "customer_request" {
			t.Errorf("the bot was told of handoff %v", ev["handoff"])
		}
		conv := int64(ev["id"].(float64))
		if n := count(e.messageLines(conv), "activity: "); n != 1 {
			t.Errorf("%d activity messages for two asks, want 1: %v", n, e.messageLines(conv))
		}
	})
}
