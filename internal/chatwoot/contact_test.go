package chatwoot_test

import (
	"encoding/json"
	"fmt"
	"maps"
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
