package chatwoot_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestBadInput(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	conv := b.customer("c")
	msgs := b.acc("/conversations/%d/messages", conv)
	post := func(body any) request { return request{Method: "POST", Path: msgs, Token: b.admin, Body: body} }
	invalidAttrs := func(t testing.TB, r *response) {
		v := r.Object(t)
		attrs, _ := json.Marshal(v["attributes"])
		if s, _ := v["error"].(string); s == "" || v["message"] != s || string(attrs) != `["content_attributes"]` {
			t.Errorf("want {error, message, attributes: [content_attributes]}, got %s", r.Body)
		}
	}
	huge := `{"content":"` + strings.Repeat("a", 1<<20) + `"}`
	long := strings.Repeat("é", 150001)
	select1 := func(attrs any) request {
		return post(map[string]any{"content": "q", "content_type": "input_select", "content_attributes": attrs})
	}
	scenarios := []scenario{
		{name: "malformed JSON", req: post(`{"content": "hi"`), status: 400, contains: []string{`"error":"Malformed JSON`}},
		{name: "syntax error", req: post(`{"content": hi}`), status: 400, contains: []string{`"error":"Malformed JSON at byte`}},
		{name: "two objects", req: post(`{"content":"a"} {"content":"b"}`), status: 400, contains: []string{`"Body must hold one JSON object"`}},
		{name: "an array", req: post(`["hi"]`), status: 400, contains: []string{`"Body must be a JSON object"`}},
		{name: "content a number", req: post(`{"content": 5}`), status: 400, contains: []string{`"Field content must be a string, not number"`}},
		{name: "private an object", req: post(`{"content":"x","private":{"x":1}}`), status: 400, contains: []string{`Field private must be true or false`}},
		{name: "content_attributes a number", req: post(`{"content":"x","content_attributes":3}`), status: 400},
		{name: "content_attributes a string of nonsense", req: post(`{"content":"x","content_attributes":"{nope"}`), status: 400},
		{name: "over 1 MiB", req: post(huge), status: 413, contains: []string{`"Body is too large (maximum is 1048576 bytes)"`}},
		{name: "content over 150,000 characters", req: post(map[string]any{"content": long}), status: 422,
			contains: []string{`"attributes":["content"]`, `maximum is 150000 characters`}},
		{name: "input_select without items", req: select1(map[string]any{}), status: 422, check: invalidAttrs},
		{name: "input_select with empty items", req: select1(map[string]any{"items": []any{}}), status: 422, check: invalidAttrs},
		{name: "item with an unknown key", req: select1(map[string]any{"items": []any{map[string]any{"title": "A", "value": "a", "colour": "red"}}}),
			status: 422, check: invalidAttrs, contains: []string{"colour"}},
		{name: "item that is not an object", req: select1(map[string]any{"items": []any{"A"}}), status: 422, check: invalidAttrs},
		{name: "item without a title", req: select1(map[string]any{"items": []any{map[string]any{"value": "a"}}}), status: 422, check: invalidAttrs},
		{name: "cards without actions", req: post(map[string]any{"content": "c", "content_type": "cards",
			"content_attributes": map[string]any{"items": []any{map[string]any{"title": "Card"}}}}), status: 422, check: invalidAttrs, contains: []string{"missing actions"}},
		{name: "card action of unknown type", req: post(map[string]any{"content": "c", "content_type": "cards",
			"content_attributes": map[string]any{"items": []any{map[string]any{"title": "Card", "actions": []any{map[string]any{"type": "teleport"}}}}}}), status: 422, check: invalidAttrs},
		{name: "form field of unknown type", req: post(map[string]any{"content": "f", "content_type": "form",
			"content_attributes": map[string]any{"items": []any{map[string]any{"name": "n", "type": "slider"}}}}), status: 422, check: invalidAttrs},
		{name: "form field without a name", req: post(map[string]any{"content": "f", "content_type": "form",
			"content_attributes": map[string]any{"items": []any{map[string]any{"type": "text"}}}}), status: 422, check: invalidAttrs},
		{name: "link action without a uri", req: post(map[string]any{"content": "c", "content_type": "cards",
			"content_attributes": map[string]any{"items": []any{map[string]any{"title": "Card", "actions": []any{map[string]any{"type": "link", "text": "Open"}}}}}}),
			status: 422, check: invalidAttrs, contains: []string{"link action without a uri"}},
		{name: "select field without options", req: post(map[string]any{"content": "f", "content_type": "form",
			"content_attributes": map[string]any{"items": []any{map[string]any{"name": "s", "type": "select", "label": "S"}}}}),
			status: 422, check: invalidAttrs, contains: []string{"select field without options"}},
		{name: "input_csat with items", req: post(map[string]any{"content": "Rate us", "content_type": "input_csat",
			"content_attributes": map[string]any{"items": []any{map[string]any{"title": "A"}}}}), status: 422, check: invalidAttrs, contains: []string{"takes no items"}},
		{name: "content_attributes a string that is no object", req: post(`{"content":"x","content_attributes":"str"}`), status: 400,
			contains: []string{`Field content_attributes must be an object, not string`}},
		{name: "snoozed_until before 1970", req: request{Method: "POST", Path: b.acc("/conversations/%d/toggle_status", conv), Token: b.admin,
			Body: `{"status":"snoozed","snoozed_until":-5}`}, status: 422, contains: []string{`Field snoozed_until is out of range: -5 is not a unix time`}},
		{name: "unknown conversation", req: request{Method: "POST", Path: b.acc("/conversations/999/messages"), Token: b.admin, Body: map[string]any{"content": "x"}}, status: 404},
		{name: "labels a string", req: request{Method: "POST", Path: b.acc("/conversations/%d/labels", conv), Token: b.admin, Body: `{"labels":"x"}`},
			status: 400, contains: []string{`"Field labels must be an array, not string"`}},
		{name: "custom_attributes a list", req: request{Method: "POST", Path: b.acc("/conversations/%d/custom_attributes", conv), Token: b.admin, Body: `{"custom_attributes":[1]}`},
			status: 400},
		{name: "contact_id not a number", req: request{Method: "POST", Path: b.acc("/conversations"), Token: b.admin, Body: `{"contact_id":"abc","inbox_id":1}`},
			status: 400},
		{name: "snoozed_until not a time", req: request{Method: "POST", Path: b.acc("/conversations/%d/toggle_status", conv), Token: b.admin,
			Body: `{"status":"snoozed","snoozed_until":"soon"}`}, status: 400},
		// Numbers that are no time: NaN (as a string, JSON has no NaN) and
		// one too large for a float are out of range, as 1e20 is.
		{name: "snoozed_until NaN", req: request{Method: "POST", Path: b.acc("/conversations/%d/toggle_status", conv), Token: b.admin,
			Body: `{"status":"snoozed","snoozed_until":"NaN"}`}, status: 422, contains: []string{`Field snoozed_until is out of range: NaN is not a unix time`}},
		{name: "snoozed_until past a float", req: request{Method: "POST", Path: b.acc("/conversations/%d/toggle_status", conv), Token: b.admin,
			Body: `{"status":"snoozed","snoozed_until":1e400}`}, status: 422, contains: []string{`Field snoozed_until is out of range: 1e400 is not a unix time`}},
		{name: "unknown inbox", req: request{Method: "POST", Path: b.acc("/conversations"), Token: b.admin, Body: map[string]any{"inbox_id": 999, "contact_id": 1}}, status: 404},
		{name: "public message malformed", req: request{Method: "POST", Path: b.pub("/contacts/c/conversations/%d/messages", conv), Body: `{"content":`}, status: 400},
		{name: "public message content an array", req: request{Method: "POST", Path: b.pub("/contacts/c/conversations/%d/messages", conv), Body: `{"content":["x"]}`}, status: 400},
		{name: "public message too long", req: request{Method: "POST", Path: b.pub("/contacts/c/conversations/%d/messages", conv), Body: map[string]any{"content": long}}, status: 422},
		{name: "public message over 1 MiB", req: request{Method: "POST", Path: b.pub("/contacts/c/conversations/%d/messages", conv), Body: huge}, status: 413},
		{name: "public contact with a bad email", req: request{Method: "POST", Path: b.pub("/contacts"), Body: map[string]any{"email": "nope"}}, status: 422,
			contains: []string{`"attributes":["email"]`}},
		{name: "public contact with an object for a name", req: request{Method: "POST", Path: b.pub("/contacts"), Body: `{"name":{"first":"x"}}`}, status: 400},
		{name: "unknown route", req: request{Method: "POST", Path: "/api/v1/nothing", Token: b.admin}, status: 404, contains: []string{`"Resource could not be found"`}},
	}
	contactsBefore := b.must(request{Method: "GET", Path: b.acc("/contacts"), Token: b.admin}).Object(t)["meta"]
	for _, sc := range scenarios {
		before := len(b.messages(conv))
		b.run([]scenario{sc})
		if after := len(b.messages(conv)); after != before {
			t.Errorf("%s: %d messages after the failed write, %d before", sc.name, after, before)
		}
	}
	c := b.must(request{Method: "GET", Path: b.acc("/conversations/%d", conv), Token: b.admin}).Object(t)
	if labels := c["labels"].([]any); len(labels) != 0 || c["status"] != "open" || len(c["custom_attributes"].(map[string]any)) != 0 {
		t.Errorf("the failed writes changed the conversation: %v", c)
	}
	if after := b.must(request{Method: "GET", Path: b.acc("/contacts"), Token: b.admin}).Object(t)["meta"]; !jsonEqual(after, contactsBefore) {
		t.Errorf("contacts meta %v after the failed writes, %v before", after, contactsBefore)
	}
	// Forms: curl -d sends JSON as a form, and a real form works too.
	for _, body := range []string{`{"content":"from curl"}`, "content=from+a+form&private=false"} {
		req, _ := http.NewRequest("POST", b.URL+msgs, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("api_access_token", b.admin)
		if r := b.send(req); r.Status != http.StatusOK || !bytes.Contains(r.Body, []byte(`"content":"from `)) {
			t.Errorf("form body %q: status %d %s", body, r.Status, r.Body)
		}
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}
