package chatwoot_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// cond is one condition of a filter's payload.
type cond = map[string]any

// filterCond is a condition joined to the next by AND.
func filterCond(key, op string, values ...any) cond {
	return cond{"attribute_key": key, "filter_operator": op, "values": values, "query_operator": "AND"}
}

// filter posts the conditions to a filter's path with the token and
// returns the ids of what it found, in order, and its meta.
func (b *bundle) filter(path, token string, conds []cond) ([]int64, map[string]any) {
	b.T.Helper()
	v := b.must(request{Method: "POST", Path: path, Token: token, Body: map[string]any{"payload": conds}}).Object(b.T)
	var got []int64
	for _, x := range v["payload"].([]any) {
		got = append(got, int64(x.(map[string]any)["id"].(float64)))
	}
	slices.Sort(got)
	return got, v["meta"].(map[string]any)
}

// TestConversationFilter: Chatwoot's POST conversations/filter, on both
// databases: conditions on the status, assignee, inbox, team, number,
// priority, labels, dates, the standard additional attributes and custom
// attributes (text, numbers and booleans alike on both), with every
// operator, joined by AND and OR with SQL's precedence; the counts of the
// matches; an agent sees only their inboxes' conversations; bad
// conditions are refused with what is wrong.
func TestConversationFilter(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		b := setup(t, s)
		conv := func(id int64, path string) string { return b.acc("/conversations/%d%s", id, path) }
		// 1: open, assigned to the agent, vip and refund, high, English, pro plan with 5 seats on trial.
		// 2: pending, no labels, French, free plan.
		// 3: resolved, refund, no attributes.
		ids := []int64{b.customer("ann"), b.customer("ben"), b.customer("cat")}
		b.must(request{Method: "POST", Path: b.acc("/inbox_members"), Token: b.admin, Body: map[string]any{"inbox_id": b.api.ID, "user_ids": []int64{b.agentID}}})
		b.must(request{Method: "POST", Path: conv(ids[0], "/assignments"), Token: b.admin, Body: map[string]any{"assignee_id": b.agentID}})
		b.must(request{Method: "POST", Path: conv(ids[0], "/labels"), Token: b.admin, Body: map[string]any{"labels": []string{"vip", "refund"}}})
		b.must(request{Method: "POST", Path: conv(ids[0], "/toggle_priority"), Token: b.admin, Body: map[string]any{"priority": "high"}})
		b.must(request{Method: "PATCH", Path: conv(ids[0], ""), Token: b.admin, Body: map[string]any{"additional_attributes": map[string]any{"browser_language": "en"}}})
		b.must(request{Method: "POST", Path: conv(ids[0], "/custom_attributes"), Token: b.admin,
			Body: map[string]any{"custom_attributes": map[string]any{"plan": "Pro", "seats": 5, "trial": true}}})
		b.must(request{Method: "POST", Path: conv(ids[1], "/toggle_status"), Token: b.admin, Body: map[string]any{"status": "pending"}})
		b.must(request{Method: "PATCH", Path: conv(ids[1], ""), Token: b.admin, Body: map[string]any{"additional_attributes": map[string]any{"browser_language": "fr"}}})
		b.must(request{Method: "POST", Path: conv(ids[1], "/custom_attributes"), Token: b.admin, Body: map[string]any{"custom_attributes": map[string]any{"plan": "free", "renewal": "2030-05-01"}}})
		b.must(request{Method: "POST", Path: conv(ids[2], "/labels"), Token: b.admin, Body: map[string]any{"labels": []string{"refund"}}})
		b.must(request{Method: "POST", Path: conv(ids[2], "/toggle_status"), Token: b.admin, Body: map[string]any{"status": "resolved"}})

		c := filterCond
		or := func(x cond) cond { x["query_operator"] = "OR"; return x }
		filter := func(token string, conds ...cond) ([]int64, map[string]any) {
			t.Helper()
			return b.filter(b.acc("/conversations/filter"), token, conds)
		}
		for _, tc := range []struct {
			name  string
			conds []cond
			want  []int64
		}{
			{"status", []cond{c("status", "equal_to", "open")}, ids[:1]},
			{"statuses", []cond{c("status", "equal_to", "open", "pending")}, ids[:2]},
			{"not a status", []cond{c("status", "not_equal_to", "resolved")}, ids[:2]},
			{"assignee", []cond{c("assignee_id", "equal_to", b.agentID)}, ids[:1]},
			{"nobody assigned", []cond{c("assignee_id", "is_not_present")}, ids[1:]},
			{"inbox", []cond{c("inbox_id", "equal_to", fmt.Sprint(b.api.ID))}, ids},
			{"another inbox", []cond{c("inbox_id", "equal_to", b.widget.ID)}, nil},
			{"team", []cond{c("team_id", "is_present")}, nil},
			{"number", []cond{c("display_id", "equal_to", ids[1])}, ids[1:2]},
			{"priority", []cond{c("priority", "equal_to", "high")}, ids[:1]},
			{"no priority", []cond{c("priority", "is_not_present")}, ids[1:]},
			{"label", []cond{c("labels", "equal_to", "refund")}, []int64{ids[0], ids[2]}},
			{"label in capitals", []cond{c("labels", "equal_to", "VIP")}, ids[:1]},
			{"not the label", []cond{c("labels", "not_equal_to", "vip")}, ids[1:]},
			{"no labels", []cond{c("labels", "is_not_present")}, ids[1:2]},
			{"created after 2000", []cond{c("created_at", "is_greater_than", "2000-01-01")}, ids},
			{"created before 2000", []cond{c("created_at", "is_less_than", "2000-01-01")}, nil},
			{"active more than a day ago", []cond{c("last_activity_at", "days_before", "1")}, nil},
			{"language", []cond{c("browser_language", "equal_to", "EN")}, ids[:1]},
			{"not the language", []cond{c("browser_language", "not_equal_to", "en")}, ids[1:]},
			{"plan contains", []cond{c("plan", "contains", "pr")}, ids[:1]},
			{"plan does not contain", []cond{c("plan", "does_not_contain", "pr")}, ids[1:]},
			{"a number attribute", []cond{c("seats", "equal_to", 5)}, ids[:1]},
			{"a boolean attribute", []cond{c("trial", "equal_to", "true")}, ids[:1]},
			{"an attribute present", []cond{c("plan", "is_present")}, ids[:2]},
			{"a number greater", []cond{c("seats", "is_greater_than", 4)}, ids[:1]},
			{"a number not less", []cond{c("seats", "is_less_than", "5")}, nil},
			{"text is no number", []cond{c("plan", "is_greater_than", 1)}, nil},
			{"a date before", []cond{c("renewal", "is_less_than", "2031-01-01")}, ids[1:2]},
			{"a date after", []cond{c("renewal", "is_greater_than", "2031-01-01")}, nil},
			{"an attribute absent", []cond{c("plan", "is_not_present")}, ids[2:]},
			{"and", []cond{c("labels", "equal_to", "refund"), c("status", "equal_to", "resolved")}, ids[2:]},
			// a OR b AND c is a OR (b AND c): SQL's precedence, as Chatwoot.
			{"or before and", []cond{or(c("status", "equal_to", "pending")), c("labels", "equal_to", "refund"), c("status", "equal_to", "resolved")}, ids[1:]},
		} {
			if got, _ := filter(b.admin, tc.conds...); !slices.Equal(got, tc.want) {
				t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
			}
		}
		if _, meta := filter(b.admin, c("labels", "equal_to", "refund")); meta["all_count"] != float64(2) || meta["mine_count"] != float64(0) ||
			meta["unassigned_count"] != float64(1) {
			t.Errorf("the counts: %v", meta)
		}

		// The agent works the API inbox; one who works none sees only what
		// is assigned to them.
		if got, meta := filter(b.agent, c("status", "equal_to", "open")); !slices.Equal(got, ids[:1]) || meta["mine_count"] != float64(1) {
			t.Errorf("the agent's: %v %v", got, meta)
		}
		b.must(request{Method: "DELETE", Path: b.acc("/inbox_members"), Token: b.admin, Body: map[string]any{"inbox_id": b.api.ID, "user_ids": []int64{b.agentID}}})
		if got, _ := filter(b.agent, c("labels", "equal_to", "refund")); !slices.Equal(got, ids[:1]) {
			t.Errorf("an agent of no inbox sees %v, want only the conversation assigned to them", got)
		}

		for _, bad := range []struct {
			name string
			body any
			says string
		}{
			{"no conditions", map[string]any{"payload": []any{}}, "no conditions"},
			{"an unknown column's operator", map[string]any{"payload": []cond{c("status", "contains", "op")}}, "does not take"},
			{"a bad status", map[string]any{"payload": []cond{c("status", "equal_to", "lost")}}, "not a status"},
			{"a bad date", map[string]any{"payload": []cond{c("created_at", "is_greater_than", "yesterday")}}, "not a date"},
			{"a bad key", map[string]any{"payload": []cond{c("plan; DROP TABLE", "equal_to", "x")}}, "not an attribute"},
			{"a bad join", map[string]any{"payload": []cond{{"attribute_key": "status", "filter_operator": "equal_to", "values": []any{"open"}, "query_operator": "XOR"}}}, "AND or OR"},
			{"no values", map[string]any{"payload": []cond{c("status", "equal_to")}}, "no values"},
			{"an object value", map[string]any{"payload": []cond{c("plan", "equal_to", map[string]any{"a": 1})}}, "not a value"},
			{"a comparison with a word", map[string]any{"payload": []cond{c("seats", "is_greater_than", "many")}}, "not a number or a date"},
			{"a standard attribute compared", map[string]any{"payload": []cond{c("browser_language", "is_greater_than", 1)}}, "does not take"},
			{"too many", map[string]any{"payload": slices.Repeat([]cond{c("status", "equal_to", "open")}, 21)}, "more than 20"},
		} {
			r := b.do(request{Method: "POST", Path: b.acc("/conversations/filter"), Token: b.admin, Body: bad.body})
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), bad.says) {
				t.Errorf("%s: %d %s, want 422 saying %q", bad.name, r.Status, r.Body, bad.says)
			}
		}
	})
}

