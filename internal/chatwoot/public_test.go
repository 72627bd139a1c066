package chatwoot_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

func TestPublicAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		b := setup(t, s)
		contact := b.must(request{Method: "POST", Path: b.pub("/contacts"),
			Body: map[string]any{"source_id": "visitor-1", "name": "Vee", "email": "vee@example.test"}}).Object(t)
		if contact["source_id"] != "visitor-1" || contact["name"] != "Vee" || len(contact["pubsub_token"].(string)) != 24 {
			t.Fatalf("public contact %v", contact)
		}
		anon := b.must(request{Method: "POST", Path: b.pub("/contacts")}).Object(t)
		if src, _ := anon["source_id"].(string); !uuidPattern.MatchString(src) || anon["name"] == "" {
			t.Errorf("anonymous contact %v: want a UUID source id and a made-up name", anon)
		}
		const cs = "/contacts/visitor-1/conversations"
		b.run([]scenario{
			{name: "inbox", req: request{Method: "GET", Path: b.pub("")}, status: 200,
				contains: []string{`"identifier":"` + b.api.Identifier + `"`, `"name":"API"`, `"identity_validation_enabled":false`}},
			{name: "unknown inbox", req: request{Method: "GET", Path: "/public/api/v1/inboxes/nope"}, status: 404},
			{name: "show contact", req: request{Method: "GET", Path: b.pub("/contacts/visitor-1")}, status: 200, contains: []string{`"email":"vee@example.test"`}},
			{name: "update contact", req: request{Method: "PATCH", Path: b.pub("/contacts/visitor-1"), Body: map[string]any{"name": "Vera", "blocked": true}},
				status: 200, contains: []string{`"name":"Vera"`}},
			{name: "a customer cannot block themselves", req: request{Method: "GET", Path: b.acc("/contacts/%d", num(t, contact, "id")), Token: b.admin},
				status: 200, contains: []string{`"blocked":false`, `"name":"Vera"`}},
			{name: "unknown contact", req: request{Method: "GET", Path: b.pub("/contacts/nobody")}, status: 404},
			{name: "duplicate source id", req: request{Method: "POST", Path: b.pub("/contacts"), Body: map[string]any{"source_id": "visitor-1"}},
				status: 422, contains: []string{`"source_id should be unique"`}},
			{name: "a source id no path could name", req: request{Method: "POST", Path: b.pub("/contacts"), Body: map[string]any{"source_id": "order//42"}},
				status: 422, contains: []string{`Source id may not contain / or be . or ..`}},
			{name: "a dot segment for a source id", req: request{Method: "POST", Path: b.pub("/contacts"), Body: map[string]any{"source_id": ".."}},
				status: 422, contains: []string{`Source id may not contain / or be . or ..`}},
			{name: "no conversations yet", req: request{Method: "GET", Path: b.pub(cs)}, status: 200, contains: []string{`[]`}},
			{name: "create conversation", req: request{Method: "POST", Path: b.pub(cs), Body: map[string]any{"custom_attributes": map[string]any{"plan": "free"}}},
				status: 200, contains: []string{`"id":1`, `"status":"open"`, `"messages":[]`, `"name":"Vera"`}},
			{name: "custom attributes reach the agents", req: request{Method: "GET", Path: b.acc("/conversations/1"), Token: b.admin}, status: 200,
				contains: []string{`"custom_attributes":{"plan":"free"}`}},
			{name: "send message", req: request{Method: "POST", Path: b.pub(cs + "/1/messages"), Body: map[string]any{"content": "hello", "echo_id": "e1"}},
				status: 200, check: func(t testing.TB, r *response) { golden(t.(*testing.T), "public_message", r.Body) }},
			{name: "list messages", req: request{Method: "GET", Path: b.pub(cs + "/1/messages")}, status: 200,
				check: func(t testing.TB, r *response) {
					list := r.Array(t)
					if len(list) != 1 || list[0].(map[string]any)["content"] != "hello" || list[0].(map[string]any)["message_type"] != float64(0) {
						t.Errorf("messages %v", list)
					}
				}},
			{name: "list conversations", req: request{Method: "GET", Path: b.pub(cs)}, status: 200,
				check: func(t testing.TB, r *response) {
					list := r.Array(t)
					if len(list) != 1 || num(t, list[0], "id") != 1 || len(list[0].(map[string]any)["messages"].([]any)) != 1 {
						t.Errorf("conversations %v", list)
					}
				}},
			{name: "typing", req: request{Method: "POST", Path: b.pub(cs + "/1/toggle_typing"), Body: map[string]any{"typing_status": "on"}}, status: 200},
			{name: "bad typing", req: request{Method: "POST", Path: b.pub(cs + "/1/toggle_typing"), Body: map[string]any{"typing_status": "maybe"}}, status: 422},
			{name: "last seen", req: request{Method: "POST", Path: b.pub(cs + "/1/update_last_seen")}, status: 200},
			{name: "last seen shows", req: request{Method: "GET", Path: b.pub(cs + "/1")}, status: 200,
				check: func(t testing.TB, r *response) {
					if num(t, r.Object(t), "contact_last_seen_at") == 0 {
						t.Errorf("contact_last_seen_at not set: %s", r.Body)
					}
				}},
			{name: "resolve", req: request{Method: "POST", Path: b.pub(cs + "/1/toggle_status")}, status: 200, contains: []string{`"status":"resolved"`}},
			{name: "resolve again is a no-op", req: request{Method: "POST", Path: b.pub(cs + "/1/toggle_status")}, status: 200, contains: []string{`"status":"resolved"`}},
			{name: "another contact's conversation", req: request{Method: "GET", Path: b.pub("/contacts/%s/conversations/1", anon["source_id"])}, status: 404},
			{name: "another contact's message", req: request{Method: "POST", Path: b.pub("/contacts/%s/conversations/1/messages", anon["source_id"]),
				Body: map[string]any{"content": "sneaky"}}, status: 404},
			{name: "unknown conversation", req: request{Method: "GET", Path: b.pub(cs + "/7")}, status: 404},
		})
		if got := b.activities(1); len(got) != 1 || got[0] != "Conversation was resolved by Vera" {
			t.Errorf("activities %q, want one resolution by the contact", got)
		}
		// An incoming message reopens the resolved conversation.
		b.say("visitor-1", 1, "back again")
		if c := b.must(request{Method: "GET", Path: b.pub(cs + "/1")}).Object(t); c["status"] != "open" {
			t.Errorf("after the customer wrote, the conversation is %v", c["status"])
		}
	})
}

