package chatwoot_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// other is a second account, made through the Platform API, with its
// administrator's token and an API inbox.
type other struct {
	account    int64
	token      string
	inboxID    int64
	identifier string
}

func (b *bundle) otherAccount(name string) other {
	b.T.Helper()
	acc := b.must(request{Method: "POST", Path: "/platform/api/v1/accounts", Token: b.Platform, Body: map[string]any{"name": name}}).Object(b.T)
	u := b.must(request{Method: "POST", Path: "/platform/api/v1/users", Token: b.Platform,
		Body: map[string]any{"name": name, "email": strings.ToLower(name) + "@other.test", "password": "password123"}}).Object(b.T)
	o := other{account: num(b.T, acc, "id"), token: u["access_token"].(string)}
	b.must(request{Method: "POST", Path: fmt.Sprintf("/platform/api/v1/accounts/%d/account_users", o.account), Token: b.Platform,
		Body: map[string]any{"user_id": num(b.T, u, "id"), "role": "administrator"}})
	inbox := b.must(request{Method: "POST", Path: fmt.Sprintf("/api/v1/accounts/%d/inboxes", o.account), Token: o.token,
		Body: map[string]any{"name": "Other API", "channel": map[string]any{"type": "api"}}}).Object(b.T)
	o.inboxID, o.identifier = num(b.T, inbox, "id"), inbox["inbox_identifier"].(string)
	return o
}

// activities returns the contents of a conversation's activity messages.
func (b *bundle) activities(conv int64) []string {
	b.T.Helper()
	var out []string
	for _, m := range b.messages(conv) {
		m := m.(map[string]any)
		if m["message_type"] == float64(2) {
			out = append(out, m["content"].(string))
		}
	}
	return out
}

