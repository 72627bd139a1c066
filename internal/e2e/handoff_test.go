package e2e_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// TestHandoff plays the whole story: a bot takes a new conversation, answers
// the customer, hands over to people, and gets it back.
func TestHandoff(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e, b := startBot(t, s)

		conv := e.customer("casey")
		if got := e.status(conv); got != "pending" {
			t.Fatalf("a new conversation in a bot's inbox is %s, want pending", got)
		}
		e.say("casey", conv, "Where is my order?")
		ev := b.next(t, is("message_created", "incoming"))
		if ev["content"] != "Where is my order?" {
			t.Fatalf("bot got content %v", ev["content"])
		}
		c := ev["conversation"].(map[string]any)
		if c["status"] != "pending" || c["id"] != float64(conv) {
			t.Fatalf("bot got conversation %v/%v, want %d/pending", c["id"], c["status"], conv)
		}
		if ev["sender"].(map[string]any)["name"] != "Casey" || ev["account"].(map[string]any)["id"] != float64(e.accountID) {
			t.Fatalf("bot got sender %v account %v", ev["sender"], ev["account"])
		}

		// The bot answers with its token, then hands over.
		path := e.convPath(conv)
		e.call("POST", path+"/messages", b.token, `{"content":"Let me find a person for you."}`, 200)
		b.next(t, is("message_created", "outgoing"))
		e.call("POST", path+"/toggle_status", b.token, `{"status":"open"}`, 200)
		b.next(t, is("conversation_updated"))
		if got := e.status(conv); got != "open" {
			t.Fatalf("after the handoff the conversation is %s, want open", got)
		}
		// Nobody is online: the customer is told so and asked for an
		// e-mail, and the bot, which keeps listening, hears that last.
		b.next(t, func(ev map[string]any) bool {
			return ev["event"] == "message_created" && ev["content"] == "Get notified by email"
		})
		names := b.eventNames()
		want := []string{"message_created:incoming", "message_created:outgoing", "conversation_opened",
			"conversation_status_changed", "conversation_updated", "message_created:template", "message_created:template"}
		if !slices.Equal(names, want) {
			t.Fatalf("events %v, want %v", names, want)
		}

		// A person pushes it back; the bot hears of it.
		e.call("POST", path+"/toggle_status", e.adminToken, `{"status":"pending"}`, 200)
		ev = b.next(t, is("conversation_status_changed"))
		change := ev["changed_attributes"].([]any)[0].(map[string]any)["status"].(map[string]any)
		if change["previous_value"] != "open" || change["current_value"] != "pending" {
			t.Fatalf("changed_attributes %v", ev["changed_attributes"])
		}

		// Resolved, then the customer writes again: back to the bot.
		e.call("POST", path+"/toggle_status", e.adminToken, `{"status":"resolved"}`, 200)
		e.say("casey", conv, "One more thing")
		if got := e.status(conv); got != "pending" {
			t.Fatalf("a customer message on a resolved conversation in a bot inbox leaves it %s, want pending", got)
		}
	})
}

