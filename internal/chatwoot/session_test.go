package chatwoot_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
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

// TestProfileUpdate: PUT /api/v1/profile changes the caller's own name,
// display name, e-mail and password, as Chatwoot's does, and answers with
// the profile. A new password or e-mail needs the current password; a new
// password must match its confirmation, ends the user's other sessions but
// keeps the device that made the change and the access token; wrong
// current passwords are limited as failed sign-ins are. Bots are refused.
func TestProfileUpdate(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	email := fmt.Sprintf("alan%d@acme.test", b.account)
	signIn := func(email, password string) map[string]string {
		t.Helper()
		in := b.do(request{Method: "POST", Path: "/auth/sign_in", Body: map[string]any{"email": email, "password": password}})
		if in.Status != http.StatusOK {
			return nil
		}
		return map[string]string{"access-token": in.Header.Get("access-token"), "client": in.Header.Get("client"), "uid": in.Header.Get("uid")}
	}
	phone, laptop := signIn(email, "password123"), signIn(email, "password123")
	if phone == nil || laptop == nil {
		t.Fatal("no sign-in")
	}

	p := b.must(request{Method: "PUT", Path: "/api/v1/profile", Token: b.agent,
		Body: map[string]any{"profile": map[string]any{"name": "Alan Turing", "display_name": "Alan T."}}}).Object(t)
	if p["name"] != "Alan Turing" || p["display_name"] != "Alan T." || p["available_name"] != "Alan T." || p["email"] != email {
		t.Errorf("the profile after a new name: %v", p)
	}

	refused := []struct {
		name    string
		profile map[string]any
		want    string
	}{
		{"a new password without the current one", map[string]any{"password": "new-password-1"}, "Current password is needed"},
		{"a new e-mail without the current password", map[string]any{"email": "turing@acme.test"}, "Current password is needed"},
		{"a wrong current password", map[string]any{"current_password": "nope-nope", "password": "new-password-1"}, "Invalid current password"},
		{"a confirmation that differs", map[string]any{"current_password": "password123", "password": "new-password-1",
			"password_confirmation": "new-password-2"}, "doesn't match"},
		{"a short password", map[string]any{"current_password": "password123", "password": "short"}, "too short (minimum is 8 characters)"},
		{"an e-mail another user has", map[string]any{"current_password": "password123", "email": fmt.Sprintf("ada%d@acme.test", b.account)}, "taken"},
	}
	for _, c := range refused {
		r := b.do(request{Method: "PUT", Path: "/api/v1/profile", Token: b.agent, Body: map[string]any{"profile": c.profile}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), c.want) {
			t.Errorf("%s: %d %s, want 422 saying %q", c.name, r.Status, r.Body, c.want)
		}
	}
	if signIn(email, "password123") == nil {
		t.Fatal("a refused change changed the password")
	}

	// The change, from the phone: the laptop is signed out, the phone and
	// the access token are not.
	r := b.do(request{Method: "PATCH", Path: "/api/v1/profile", Header: phone, Body: map[string]any{"profile": map[string]any{
		"current_password": "password123", "password": "new-password-1", "password_confirmation": "new-password-1"}}})
	if r.Status != http.StatusOK {
		t.Fatalf("the new password: %d %s", r.Status, r.Body)
	}
	if r := b.do(request{Method: "GET", Path: "/auth/validate_token", Header: laptop}); r.Status != http.StatusUnauthorized {
		t.Errorf("the other device after the new password: %d, want 401", r.Status)
	}
	if r := b.do(request{Method: "GET", Path: "/auth/validate_token", Header: phone}); r.Status != http.StatusOK {
		t.Errorf("the device that changed it: %d, want 200", r.Status)
	}
	b.must(request{Method: "GET", Path: "/api/v1/profile", Token: b.agent})
	if signIn(email, "password123") != nil || signIn(email, "new-password-1") == nil {
		t.Error("the old password still signs in, or the new one does not")
	}

	// A new e-mail with the current password; the old one no longer signs in.
	p = b.must(request{Method: "PUT", Path: "/api/v1/profile", Token: b.agent,
		Body: map[string]any{"profile": map[string]any{"email": "Turing@Acme.test", "current_password": "new-password-1"}}}).Object(t)
	if p["email"] != "turing@acme.test" || signIn("turing@acme.test", "new-password-1") == nil || signIn(email, "new-password-1") != nil {
		t.Errorf("the new e-mail: %v", p["email"])
	}

	// Guessing: after ten wrong current passwords the right one is refused too.
	for range 10 {
		b.do(request{Method: "PUT", Path: "/api/v1/profile", Token: b.agent,
			Body: map[string]any{"profile": map[string]any{"current_password": "guess-guess", "password": "new-password-2"}}})
	}
	if r := b.do(request{Method: "PUT", Path: "/api/v1/profile", Token: b.agent, Body: map[string]any{"profile": map[string]any{
		"current_password": "new-password-1", "password": "new-password-2"}}}); r.Status != http.StatusTooManyRequests {
		t.Errorf("the right password after ten guesses: %d %s, want 429", r.Status, r.Body)
	}

	bot := b.must(request{Method: "POST", Path: b.acc("/agent_bots"), Token: b.admin, Body: map[string]any{"name": "Bot"}}).Object(t)
	if r := b.do(request{Method: "PUT", Path: "/api/v1/profile", Token: bot["access_token"].(string),
		Body: map[string]any{"profile": map[string]any{"name": "Bot"}}}); r.Status != http.StatusUnauthorized {
		t.Errorf("a bot's profile update: %d %s, want 401", r.Status, r.Body)
	}
}

// TestResetAccessToken: POST profile/reset_access_token gives the caller a
// new token, in the profile it answers; the old one stops working at once.
func TestResetAccessToken(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	p := b.must(request{Method: "POST", Path: "/api/v1/profile/reset_access_token", Token: b.agent}).Object(t)
	fresh, _ := p["access_token"].(string)
	if len(fresh) != 24 || fresh == b.agent {
		t.Fatalf("the new token: %q", fresh)
	}
	if r := b.do(request{Method: "GET", Path: "/api/v1/profile", Token: b.agent}); r.Status != http.StatusUnauthorized {
		t.Errorf("the old token: %d", r.Status)
	}
	if got := b.must(request{Method: "GET", Path: "/api/v1/profile", Token: fresh}).Object(t)["access_token"]; got != fresh {
		t.Errorf("the profile with the new token shows %v", got)
	}
}