// TestConversationFlow is the main flow of the Application API, on every
// database.
func TestConversationFlow(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		b := setup(t, s)
		if id := b.customer("c1"); id != 1 {
			t.Fatalf("first conversation of the account has display id %d, want 1", id)
		}
		contact := b.must(request{Method: "POST", Path: b.acc("/contacts"), Token: b.admin,
			Body: map[string]any{"name": "Jane", "inbox_id": b.api.ID, "source_id": "jane"}}).Object(t)
		contactID := num(t, contact, "payload", "contact", "id")

		byContact := b.must(request{Method: "POST", Path: b.acc("/conversations"), Token: b.admin,
			Body: map[string]any{"contact_id": contactID, "inbox_id": b.widget.ID, "custom_attributes": map[string]any{"order": 7}}}).Object(t)
		if num(t, byContact, "id") != 2 || num(t, byContact, "meta", "sender", "id") != contactID || byContact["status"] != "open" ||
			num(t, byContact, "inbox_id") != b.widget.ID || byContact["meta"].(map[string]any)["channel"] != "Channel::WebWidget" {
			t.Fatalf("conversation by contact_id: %v", byContact)
		}
		bySource := b.must(request{Method: "POST", Path: b.acc("/conversations"), Token: b.admin,
			Body: map[string]any{"source_id": "jane", "inbox_id": fmt.Sprint(b.api.ID),
				"message": map[string]any{"content": "We got your order"}}}).Object(t)
		if num(t, bySource, "id") != 3 || num(t, bySource, "meta", "sender", "id") != contactID {
			t.Fatalf("conversation by source_id: %v", bySource)
		}
		if msgs := bySource["messages"].([]any); len(msgs) != 1 || msgs[0].(map[string]any)["content"] != "We got your order" {
			t.Errorf("conversation created with a message carries %v", msgs)
		}

		b.must(request{Method: "POST", Path: b.acc("/conversations/2/messages"), Token: b.admin, Body: map[string]any{"content": "Hello Jane"}})
		b.must(request{Method: "POST", Path: b.acc("/conversations/2/labels"), Token: b.admin, Body: map[string]any{"labels": []string{"vip", "billing"}}})
		golden(t, "conversation_show", b.must(request{Method: "GET", Path: b.acc("/conversations/2"), Token: b.admin}).Body)

		snooze := time.Date(2030, 6, 1, 0, 0, 0, 0, time.UTC)
		list := func(query string, want ...int64) func(t testing.TB, r *response) {
			return func(t testing.TB, r *response) {
				payload := r.Object(t)["data"].(map[string]any)["payload"].([]any)
				var got []int64
				for _, c := range payload {
					got = append(got, num(t, c, "id"))
				}
				slices.Sort(got)
				if !slices.Equal(got, want) {
					t.Errorf("%s lists %v, want %v", query, got, want)
				}
			}
		}
		b.run([]scenario{
			{name: "assign", req: request{Method: "POST", Path: b.acc("/conversations/2/assignments"), Token: b.admin, Body: map[string]any{"assignee_id": b.agentID}},
				status: 200, contains: []string{fmt.Sprintf(`"id":%d`, b.agentID), `"role":"agent"`, `"name":"Alan"`}},
			{name: "assign a stranger", req: request{Method: "POST", Path: b.acc("/conversations/3/assignments"), Token: b.admin, Body: map[string]any{"assignee_id": 999}},
				status: 422, contains: []string{`"attributes":["assignee_id"]`}},
			{name: "assign to me", req: request{Method: "POST", Path: b.acc("/conversations/3/assignments"), Token: b.admin, Body: map[string]any{"assignee_id": fmt.Sprint(b.adminID)}},
				status: 200, contains: []string{`"role":"administrator"`}},
			{name: "assignee's role in the conversation", req: request{Method: "GET", Path: b.acc("/conversations/3"), Token: b.admin}, status: 200,
				check: func(t testing.TB, r *response) {
					if role := r.Object(t)["meta"].(map[string]any)["assignee"].(map[string]any)["role"]; role != "administrator" {
						t.Errorf("meta.assignee.role %v, want administrator", role)
					}
				}},
			{name: "open with meta", req: request{Method: "GET", Path: b.acc("/conversations?status=open"), Token: b.admin}, status: 200,
				contains: []string{`"meta":{"all_count":3,"assigned_count":2,"mine_count":1,"unassigned_count":1}`}, check: list("open", 1, 2, 3)},
			{name: "assigned", req: request{Method: "GET", Path: b.acc("/conversations?assignee_type=assigned"), Token: b.admin}, status: 200,
				contains: []string{`"all_count":3`}, check: list("assigned", 2, 3)},
			{name: "mine", req: request{Method: "GET", Path: b.acc("/conversations?assignee_type=me"), Token: b.admin}, status: 200, check: list("me", 3)},
			{name: "unassigned", req: request{Method: "GET", Path: b.acc("/conversations?assignee_type=unassigned&status=open"), Token: b.admin}, status: 200, check: list("unassigned", 1)},
			{name: "by label", req: request{Method: "GET", Path: b.acc("/conversations?labels[]=vip"), Token: b.admin}, status: 200, check: list("vip", 2)},
			{name: "by inbox", req: request{Method: "GET", Path: b.acc("/conversations?inbox_id=%d", b.api.ID), Token: b.admin}, status: 200, check: list("api inbox", 1, 3)},
			{name: "bad status filter", req: request{Method: "GET", Path: b.acc("/conversations?status=lost"), Token: b.admin}, status: 422},
			{name: "bad assignee filter", req: request{Method: "GET", Path: b.acc("/conversations?assignee_type=bots"), Token: b.admin}, status: 422},
			{name: "meta", req: request{Method: "GET", Path: b.acc("/conversations/meta"), Token: b.admin}, status: 200,
				contains: []string{`{"meta":{"all_count":3,"assigned_count":2,"mine_count":1,"unassigned_count":1}}`}},
			{name: "resolve", req: request{Method: "POST", Path: b.acc("/conversations/1/toggle_status"), Token: b.admin, Body: map[string]any{"status": "resolved"}},
				status: 200, contains: []string{`{"meta":{},"payload":{"conversation_id":1,"current_status":"resolved","snoozed_until":null,"success":true}}`}},
			{name: "toggle back to open", req: request{Method: "POST", Path: b.acc("/conversations/1/toggle_status"), Token: b.admin},
				status: 200, contains: []string{`"current_status":"open"`}},
			{name: "snooze", req: request{Method: "POST", Path: b.acc("/conversations/1/toggle_status"), Token: b.admin,
				Body: map[string]any{"status": "snoozed", "snoozed_until": snooze.Unix()}},
				status: 200, contains: []string{`"current_status":"snoozed"`, `"snoozed_until":"2030-06-01T00:00:00.000Z"`}},
			{name: "snoozed shows when", req: request{Method: "GET", Path: b.acc("/conversations/1"), Token: b.admin}, status: 200,
				contains: []string{`"status":"snoozed"`, `"snoozed_until":"2030-06-01T00:00:00.000Z"`}},
			{name: "snooze into the past", req: request{Method: "POST", Path: b.acc("/conversations/2/toggle_status"), Token: b.admin,
				Body: map[string]any{"status": "snoozed", "snoozed_until": 1}}, status: 422, contains: []string{`"attributes":["snoozed_until"]`}},
			// A time written out, past the year 9999 in UTC, would be
			// answered as a five-digit year no client reads.
			{name: "snooze past the year 9999", req: request{Method: "POST", Path: b.acc("/conversations/2/toggle_status"), Token: b.admin,
				Body: map[string]any{"status": "snoozed", "snoozed_until": "9999-12-31T23:59:59-14:00"}}, status: 422,
				contains: []string{`"attributes":["snoozed_until"]`, `not a unix time from 1970 to the year 9999`}},
			{name: "unknown status", req: request{Method: "POST", Path: b.acc("/conversations/2/toggle_status"), Token: b.admin,
				Body: map[string]any{"status": "lost"}}, status: 422, contains: []string{`"attributes":["status"]`}},
			{name: "snoozed list", req: request{Method: "GET", Path: b.acc("/conversations?status=snoozed"), Token: b.admin}, status: 200,
				contains: []string{`"all_count":1`}, check: list("snoozed", 1)},
			{name: "priority", req: request{Method: "POST", Path: b.acc("/conversations/2/toggle_priority"), Token: b.admin, Body: map[string]any{"priority": "urgent"}}, status: 200},
			{name: "bad priority", req: request{Method: "POST", Path: b.acc("/conversations/2/toggle_priority"), Token: b.admin, Body: map[string]any{"priority": "whenever"}}, status: 422},
			{name: "priority shown", req: request{Method: "GET", Path: b.acc("/conversations/2"), Token: b.admin}, status: 200, contains: []string{`"priority":"urgent"`}},
			{name: "update", req: request{Method: "PATCH", Path: b.acc("/conversations/2"), Token: b.admin,
				Body: map[string]any{"priority": "low", "additional_attributes": map[string]any{"referer": "https://acme.test"}}},
				status: 200, contains: []string{`"priority":"low"`, `"referer":"https://acme.test"`}},
			{name: "custom attributes replace", req: request{Method: "POST", Path: b.acc("/conversations/2/custom_attributes"), Token: b.admin,
				Body: map[string]any{"custom_attributes": map[string]any{"tier": "gold"}}}, status: 200, contains: []string{`{"custom_attributes":{"tier":"gold"}}`}},
			{name: "custom attributes shown", req: request{Method: "GET", Path: b.acc("/conversations/2"), Token: b.admin}, status: 200,
				contains: []string{`"custom_attributes":{"tier":"gold"}`}},
			{name: "labels replace", req: request{Method: "POST", Path: b.acc("/conversations/2/labels"), Token: b.admin, Body: map[string]any{"labels": []string{"Billing", "urgent"}}},
				status: 200, contains: []string{`{"payload":["billing","urgent"]}`}},
			{name: "labels", req: request{Method: "GET", Path: b.acc("/conversations/2/labels"), Token: b.admin}, status: 200, contains: []string{`{"payload":["billing","urgent"]}`}},
			{name: "bad label", req: request{Method: "POST", Path: b.acc("/conversations/2/labels"), Token: b.admin, Body: map[string]any{"labels": []string{"two words"}}},
				status: 422, contains: []string{`"attributes":["labels"]`}},
			{name: "unassign", req: request{Method: "POST", Path: b.acc("/conversations/2/assignments"), Token: b.admin, Body: map[string]any{"assignee_id": 0}},
				status: 200, contains: []string{"null"}},
			{name: "typing", req: request{Method: "POST", Path: b.acc("/conversations/2/toggle_typing_status"), Token: b.admin, Body: map[string]any{"typing_status": "on"}}, status: 200},
			{name: "seen", req: request{Method: "POST", Path: b.acc("/conversations/2/update_last_seen"), Token: b.admin}, status: 200, contains: []string{`"id":2`}},
			{name: "unknown conversation", req: request{Method: "GET", Path: b.acc("/conversations/99"), Token: b.admin}, status: 404,
				contains: []string{`{"error":"Resource could not be found"}`}},
		})
		if got := b.activities(2); !slices.Contains(got, "Ada added vip, billing") || !slices.Contains(got, "Ada removed vip") ||
			!slices.Contains(got, "Ada set the priority to urgent") || !slices.Contains(got, "Conversation unassigned by Ada") {
			t.Errorf("activities of conversation 2: %q", got)
		}

		// A customer writing to a snoozed conversation opens it.
		b.say("c1", 1, "are you there?")
		c := b.must(request{Method: "GET", Path: b.acc("/conversations/1"), Token: b.admin}).Object(t)
		if c["status"] != "open" || c["snoozed_until"] != nil {
			t.Errorf("after an incoming message the snoozed conversation is %v until %v, want open", c["status"], c["snoozed_until"])
		}
		got := b.activities(1)
		if len(got) == 0 || got[len(got)-1] != "System reopened the conversation due to a new incoming message." {
			t.Errorf("activities of conversation 1: %q", got)
		}
	})
}