func TestPublicIdentityValidation(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	inbox := b.must(request{Method: "PATCH", Path: b.acc("/inboxes/%d", b.api.ID), Token: b.admin,
		Body: map[string]any{"channel": map[string]any{"hmac_mandatory": true}}}).Object(t)
	key := inbox["hmac_token"].(string)
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte("user-42"))
	hash := hex.EncodeToString(mac.Sum(nil))
	wrong := hash[:63] + "0"
	if wrong == hash {
		wrong = hash[:63] + "1"
	}
	const failed = `{"error":"HMAC failed: Invalid Identifier Hash Provided"}`
	b.run([]scenario{
		{name: "inbox says so", req: request{Method: "GET", Path: b.pub("")}, status: 200, contains: []string{`"identity_validation_enabled":true`}},
		{name: "no hash", req: request{Method: "POST", Path: b.pub("/contacts"), Body: map[string]any{"source_id": "s1", "identifier": "user-42"}},
			status: 401, contains: []string{failed}},
		{name: "wrong hash", req: request{Method: "POST", Path: b.pub("/contacts"), Body: map[string]any{"source_id": "s1", "identifier": "user-42", "identifier_hash": wrong}},
			status: 401, contains: []string{failed}},
		{name: "hash of another identifier", req: request{Method: "POST", Path: b.pub("/contacts"), Body: map[string]any{"source_id": "s1", "identifier": "user-43", "identifier_hash": hash}},
			status: 401, contains: []string{failed}},
		{name: "nothing was made", req: request{Method: "GET", Path: b.acc("/contacts"), Token: b.admin}, status: 200, contains: []string{`"count":0`}},
		{name: "right hash", req: request{Method: "POST", Path: b.pub("/contacts"), Body: map[string]any{"source_id": "s1", "identifier": "user-42", "identifier_hash": hash, "name": "U"}},
			status: 200, contains: []string{`"source_id":"s1"`}},
		{name: "change identifier without a hash", req: request{Method: "PATCH", Path: b.pub("/contacts/s1"), Body: map[string]any{"identifier": "user-43"}},
			status: 401, contains: []string{failed}},
		{name: "identifier unchanged", req: request{Method: "GET", Path: b.acc("/contacts/search?q=U"), Token: b.admin}, status: 200,
			contains: []string{`"identifier":"user-42"`}},
		{name: "the same identity in another source", req: request{Method: "POST", Path: b.pub("/contacts"), Body: map[string]any{"source_id": "s2", "identifier": "user-42", "identifier_hash": hash}},
			status: 200},
		{name: "is the same contact", req: request{Method: "GET", Path: b.acc("/contacts"), Token: b.admin}, status: 200, contains: []string{`"count":1`}},
	})
	c := b.must(request{Method: "POST", Path: b.pub("/contacts/s1/conversations")}).Object(t)
	if shown := b.must(request{Method: "GET", Path: b.acc("/conversations/%d", num(t, c, "id")), Token: b.admin}).Object(t); shown["meta"].(map[string]any)["hmac_verified"] != true {
		t.Errorf("conversation of a verified contact: hmac_verified %v", shown["meta"].(map[string]any)["hmac_verified"])
	}
}

