package chatwoot_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"testing"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

func TestContacts(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	created := b.must(request{Method: "POST", Path: b.acc("/contacts"), Token: b.admin, Body: map[string]any{
		"name": "Jane Doe", "email": "Jane@Example.test", "phone_number": "+15550001111", "identifier": "jane-1",
		"custom_attributes": map[string]any{"plan": "pro"}, "inbox_id": b.api.ID, "source_id": "jane-src"}})
	golden(t, "contact_create", created.Body)
	contact := created.Object(t)["payload"].(map[string]any)["contact"]
	id := num(t, contact, "id")
	b.must(request{Method: "POST", Path: b.acc("/contacts"), Token: b.admin, Body: map[string]any{"name": "John Roe", "email": "john@example.test"}})

	b.run([]scenario{
		{name: "list with count", req: request{Method: "GET", Path: b.acc("/contacts"), Token: b.admin}, status: 200,
			contains: []string{`"meta":{"count":2,"current_page":1}`}},
		{name: "search by name", req: request{Method: "GET", Path: b.acc("/contacts/search?q=jane"), Token: b.admin}, status: 200,
			check: func(t testing.TB, r *response) {
				v := r.Object(t)
				list := v["payload"].([]any)
				if len(list) != 1 || num(t, list[0], "id") != id || num(t, v, "meta", "count") != 1 {
					t.Errorf("search for jane found %v", v)
				}
			}},
		{name: "search by email", req: request{Method: "GET", Path: b.acc("/contacts/search?q=john%%40example"), Token: b.admin}, status: 200,
			contains: []string{`"name":"John Roe"`, `"count":1`}},
		{name: "search for nobody", req: request{Method: "GET", Path: b.acc("/contacts/search?q=zzz"), Token: b.admin}, status: 200,
			contains: []string{`"count":0`, `"payload":[]`}},
		{name: "show with contact inboxes", req: request{Method: "GET", Path: b.acc("/contacts/%d", id), Token: b.admin}, status: 200,
			contains: []string{`"email":"jane@example.test"`, fmt.Sprintf(`"contact_inboxes":[{"source_id":"jane-src","inbox":{"id":%d}}]`, b.api.ID)}},
		{name: "update", req: request{Method: "PATCH", Path: b.acc("/contacts/%d", id), Token: b.admin, Body: map[string]any{"name": "Jane Smith", "blocked": true}},
			status: 200, contains: []string{`"name":"Jane Smith"`, `"blocked":true`, `"email":"jane@example.test"`}},
		{name: "update with a bad phone", req: request{Method: "PUT", Path: b.acc("/contacts/%d", id), Token: b.admin, Body: map[string]any{"phone_number": "555"}},
			status: 422, contains: []string{`"attributes":["phone_number"]`}},
		{name: "phone after the failed update", req: request{Method: "GET", Path: b.acc("/contacts/%d", id), Token: b.admin}, status: 200,
			contains: []string{`"phone_number":"+15550001111"`}},
		{name: "create with a taken email", req: request{Method: "POST", Path: b.acc("/contacts"), Token: b.admin, Body: map[string]any{"email": "jane@example.test"}},
			status: 422},
		{name: "create with a taken source id", req: request{Method: "POST", Path: b.acc("/contacts"), Token: b.admin,
			Body: map[string]any{"name": "Dup", "inbox_id": b.api.ID, "source_id": "jane-src"}}, status: 422, contains: []string{`"source_id should be unique"`}},
		{name: "count after the failed creates", req: request{Method: "GET", Path: b.acc("/contacts"), Token: b.admin}, status: 200,
			contains: []string{`"count":2`}},
		{name: "create in an unknown inbox", req: request{Method: "POST", Path: b.acc("/contacts"), Token: b.admin, Body: map[string]any{"name": "X", "inbox_id": 999}},
			status: 404},
		{name: "contact conversations", req: request{Method: "GET", Path: b.acc("/contacts/%d/conversations", id), Token: b.admin}, status: 200,
			contains: []string{`{"payload":[]}`}},
		{name: "delete", req: request{Method: "DELETE", Path: b.acc("/contacts/%d", id), Token: b.admin}, status: 200},
		{name: "deleted", req: request{Method: "GET", Path: b.acc("/contacts/%d", id), Token: b.admin}, status: 404},
		{name: "count after delete", req: request{Method: "GET", Path: b.acc("/contacts"), Token: b.admin}, status: 200,
			contains: []string{`"count":1`}},
		{name: "unknown contact", req: request{Method: "PATCH", Path: b.acc("/contacts/999"), Token: b.admin, Body: map[string]any{"name": "x"}}, status: 404},
		{name: "non-numeric id", req: request{Method: "GET", Path: b.acc("/contacts/abc"), Token: b.admin}, status: 404},
	})
}