func TestIncomingReopensResolved(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	conv := b.customer("c")
	b.must(request{Method: "POST", Path: b.acc("/conversations/%d/toggle_status", conv), Token: b.admin, Body: map[string]any{"status": "resolved"}})
	before := len(b.messages(conv))
	b.say("c", conv, "one more thing")
	c := b.must(request{Method: "GET", Path: b.acc("/conversations/%d", conv), Token: b.admin}).Object(t)
	if c["status"] != "open" {
		t.Errorf("status %v, want open", c["status"])
	}
	// The customer's message and the activity that says why it opened.
	if after := len(b.messages(conv)); after != before+2 {
		t.Errorf("%d messages after, %d before: want the message and one activity", after, before)
	}
	want := []string{"Conversation was marked resolved by Ada", "System reopened the conversation due to a new incoming message."}
	if got := b.activities(conv); !slices.Equal(got, want) {
		t.Errorf("activities %q, want %q", got, want)
	}
	// An agent's outgoing message does not reopen.
	b.must(request{Method: "POST", Path: b.acc("/conversations/%d/toggle_status", conv), Token: b.admin, Body: map[string]any{"status": "resolved"}})
	b.must(request{Method: "POST", Path: b.acc("/conversations/%d/messages", conv), Token: b.admin, Body: map[string]any{"content": "bye"}})
	c = b.must(request{Method: "GET", Path: b.acc("/conversations/%d", conv), Token: b.admin}).Object(t)
	if c["status"] != "resolved" {
		t.Errorf("after an outgoing message the status is %v, want resolved", c["status"])
	}
}

