package chatwoot_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// TestCustomAttributeDefinitions: Chatwoot's custom_attribute_definitions
// on both databases: administrators define, change and delete them (a
// key unique in its model, Rails' wrapped body taken too), members list
// them by model, agents and bots may not change them, another account's
// are not found, bad definitions are refused with what is wrong.
func TestCustomAttributeDefinitions(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		b := setup(t, s)
		path := b.acc("/custom_attribute_definitions")
		plan := b.must(request{Method: "POST", Path: path, Token: b.admin, Body: map[string]any{
			"attribute_display_name": "Plan", "attribute_display_type": "list", "attribute_key": "plan",
			"attribute_values": []string{"free", "pro", "pro"}, "attribute_model": "contact_attribute",
			"attribute_description": "What they pay for"}}).Object(t)
		if plan["attribute_key"] != "plan" || plan["attribute_model"] != "contact_attribute" || plan["attribute_display_type"] != "list" ||
			len(plan["attribute_values"].([]any)) != 2 || plan["regex_pattern"] != nil || plan["created_at"] == nil {
			t.Errorf("the new definition: %v", plan)
		}
		order := b.must(request{Method: "POST", Path: path, Token: b.admin, Body: map[string]any{"custom_attribute_definition": map[string]any{
			"attribute_display_name": "Order", "attribute_display_type": "text", "attribute_key": "order_ref", "attribute_model": 0,
			"regex_pattern": "^[A-Z]{2}[0-9]+$", "regex_cue": "Like AB123"}}}).Object(t)
		if order["attribute_model"] != "conversation_attribute" || order["regex_cue"] != "Like AB123" {
			t.Errorf("the wrapped definition: %v", order)
		}
		// The same key in the other model is another attribute.
		b.must(request{Method: "POST", Path: path, Token: b.admin, Body: map[string]any{"attribute_display_name": "Plan",
			"attribute_key": "plan", "attribute_model": "conversation_attribute"}})

		count := func(query string) int {
			return len(b.must(request{Method: "GET", Path: path + query, Token: b.agent}).Array(t))
		}
		if all, contacts, conversations := count(""), count("?attribute_model=contact_attribute"), count("?attribute_model=0"); all != 3 || contacts != 1 || conversations != 2 {
			t.Errorf("listed %d, %d of contacts, %d of conversations; want 3, 1, 2", all, contacts, conversations)
		}
		id := num(t, plan, "id")
		one := b.acc("/custom_attribute_definitions/%d", id)
		up := b.must(request{Method: "PATCH", Path: one, Token: b.admin, Body: map[string]any{"attribute_display_name": "Pricing plan",
			"attribute_key": "renamed", "attribute_values": []string{"free", "pro", "enterprise"}}}).Object(t)
		if up["attribute_display_name"] != "Pricing plan" || up["attribute_key"] != "plan" || len(up["attribute_values"].([]any)) != 3 {
			t.Errorf("the changed definition: %v", up)
		}
		if got := b.must(request{Method: "GET", Path: one, Token: b.agent}).Object(t); got["attribute_display_name"] != "Pricing plan" {
			t.Errorf("shown: %v", got)
		}

		for _, c := range []struct {
			name   string
			method string
			path   string
			token  string
			body   any
			status int
			says   string
		}{
			{"a key taken", "POST", path, b.admin, map[string]any{"attribute_display_name": "X", "attribute_key": "plan", "attribute_model": "contact_attribute"}, 422, "taken"},
			{"a bad key", "POST", path, b.admin, map[string]any{"attribute_display_name": "X", "attribute_key": "no spaces", "attribute_model": 0}, 422, "Attribute key"},
			{"no model", "POST", path, b.admin, map[string]any{"attribute_display_name": "X", "attribute_key": "x"}, 422, "Attribute model"},
			{"a bad type", "POST", path, b.admin, map[string]any{"attribute_display_name": "X", "attribute_key": "x", "attribute_model": 0, "attribute_display_type": "color"}, 422, "display type"},
			{"a list of nothing", "POST", path, b.admin, map[string]any{"attribute_display_name": "X", "attribute_key": "x", "attribute_model": 0, "attribute_display_type": "list"}, 422, "values"},
			{"a bad pattern", "POST", path, b.admin, map[string]any{"attribute_display_name": "X", "attribute_key": "x", "attribute_model": 0, "regex_pattern": "(("}, 422, "Regex"},
			{"no name", "POST", path, b.admin, map[string]any{"attribute_key": "x", "attribute_model": 0}, 422, "display name"},
			{"an agent's", "POST", path, b.agent, map[string]any{"attribute_display_name": "X", "attribute_key": "x", "attribute_model": 0}, 401, ""},
			{"an agent's change", "PATCH", one, b.agent, map[string]any{"attribute_display_name": "X"}, 401, ""},
			{"an agent's delete", "DELETE", one, b.agent, nil, 401, ""},
			{"no such", "GET", b.acc("/custom_attribute_definitions/%d", id+1000), b.admin, nil, 404, ""},
		} {
			r := b.do(request{Method: c.method, Path: c.path, Token: c.token, Body: c.body})
			if r.Status != c.status || !strings.Contains(string(r.Body), c.says) {
				t.Errorf("%s: %d %s, want %d saying %q", c.name, r.Status, r.Body, c.status, c.says)
			}
		}
		o := b.otherAccount("Globex")
		if r := b.do(request{Method: "GET", Path: one, Token: o.token}); r.Status != http.StatusUnauthorized {
			t.Errorf("another account's member: %d", r.Status)
		}

		b.must(request{Method: "DELETE", Path: one, Token: b.admin})
		if r := b.do(request{Method: "GET", Path: one, Token: b.admin}); r.Status != http.StatusNotFound {
			t.Errorf("the deleted definition: %d", r.Status)
		}
	})
}
