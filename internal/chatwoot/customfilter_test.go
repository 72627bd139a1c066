package chatwoot_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// TestCustomFilters: Chatwoot's custom_filters on both databases: a
// person saves, lists (by type), changes and deletes their own filters; a
// conversation's or contact's filter is checked as the filter checks it,
// so that a saved one runs; another person's and another account's are
// not found; bots may not; at most 50 a person.
func TestCustomFilters(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		b := setup(t, s)
		path := b.acc("/custom_filters")
		open := map[string]any{"payload": []any{map[string]any{"attribute_key": "status", "filter_operator": "equal_to",
			"values": []any{"open"}, "query_operator": nil}}}
		f := b.must(request{Method: "POST", Path: path, Token: b.agent, Body: map[string]any{"custom_filter": map[string]any{
			"name": "Open ones", "type": "conversation", "query": open}}}).Object(t)
		if f["name"] != "Open ones" || f["type"] != "conversation" || f["filter_type"] != "conversation" || f["query"].(map[string]any)["payload"] == nil {
			t.Errorf("the saved filter: %v", f)
		}
		b.must(request{Method: "POST", Path: path, Token: b.agent, Body: map[string]any{"name": "Reports", "filter_type": "report",
			"query": map[string]any{"anything": true}}})
		count := func(token, query string) int {
			return len(b.must(request{Method: "GET", Path: path + query, Token: token}).Array(t))
		}
		if all, conv, admin := count(b.agent, ""), count(b.agent, "?filter_type=conversation"), count(b.admin, ""); all != 2 || conv != 1 || admin != 0 {
			t.Errorf("listed %d, %d conversation filters, the administrator %d; want 2, 1, 0", all, conv, admin)
		}
		one := b.acc("/custom_filters/%d", num(t, f, "id"))
		if got := b.must(request{Method: "PATCH", Path: one, Token: b.agent, Body: map[string]any{"name": "Still open"}}).Object(t); got["name"] != "Still open" {
			t.Errorf("renamed: %v", got)
		}
		// The saved query runs.
		b.must(request{Method: "POST", Path: b.acc("/conversations/filter"), Token: b.agent, Body: f["query"]})

		bot := b.must(request{Method: "POST", Path: b.acc("/agent_bots"), Token: b.admin, Body: map[string]any{"name": "Bot"}}).Object(t)
		for _, c := range []struct {
			name   string
			method string
			path   string
			token  string
			body   any
			status int
			says   string
		}{
			{"no name", "POST", path, b.agent, map[string]any{"type": "conversation", "query": open}, 422, "Name"},
			{"a bad type", "POST", path, b.agent, map[string]any{"name": "X", "type": "inbox", "query": open}, 422, "Filter type"},
			{"a query that does not run", "POST", path, b.agent, map[string]any{"name": "X", "type": "conversation",
				"query": map[string]any{"payload": []any{map[string]any{"attribute_key": "status", "filter_operator": "equal_to", "values": []any{"lost"}}}}}, 422, "not a status"},
			{"a query without a payload", "POST", path, b.agent, map[string]any{"name": "X", "type": "contact", "query": map[string]any{}}, 422, "payload"},
			{"another person's", "GET", one, b.admin, nil, 404, ""},
			{"another person's change", "PATCH", one, b.admin, map[string]any{"name": "Mine now"}, 404, ""},
			{"a bot's", "GET", path, bot["access_token"].(string), nil, 401, ""},
		} {
			r := b.do(request{Method: c.method, Path: c.path, Token: c.token, Body: c.body})
			if r.Status != c.status || !strings.Contains(string(r.Body), c.says) {
				t.Errorf("%s: %d %s, want %d saying %q", c.name, r.Status, r.Body, c.status, c.says)
			}
		}
		for range 48 {
			b.must(request{Method: "POST", Path: path, Token: b.agent, Body: map[string]any{"name": "More", "type": "report"}})
		}
		if r := b.do(request{Method: "POST", Path: path, Token: b.agent, Body: map[string]any{"name": "One too many", "type": "report"}}); r.Status != 422 {
			t.Errorf("the 51st filter: %d %s", r.Status, r.Body)
		}
		b.must(request{Method: "DELETE", Path: one, Token: b.agent})
		if r := b.do(request{Method: "GET", Path: one, Token: b.agent}); r.Status != http.StatusNotFound {
			t.Errorf("the deleted filter: %d", r.Status)
		}
	})
}