func TestDisplayIDsCountPerAccount(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	for want := int64(1); want <= 3; want++ {
		if got := b.customer(fmt.Sprint("s", want)); got != want {
			t.Fatalf("conversation %d of the account has display id %d", want, got)
		}
	}
	o := b.otherAccount("Globex")
	b.must(request{Method: "POST", Path: "/public/api/v1/inboxes/" + o.identifier + "/contacts", Body: map[string]any{"source_id": "x", "name": "X"}})
	c := b.must(request{Method: "POST", Path: "/public/api/v1/inboxes/" + o.identifier + "/contacts/x/conversations"}).Object(t)
	if id := num(t, c, "id"); id != 1 {
		t.Errorf("the second account's first conversation has display id %d, want 1", id)
	}
	// Display id 1 names a different conversation in each account.
	mine := b.must(request{Method: "GET", Path: b.acc("/conversations/1"), Token: b.admin}).Object(t)
	theirs := b.must(request{Method: "GET", Path: fmt.Sprintf("/api/v1/accounts/%d/conversations/1", o.account), Token: o.token}).Object(t)
	if mine["uuid"] == theirs["uuid"] || num(t, theirs, "inbox_id") != o.inboxID {
		t.Errorf("display id 1 of both accounts: %v and %v", mine["uuid"], theirs["uuid"])
	}
}