func TestPublicAnswer(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	conv := b.customer("c")
	q := b.must(request{Method: "POST", Path: b.acc("/conversations/%d/messages", conv), Token: b.admin, Body: map[string]any{
		"content": "Which hotel?", "content_type": "input_select",
		"content_attributes": map[string]any{"items": []any{map[string]any{"title": "Marriott", "value": "marriott"}, map[string]any{"title": "Hilton", "value": "hilton"}}}}}).Object(t)
	qid := num(t, q, "id")
	text := b.must(request{Method: "POST", Path: b.acc("/conversations/%d/messages", conv), Token: b.admin, Body: map[string]any{"content": "plain"}}).Object(t)
	path := b.pub("/contacts/c/conversations/%d/messages/%d", conv, qid)
	stored := func(want string) func(t testing.TB, r *response) {
		return func(t testing.TB, r *response) {
			msgs := b.messages(conv)
			attrs := msgs[0].(map[string]any)["content_attributes"].(map[string]any)
			got, _ := json.Marshal(attrs["submitted_values"])
			if string(got) != want {
				t.Errorf("stored submitted_values %s, want %s", got, want)
			}
		}
	}
	b.run([]scenario{
		{name: "not one of the options", req: request{Method: "PATCH", Path: path, Body: map[string]any{"submitted_values": []any{map[string]any{"title": "Ritz", "value": "ritz"}}}},
			status: 422, contains: []string{`"attributes":["submitted_values"]`}, check: stored("null")},
		{name: "not a list", req: request{Method: "PATCH", Path: path, Body: map[string]any{"submitted_values": "marriott"}},
			status: 422, check: stored("null")},
		{name: "valid answer", req: request{Method: "PATCH", Path: path, Body: map[string]any{"submitted_values": []any{map[string]any{"title": "Hilton", "value": "hilton"}}}},
			status: 200, contains: []string{`"submitted_values":[{"title":"Hilton","value":"hilton"}]`, `"content_type":"input_select"`},
			check: stored(`[{"title":"Hilton","value":"hilton"}]`)},
		{name: "an invalid change keeps the answer", req: request{Method: "PATCH", Path: path, Body: map[string]any{"submitted_values": []any{map[string]any{"value": "nope"}}}},
			status: 422, check: stored(`[{"title":"Hilton","value":"hilton"}]`)},
		{name: "a plain message is no question", req: request{Method: "PATCH", Path: b.pub("/contacts/c/conversations/%d/messages/%d", conv, num(t, text, "id")),
			Body: map[string]any{"submitted_values": []any{map[string]any{"value": "x"}}}}, status: 422},
		{name: "unknown message", req: request{Method: "PATCH", Path: b.pub("/contacts/c/conversations/%d/messages/999", conv),
			Body: map[string]any{"submitted_values": []any{}}}, status: 404},
		{name: "malformed", req: request{Method: "PATCH", Path: path, Body: `{"submitted_values": [`}, status: 400},
	})
}

