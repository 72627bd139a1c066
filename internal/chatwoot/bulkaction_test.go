package chatwoot_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/batontest"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// bulkBody is an answer to bulk_actions, decoded.
type bulkBody struct {
	Updated []int64 `json:"updated"`
	Skipped []struct {
		ID    int64  `json:"id"`
		Error string `json:"error"`
	} `json:"skipped"`
}

func decodeBulk(t testing.TB, r *response) bulkBody {
	t.Helper()
	var b bulkBody
	if err := json.Unmarshal(r.Body, &b); err != nil || b.Updated == nil || b.Skipped == nil {
		t.Fatalf("bulk answer %s: %v (updated and skipped must be lists)", r.Body, err)
	}
	return b
}

// TestBulkActions: Chatwoot's POST bulk_actions over HTTP, on both
// databases: who may call it (people of the account; no bots, as in
// Chatwoot; no one from another account), what it refuses as a whole with
// a 422 that names the field, and what it does: each conversation the
// caller may see is changed, the others (an agent's outside their inboxes,
// ids the account does not have) are skipped and named.
func TestBulkActions(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		b := setup(t, s)
		sys := batontest.System()
		if _, err := b.App.ChangeInboxMembers(sys, b.account, b.api.ID, app.MembersAdd, []int64{b.agentID}); err != nil {
			t.Fatal(err)
		}
		c1, c2, c3 := b.customer("b1"), b.customer("b2"), b.customer("b3")
		web := b.must(request{Method: "POST", Path: b.acc("/conversations"), Token: b.admin,
			Body: map[string]any{"inbox_id": b.widget.ID, "contact_id": b.contactOf(c1)}}).Object(t)
		w1 := num(t, web, "id")
		team := num(t, b.must(request{Method: "POST", Path: b.acc("/teams"), Token: b.admin, Body: map[string]any{"name": "Returns"}}).Object(t), "id")
		other := b.NewAccount("Other")
		_, otherAdmin := b.NewUser(other, "Olga", fmt.Sprintf("olga%d@other.test", other), "administrator")
		otherTeam := num(t, b.must(request{Method: "POST", Path: fmt.Sprintf("/api/v1/accounts/%d/teams", other), Token: otherAdmin,
			Body: map[string]any{"name": "Theirs"}}).Object(t), "id")
		bot := b.must(request{Method: "POST", Path: b.acc("/agent_bots"), Token: b.admin,
			Body: map[string]any{"name": "Helper", "outgoing_url": "http://127.0.0.1:1/hook"}}).Object(t)
		path := b.acc("/bulk_actions")
		resolve := func(ids ...any) map[string]any {
			return map[string]any{"type": "Conversation", "ids": ids, "fields": map[string]any{"status": "resolved"}}
		}
		many := make([]any, app.MaxBulkIDs+1)
		for i := range many {
			many[i] = i + 1
		}
		refused := func(name, token string, body any, status int, attr, msg string) scenario {
			return scenario{name: name, req: request{Method: "POST", Path: path, Token: token, Body: body}, status: status,
				contains: []string{msg}, check: func(t testing.TB, r *response) {
					if attr == "" {
						return
					}
					if attrs, _ := r.Object(t)["attributes"].([]any); !slices.Contains(attrs, any(attr)) {
						t.Errorf("attributes %v, want %s", attrs, attr)
					}
				}}
		}
		b.run([]scenario{
			refused("no token", "", resolve(c1), http.StatusUnauthorized, "", "Invalid Access Token"),
			refused("a bot's token", bot["access_token"].(string), resolve(c1), http.StatusUnauthorized, "", "not authorized for bots"),
			refused("another account's administrator", otherAdmin, resolve(c1), http.StatusUnauthorized, "", "not authorized to access this account"),
			refused("type Contact", b.admin, map[string]any{"type": "Contact", "ids": []int{1}}, 422, "type", "contacts are not supported"),
			refused("type Test", b.admin, map[string]any{"type": "Test", "ids": []int{1}, "fields": map[string]any{"status": "open"}}, 422, "type", "type must be Conversation"),
			refused("no type", b.admin, map[string]any{"ids": []int{1}, "fields": map[string]any{"status": "open"}}, 422, "type", "type must be Conversation"),
			refused("no ids", b.admin, resolve(), 422, "ids", "at least one"),
			refused("ids not a list", b.admin, map[string]any{"type": "Conversation", "ids": "1,2", "fields": map[string]any{"status": "open"}}, 422, "ids", "must be a list"),
			refused("an id of zero", b.admin, resolve(c1, 0), 422, "ids", "positive whole numbers, not 0"),
			refused("a fractional id", b.admin, resolve(1.5), 422, "ids", "not 1.5"),
			refused("an id that is a word", b.admin, resolve("one"), 422, "ids", `not \"one\"`),
			refused("too many ids", b.admin, resolve(many...), 422, "ids", fmt.Sprintf("at most %d", app.MaxBulkIDs)),
			refused("a field it does not know", b.admin, map[string]any{"type": "Conversation", "ids": []int64{c1}, "fields": map[string]any{"priority": "high"}}, 422, "fields", "not \\\"priority\\\""),
			refused("fields not an object", b.admin, map[string]any{"type": "Conversation", "ids": []int64{c1}, "fields": "resolved"}, 422, "fields", "must be an object"),
			refused("a bad status", b.admin, map[string]any{"type": "Conversation", "ids": []int64{c1}, "fields": map[string]any{"status": "closed"}}, 422, "status", "not included in the list"),
			refused("status null and nothing else", b.admin, map[string]any{"type": "Conversation", "ids": []int64{c1}, "fields": map[string]any{"status": nil}}, 422, "fields", "Nothing to change"),
			refused("an assignee that is a word", b.admin, map[string]any{"type": "Conversation", "ids": []int64{c1}, "fields": map[string]any{"assignee_id": "Bea"}}, 422, "assignee_id", "must be an id or null"),
			refused("another account's person", b.admin, map[string]any{"type": "Conversation", "ids": []int64{c1}, "fields": map[string]any{"assignee_id": 999999}}, 422, "assignee_id", "member of the account"),
			refused("another account's team", b.admin, map[string]any{"type": "Conversation", "ids": []int64{c1}, "fields": map[string]any{"team_id": otherTeam}}, 422, "team_id", "team of the account"),
			refused("a bad label", b.admin, map[string]any{"type": "Conversation", "ids": []int64{c1}, "labels": map[string]any{"add": []string{"a,b"}}}, 422, "labels", "is not valid"),
			refused("snoozed_until without snoozed", b.admin, map[string]any{"type": "Conversation", "ids": []int64{c1},
				"fields": map[string]any{"status": "open"}, "snoozed_until": start.Add(48 * time.Hour).Unix()}, 422, "snoozed_until", "goes with the status snoozed"),
			refused("snoozed_until in the past", b.admin, map[string]any{"type": "Conversation", "ids": []int64{c1},
				"fields": map[string]any{"status": "snoozed"}, "snoozed_until": start.Add(-time.Hour).Unix()}, 422, "snoozed_until", "in the future"),
		})
		for _, id := range []int64{c1, c2, c3, w1} {
			if got := b.statusOf(id); got != "open" {
				t.Fatalf("after the refusals conversation %d is %s, want open", id, got)
			}
		}

		// The agent works the API inbox only: the widget's conversation and
		// an id the account does not have are skipped, named, as not found.
		r := b.must(request{Method: "POST", Path: path, Token: b.agent, Body: resolve(c1, fmt.Sprint(c2), w1, 4242, c1)})
		got := decodeBulk(t, r)
		if !slices.Equal(got.Updated, []int64{c1, c2}) || len(got.Skipped) != 2 || got.Skipped[0].ID != w1 || got.Skipped[1].ID != 4242 ||
			got.Skipped[0].Error != "Conversation not found" || got.Skipped[1].Error != got.Skipped[0].Error {
			t.Errorf("the agent's resolve answered %s", r.Body)
		}
		for id, want := range map[int64]string{c1: "resolved", c2: "resolved", c3: "open", w1: "open"} {
			if got := b.statusOf(id); got != want {
				t.Errorf("conversation %d is %s, want %s", id, got, want)
			}
		}

		// Assignee, team and labels at once; the agent does not work the
		// widget inbox, so its conversation is skipped with why.
		r = b.must(request{Method: "POST", Path: path, Token: b.admin, Body: map[string]any{"type": "Conversation",
			"ids": []int64{c3, w1}, "fields": map[string]any{"assignee_id": b.agentID, "team_id": fmt.Sprint(team)},
			"labels": map[string]any{"add": []string{"Refund", "vip"}, "remove": []string{"nothing"}}}})
		got = decodeBulk(t, r)
		if !slices.Equal(got.Updated, []int64{c3}) || len(got.Skipped) != 1 || got.Skipped[0].ID != w1 ||
			got.Skipped[0].Error != "Assignee must be a member of the inbox" {
			t.Errorf("assigning answered %s", r.Body)
		}
		conv := b.conversationOf(c3)
		if num(t, conv, "meta", "assignee", "id") != b.agentID || num(t, conv, "meta", "team", "id") != team ||
			fmt.Sprint(conv["labels"]) != "[refund vip]" {
			t.Errorf("after assigning: %v, labels %v", conv["meta"], conv["labels"])
		}
		if conv := b.conversationOf(w1); conv["meta"].(map[string]any)["team"] != nil || conv["meta"].(map[string]any)["assignee"] != nil || len(conv["labels"].([]any)) != 0 {
			t.Errorf("the skipped conversation changed: %v, labels %v", conv["meta"], conv["labels"])
		}

		// A form, as Rails reads one: the assignee and team cleared with
		// empty values, a label removed, status snoozed until a time.
		until := start.Add(72 * time.Hour)
		form := url.Values{"type": {"Conversation"}, "ids[]": {fmt.Sprint(c3)}, "fields[assignee_id]": {""}, "fields[team_id]": {"0"},
			"fields[status]": {"snoozed"}, "labels[remove][]": {"vip"}, "snoozed_until": {fmt.Sprint(until.Unix())}}
		r = b.must(request{Method: "POST", Path: path, Token: b.admin, Body: form.Encode(),
			Header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})
		if got := decodeBulk(t, r); !slices.Equal(got.Updated, []int64{c3}) || len(got.Skipped) != 0 {
			t.Errorf("the form answered %s", r.Body)
		}
		conv = b.conversationOf(c3)
		if conv["status"] != "snoozed" || conv["snoozed_until"] != until.UTC().Format("2006-01-02T15:04:05.000Z") ||
			conv["meta"].(map[string]any)["team"] != nil || conv["meta"].(map[string]any)["assignee"] != nil || fmt.Sprint(conv["labels"]) != "[refund]" {
			t.Errorf("after the form: %v until %v, %v, labels %v", conv["status"], conv["snoozed_until"], conv["meta"], conv["labels"])
		}
	})
}

// contactOf is the id of a conversation's contact.
func (b *bundle) contactOf(conv int64) int64 {
	b.T.Helper()
	return num(b.T, b.conversationOf(conv), "meta", "sender", "id")
}

// conversationOf is a conversation as the administrator reads it.
func (b *bundle) conversationOf(conv int64) map[string]any {
	b.T.Helper()
	return b.must(request{Method: "GET", Path: b.acc("/conversations/%d", conv), Token: b.admin}).Object(b.T)
}

// statusOf is a conversation's status as the administrator reads it.
func (b *bundle) statusOf(conv int64) string {
	b.T.Helper()
	s, _ := b.conversationOf(conv)["status"].(string)
	return s
}
