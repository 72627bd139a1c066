package chatwoot_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

func TestPlatformAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		b := setup(t, s)
		p := func(method, path string, body any) request {
			return request{Method: method, Path: "/platform/api/v1" + path, Token: b.Platform, Body: body}
		}
		// The platform app made neither the bundle's account nor its users.
		const nonPermissible = `{"error":"Non permissible resource"}`
		acc := b.must(p("POST", "/accounts", map[string]any{"name": "Globex", "locale": "fr"})).Object(t)
		accID := num(t, acc, "id")
		user := b.must(p("POST", "/users", map[string]any{"name": "Grace", "email": "Grace@Globex.test", "password": "password123"}))
		golden(t, "platform_user", user.Body)
		u := user.Object(t)
		userID := num(t, u, "id")
		token, _ := u["access_token"].(string)
		if len(token) != 24 {
			t.Fatalf("access_token %q, want 24 characters", token)
		}
		b.run([]scenario{
			{name: "show account", req: p("GET", fmt.Sprintf("/accounts/%d", accID), nil), status: 200,
				contains: []string{`"name":"Globex"`, `"locale":"fr"`, `"status":"active"`}},
			{name: "update account", req: p("PATCH", fmt.Sprintf("/accounts/%d", accID), map[string]any{"name": "Globex Inc", "custom_attributes": map[string]any{"plan": "gold"}}),
				status: 200, contains: []string{`"name":"Globex Inc"`, `"locale":"fr"`, `"custom_attributes":{"plan":"gold"}`}},
			{name: "update account with a blank name", req: p("PUT", fmt.Sprintf("/accounts/%d", accID), map[string]any{"name": " "}),
				status: 422, contains: []string{`"attributes":["name"]`}},
			{name: "show account after the failed update", req: p("GET", fmt.Sprintf("/accounts/%d", accID), nil), status: 200,
				contains: []string{`"name":"Globex Inc"`}},
			{name: "another's account", req: p("GET", fmt.Sprintf("/accounts/%d", b.account), nil), status: 401, contains: []string{nonPermissible}},
			{name: "update another's account", req: p("PATCH", fmt.Sprintf("/accounts/%d", b.account), map[string]any{"name": "Mine"}), status: 401, contains: []string{nonPermissible}},
			{name: "delete another's account", req: p("DELETE", fmt.Sprintf("/accounts/%d", b.account), nil), status: 401, contains: []string{nonPermissible}},
			{name: "another's account users", req: p("GET", fmt.Sprintf("/accounts/%d/account_users", b.account), nil), status: 401, contains: []string{nonPermissible}},
			{name: "join another's account", req: p("POST", fmt.Sprintf("/accounts/%d/account_users", b.account), map[string]any{"user_id": userID, "role": "agent"}),
				status: 401, contains: []string{nonPermissible}},
			{name: "unknown account", req: p("GET", "/accounts/999", nil), status: 404, contains: []string{`{"error":"Resource could not be found"}`}},
			{name: "show user with token", req: p("GET", fmt.Sprintf("/users/%d", userID), nil), status: 200,
				contains: []string{`"email":"grace@globex.test"`, `"access_token":"` + token + `"`}},
			{name: "update user", req: p("PATCH", fmt.Sprintf("/users/%d", userID), map[string]any{"display_name": "G"}), status: 200,
				contains: []string{`"display_name":"G"`, `"available_name":"G"`, `"access_token":"` + token + `"`}},
			{name: "update user with a bad email", req: p("PUT", fmt.Sprintf("/users/%d", userID), map[string]any{"email": "nope"}), status: 422,
				contains: []string{`"attributes":["email"]`}},
			{name: "another's user", req: p("GET", fmt.Sprintf("/users/%d", b.adminID), nil), status: 401, contains: []string{nonPermissible}},
			{name: "delete another's user", req: p("DELETE", fmt.Sprintf("/users/%d", b.agentID), nil), status: 401, contains: []string{nonPermissible}},
			{name: "unknown user", req: p("GET", "/users/999", nil), status: 404},
			{name: "no account users yet", req: p("GET", fmt.Sprintf("/accounts/%d/account_users", accID), nil), status: 200,
				check: func(t testing.TB, r *response) {
					if n := len(r.Array(t)); n != 0 {
						t.Errorf("%d account users, want none", n)
					}
				}},
			{name: "add account user", req: p("POST", fmt.Sprintf("/accounts/%d/account_users", accID), map[string]any{"user_id": userID, "role": "administrator"}),
				status: 200, contains: []string{fmt.Sprintf(`{"account_id":%d,"user_id":%d,"role":"administrator"}`, accID, userID)}},
			{name: "add another's user to its account", req: p("POST", fmt.Sprintf("/accounts/%d/account_users", accID), map[string]any{"user_id": b.agentID, "role": "agent"}),
				status: 401, contains: []string{nonPermissible}},
			{name: "add account user with a bad role", req: p("POST", fmt.Sprintf("/accounts/%d/account_users", accID), map[string]any{"user_id": userID, "role": "king"}),
				status: 422, contains: []string{`"attributes":["role"]`}},
			{name: "add account user without a user", req: p("POST", fmt.Sprintf("/accounts/%d/account_users", accID), map[string]any{"role": "agent"}),
				status: 422, contains: []string{`"attributes":["user_id"]`}},
			{name: "list account users", req: p("GET", fmt.Sprintf("/accounts/%d/account_users", accID), nil), status: 200,
				contains: []string{fmt.Sprintf(`[{"account_id":%d,"user_id":%d,"role":"administrator"}]`, accID, userID)}},
		})

		// The new user's token works on the application API of the new account.
		b.run([]scenario{
			{name: "new user's profile", req: request{Method: "GET", Path: "/api/v1/profile", Token: token}, status: 200,
				contains: []string{fmt.Sprintf(`"account_id":%d`, accID), `"role":"administrator"`}},
			{name: "new user creates an inbox", req: request{Method: "POST", Path: fmt.Sprintf("/api/v1/accounts/%d/inboxes", accID), Token: token,
				Body: map[string]any{"name": "Support", "channel": map[string]any{"type": "api"}}}, status: 200},
			{name: "new user in the bundle's account", req: request{Method: "GET", Path: b.acc("/inboxes"), Token: token}, status: 401,
				contains: []string{`{"error":"You are not authorized to access this account"}`}},
		})

		b.run([]scenario{
			{name: "remove account user", req: p("DELETE", fmt.Sprintf("/accounts/%d/account_users", accID), map[string]any{"user_id": userID}), status: 200},
			{name: "account users after removal", req: p("GET", fmt.Sprintf("/accounts/%d/account_users", accID), nil), status: 200, contains: []string{`[]`}},
			{name: "removed user loses the account", req: request{Method: "GET", Path: fmt.Sprintf("/api/v1/accounts/%d/inboxes", accID), Token: token}, status: 401},
			{name: "delete user", req: p("DELETE", fmt.Sprintf("/users/%d", userID), nil), status: 200},
			{name: "deleted user", req: p("GET", fmt.Sprintf("/users/%d", userID), nil), status: 404},
			{name: "deleted user's token", req: request{Method: "GET", Path: "/api/v1/profile", Token: token}, status: 401,
				contains: []string{`{"error":"Invalid Access Token"}`}},
			{name: "delete account", req: p("DELETE", fmt.Sprintf("/accounts/%d", accID), nil), status: 200},
			{name: "deleted account", req: p("GET", fmt.Sprintf("/accounts/%d", accID), nil), status: 404},
			{name: "bundle's account is untouched", req: request{Method: "GET", Path: b.acc("/inboxes"), Token: b.admin}, status: 200,
				contains: []string{`"name":"API"`}},
		})
		if r := b.do(p("GET", fmt.Sprintf("/accounts/%d", b.account), nil)); r.Status != http.StatusUnauthorized {
			t.Errorf("bundle's account after the deletes: status %d, want 401", r.Status)
		}
	})
}

