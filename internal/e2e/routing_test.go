package e2e_test

import (
	"fmt"
	"testing"

	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// assigneeOf returns the id of a conversation's assignee, 0 for none.
func (e *env) assigneeOf(conv int64) int64 {
	e.t.Helper()
	a, _ := e.conversation(conv)["meta"].(map[string]any)["assignee"].(map[string]any)
	if a == nil {
		return 0
	}
	return int64(a["id"].(float64))
}

// handOver has the bot hand a new conversation of the customer over with
// the handoff object, and returns the conversation.
func (e *env) handOver(b *bot, sourceID, handoff string) int64 {
	e.t.Helper()
	conv := e.customer(sourceID)
	e.call("POST", e.acc(fmt.Sprintf("/conversations/%d/toggle_status", conv)), b.token,
		fmt.Sprintf(`{"status":"open","handoff":%s}`, handoff), 200)
	return conv
}

// TestRoutingNobodyThenSomeone: with nobody online a handoff waits
// unassigned and the customer is told once; when someone comes online the
// waiting conversations are theirs, oldest first, and the bot hears of the
// assignee; an agent going offline keeps what they have.
func TestRoutingNobodyThenSomeone(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e, b := startBot(t, s)
		e.call("PATCH", e.acc(fmt.Sprintf("/inboxes/%v", e.inbox["id"])), e.adminToken,
			`{"out_of_office_message":"We are back at 9.","auto_assignment_config":{"max_assignment_limit":1}}`, 200)
		ann := e.person("ann", "agent", true)
		first := e.handOver(b, "casey", `{"reason":"billing"}`)
		second := e.handOver(b, "dana", `{}`)
		if got := e.assigneeOf(first); got != 0 {
			t.Fatalf("with nobody online the conversation went to %d", got)
		}
		lines := e.messageLines(first)
		if count(lines, "template: We are back at 9.") != 1 || count(lines, "template: Get notified by email") != 1 {
			t.Errorf("the customer was not told with the inbox's text: %v", lines)
		}
		// What the customer is told is a message as any other: the bot,
		// which keeps listening, and the webhooks hear it (an API inbox's
		// webhook is how its customer is told at all).
		for _, text := range []string{"We are back at 9.", "Get notified by email"} {
			ev := b.next(t, func(ev map[string]any) bool {
				return ev["event"] == "message_created" && ev["content"] == text && ev["conversation"].(map[string]any)["id"] == float64(first)
			})
			if ev["message_type"] != "template" {
				t.Errorf("the bot heard %q as %v", text, ev["message_type"])
			}
		}
		waiting := e.call("GET", e.acc("/conversations?queue=waiting"), e.adminToken, "", 200).(map[string]any)
		payload := waiting["data"].(map[string]any)["payload"].([]any)
		if len(payload) != 2 || payload[0].(map[string]any)["id"] != float64(first) {
			t.Errorf("waiting queue: %d conversations, first %v; want 2, oldest first", len(payload), payload)
		}
		if ws := payload[0].(map[string]any)["waiting_since"]; ws == nil || ws == float64(0) {
			t.Errorf("a waiting conversation shows waiting_since %v", ws)
		}

		// Ann logs in: the oldest is hers, the second waits for her limit.
		e.connectPerson(ann)
		if got := e.assigneeOf(first); got != ann.id {
			t.Fatalf("after Ann came online the oldest conversation is with %d, want Ann (%d)", got, ann.id)
		}
		if got := e.assigneeOf(second); got != 0 {
			t.Errorf("max_assignment_limit 1 gave Ann a second conversation")
		}
		ev := b.next(t, changed("conversation_updated", "assignee_id"))
		if ev["id"] != float64(first) {
			t.Errorf("the bot heard of the assignment of conversation %v, want %d", ev["id"], first)
		}
		// Ann resolves it: the next waiting one is hers at the next round.
		e.call("POST", e.acc(fmt.Sprintf("/conversations/%d/toggle_status", first)), ann.token, `{"status":"resolved"}`, 200)
		if err := e.App.RouteAllWaiting(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got := e.assigneeOf(second); got != ann.id {
			t.Errorf("after Ann resolved one, the waiting conversation is with %d", got)
		}

		// Ann goes offline: what she has stays hers; the next handoff waits.
		e.disconnectPerson(ann)
		if got := e.assigneeOf(second); got != ann.id {
			t.Errorf("an agent who went offline lost conversation %d to %d", second, got)
		}
		third := e.handOver(b, "erin", `{}`)
		if got := e.assigneeOf(third); got != 0 {
			t.Errorf("with Ann offline a handoff went to %d", got)
		}
	})
}