func TestAnotherAccount(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	b.customer("c")
	contact := b.must(request{Method: "POST", Path: b.acc("/contacts"), Token: b.admin, Body: map[string]any{"name": "Jane"}}).Object(t)
	contactID := num(t, contact, "payload", "contact", "id")
	o := b.otherAccount("Globex")
	const notMember = `{"error":"You are not authorized to access this account"}`
	theirs := func(format string, args ...any) string {
		return fmt.Sprintf("/api/v1/accounts/%d", o.account) + fmt.Sprintf(format, args...)
	}
	b.run([]scenario{
		{name: "their conversation through my account", req: request{Method: "GET", Path: theirs("/conversations/1"), Token: o.token}, status: 404},
		{name: "my inbox through their account", req: request{Method: "GET", Path: theirs("/inboxes/%d", b.api.ID), Token: o.token}, status: 404},
		{name: "my contact through their account", req: request{Method: "GET", Path: theirs("/contacts/%d", contactID), Token: o.token}, status: 404},
		{name: "delete my contact through their account", req: request{Method: "DELETE", Path: theirs("/contacts/%d", contactID), Token: o.token}, status: 404},
		{name: "my inbox for their conversation", req: request{Method: "POST", Path: theirs("/conversations"), Token: o.token,
			Body: map[string]any{"inbox_id": b.api.ID, "contact_id": contactID}}, status: 404},
		{name: "my account with their token", req: request{Method: "GET", Path: b.acc("/conversations/1"), Token: o.token}, status: 401, contains: []string{notMember}},
		{name: "message into my account with their token", req: request{Method: "POST", Path: b.acc("/conversations/1/messages"), Token: o.token,
			Body: map[string]any{"content": "hi"}}, status: 401, contains: []string{notMember}},
		{name: "unknown account", req: request{Method: "GET", Path: "/api/v1/accounts/999/conversations", Token: b.admin}, status: 401, contains: []string{notMember}},
		{name: "my contact is still there", req: request{Method: "GET", Path: b.acc("/contacts/%d", contactID), Token: b.admin}, status: 200},
	})
	if n := len(b.messages(1)); n != 0 {
		t.Errorf("conversation 1 has %d messages, want none", n)
	}
}

func TestAgentSeesOnlyTheirInboxes(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	conv := b.customer("c")
	b.run([]scenario{
		{name: "show outside the inbox", req: request{Method: "GET", Path: b.acc("/conversations/%d", conv), Token: b.agent}, status: 404},
		{name: "messages outside the inbox", req: request{Method: "GET", Path: b.acc("/conversations/%d/messages", conv), Token: b.agent}, status: 404},
		{name: "reply outside the inbox", req: request{Method: "POST", Path: b.acc("/conversations/%d/messages", conv), Token: b.agent,
			Body: map[string]any{"content": "hi"}}, status: 404},
		{name: "list outside the inbox", req: request{Method: "GET", Path: b.acc("/conversations"), Token: b.agent}, status: 200,
			contains: []string{`"all_count":0`, `"payload":[]`}},
		{name: "create in a foreign inbox", req: request{Method: "POST", Path: b.acc("/conversations"), Token: b.agent,
			Body: map[string]any{"inbox_id": b.api.ID, "source_id": "c"}}, status: 404},
		{name: "admin makes the agent a member", req: request{Method: "POST", Path: b.acc("/inbox_members"), Token: b.admin,
			Body: map[string]any{"inbox_id": b.api.ID, "user_ids": []int64{b.agentID}}}, status: 200},
		{name: "show as a member", req: request{Method: "GET", Path: b.acc("/conversations/%d", conv), Token: b.agent}, status: 200},
		{name: "list as a member", req: request{Method: "GET", Path: b.acc("/conversations"), Token: b.agent}, status: 200,
			contains: []string{`"all_count":1`, `"unassigned_count":1`}},
		{name: "agent opening takes the conversation", req: request{Method: "POST", Path: b.acc("/conversations/%d/toggle_status", conv), Token: b.agent,
			Body: map[string]any{"status": "open"}}, status: 200},
		{name: "agent may not manage members", req: request{Method: "POST", Path: b.acc("/inbox_members"), Token: b.agent,
			Body: map[string]any{"inbox_id": b.api.ID, "user_ids": []int64{b.agentID}}}, status: 401},
	})
	for _, m := range b.messages(conv) {
		if m.(map[string]any)["content"] == "hi" {
			t.Errorf("the refused reply was written: %v", m)
		}
	}
	if got := b.activities(conv); !slices.Equal(got, []string{"Alan self-assigned this conversation"}) {
		t.Errorf("activities %q, want the agent's self-assignment alone", got)
	}
}