// TestContactUpdateMergesAttributes: an update merges custom and
// additional attributes into those the contact has, key by key, as
// Chatwoot does; it never wipes the ones it did not send.
func TestContactUpdateMergesAttributes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		b := setup(t, s)
		c := b.must(request{Method: "POST", Path: b.acc("/contacts"), Token: b.admin, Body: map[string]any{"name": "Casey",
			"custom_attributes": map[string]any{"plan": "gold", "seats": 3}, "additional_attributes": map[string]any{"city": "Lyon"}}}).Object(t)
		id := num(t, c, "payload", "contact", "id")
		v := b.must(request{Method: "PATCH", Path: b.acc("/contacts/%d", id), Token: b.admin, Body: map[string]any{
			"custom_attributes": map[string]any{"seats": 5}, "additional_attributes": map[string]any{"company": "Acme"}}}).Object(t)
		got, _ := json.Marshal([]any{v["payload"].(map[string]any)["custom_attributes"], v["payload"].(map[string]any)["additional_attributes"]})
		if want := `[{"plan":"gold","seats":5},{"city":"Lyon","company":"Acme"}]`; string(got) != want {
			t.Errorf("after the update the attributes are %s, want %s", got, want)
		}
	})
}

// TestContactListInboxes: the contacts list and search show each
// contact's contact inboxes, as Chatwoot's include_contact_inboxes does by
// default, read for the whole page at once; include_contact_inboxes=false
// leaves them out.
func TestContactListInboxes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		b := setup(t, s)
		create := func(body map[string]any) map[string]any {
			return b.must(request{Method: "POST", Path: b.acc("/contacts"), Token: b.admin, Body: body}).Object(t)["payload"].(map[string]any)
		}
		// The create answer's contact has its contact inboxes too.
		both := create(map[string]any{"name": "Both", "inbox_id": b.api.ID, "source_id": "both-api"})
		if got, _ := json.Marshal(both["contact"].(map[string]any)["contact_inboxes"]); string(got) != fmt.Sprintf(`[{"inbox":{"id":%d},"source_id":"both-api"}]`, b.api.ID) {
			t.Errorf("POST contacts: payload.contact.contact_inboxes %s", got)
		}
		bothID := num(t, both, "contact", "id")
		if err := b.Store.Write(t.Context(), func(q *store.Queries) error {
			return q.CreateContactInbox(t.Context(), &baton.ContactInbox{ContactID: bothID, InboxID: b.widget.ID,
				SourceID: "both-web", PubsubToken: "both-pubsub", CreatedAt: start, UpdatedAt: start})
		}); err != nil {
			t.Fatal(err)
		}
		none := create(map[string]any{"name": "Nowhere"})
		if got, _ := json.Marshal(none["contact"].(map[string]any)["contact_inboxes"]); string(got) != `[]` {
			t.Errorf("POST contacts without an inbox: payload.contact.contact_inboxes %s, want []", got)
		}
		create(map[string]any{"name": "Api only", "inbox_id": b.api.ID, "source_id": "only-api"})

		inboxes := func(r *response) map[string]string {
			out := map[string]string{}
			for _, c := range r.Object(t)["payload"].([]any) {
				c := c.(map[string]any)
				v, ok := c["contact_inboxes"]
				if !ok {
					out[c["name"].(string)] = "absent"
					continue
				}
				got, _ := json.Marshal(v)
				out[c["name"].(string)] = string(got)
			}
			return out
		}
		want := map[string]string{
			"Both":    fmt.Sprintf(`[{"inbox":{"id":%d},"source_id":"both-api"},{"inbox":{"id":%d},"source_id":"both-web"}]`, b.api.ID, b.widget.ID),
			"Nowhere": `[]`, "Api only": fmt.Sprintf(`[{"inbox":{"id":%d},"source_id":"only-api"}]`, b.api.ID)}
		for _, path := range []string{"/contacts", "/contacts?include_contact_inboxes=true"} {
			if got := inboxes(b.must(request{Method: "GET", Path: b.acc("%s", path), Token: b.admin})); !maps.Equal(got, want) {
				t.Errorf("GET %s: contact_inboxes %v, want %v", path, got, want)
			}
		}
		// An agent sees the contact inboxes of the inboxes they work only:
		// the source ids of the others are credentials there (an API inbox's
		// public client API takes them).
		b.must(request{Method: "POST", Path: b.acc("/inbox_members"), Token: b.admin,
			Body: map[string]any{"inbox_id": b.widget.ID, "user_ids": []int64{b.agentID}}})
		wantAgent := map[string]string{"Both": fmt.Sprintf(`[{"inbox":{"id":%d},"source_id":"both-web"}]`, b.widget.ID),
			"Nowhere": `[]`, "Api only": `[]`}
		for _, path := range []string{"/contacts", "/contacts/search?q=o"} {
			if got := inboxes(b.must(request{Method: "GET", Path: b.acc("%s", path), Token: b.agent})); !maps.Equal(got, wantAgent) {
				t.Errorf("an agent's GET %s: contact_inboxes %v, want %v", path, got, wantAgent)
			}
		}
		if got := inboxes(b.must(request{Method: "GET", Path: b.acc("/contacts/search?q=both"), Token: b.admin})); !maps.Equal(got, map[string]string{"Both": want["Both"]}) {
			t.Errorf("search: contact_inboxes %v", got)
		}
		for _, path := range []string{"/contacts?include_contact_inboxes=false", "/contacts/search?q=o&include_contact_inboxes=false"} {
			got := inboxes(b.must(request{Method: "GET", Path: b.acc("%s", path), Token: b.admin}))
			for name, v := range got {
				if v != "absent" {
					t.Errorf("GET %s: %s has contact_inboxes %s", path, name, v)
				}
			}
		}

		// One statement reads a page's contact inboxes, however many.
		ctx := baton.NewContextWithActor(t.Context(), baton.SystemActor)
		count := func(query string) int64 {
			ctx, n := store.CountStatements(ctx)
			if _, _, _, err := b.App.Contacts(ctx, b.account, query, 1, true); err != nil {
				t.Fatal(err)
			}
			return n()
		}
		if one, all := count("only"), count(""); one != all {
			t.Errorf("listing one contact takes %d statements, three %d: want as many", one, all)
		}
	})
}