// TestSignInLink: Chatwoot's Platform API users/{id}/login gives a link
// to the agent app's sign-in with the user's e-mail and a token that
// signs them in once, within five minutes, here through Chatwoot's
// /auth/sign_in with sso_auth_token: a second use, another e-mail, an
// expired link and a made-up token are refused alike; the token is no
// session of its own; a platform app gets links only for users it
// manages.
func TestSignInLink(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	u := b.must(request{Method: "POST", Path: "/platform/api/v1/users", Token: b.Platform,
		Body: map[string]any{"name": "Lina Link", "email": "lina@acme.test", "password": "password123"}}).Object(t)
	link := func() (string, string) {
		t.Helper()
		v := b.must(request{Method: "GET", Path: fmt.Sprintf("/platform/api/v1/users/%d/login", num(t, u, "id")), Token: b.Platform}).Object(t)
		parsed, err := url.Parse(v["url"].(string))
		if err != nil || parsed.Path != "/app/login" || !strings.HasPrefix(v["url"].(string), b.URL) {
			t.Fatalf("the link %v: %v", v["url"], err)
		}
		return parsed.Query().Get("email"), parsed.Query().Get("sso_auth_token")
	}
	signIn := func(email, token string) int {
		t.Helper()
		return b.do(request{Method: "POST", Path: "/auth/sign_in", Body: map[string]any{"email": email, "sso_auth_token": token}}).Status
	}
	email, token := link()
	if email != "lina@acme.test" || len(token) < 20 {
		t.Fatalf("the link names %q and %q", email, token)
	}
	if r := b.do(request{Method: "GET", Path: "/auth/validate_token", Header: map[string]string{"access-token": token, "client": "x", "uid": email}}); r.Status != http.StatusUnauthorized {
		t.Errorf("the link's token as a session: %d", r.Status)
	}
	if got := signIn("ada"+fmt.Sprint(b.account)+"@acme.test", token); got != http.StatusUnauthorized {
		t.Errorf("the link with another e-mail: %d", got)
	}
	if got := signIn(email, token); got != http.StatusOK {
		t.Errorf("the link: %d", got)
	}
	if got := signIn(email, token); got != http.StatusUnauthorized {
		t.Errorf("the link a second time: %d", got)
	}
	if got := signIn(email, "made-up-token-made-up-token"); got != http.StatusUnauthorized {
		t.Errorf("a made-up token: %d", got)
	}
	_, token = link()
	b.Clock.Add(6 * time.Minute)
	if got := signIn(email, token); got != http.StatusUnauthorized {
		t.Errorf("a link six minutes old: %d", got)
	}
	if r := b.do(request{Method: "GET", Path: fmt.Sprintf("/platform/api/v1/users/%d/login", b.agentID), Token: b.Platform}); r.Status != http.StatusUnauthorized {
		t.Errorf("a link for a user the platform app does not manage: %d %s", r.Status, r.Body)
	}
	if r := b.do(request{Method: "GET", Path: fmt.Sprintf("/platform/api/v1/users/%d/login", num(t, u, "id")), Token: b.admin}); r.Status != http.StatusUnauthorized {
		t.Errorf("a link asked for with a user's token: %d", r.Status)
	}
}