// TestRoutingChoice: the requested agent if online and in the inbox, else
// the requested team's online members, else the online agent with the
// fewest open conversations; busy people and people of other inboxes are
// never chosen.
func TestRoutingChoice(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e, b := startBot(t, s)
		ann, bob, cat := e.person("ann", "agent", true), e.person("bob", "agent", true), e.person("cat", "agent", true)
		outsider := e.person("olga", "agent", false)
		for _, p := range []person{ann, bob, cat, outsider} {
			e.connectPerson(p)
		}
		e.call("POST", "/api/v1/profile/availability", cat.token,
			fmt.Sprintf(`{"profile":{"availability":"busy","account_id":%d}}`, e.accountID), 200)
		team := e.call("POST", e.acc("/teams"), e.adminToken, `{"name":"billing"}`, 200).(map[string]any)
		e.call("POST", e.acc(fmt.Sprintf("/teams/%v/team_members", team["id"])), e.adminToken,
			fmt.Sprintf(`{"user_ids":[%d,%d]}`, bob.id, cat.id), 200)

		// Requested and online.
		if got := e.assigneeOf(e.handOver(b, "c1", fmt.Sprintf(`{"assignee_id":%d}`, bob.id))); got != bob.id {
			t.Errorf("requested Bob, got %d", got)
		}
		// Requested but busy: the team's online member.
		conv := e.handOver(b, "c2", fmt.Sprintf(`{"assignee_id":%d,"team_id":%v}`, cat.id, team["id"]))
		if got := e.assigneeOf(conv); got != bob.id {
			t.Errorf("requested busy Cat of team billing, got %d, want Bob", got)
		}
		if tm, _ := e.conversation(conv)["meta"].(map[string]any)["team"].(map[string]any); tm == nil || tm["name"] != "billing" {
			t.Errorf("meta.team %v, want billing", tm)
		}
		// No one asked for: the fewest open conversations (Ann has none).
		if got := e.assigneeOf(e.handOver(b, "c3", `{}`)); got != ann.id {
			t.Errorf("round robin gave %d, want Ann with the fewest open", got)
		}
		if got := e.assigneeOf(e.handOver(b, "c4", `{}`)); got != ann.id {
			t.Errorf("round robin gave %d, want Ann (1 open) before Bob (2 open)", got)
		}
		for i := 0; i < 4; i++ {
			if got := e.assigneeOf(e.handOver(b, fmt.Sprintf("d%d", i), `{}`)); got == cat.id || got == outsider.id || got == 0 {
				t.Errorf("round robin gave %d: a busy person, another inbox's agent or nobody", got)
			}
		}

		// An inbox without auto assignment leaves handoffs waiting.
		e.call("PATCH", e.acc(fmt.Sprintf("/inboxes/%v", e.inbox["id"])), e.adminToken, `{"enable_auto_assignment":false}`, 200)
		if got := e.assigneeOf(e.handOver(b, "c5", `{}`)); got != 0 {
			t.Errorf("without auto assignment the conversation went to %d", got)
		}
	})
}