// TestContactInboxes: Chatwoot's contact_inboxes and contactable_inboxes,
// on both databases: a contact gets an identity in an API inbox (a given
// source id, answered again when asked twice, or a new one), which a
// conversation then starts from; the contactable inboxes are the API
// inboxes, with the contact's source id where they have one, and the web
// widgets where they have been; another contact's source id, a web widget,
// an inbox the agent does not work and another account's contact are
// refused.
func TestContactInboxes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		b := setup(t, s)
		contact := func(name string) int64 {
			return num(t, b.must(request{Method: "POST", Path: b.acc("/contacts"), Token: b.admin, Body: map[string]any{"name": name}}).Object(t)["payload"].(map[string]any)["contact"].(map[string]any), "id")
		}
		ann, ben := contact("Ann"), contact("Ben")
		add := func(id int64, body map[string]any) *response {
			return b.do(request{Method: "POST", Path: b.acc("/contacts/%d/contact_inboxes", id), Token: b.admin, Body: body})
		}
		r := add(ann, map[string]any{"inbox_id": b.api.ID, "source_id": "crm-ann"})
		if r.Status != http.StatusOK {
			t.Fatalf("a contact inbox: %d %s", r.Status, r.Body)
		}
		v := r.Object(t)
		if v["source_id"] != "crm-ann" || v["inbox"].(map[string]any)["id"] != float64(b.api.ID) {
			t.Errorf("the contact inbox: %v", v)
		}
		if r := add(ann, map[string]any{"inbox_id": b.api.ID, "source_id": "crm-ann"}); r.Status != http.StatusOK {
			t.Errorf("the same again: %d %s", r.Status, r.Body)
		}
		if v := add(ben, map[string]any{"inbox_id": b.api.ID}).Object(t); len(v["source_id"].(string)) != 36 {
			t.Errorf("a new source id: %v", v["source_id"])
		}
		// A conversation starts from it, and the contact reaches it through the public API.
		conv := b.must(request{Method: "POST", Path: b.acc("/conversations"), Token: b.admin, Body: map[string]any{"source_id": "crm-ann", "inbox_id": b.api.ID}}).Object(t)
		if conv["meta"].(map[string]any)["sender"].(map[string]any)["id"] != float64(ann) {
			t.Errorf("the conversation's contact: %v", conv["meta"])
		}

		for _, c := range []struct {
			name   string
			id     int64
			body   map[string]any
			status int
			says   string
		}{
			{"another contact's source id", ben, map[string]any{"inbox_id": b.api.ID, "source_id": "crm-ann"}, 422, "unique"},
			{"a web widget", ann, map[string]any{"inbox_id": b.widget.ID}, 422, "API inbox"},
			{"no inbox", ann, map[string]any{}, 422, "Inbox"},
			{"no such inbox", ann, map[string]any{"inbox_id": 999999}, 404, ""},
			{"no such contact", ann + 1000, map[string]any{"inbox_id": b.api.ID}, 404, ""},
		} {
			if r := add(c.id, c.body); r.Status != c.status || !strings.Contains(string(r.Body), c.says) {
				t.Errorf("%s: %d %s, want %d saying %q", c.name, r.Status, r.Body, c.status, c.says)
			}
		}
		// The agent works no inbox: none is theirs to add to.
		if r := b.do(request{Method: "POST", Path: b.acc("/contacts/%d/contact_inboxes", ann), Token: b.agent, Body: map[string]any{"inbox_id": b.api.ID}}); r.Status != http.StatusNotFound {
			t.Errorf("an inbox the agent does not work: %d %s", r.Status, r.Body)
		}

		reach := func(id int64) map[int64]string {
			out := map[int64]string{}
			for _, x := range b.must(request{Method: "GET", Path: b.acc("/contacts/%d/contactable_inboxes", id), Token: b.admin}).Object(t)["payload"].([]any) {
				x := x.(map[string]any)
				out[int64(x["inbox"].(map[string]any)["id"].(float64))] = x["source_id"].(string)
			}
			return out
		}
		if got := reach(ann); got[b.api.ID] != "crm-ann" || len(got) != 1 {
			t.Errorf("Ann's contactable inboxes: %v", got)
		}
		carl := contact("Carl")
		if got := reach(carl); len(got[b.api.ID]) != 36 || len(got) != 1 {
			t.Errorf("Carl's contactable inboxes (no identity yet): %v", got)
		}
		o := b.otherAccount("Globex")
		if r := b.do(request{Method: "GET", Path: b.acc("/contacts/%d/contactable_inboxes", ann), Token: o.token}); r.Status != http.StatusUnauthorized {
			t.Errorf("another account's member: %d", r.Status)
		}
	})
}