// TestDoubleSlash checks that Chatwoot clients' //api/v1/… paths reach the
// API without a redirect, which would turn a POST into a GET.
func TestDoubleSlash(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	conv := b.customer("c")
	for _, path := range []string{
		fmt.Sprintf("//api/v1/accounts/%d/conversations/%d/messages", b.account, conv),
		fmt.Sprintf("/api/v1//accounts/%d/conversations/%d/messages/", b.account, conv),
	} {
		r := b.do(request{Method: "POST", Path: path, Token: b.admin, Body: map[string]any{"content": "via " + path}})
		if r.Status != http.StatusOK {
			t.Fatalf("POST %s: status %d, want 200 (Location %q)\n%s", path, r.Status, r.Header.Get("Location"), r.Body)
		}
		if m := r.Object(t); m["content"] != "via "+path || m["message_type"] != float64(1) {
			t.Errorf("POST %s made %v", path, m)
		}
	}
	if n := len(b.messages(conv)); n != 2 {
		t.Errorf("%d messages, want 2", n)
	}
}

// TestLastNonActivityMessage: a conversation's last_non_activity_message
// is its newest message that is not an activity, a private note too, as
// Chatwoot's; messages[] stays the newest the customer can see.
func TestLastNonActivityMessage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		b := setup(t, s)
		conv := b.customer("lnam")
		said := b.say("lnam", conv, "Where is my parcel?")
		note := b.must(request{Method: "POST", Path: b.acc("/conversations/%d/messages", conv), Token: b.admin,
			Body: map[string]any{"content": "Check with the courier", "private": true}}).Object(t)
		// An activity after the note is neither.
		b.must(request{Method: "POST", Path: b.acc("/conversations/%d/toggle_status", conv), Token: b.admin,
			Body: map[string]any{"status": "resolved"}})
		check := func(what string, c map[string]any, wantLast, wantMessage any) {
			t.Helper()
			last, _ := c["last_non_activity_message"].(map[string]any)
			msgs, _ := c["messages"].([]any)
			if last == nil || last["id"] != wantLast {
				t.Errorf("%s: last_non_activity_message %v, want message %v", what, c["last_non_activity_message"], wantLast)
			}
			if len(msgs) != 1 || msgs[0].(map[string]any)["id"] != wantMessage {
				t.Errorf("%s: messages %v, want message %v", what, msgs, wantMessage)
			}
		}
		show := func() map[string]any {
			return b.must(request{Method: "GET", Path: b.acc("/conversations/%d", conv), Token: b.admin}).Object(t)
		}
		check("show", show(), note["id"], said["id"])
		list := b.must(request{Method: "GET", Path: b.acc("/conversations?status=all"), Token: b.admin}).Object(t)
		for _, c := range list["data"].(map[string]any)["payload"].([]any) {
			if num(t, c, "id") == conv {
				check("list", c.(map[string]any), note["id"], said["id"])
			}
		}
		// A newer message the customer sees is both.
		again := b.say("lnam", conv, "Any news?")
		check("after a newer message", show(), again["id"], again["id"])
	})
}