// publicFuzz sends arbitrary bodies to one public endpoint: whatever
// arrives, the answer is never a 500 and always JSON.
func publicFuzz(f *testing.F, method string, path func(b *bundle, conv, message int64) string, seeds ...string) {
	for _, seed := range append(seeds, `[]`, `null`, `"x"`, `{}{}`, `{"a":`, ``, `{"source_id":{"x":1}}`) {
		f.Add([]byte(seed))
	}
	b := setup(f, nil)
	conv := b.customer("c")
	q := b.must(request{Method: "POST", Path: b.acc("/conversations/%d/messages", conv), Token: b.admin, Body: map[string]any{
		"content": "Pick", "content_type": "input_select",
		"content_attributes": map[string]any{"items": []any{map[string]any{"title": "A", "value": "a"}, map[string]any{"title": "B", "value": 2}}}}}).Object(f)
	target := path(b, conv, num(f, q, "id"))
	f.Fuzz(func(t *testing.T, body []byte) {
		bb := b.with(t)
		r := bb.do(request{Method: method, Path: target, Body: body})
		if r.Status >= 500 || !json.Valid(r.Body) {
			t.Fatalf("body %q: status %d, body %s", body, r.Status, r.Body)
		}
	})
}

func FuzzPublicCreateContact(f *testing.F) {
	publicFuzz(f, "POST", func(b *bundle, _, _ int64) string { return b.pub("/contacts") },
		`{"source_id":"s","name":"N","email":"n@x.test","phone_number":"+15550001111"}`,
		`{"identifier":"id","identifier_hash":"00","custom_attributes":"{\"a\":1}"}`,
		`{"email":"bad","blocked":"maybe","inbox_id":"x"}`)
}

func FuzzPublicCreateMessage(f *testing.F) {
	publicFuzz(f, "POST", func(b *bundle, conv, _ int64) string { return b.pub("/contacts/c/conversations/%d/messages", conv) },
		`{"content":"hi","echo_id":"e"}`, `{"content":""}`, `{"content":7}`)
}

func FuzzPublicAnswer(f *testing.F) {
	publicFuzz(f, "PATCH", func(b *bundle, conv, message int64) string {
		return b.pub("/contacts/c/conversations/%d/messages/%d", conv, message)
	},
		`{"submitted_values":[{"title":"A","value":"a"}]}`, `{"submitted_values":[{"value":2}]}`,
		`{"submitted_values":[{"title":"A"}]}`, `{"submitted_values":[null,1,"x"]}`,
		`{"submitted_values":{"csat_survey_response":{"rating":5}}}`, `{"submitted_email":"a@b.test"}`)
}

// TestPublicPathValues checks odd path values: ids that are not numbers
// name nothing.
func TestPublicPathValues(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	b.customer("c")
	for _, path := range []string{b.pub("/contacts/c/conversations/x"), b.pub("/contacts/c/conversations/-1/messages"),
		b.pub("/contacts/c/conversations/1/messages/abc")} {
		if r := b.do(request{Method: "GET", Path: path}); r.Status != http.StatusNotFound || !json.Valid(r.Body) {
			t.Errorf("GET %s: status %d, want 404 with JSON\n%s", path, r.Status, r.Body)
		}
	}
	// A NUL character is refused before any route is looked for.
	path := fmt.Sprintf("/public/api/v1/inboxes/%s/contacts/c", "%00")
	if r := b.do(request{Method: "GET", Path: path}); r.Status != http.StatusBadRequest || !json.Valid(r.Body) {
		t.Errorf("GET %s: status %d, want 400 with JSON\n%s", path, r.Status, r.Body)
	}
}