// TestContactFilter: Chatwoot's POST contacts/filter, on both databases:
// the name, e-mail, phone and identifier as text (the case of letters
// ignored), the city and company of the additional attributes, custom
// attributes, the dates, AND and OR; answered as the contacts list is;
// a bad condition is refused with what is wrong.
func TestContactFilter(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		b := setup(t, s)
		contact := func(body map[string]any) int64 {
			return num(t, b.must(request{Method: "POST", Path: b.acc("/contacts"), Token: b.admin, Body: body}).Object(t)["payload"].(map[string]any)["contact"].(map[string]any), "id")
		}
		ann := contact(map[string]any{"name": "Ann Émile", "email": "ann@shop.test", "phone_number": "+14155550123",
			"additional_attributes": map[string]any{"city": "Lyon", "company_name": "Acme"}, "custom_attributes": map[string]any{"tier": "gold", "orders": 12}})
		ben := contact(map[string]any{"name": "Ben", "email": "ben@other.test", "identifier": "crm-42",
			"additional_attributes": map[string]any{"city": "Paris"}, "custom_attributes": map[string]any{"tier": "silver"}})
		cat := contact(map[string]any{"name": "Cat"})
		c := filterCond
		filter := func(conds ...cond) ([]int64, map[string]any) {
			t.Helper()
			return b.filter(b.acc("/contacts/filter"), b.agent, conds)
		}
		for _, tc := range []struct {
			name  string
			conds []cond
			want  []int64
		}{
			{"name", []cond{c("name", "equal_to", "ÉMILE ann")}, nil},
			{"name contains", []cond{c("name", "contains", "ÉMILE")}, []int64{ann}},
			{"e-mail domain", []cond{c("email", "contains", "@SHOP.")}, []int64{ann}},
			{"no e-mail", []cond{c("email", "is_not_present")}, []int64{cat}},
			{"phone", []cond{c("phone_number", "equal_to", "+14155550123")}, []int64{ann}},
			{"identifier", []cond{c("identifier", "is_present")}, []int64{ben}},
			{"city", []cond{c("city", "equal_to", "lyon", "paris")}, []int64{ann, ben}},
			{"company", []cond{c("company_name", "equal_to", "acme")}, []int64{ann}},
			{"custom", []cond{c("tier", "not_equal_to", "gold")}, []int64{ben, cat}},
			{"custom number", []cond{c("orders", "equal_to", 12)}, []int64{ann}},
			{"created after 2000", []cond{c("created_at", "is_greater_than", "2000-01-01T00:00:00Z")}, []int64{ann, ben, cat}},
			{"and", []cond{c("city", "is_present"), c("tier", "equal_to", "silver")}, []int64{ben}},
			{"or", []cond{{"attribute_key": "name", "filter_operator": "equal_to", "values": []any{"cat"}, "query_operator": "OR"},
				c("identifier", "equal_to", "CRM-42")}, []int64{ben, cat}},
		} {
			if got, _ := filter(tc.conds...); !slices.Equal(got, tc.want) {
				t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
			}
		}
		if _, meta := filter(c("city", "is_present")); meta["count"] != float64(2) || meta["current_page"] != float64(1) {
			t.Errorf("the meta: %v", meta)
		}
		r := b.do(request{Method: "POST", Path: b.acc("/contacts/filter"), Token: b.admin, Body: map[string]any{"payload": []cond{c("name", "is_greater_than", "a")}}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "does not take") {
			t.Errorf("a bad operator: %d %s", r.Status, r.Body)
		}
	})
}