// TestConversationsQuery: q finds the conversations whose incoming or
// outgoing messages (private notes too) hold it, in every status unless a
// status is given (Chatwoot drops the status filter with q), never by an
// activity message; meta counts the same.
func TestConversationsQuery(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		b := setup(t, s)
		open, resolved, quiet := b.customer("q1"), b.customer("q2"), b.customer("q3")
		b.say("q1", open, "I want a refund")
		b.say("q2", resolved, "Refund received, thanks")
		b.must(request{Method: "POST", Path: b.acc("/conversations/%d/toggle_status", resolved), Token: b.admin, Body: map[string]any{"status": "resolved"}})
		b.must(request{Method: "POST", Path: b.acc("/conversations/%d/messages", quiet), Token: b.admin,
			Body: map[string]any{"content": "Checked the REFUND policy", "private": true}})
		ids := func(path string) []int64 {
			t.Helper()
			list := b.must(request{Method: "GET", Path: b.acc("%s", path), Token: b.admin}).Object(t)
			var out []int64
			for _, c := range list["data"].(map[string]any)["payload"].([]any) {
				out = append(out, num(t, c, "id"))
			}
			slices.Sort(out)
			return out
		}
		for path, want := range map[string][]int64{
			"/conversations?q=refund":                 {open, resolved, quiet},
			"/conversations?q=refund&status=open":     {open, quiet},
			"/conversations?q=refund&status=resolved": {resolved},
			"/conversations?status=resolved":          {resolved},
			"/conversations":                          {open, quiet},
			// "Conversation was marked resolved by …" is an activity.
			"/conversations?q=marked": nil,
		} {
			if got := ids(path); !slices.Equal(got, want) {
				t.Errorf("%s: %v, want %v", path, got, want)
			}
		}
		meta := b.must(request{Method: "GET", Path: b.acc("/conversations/meta?q=refund"), Token: b.admin}).Object(t)
		if all := num(t, meta, "meta", "all_count"); all != 3 {
			t.Errorf("meta of q=refund: all_count %d, want 3", all)
		}
	})
}

// TestMarkUnread: Chatwoot's unread makes a conversation that was seen
// unread again from its newest incoming message: agent_last_seen_at a
// second before it, that message unread (not the agent's reply after
// it); a conversation without one is unread from never, with nothing to
// count. Another account's, or one outside an agent's inboxes, is not
// found.
func TestMarkUnread(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		b := setup(t, s)
		conv := b.customer("c1")
		b.say("c1", conv, "first")
		last := b.say("c1", conv, "second")
		b.must(request{Method: "POST", Path: b.acc("/conversations/%d/messages", conv), Token: b.admin, Body: map[string]any{"content": "On it."}})
		b.must(request{Method: "POST", Path: b.acc("/conversations/%d/update_last_seen", conv), Token: b.admin})
		if c := b.conversationOf(conv); c["unread_count"] != float64(0) {
			t.Fatalf("seen, unread_count %v", c["unread_count"])
		}
		r := b.must(request{Method: "POST", Path: b.acc("/conversations/%d/unread", conv), Token: b.admin}).Object(t)
		want := last["created_at"].(float64) - 1
		if r["id"] != float64(conv) || r["agent_last_seen_at"] != want || r["unread_count"] != float64(1) {
			t.Errorf("unread answered %v, want agent_last_seen_at %v and unread_count 1", r, want)
		}
		c := b.conversationOf(conv)
		if c["unread_count"] != float64(1) || c["agent_last_seen_at"] != want || c["assignee_last_seen_at"] != want {
			t.Errorf("after unread the conversation has unread_count %v, agent_last_seen_at %v, assignee_last_seen_at %v; want 1, %v",
				c["unread_count"], c["agent_last_seen_at"], c["assignee_last_seen_at"], want)
		}

		// Nothing from the customer: never seen, nothing unread.
		quiet := b.must(request{Method: "POST", Path: b.acc("/conversations"), Token: b.admin,
			Body: map[string]any{"inbox_id": b.api.ID, "contact_id": b.contactOf(conv)}}).Object(t)
		qid := int64(quiet["id"].(float64))
		b.must(request{Method: "POST", Path: b.acc("/conversations/%d/update_last_seen", qid), Token: b.admin})
		r = b.must(request{Method: "POST", Path: b.acc("/conversations/%d/unread", qid), Token: b.admin}).Object(t)
		if r["agent_last_seen_at"] != float64(0) || r["unread_count"] != float64(0) {
			t.Errorf("unread without a customer's message answered %v", r)
		}

		o := b.otherAccount("Other")
		b.run([]scenario{
			{name: "another account's", req: request{Method: "POST", Path: fmt.Sprintf("/api/v1/accounts/%d/conversations/%d/unread", o.account, conv),
				Token: b.admin}, status: 401},
			{name: "from another account", req: request{Method: "POST", Path: b.acc("/conversations/%d/unread", conv), Token: o.token}, status: 401},
			{name: "outside the agent's inboxes", req: request{Method: "POST", Path: b.acc("/conversations/%d/unread", conv), Token: b.agent}, status: 404},
			{name: "unknown", req: request{Method: "POST", Path: b.acc("/conversations/99/unread"), Token: b.admin}, status: 404},
		})
	})
}