// TestDestroyContactAttributes: Chatwoot's destroy_custom_attributes
// removes the keys named from a contact's custom attributes and keeps the
// others; a key it does not have changes nothing. Both databases.
func TestDestroyContactAttributes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		b := setup(t, s)
		c := b.must(request{Method: "POST", Path: b.acc("/contacts"), Token: b.admin, Body: map[string]any{"name": "Ann",
			"custom_attributes": map[string]any{"plan": "pro", "seats": 3, "crm": "x-1"}}}).Object(t)["payload"].(map[string]any)["contact"].(map[string]any)
		v := b.must(request{Method: "POST", Path: b.acc("/contacts/%d/destroy_custom_attributes", num(t, c, "id")), Token: b.agent,
			Body: map[string]any{"custom_attributes": []string{"plan", "seats", "absent"}}}).Object(t)
		if got := v["payload"].(map[string]any)["custom_attributes"].(map[string]any); len(got) != 1 || got["crm"] != "x-1" {
			t.Errorf("left: %v", got)
		}
		if r := b.do(request{Method: "POST", Path: b.acc("/contacts/%d/destroy_custom_attributes", num(t, c, "id")+1000), Token: b.agent,
			Body: map[string]any{"custom_attributes": []string{"crm"}}}); r.Status != http.StatusNotFound {
			t.Errorf("no such contact: %d", r.Status)
		}
	})
}
