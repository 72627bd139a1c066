package chatwoot_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
)

func TestDeviseTokenAuth(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	email := fmt.Sprintf("alan%d@acme.test", b.account)

	bad := b.do(request{method: "POST", path: "/auth/sign_in", body: map[string]any{"email": email, "password": "wrong-password"}})
	if bad.status != http.StatusUnauthorized || bad.header.Get("access-token") != "" {
		t.Fatalf("wrong password: %d %s", bad.status, bad.body)
	}
	var e struct {
		Success bool     `json:"success"`
		Errors  []string `json:"errors"`
	}
	if err := json.Unmarshal(bad.body, &e); err != nil || e.Success || len(e.Errors) != 1 {
		t.Errorf("wrong password body %s, want devise's", bad.body)
	}

	in := b.do(request{method: "POST", path: "/auth/sign_in", body: map[string]any{"email": email, "password": "password123"}})
	if in.status != http.StatusOK {
		t.Fatalf("sign in: %d %s", in.status, in.body)
	}
	data := in.object(t)["data"].(map[string]any)
	if data["email"] != email || data["access_token"] != b.agent || data["uid"] != email {
		t.Errorf("sign-in user %v", data)
	}
	h := map[string]string{"access-token": in.header.Get("access-token"), "client": in.header.Get("client"),
		"uid": in.header.Get("uid"), "token-type": "Bearer", "expiry": in.header.Get("expiry")}
	if h["access-token"] == "" || h["client"] == "" || h["uid"] != email || in.header.Get("token-type") != "Bearer" || h["expiry"] == "" {
		t.Fatalf("sign-in headers %v", in.header)
	}
	raw, err := base64.StdEncoding.DecodeString(in.header.Get("authorization")[len("Bearer "):])
	var authz map[string]string
	if err != nil || json.Unmarshal(raw, &authz) != nil || authz["access-token"] != h["access-token"] || authz["client"] != h["client"] {
		t.Errorf("authorization header %q", in.header.Get("authorization"))
	}

	v := b.do(request{method: "GET", path: "/auth/validate_token", header: h})
	if v.status != http.StatusOK {
		t.Fatalf("validate_token: %d %s", v.status, v.body)
	}
	p := v.object(t)["payload"].(map[string]any)
	if p["success"] != true || p["data"].(map[string]any)["email"] != email || p["data"].(map[string]any)["created_at"] == nil {
		t.Errorf("validate_token payload %v", p)
	}
	// The devise headers work on the Application API as a token does.
	if r := b.do(request{method: "GET", path: b.acc("/conversations"), header: h}); r.status != http.StatusOK {
		t.Errorf("conversations with devise headers: %d %s", r.status, r.body)
	}
	// Another client id or uid is refused.
	wrong := map[string]string{"access-token": h["access-token"], "client": "other", "uid": email}
	if r := b.do(request{method: "GET", path: "/auth/validate_token", header: wrong}); r.status != http.StatusUnauthorized {
		t.Errorf("validate_token with another client: %d", r.status)
	}
	if r := b.do(request{method: "GET", path: b.acc("/conversations"), header: wrong}); r.status != http.StatusUnauthorized {
		t.Errorf("API with another client: %d", r.status)
	}

	if r := b.do(request{method: "DELETE", path: "/auth/sign_out", header: h}); r.status != http.StatusOK {
		t.Fatalf("sign_out: %d %s", r.status, r.body)
	}
	if r := b.do(request{method: "GET", path: "/auth/validate_token", header: h}); r.status != http.StatusUnauthorized {
		t.Errorf("validate_token after sign-out: %d", r.status)
	}
	if r := b.do(request{method: "DELETE", path: "/auth/sign_out", header: h}); r.status != http.StatusNotFound {
		t.Errorf("second sign_out: %d, want 404", r.status)
	}
}
