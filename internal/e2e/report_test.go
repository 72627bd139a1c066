package e2e_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// TestBotReports: Chatwoot's bot metrics and bot summary, and Baton's
// handoff report, computed from what happened, per account, bot and inbox.
func TestBotReports(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e, b := startBot(t, s)
		ann := e.person("ann", "agent", true)
		since := time.Now().Add(-time.Minute).Unix()

		// Four bot conversations: one the bot resolves, two it hands over
		// (one answered by Ann), one the customer asks out of.
		resolved, refund, failure, asked := e.customer("c1"), e.customer("c2"), e.customer("c3"), e.customer("c4")
		conv := e.convPath
		e.call("POST", conv(resolved)+"/messages", b.token, `{"content":"Done!"}`, 200)
		e.call("POST", conv(resolved)+"/toggle_status", b.token, `{"status":"resolved"}`, 200)
		e.call("POST", conv(refund)+"/toggle_status", b.token, `{"status":"open","handoff":{"reason":"refund"}}`, 200)
		e.call("POST", conv(failure)+"/toggle_status", b.token, `{"status":"open","handoff":{"reason":"refund"}}`, 200)
		e.call("POST", fmt.Sprintf("/public/api/v1/inboxes/%s/contacts/c4/conversations/%d/toggle_status", e.identifier, asked), "", `{"status":"open"}`, 200)
		e.call("POST", conv(refund)+"/messages", ann.token, `{"content":"Refund sent."}`, 200)
		time.Sleep(1100 * time.Millisecond) // the other customers wait more than a second
		until := time.Now().Add(time.Minute).Unix()

		reports := fmt.Sprintf("/api/v2/accounts/%d/reports", e.accountID)
		rng := fmt.Sprintf("since=%d&until=%d", since, until)
		e.call("GET", reports+"/bot_metrics?"+rng, ann.token, "", 401)
		m := e.call("GET", reports+"/bot_metrics?"+rng, e.adminToken, "", 200).(map[string]any)
		want := map[string]any{"conversation_count": 4.0, "message_count": 1.0 + 1, "resolution_rate": 25.0, "handoff_rate": 75.0}
		// Outgoing messages: the bot's and Ann's. What the customers were
		// told when nobody was online (three handoffs) are template
		// messages, which Chatwoot's count leaves out too.
		for k, v := range want {
			if m[k] != v {
				t.Errorf("bot_metrics %s = %v, want %v (%v)", k, m[k], v, m)
			}
		}
		m = e.call("GET", reports+fmt.Sprintf("/bot_metrics?%s&agent_bot_id=%d", rng, b.id), e.adminToken, "", 200).(map[string]any)
		if m["message_count"] != 1.0 || m["conversation_count"] != 4.0 {
			t.Errorf("bot_metrics of the bot: %v, want its one message in 4 conversations", m)
		}
		e.call("GET", reports+"/bot_metrics?agent_bot_id=999999", e.adminToken, "", 404)
		e.call("GET", reports+fmt.Sprintf("/bot_metrics?since=%d&until=%d", until, since), e.adminToken, "", 422)
		sum := e.call("GET", reports+"/bot_summary?"+rng, e.adminToken, "", 200).(map[string]any)
		if sum["bot_resolutions_count"] != 1.0 || sum["bot_handoffs_count"] != 3.0 {
			t.Errorf("bot_summary %v", sum)
		}

		h := e.call("GET", reports+"/handoffs?"+rng+"&wait_threshold=1", e.adminToken, "", 200).(map[string]any)
		if h["handoffs_count"] != 3.0 {
			t.Errorf("handoffs_count %v, want 3", h["handoffs_count"])
		}
		byReason := h["by_reason"].([]any)
		if len(byReason) != 2 || byReason[0].(map[string]any)["reason"] != "refund" || byReason[0].(map[string]any)["count"] != 2.0 ||
			byReason[1].(map[string]any)["reason"] != "customer_request" {
			t.Errorf("by_reason %v", byReason)
		}
		reply := h["time_to_first_human_reply"].(map[string]any)
		if reply["count"] != 1.0 || reply["p50"].(float64) < 0 || reply["p90"].(float64) > 60 {
			t.Errorf("time_to_first_human_reply %v", reply)
		}
		waited := h["waited_longer_than"].(map[string]any)
		if waited["count"] != 2.0 || waited["threshold"] != 1.0 {
			t.Errorf("waited_longer_than %v, want the two customers nobody answered", waited)
		}
		// Another inbox has no handoffs.
		other := e.call("POST", e.acc("/inboxes"), e.adminToken, `{"name":"Other","channel":{"type":"api"}}`, 200).(map[string]any)
		h = e.call("GET", reports+fmt.Sprintf("/handoffs?%s&inbox_id=%v", rng, other["id"]), e.adminToken, "", 200).(map[string]any)
		if h["handoffs_count"] != 0.0 {
			t.Errorf("handoffs of an inbox without any: %v", h["handoffs_count"])
		}
	})
}