// TestTeams: administrators manage teams and their members, conversations
// take a team from people and bots, and the list filters by team.
func TestTeams(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e, b := startBot(t, s)
		ann, bob := e.person("ann", "agent", true), e.person("bob", "agent", true)
		e.call("POST", e.acc("/teams"), ann.token, `{"name":"sales"}`, 401)
		team := e.call("POST", e.acc("/teams"), e.adminToken, `{"team":{"name":"sales","description":"Deals","allow_auto_assign":false}}`, 200).(map[string]any)
		if team["name"] != "sales" || team["description"] != "Deals" || team["allow_auto_assign"] != false || team["account_id"] != float64(e.accountID) {
			t.Errorf("created team %v", team)
		}
		e.call("POST", e.acc("/teams"), e.adminToken, `{"name":"sales"}`, 422)
		e.call("POST", e.acc("/teams"), e.adminToken, `{"name":""}`, 422)
		tpath := e.acc(fmt.Sprintf("/teams/%v", team["id"]))
		e.call("PATCH", tpath, e.adminToken, `{"description":"Big deals"}`, 200)
		if got := e.call("GET", tpath, ann.token, "", 200).(map[string]any); got["description"] != "Big deals" {
			t.Errorf("team after update: %v", got)
		}
		e.call("GET", "/api/v1/accounts/999999/teams", e.adminToken, "", 401)

		added := e.call("POST", tpath+"/team_members", e.adminToken, fmt.Sprintf(`{"user_ids":[%d]}`, ann.id), 200).([]any)
		if len(added) != 1 || added[0].(map[string]any)["id"] != float64(ann.id) {
			t.Errorf("added members %v", added)
		}
		e.call("POST", tpath+"/team_members", e.adminToken, `{"user_ids":[999999]}`, 422)
		all := e.call("PATCH", tpath+"/team_members", e.adminToken, fmt.Sprintf(`{"user_ids":[%d]}`, bob.id), 200).([]any)
		if len(all) != 1 || all[0].(map[string]any)["id"] != float64(bob.id) {
			t.Errorf("members after replace %v", all)
		}
		e.call("DELETE", tpath+"/team_members", e.adminToken, fmt.Sprintf(`{"user_ids":[%d]}`, bob.id), 200)
		if got := e.call("GET", tpath+"/team_members", e.adminToken, "", 200).([]any); len(got) != 0 {
			t.Errorf("members after remove %v", got)
		}
		list := e.call("GET", e.acc("/teams"), ann.token, "", 200).([]any)
		if len(list) != 1 || list[0].(map[string]any)["is_member"] != false {
			t.Errorf("teams list %v", list)
		}

		// A bot puts a conversation in the team; the list filters by it.
		conv, other := e.customer("casey"), e.customer("dana")
		got := e.call("POST", e.acc(fmt.Sprintf("/conversations/%d/assignments", conv)), b.token,
			fmt.Sprintf(`{"team_id":%v}`, team["id"]), 200).(map[string]any)
		if got["id"] != team["id"] {
			t.Errorf("assignments with team_id answered %v", got)
		}
		e.call("POST", e.acc(fmt.Sprintf("/conversations/%d/assignments", other)), b.token, `{"team_id":999999}`, 422)
		r := e.call("GET", e.acc(fmt.Sprintf("/conversations?status=all&team_id=%v", team["id"])), e.adminToken, "", 200).(map[string]any)
		payload := r["data"].(map[string]any)["payload"].([]any)
		if len(payload) != 1 || payload[0].(map[string]any)["id"] != float64(conv) {
			t.Errorf("conversations of the team: %v", payload)
		}
		r = e.call("GET", e.acc("/conversations?queue=bot"), e.adminToken, "", 200).(map[string]any)
		if n := len(r["data"].(map[string]any)["payload"].([]any)); n != 2 {
			t.Errorf("bot queue holds %d conversations, want 2", n)
		}
		made := e.call("POST", e.acc("/conversations"), e.adminToken,
			fmt.Sprintf(`{"inbox_id":%v,"source_id":"casey","team_id":%v}`, e.inbox["id"], team["id"]), 200).(map[string]any)
		if tm, _ := made["meta"].(map[string]any)["team"].(map[string]any); tm == nil || tm["id"] != team["id"] {
			t.Errorf("a conversation made with team_id has meta.team %v", made["meta"])
		}
		e.call("POST", e.acc("/conversations"), e.adminToken,
			fmt.Sprintf(`{"inbox_id":%v,"source_id":"casey","team_id":999999}`, e.inbox["id"]), 422)
		e.call("GET", e.acc("/conversations?queue=team"), e.adminToken, "", 422)
		e.call("GET", e.acc("/conversations?queue=nobody"), e.adminToken, "", 422)

		e.call("DELETE", tpath, ann.token, "", 401)
		e.call("DELETE", tpath, e.adminToken, "", 200)
		if tm := e.conversation(conv)["meta"].(map[string]any)["team"]; tm != nil {
			t.Errorf("a deleted team is still the conversation's: %v", tm)
		}
		e.call("GET", tpath, e.adminToken, "", 404)
	})
}

// TestRoutingPastAnotherInbox: a conversation waiting in an inbox whose
// people are all away does not keep a later one of another inbox waiting
// when someone of that inbox comes online.
func TestRoutingPastAnotherInbox(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := start(t, s)
		other := e.call("POST", e.acc("/inboxes"), e.adminToken, `{"name":"Other","channel":{"type":"api"}}`, 200).(map[string]any)
		id := other["inbox_identifier"].(string)
		e.call("POST", "/public/api/v1/inboxes/"+id+"/contacts", "", `{"source_id":"dana"}`, 200)
		e.call("POST", "/public/api/v1/inboxes/"+id+"/contacts/dana/conversations", "", `{}`, 200)
		mine := e.customer("casey") // later, in the API inbox
		bob := e.person("bob", "agent", true)
		e.connectPerson(bob)
		if got := e.assigneeOf(mine); got != bob.id {
			t.Fatalf("the API inbox's waiting conversation went to %d, want Bob (%d), whose inbox it is", got, bob.id)
		}
	})
}

