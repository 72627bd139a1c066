package chatwoot_test

import (
	"encoding/json"
	"fmt"
	"testing"

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
