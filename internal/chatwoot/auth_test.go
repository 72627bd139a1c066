package chatwoot_test

import (
	"encoding/json"
	"net/http"
	"testing"
)

func TestAuthentication(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	const invalid = `{"error":"Invalid Access Token"}`
	b.run([]scenario{
		{name: "api_access_token", req: request{Method: "GET", Path: "/api/v1/profile", Header: map[string]string{"api_access_token": b.admin}},
			status: 200, contains: []string{`"email":"ada1@acme.test"`}},
		{name: "Api-Access-Token", req: request{Method: "GET", Path: "/api/v1/profile", Header: map[string]string{"Api-Access-Token": b.agent}},
			status: 200, contains: []string{`"email":"alan1@acme.test"`, `"role":"agent"`}},
		{name: "bearer", req: request{Method: "GET", Path: "/api/v1/profile", Header: map[string]string{"Authorization": "Bearer " + b.admin}},
			status: 200, contains: []string{`"role":"administrator"`, `"access_token":"` + b.admin + `"`}},
		{name: "lower-case bearer", req: request{Method: "GET", Path: b.acc("/inboxes"), Header: map[string]string{"Authorization": "bearer " + b.admin}},
			status: 200, contains: []string{`"name":"API"`}},
		{name: "missing token", req: request{Method: "GET", Path: "/api/v1/profile"}, status: 401, contains: []string{invalid}},
		{name: "unknown token", req: request{Method: "GET", Path: b.acc("/conversations"), Token: "nonsense0000000000000000"},
			status: 401, contains: []string{invalid}},
		{name: "basic auth is no token", req: request{Method: "GET", Path: "/api/v1/profile", Header: map[string]string{"Authorization": "Basic " + b.admin}},
			status: 401, contains: []string{invalid}},
		{name: "token in the query is ignored", req: request{Method: "GET", Path: "/api/v1/profile?api_access_token=" + b.admin},
			status: 401, contains: []string{invalid}},
		{name: "platform token on the application API", req: request{Method: "GET", Path: b.acc("/inboxes"), Token: b.Platform},
			status: 401},
		{name: "user token on the platform API", req: request{Method: "GET", Path: "/platform/api/v1/accounts/1", Token: b.admin},
			status: 401, contains: []string{`{"error":"Invalid access_token"}`}},
		{name: "no token on the platform API", req: request{Method: "POST", Path: "/platform/api/v1/users", Body: map[string]any{"name": "x"}},
			status: 401, contains: []string{`{"error":"Invalid access_token"}`}},
	})
}

func TestProfile(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	p := b.must(request{Method: "GET", Path: "/api/v1/profile", Token: b.admin}).Object(t)
	if num(t, p, "id") != b.adminID || num(t, p, "account_id") != b.account {
		t.Errorf("profile id %v account %v, want %d and %d", p["id"], p["account_id"], b.adminID, b.account)
	}
	accounts := p["accounts"].([]any)
	if len(accounts) != 1 || accounts[0].(map[string]any)["name"] != "Acme" {
		t.Errorf("accounts %v, want Acme alone", accounts)
	}
	if r := b.do(request{Method: "DELETE", Path: "/api/v1/profile", Token: b.admin}); r.Status != http.StatusNotFound || !json.Valid(r.Body) {
		t.Errorf("DELETE profile: status %d %s, want 404 with a JSON body", r.Status, r.Body)
	}
}