// TestRoutingNewConversationWithoutBot: in an inbox without a bot a new
// conversation is for people from the start, and goes to someone online at
// once, whichever way it is made (the public API, the widget's first
// message, the API with a team), not at the next beat of presence.
func TestRoutingNewConversationWithoutBot(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := start(t, s)
		ann, bea := e.person("ann", "agent", true), e.person("bea", "agent", true)
		e.connectPerson(ann)
		conv := e.customer("casey")
		if got := e.status(conv); got != "open" {
			t.Fatalf("a new conversation without a bot is %s, want open", got)
		}
		if got := e.assigneeOf(conv); got != ann.id {
			t.Errorf("a new conversation with Ann online is with %d, want Ann (%d)", got, ann.id)
		}

		site := newWidgetSite(e)
		e.call("POST", e.acc("/inbox_members"), e.adminToken, fmt.Sprintf(`{"inbox_id":%d,"user_ids":[%d]}`, site.inboxID, ann.id), 200)
		_, token := site.visit()
		m := site.must(200, "POST", "/messages", "", token, `{"message":{"content":"Hello"}}`).body.(map[string]any)
		if got := e.assigneeOf(int64(m["conversation_id"].(float64))); got != ann.id {
			t.Errorf("a widget visitor's new conversation is with %d, want Ann (%d)", got, ann.id)
		}

		// Bea, online and of the conversation's team, is chosen over Ann,
		// who has fewer open conversations but is not of the team.
		// The assignee's availability is as the team sees it: online while
		// connected, offline once not.
		assignee := func() any {
			return e.conversation(conv)["meta"].(map[string]any)["assignee"].(map[string]any)["availability_status"]
		}
		if got := assignee(); got != "online" {
			t.Errorf("the assignee, connected, is %v, want online", got)
		}
		e.disconnectPerson(ann)
		if got := assignee(); got != "offline" {
			t.Errorf("the assignee, gone, is %v, want offline", got)
		}
		e.connectPerson(bea)
		for i := range 3 {
			e.customer(fmt.Sprintf("bea-%d", i))
		}
		e.connectPerson(ann)
		team := e.call("POST", e.acc("/teams"), e.adminToken, `{"name":"Billing"}`, 200).(map[string]any)
		e.call("POST", e.acc(fmt.Sprintf("/teams/%v/team_members", team["id"])), e.adminToken, fmt.Sprintf(`{"user_ids":[%d]}`, bea.id), 200)
		contact := e.conversation(conv)["meta"].(map[string]any)["sender"].(map[string]any)["id"]
		v := e.call("POST", e.acc("/conversations"), e.adminToken,
			fmt.Sprintf(`{"inbox_id":%v,"contact_id":%v,"team_id":%v}`, e.inbox["id"], contact, team["id"]), 200).(map[string]any)
		if got := e.assigneeOf(int64(v["id"].(float64))); got != bea.id {
			t.Errorf("a new conversation of Bea's team is with %d, want Bea (%d)", got, bea.id)
		}
	})
}

// TestRoutingHandedBackWithTheStatus: a conversation handed back to the bot
// with the status alone keeps its assignee (as Chatwoot's toggle_status);
// when the bot hands it over again, that person has it if they are there,
// and if not it is routed afresh: it waits for someone, and the customer is
// told, rather than sit unseen with someone who is gone.
func TestRoutingHandedBackWithTheStatus(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e, b := startBot(t, s)
		ann := e.person("ann", "agent", true)
		e.connectPerson(ann)
		conv := e.handOver(b, "casey", `{"reason":"billing"}`)
		if got := e.assigneeOf(conv); got != ann.id {
			t.Fatalf("the handoff went to %d, want Ann (%d)", got, ann.id)
		}
		handBack := func() {
			t.Helper()
			e.call("POST", e.acc(fmt.Sprintf("/conversations/%d/toggle_status", conv)), e.adminToken, `{"status":"pending"}`, 200)
			if got := e.assigneeOf(conv); got != ann.id {
				t.Fatalf("handed back with the status alone, the conversation is with %d, want Ann still", got)
			}
		}
		again := func() {
			t.Helper()
			e.call("POST", e.acc(fmt.Sprintf("/conversations/%d/toggle_status", conv)), b.token, `{"status":"open"}`, 200)
		}

		// Ann is there: it comes back to her.
		handBack()
		again()
		if got := e.assigneeOf(conv); got != ann.id {
			t.Errorf("handed over again with Ann online, it is with %d", got)
		}

		// Ann has gone: it waits for someone, and the customer is told.
		handBack()
		e.disconnectPerson(ann)
		again()
		if got := e.assigneeOf(conv); got != 0 {
			t.Errorf("handed over again with Ann gone, it is with %d, want no one", got)
		}
		if n := count(e.messageLines(conv), "template: "+app.DefaultAwayMessage); n != 1 {
			t.Errorf("the customer was told %d times that nobody is there, want once: %v", n, e.messageLines(conv))
		}
		waiting := e.call("GET", e.acc("/conversations?queue=waiting"), e.adminToken, "", 200).(map[string]any)
		if n := len(waiting["data"].(map[string]any)["payload"].([]any)); n != 1 {
			t.Errorf("%d conversations wait, want this one", n)
		}
	})
}
