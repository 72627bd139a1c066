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

	bad := b.do(request{Method: "POST", Path: "/auth/sign_in", Body: map[string]any{"email": email, "password": "wrong-password"}})
	if bad.Status != http.StatusUnauthorized || bad.Header.Get("access-token") != "" {
		t.Fatalf("wrong password: %d %s", bad.Status, bad.Body)
	}
	var e struct {
		Success bool     `json:"success"`
		Errors  []string `json:"errors"`
	}
	if err := json.Unmarshal(bad.Body, &e); err != nil || e.Success || len(e.Errors) != 1 {
		t.Errorf("wrong password body %s, want devise's", bad.Body)
	}

	in := b.do(request{Method: "POST", Path: "/auth/sign_in", Body: map[string]any{"email": email, "password": "password123"}})
	if in.Status != http.StatusOK {
		t.Fatalf("sign in: %d %s", in.Status, in.Body)
	}
	data := in.Object(t)["data"].(map[string]any)
	if data["email"] != email || data["access_token"] != b.agent || data["uid"] != email {
		t.Errorf("sign-in user %v", data)
	}
	h := map[string]string{"access-token": in.Header.Get("access-token"), "client": in.Header.Get("client"),
		"uid": in.Header.Get("uid"), "token-type": "Bearer", "expiry": in.Header.Get("expiry")}
	if h["access-token"] == "" || h["client"] == "" || h["uid"] != email || in.Header.Get("token-type") != "Bearer" || h["expiry"] == "" {
		t.Fatalf("sign-in headers %v", in.Header)
	}
	raw, err := base64.StdEncoding.DecodeString(in.Header.Get("authorization")[len("Bearer "):])
	var authz map[string]string
	if err != nil || json.Unmarshal(raw, &authz) != nil || authz["access-token"] != h["access-token"] || authz["client"] != h["client"] {
		t.Errorf("authorization header %q", in.Header.Get("authorization"))
	}

	v := b.do(request{Method: "GET", Path: "/auth/validate_token", Header: h})
	if v.Status != http.StatusOK {
		t.Fatalf("validate_token: %d %s", v.Status, v.Body)
	}
	p := v.Object(t)["payload"].(map[string]any)
	if p["success"] != true || p["data"].(map[string]any)["email"] != email || p["data"].(map[string]any)["created_at"] == nil {
		t.Errorf("validate_token payload %v", p)
	}
	// The devise headers work on the Application API as a token does.
	if r := b.do(request{Method: "GET", Path: b.acc("/conversations"), Header: h}); r.Status != http.StatusOK {
		t.Errorf("conversations with devise headers: %d %s", r.Status, r.Body)
	}
	// Another client id or uid is refused.
	wrong := map[string]string{"access-token": h["access-token"], "client": "other", "uid": email}
	if r := b.do(request{Method: "GET", Path: "/auth/validate_token", Header: wrong}); r.Status != http.StatusUnauthorized {
		t.Errorf("validate_token with another client: %d", r.Status)
	}
	if r := b.do(request{Method: "GET", Path: b.acc("/conversations"), Header: wrong}); r.Status != http.StatusUnauthorized {
		t.Errorf("API with another client: %d", r.Status)
	}

	if r := b.do(request{Method: "DELETE", Path: "/auth/sign_out", Header: h}); r.Status != http.StatusOK {
		t.Fatalf("sign_out: %d %s", r.Status, r.Body)
	}
	if r := b.do(request{Method: "GET", Path: "/auth/validate_token", Header: h}); r.Status != http.StatusUnauthorized {
		t.Errorf("validate_token after sign-out: %d", r.Status)
	}
	if r := b.do(request{Method: "DELETE", Path: "/auth/sign_out", Header: h}); r.Status != http.StatusNotFound {
		t.Errorf("second sign_out: %d, want 404", r.Status)
	}
}