// TestPublicContactEmailTaken: creating or updating a public contact
// answers the same whether or not another customer has the e-mail, so the
// public API tells nobody who the customers are; the e-mail stays the
// other customer's.
func TestPublicContactEmailTaken(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		b := setup(t, s)
		b.must(request{Method: "POST", Path: b.acc("/contacts"), Token: b.admin,
			Body: map[string]any{"name": "Known", "email": "known@example.test"}})
		for _, email := range []string{"known@example.test", "fresh@example.test"} {
			src := strings.Split(email, "@")[0]
			v := b.must(request{Method: "POST", Path: b.pub("/contacts"),
				Body: map[string]any{"source_id": src, "email": email}}).Object(t)
			if v["email"] != email {
				t.Errorf("create with %s answers email %v, want it as sent", email, v["email"])
			}
			// Every later answer about the contact agrees.
			seen := func(want, when string) {
				t.Helper()
				if v := b.must(request{Method: "GET", Path: b.pub("/contacts/%s", src)}).Object(t); v["email"] != want {
					t.Errorf("%s: GET of %s shows email %v, want %s", when, src, v["email"], want)
				}
				conv := b.must(request{Method: "POST", Path: b.pub("/contacts/%s/conversations", src)}).Object(t)
				k := conv["contact"].(map[string]any)
				if k["email"] != want || len(k["additional_attributes"].(map[string]any)) != 0 {
					t.Errorf("%s: a conversation of %s shows the contact %v, want email %s and no attributes", when, src, k, want)
				}
			}
			seen(email, "after create")
			v = b.must(request{Method: "PATCH", Path: b.pub("/contacts/%s", src), Body: map[string]any{"email": "known@example.test"}}).Object(t)
			if v["email"] != "known@example.test" {
				t.Errorf("update of %s to a taken e-mail answers email %v, want it as sent", src, v["email"])
			}
			seen("known@example.test", "after update")
			own := "own-" + src + "@other.test"
			b.must(request{Method: "PATCH", Path: b.pub("/contacts/%s", src), Body: map[string]any{"email": own}})
			seen(own, "after update to a free e-mail")
		}
		r := b.must(request{Method: "GET", Path: b.acc("/contacts/search?q=known@example.test"), Token: b.admin}).Object(t)
		if n := len(r["payload"].([]any)); n != 1 {
			t.Errorf("%d contacts have the known e-mail, want the one that had it", n)
		}
	})
}

// TestPublicConversationsPaged: a public contact's conversations come a
// page of 20 at a time, each with its latest 20 messages, however many the
// contact has: one unauthenticated answer is bounded.
func TestPublicConversationsPaged(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		b := setup(t, s)
		first := b.customer("c")
		for i := range 25 {
			b.say("c", first, fmt.Sprintf("message %d", i))
		}
		for range 21 {
			b.must(request{Method: "POST", Path: b.pub("/contacts/c/conversations")})
		}
		page := func(n int) []any {
			t.Helper()
			return b.must(request{Method: "GET", Path: b.pub("/contacts/c/conversations?page=%d", n)}).Array(t)
		}
		p1, p2 := page(1), page(2)
		if len(p1) != 20 || len(p2) != 2 {
			t.Fatalf("pages of %d and %d conversations, want 20 and 2", len(p1), len(p2))
		}
		seen := map[float64]bool{}
		for _, c := range append(p1, p2...) {
			c := c.(map[string]any)
			seen[c["id"].(float64)] = true
			if ms := c["messages"].([]any); len(ms) > 20 {
				t.Errorf("conversation %v comes with %d messages, want at most 20", c["id"], len(ms))
			}
		}
		if len(seen) != 22 {
			t.Errorf("the two pages hold %d distinct conversations, want 22", len(seen))
		}
	})
}
