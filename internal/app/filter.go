package app

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/store"
)

// FilterInput is one condition of Chatwoot's conversation filter (POST
// conversations/filter) as its API sends it: an attribute, an operator,
// values, and AND or OR to the next condition.
type FilterInput struct {
	AttributeKey   string
	FilterOperator string
	Values         []any
	QueryOperator  string
}

// Limits of a filter: enough for any filter a person builds, few enough
// that a statement stays small.
const (
	maxFilterConditions = 20
	maxFilterValues     = 100
)

// filterTable is what a filter may compare of one kind of thing: its
// columns, with the operators each takes, those of them that hold text
// (compared as attributes are), and Chatwoot's standard attributes kept in
// its additional attributes; any other key is a custom attribute.
type filterTable struct {
	columns    map[string][]string
	text       map[string]bool
	additional map[string]bool
}

// conversationFilters is what Chatwoot's conversation filter compares.
var conversationFilters = filterTable{columns: map[string][]string{
	"status":           {store.FilterEqual, store.FilterNotEqual},
	"assignee_id":      {store.FilterEqual, store.FilterNotEqual, store.FilterPresent, store.FilterNotPresent},
	"inbox_id":         {store.FilterEqual, store.FilterNotEqual},
	"team_id":          {store.FilterEqual, store.FilterNotEqual, store.FilterPresent, store.FilterNotPresent},
	"display_id":       {store.FilterEqual, store.FilterNotEqual},
	"priority":         {store.FilterEqual, store.FilterNotEqual, store.FilterPresent, store.FilterNotPresent},
	"labels":           {store.FilterEqual, store.FilterNotEqual, store.FilterPresent, store.FilterNotPresent},
	"created_at":       {store.FilterGreater, store.FilterLess, "days_before"},
	"last_activity_at": {store.FilterGreater, store.FilterLess, "days_before"},
}, additional: map[string]bool{"browser_language": true, "country_code": true, "referer": true}}

// contactFilters is what Chatwoot's contact filter compares.
var contactFilters = filterTable{columns: map[string][]string{
	"name":             attributeOperators,
	"email":            attributeOperators,
	"phone_number":     attributeOperators,
	"identifier":       attributeOperators,
	"created_at":       {store.FilterGreater, store.FilterLess, "days_before"},
	"last_activity_at": {store.FilterGreater, store.FilterLess, "days_before"},
}, text: map[string]bool{"name": true, "email": true, "phone_number": true, "identifier": true},
	additional: map[string]bool{"country_code": true, "city": true, "company_name": true}}

// attributeOperators are the operators an attribute (additional or custom)
// takes.
var attributeOperators = []string{store.FilterEqual, store.FilterNotEqual, store.FilterContains, store.FilterNotContains,
	store.FilterPresent, store.FilterNotPresent}

// customOperators are those a custom attribute takes: a number's or a
// date's compared too, as Chatwoot's number and date attributes are.
var customOperators = append(slices.Clip(attributeOperators), store.FilterGreater, store.FilterLess)

// FilterConversations is Chatwoot's conversation filter: the conversations
// the caller may see (a person's, a bot's inboxes) of every status that
// meet the conditions, most recently active first, a page of
// ConversationPageSize, with the counts by assignee.
func (a *App) FilterConversations(ctx context.Context, accountID int64, in []FilterInput, page int) (*ConversationList, error) {
	conds, err := a.filterConditions(conversationFilters, in)
	if err != nil {
		return nil, err
	}
	q := a.store.Read()
	cq := ConversationQuery{Status: "all"}
	f, err := a.conversationFilter(ctx, q, accountID, &cq)
	if err != nil {
		return nil, err
	}
	f.Conditions = conds
	list := &ConversationList{}
	if list.Counts, err = q.CountConversations(ctx, f); err != nil {
		return nil, err
	}
	page = min(max(page, 1), MaxPage)
	f.Offset, f.Limit = (page-1)*ConversationPageSize, ConversationPageSize
	if list.Conversations, err = a.listConversations(ctx, q, f); err != nil {
		return nil, err
	}
	return list, nil
}

