package chatwoot_test

import (
	"fmt"
	"strings"
	"testing"
)

func TestCannedResponses(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	created := b.must(request{Method: "POST", Path: b.acc("/canned_responses"), Token: b.admin,
		Body: map[string]any{"canned_response": map[string]any{"short_code": "refund", "content": "Your refund is on its way."}}})
	golden(t, "canned_response_create", created.Body)
	refund := num(t, created.Object(t), "id")
	if at, _ := created.Object(t)["created_at"].(string); !strings.HasPrefix(at, "2030-01-02T03:04:") || !strings.HasSuffix(at, "Z") {
		t.Errorf("created_at %q, want an ISO 8601 time in UTC as Rails renders it", at)
	}
	// An agent may make one too, at the top level, as Chatwoot's wrapped
	// parameters allow.
	hello := num(t, b.must(request{Method: "POST", Path: b.acc("/canned_responses"), Token: b.agent,
		Body: map[string]any{"short_code": "hello", "content": "Hello! How can I help with your refund?"}}).Object(t), "id")
	bot := b.must(request{Method: "POST", Path: b.acc("/agent_bots"), Token: b.admin, Body: map[string]any{"name": "Bot"}}).Object(t)
	botToken, _ := bot["access_token"].(string)
	if botToken == "" {
		t.Fatalf("bot %v has no access_token", bot)
	}
	o := b.otherAccount("Globex")
	long := strings.Repeat("x", 65)

	codes := func(want ...string) func(testing.TB, *response) {
		return func(t testing.TB, r *response) {
			var got []string
			for _, v := range r.Array(t) {
				got = append(got, v.(map[string]any)["short_code"].(string))
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("short codes %v, want %v", got, want)
			}
		}
	}
	otherPath := fmt.Sprintf("/api/v1/accounts/%d/canned_responses/%d", o.account, refund)
	path := func(id int64) string { return b.acc("/canned_responses/%d", id) }
	b.run([]scenario{
		{name: "list as agent", req: request{Method: "GET", Path: b.acc("/canned_responses"), Token: b.agent}, status: 200,
			check: codes("hello", "refund")},
		{name: "search matches short code first, then content", req: request{Method: "GET", Path: b.acc("/canned_responses?search=REF"), Token: b.agent},
			status: 200, check: codes("refund", "hello")},
		{name: "search by content only", req: request{Method: "GET", Path: b.acc("/canned_responses?search=help"), Token: b.agent},
			status: 200, check: codes("hello")},
		{name: "search matching nothing", req: request{Method: "GET", Path: b.acc("/canned_responses?search=zzz"), Token: b.agent},
			status: 200, contains: []string{`[]`}},
		{name: "taken short code", req: request{Method: "POST", Path: b.acc("/canned_responses"), Token: b.admin,
			Body: map[string]any{"short_code": "refund", "content": "Again"}}, status: 422,
			contains: []string{`"message":"Short code has already been taken"`}},
		{name: "no short code", req: request{Method: "POST", Path: b.acc("/canned_responses"), Token: b.admin,
			Body: map[string]any{"content": "Text"}}, status: 422, contains: []string{`"Short code can't be blank"`, `"attributes":["short_code"]`}},
		{name: "blank content", req: request{Method: "POST", Path: b.acc("/canned_responses"), Token: b.admin,
			Body: map[string]any{"short_code": "x", "content": "  "}}, status: 422, contains: []string{`"Content can't be blank"`}},
		{name: "short code too long", req: request{Method: "POST", Path: b.acc("/canned_responses"), Token: b.admin,
			Body: map[string]any{"short_code": long, "content": "x"}}, status: 422,
			contains: []string{`"Short code is too long (maximum is 64 characters)"`}},
		{name: "content too long", req: request{Method: "POST", Path: b.acc("/canned_responses"), Token: b.admin,
			Body: map[string]any{"short_code": "big", "content": strings.Repeat("x", 10001)}}, status: 422,
			contains: []string{`"Content is too long (maximum is 10000 characters)"`}},
		{name: "update by an agent", req: request{Method: "PATCH", Path: path(refund), Token: b.agent,
			Body: map[string]any{"canned_response": map[string]any{"content": "Refunded."}}}, status: 200,
			contains: []string{`"short_code":"refund"`, `"content":"Refunded."`}},
		{name: "update with PUT", req: request{Method: "PUT", Path: path(refund), Token: b.admin,
			Body: map[string]any{"short_code": "refunded"}}, status: 200,
			contains: []string{`"short_code":"refunded"`, `"content":"Refunded."`}},
		{name: "update to a taken short code", req: request{Method: "PATCH", Path: path(refund), Token: b.admin,
			Body: map[string]any{"short_code": "hello"}}, status: 422, contains: []string{`"Short code has already been taken"`}},
		{name: "update to a blank short code", req: request{Method: "PATCH", Path: path(refund), Token: b.admin,
			Body: map[string]any{"short_code": ""}}, status: 422, contains: []string{`"Short code can't be blank"`}},
		{name: "a member of another account is refused", req: request{Method: "PATCH", Path: path(refund), Token: o.token, Body: map[string]any{"content": "x"}},
			status: 401},
		{name: "not found through another account's path", req: request{Method: "PATCH",
			Path: otherPath, Token: o.token,
			Body: map[string]any{"content": "x"}}, status: 404},
		{name: "deleted through another account's path", req: request{Method: "DELETE",
			Path: otherPath, Token: o.token}, status: 404},
		{name: "another account lists only its own", req: request{Method: "GET", Path: fmt.Sprintf("/api/v1/accounts/%d/canned_responses", o.account), Token: o.token},
			status: 200, contains: []string{`[]`}},
		{name: "bot may not list", req: request{Method: "GET", Path: b.acc("/canned_responses"), Token: botToken}, status: 401,
			contains: []string{`"Access to this endpoint is not authorized for bots"`}},
		{name: "bot may not create", req: request{Method: "POST", Path: b.acc("/canned_responses"), Token: botToken,
			Body: map[string]any{"short_code": "bot", "content": "x"}}, status: 401},
		{name: "without a token", req: request{Method: "GET", Path: b.acc("/canned_responses")}, status: 401},
		{name: "delete by an agent", req: request{Method: "DELETE", Path: path(hello), Token: b.agent}, status: 200},
		{name: "deleted twice", req: request{Method: "DELETE", Path: path(hello), Token: b.agent}, status: 404},
		{name: "update of a deleted one", req: request{Method: "PATCH", Path: path(hello), Token: b.admin, Body: map[string]any{"content": "x"}},
			status: 404},
		{name: "list after", req: request{Method: "GET", Path: b.acc("/canned_responses"), Token: b.admin}, status: 200,
			check: codes("refunded")},
	})
}