// TestBotTokenScope checks what a bot's token may do, and where.
func TestBotTokenScope(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e, b := startBot(t, s)
		conv := e.customer("casey")
		path := e.convPath(conv)

		for _, ok := range []struct{ method, path, body string }{
			{"GET", path, ""},
			{"GET", path + "/messages", ""},
			{"POST", path + "/toggle_priority", `{"priority":"high"}`},
			{"POST", path + "/custom_attributes", `{"custom_attributes":{"order":"1042"}}`},
			{"POST", path + "/labels", `{"labels":["billing"]}`},
			{"GET", path + "/labels", ""},
			{"POST", path + "/toggle_typing_status", `{"typing_status":"on"}`},
		} {
			e.call(ok.method, ok.path, b.token, ok.body, 200)
		}
		for _, refused := range []struct{ method, path string }{
			{"GET", e.acc("/conversations")},
			{"GET", e.acc("/contacts")},
			{"GET", e.acc("/inboxes")},
			{"GET", e.acc("/agent_bots")},
			{"GET", "/api/v1/profile"},
		} {
			got := e.call(refused.method, refused.path, b.token, "", 401).(map[string]any)
			if got["error"] != "Access to this endpoint is not authorized for bots" {
				t.Fatalf("%s %s: %v", refused.method, refused.path, got)
			}
		}

		// Another inbox of the account: its conversations are not found.
		other := e.call("POST", e.acc("/inboxes"), e.adminToken, `{"name":"Other","channel":{"type":"api"}}`, 200).(map[string]any)
		id := other["inbox_identifier"].(string)
		dc := e.call("POST", "/public/api/v1/inboxes/"+id+"/contacts", "", `{"source_id":"dana"}`, 200).(map[string]any)
		oc := e.call("POST", "/public/api/v1/inboxes/"+id+"/contacts/dana/conversations", "", `{}`, 200).(map[string]any)
		e.call("GET", e.acc(fmt.Sprintf("/conversations/%v", oc["id"])), b.token, "", 404)

		// Nor are that inbox's contacts: not read, and not reached by
		// starting a conversation with one in the bot's inbox.
		dana := int64(dc["id"].(float64))
		e.call("GET", e.acc(fmt.Sprintf("/contacts/%d", dana)), b.token, "", 404)
		botInbox := int64(e.inbox["id"].(float64))
		e.call("POST", e.acc("/conversations"), b.token, fmt.Sprintf(`{"inbox_id":%d,"contact_id":%d}`, botInbox, dana), 404)
		e.call("GET", e.acc(fmt.Sprintf("/contacts/%d", dana)), b.token, "", 404)
		if got := e.call("GET", e.acc(fmt.Sprintf("/contacts/%d/conversations", dana)), e.adminToken, "", 200).(map[string]any)["payload"].([]any); len(got) != 1 {
			t.Fatalf("the refused conversation was made: dana has %d conversations", len(got))
		}
		// A contact the bot serves it reads, with the contact inboxes of its
		// own inbox only: another inbox's source id is a credential there.
		casey := int64(e.conversation(conv)["meta"].(map[string]any)["sender"].(map[string]any)["id"].(float64))
		e.call("POST", e.acc("/conversations"), e.adminToken, fmt.Sprintf(`{"inbox_id":%v,"contact_id":%d}`, other["id"], casey), 200)
		seen := e.call("GET", e.acc(fmt.Sprintf("/contacts/%d", casey)), b.token, "", 200).(map[string]any)["payload"].(map[string]any)
		if cis := seen["contact_inboxes"].([]any); len(cis) != 1 || cis[0].(map[string]any)["inbox"].(map[string]any)["id"].(float64) != float64(botInbox) {
			t.Fatalf("the bot sees casey's contact inboxes %v, want its inbox's only", cis)
		}
		if cis := e.call("GET", e.acc(fmt.Sprintf("/contacts/%d", casey)), e.adminToken, "", 200).(map[string]any)["payload"].(map[string]any)["contact_inboxes"].([]any); len(cis) != 2 {
			t.Fatalf("an administrator sees casey's contact inboxes %v, want both", cis)
		}
		e.call("POST", e.acc("/conversations"), b.token, fmt.Sprintf(`{"inbox_id":%d,"contact_id":%d}`, botInbox, casey), 200)

		// Another account: unauthorized.
		e2 := start(t, s)
		got := e.call("GET", fmt.Sprintf("/api/v1/accounts/%d/conversations/1", e2.accountID), b.token, "", 401).(map[string]any)
		if got["error"] != "Bot is not authorized to access this account" {
			t.Fatalf("another account: %v", got)
		}
	})
}

// TestUnassignBot: assigning no one takes a conversation from the bot it
// was assigned to, as assigning a person does.
func TestUnassignBot(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e, b := startBot(t, s)
		conv := e.customer("casey")
		path := e.convPath(conv)
		e.call("POST", path+"/assignments", e.adminToken, fmt.Sprintf(`{"assignee_type":"AgentBot","assignee_id":%d}`, b.id), 200)
		c := e.call("GET", path, e.adminToken, "", 200).(map[string]any)
		if c["meta"].(map[string]any)["assignee_type"] != "AgentBot" {
			t.Fatalf("after assigning the bot, meta is %v", c["meta"])
		}
		e.call("POST", path+"/assignments", e.adminToken, `{"assignee_id":null}`, 200)
		c = e.call("GET", path, e.adminToken, "", 200).(map[string]any)
		if at := c["meta"].(map[string]any)["assignee_type"]; at != nil {
			t.Fatalf("after unassigning, assignee_type is %v, want null", at)
		}
	})
}