// filterConditions checks the filter's conditions on the table's things
// and translates their values into what the store compares.
func (a *App) filterConditions(t filterTable, in []FilterInput) ([]store.FilterCondition, error) {
	bad := func(format string, args ...any) error {
		return baton.Invalid(fmt.Sprintf(format, args...), "payload")
	}
	if len(in) == 0 {
		return nil, bad("The filter has no conditions")
	}
	if len(in) > maxFilterConditions {
		return nil, bad("The filter has more than %d conditions", maxFilterConditions)
	}
	out := make([]store.FilterCondition, 0, len(in))
	for n, x := range in {
		key, op := strings.TrimSpace(x.AttributeKey), strings.TrimSpace(x.FilterOperator)
		c := store.FilterCondition{Op: op}
		switch strings.ToUpper(strings.TrimSpace(x.QueryOperator)) {
		case "OR":
			c.Or = true
		case "AND", "":
		default:
			return nil, bad("Condition %d: query_operator must be AND or OR", n+1)
		}
		ops, column := t.columns[key]
		switch {
		case column:
			c.Column, c.Text = key, t.text[key]
		case attributeKey.MatchString(key):
			c.Attributes, c.Key, ops = "custom_attributes", key, customOperators
			if t.additional[key] {
				c.Attributes, ops = "additional_attributes", attributeOperators
			}
		default:
			return nil, bad("Condition %d: %q is not an attribute the filter reads", n+1, key)
		}
		if !slices.Contains(ops, op) {
			return nil, bad("Condition %d: %s does not take the operator %q (it takes %s)", n+1, key, op, strings.Join(ops, ", "))
		}
		if len(x.Values) > maxFilterValues {
			return nil, bad("Condition %d has more than %d values", n+1, maxFilterValues)
		}
		needs := op != store.FilterPresent && op != store.FilterNotPresent
		if needs && len(x.Values) == 0 {
			return nil, bad("Condition %d (%s %s) has no values", n+1, key, op)
		}
		if !needs {
			out = append(out, c)
			continue
		}
		for _, v := range x.Values {
			val, err := a.filterValue(key, c.Column != "" && !c.Text, op, v)
			if err != nil {
				return nil, bad("Condition %d (%s): %v", n+1, key, err)
			}
			c.Values = append(c.Values, val)
		}
		if op == "days_before" {
			c.Op = store.FilterLess
		}
		if (c.Op == store.FilterGreater || c.Op == store.FilterLess) && len(c.Values) != 1 {
			return nil, bad("Condition %d (%s %s) takes one value", n+1, key, op)
		}
		out = append(out, c)
	}
	return out, nil
}

// filterValue is one value of a condition as the store compares it.
func (a *App) filterValue(key string, column bool, op string, v any) (any, error) {
	text := ""
	switch x := v.(type) {
	case string:
		text = strings.TrimSpace(x)
	case float64:
		text = strconv.FormatFloat(x, 'f', -1, 64)
	case json.Number:
		text = x.String()
	case bool:
		text = strconv.FormatBool(x)
	default:
		return nil, fmt.Errorf("%v is not a value it takes", v)
	}
	if !column && (op == store.FilterGreater || op == store.FilterLess) {
		// A number is compared as a number; a date (2006-01-02) as the
		// text ISO dates are, which sorts as they do.
		if n, err := strconv.ParseFloat(text, 64); err == nil && !math.IsInf(n, 0) && !math.IsNaN(n) {
			return n, nil
		}
		if _, err := time.Parse("2006-01-02", text); err == nil {
			return text, nil
		}
		return nil, fmt.Errorf("%q is not a number or a date (2006-01-02)", text)
	}
	if !column || key == "labels" {
		if len(text) > baton.MaxNameLength {
			return nil, fmt.Errorf("a value is longer than %d bytes", baton.MaxNameLength)
		}
		if key == "labels" {
			return strings.ToLower(text), nil
		}
		return text, nil
	}
	switch key {
	case "status":
		st, ok := baton.ParseStatus(text)
		if !ok {
			return nil, fmt.Errorf("%q is not a status", text)
		}
		return int64(st), nil
	case "priority":
		p, ok := baton.ParsePriority(text)
		if !ok || p == baton.PriorityNone {
			return nil, fmt.Errorf("%q is not a priority", text)
		}
		return int64(p), nil
	case "created_at", "last_activity_at":
		if op == "days_before" {
			days, err := strconv.ParseFloat(text, 64)
			if err != nil || days < 0 || days > 36500 || math.IsNaN(days) {
				return nil, fmt.Errorf("%q is not a number of days", text)
			}
			return a.Now().Add(-time.Duration(days * 24 * float64(time.Hour))).UnixMicro(), nil
		}
		for _, layout := range []string{time.RFC3339, "2006-01-02"} {
			if t, err := time.Parse(layout, text); err == nil {
				return t.UnixMicro(), nil
			}
		}
		if secs, err := strconv.ParseInt(text, 10, 64); err == nil && secs >= 0 && secs < 1<<40 {
			return time.Unix(secs, 0).UnixMicro(), nil
		}
		return nil, fmt.Errorf("%q is not a date (2006-01-02, RFC 3339, or Unix seconds)", text)
	}
	id, err := strconv.ParseInt(text, 10, 64)
	if err != nil || id <= 0 {
		return nil, fmt.Errorf("%q is not an id", text)
	}
	return id, nil
}
