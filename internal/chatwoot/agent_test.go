package chatwoot_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// TestAgentsAPI: an administrator adds, changes and removes agents through
// Chatwoot's {acc}/agents, on both databases. A new e-mail makes a user,
// who signs in with the password given (Baton's; Chatwoot e-mails an
// invitation); an e-mail another account's user has makes that user a
// member, their password not settable from here; a member twice, a bad
// role or availability are refused; an administrator cannot demote
// themselves; agents are refused every change; another account's agent
// is not found; a removed agent no longer sees the account.
func TestAgentsAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		b := setup(t, s)
		agents := b.acc("/agents")
		nina := b.must(request{Method: "POST", Path: agents, Token: b.admin, Body: map[string]any{"name": "Nina New",
			"email": "Nina@Acme.test", "role": "agent", "availability_status": "busy", "auto_offline": false, "password": "first-password-1"}}).Object(t)
		if nina["email"] != "nina@acme.test" || nina["role"] != "agent" || nina["name"] != "Nina New" || nina["account_id"] != float64(b.account) {
			t.Errorf("the new agent: %v", nina)
		}
		ninaID := num(t, nina, "id")
		in := b.do(request{Method: "POST", Path: "/auth/sign_in", Body: map[string]any{"email": "nina@acme.test", "password": "first-password-1"}})
		if in.Status != http.StatusOK {
			t.Errorf("the new agent's sign-in: %d %s", in.Status, in.Body)
		}
		listed := false
		for _, a := range b.must(request{Method: "GET", Path: agents, Token: b.admin}).Array(t) {
			listed = listed || a.(map[string]any)["email"] == "nina@acme.test"
		}
		if !listed {
			t.Error("the new agent is not listed")
		}

		// Another account's user joins as they are.
		o := b.otherAccount("Globex")
		them := b.must(request{Method: "GET", Path: "/api/v1/profile", Token: o.token}).Object(t)
		joined := b.must(request{Method: "POST", Path: agents, Token: b.admin, Body: map[string]any{"name": "Someone Else",
			"email": them["email"], "role": "administrator"}}).Object(t)
		if joined["id"] != them["id"] || joined["name"] != "Globex" || joined["role"] != "administrator" {
			t.Errorf("an existing user added: %v, want %v as they are", joined, them["id"])
		}

		for _, c := range []struct {
			name  string
			token string
			body  map[string]any
			want  int
			says  string
		}{
			{"a member twice", b.admin, map[string]any{"name": "Nina", "email": "nina@acme.test", "role": "agent"}, 422, "already an agent"},
			{"a password for an existing user", b.admin, map[string]any{"name": "X", "email": "ada" + fmt.Sprint(b.account) + "@acme.test",
				"role": "agent", "password": "taken-over-1"}, 422, "new user"},
			{"a bad role", b.admin, map[string]any{"name": "X", "email": "x@acme.test", "role": "owner"}, 422, "Role"},
			{"no role", b.admin, map[string]any{"name": "X", "email": "x@acme.test"}, 422, "Role"},
			{"a bad availability", b.admin, map[string]any{"name": "X", "email": "x@acme.test", "role": "agent", "availability_status": "away"}, 422, "Availability"},
			{"a bad e-mail", b.admin, map[string]any{"name": "X", "email": "not-an-email", "role": "agent"}, 422, "Email"},
			{"a short password", b.admin, map[string]any{"name": "X", "email": "x@acme.test", "role": "agent", "password": "short"}, 422, "too short"},
			{"an agent", b.agent, map[string]any{"name": "X", "email": "x@acme.test", "role": "agent"}, 401, ""},
		} {
			r := b.do(request{Method: "POST", Path: agents, Token: c.token, Body: c.body})
			if r.Status != c.want || !strings.Contains(string(r.Body), c.says) {
				t.Errorf("%s: %d %s, want %d saying %q", c.name, r.Status, r.Body, c.want, c.says)
			}
		}
		if r := b.do(request{Method: "POST", Path: "/auth/sign_in", Body: map[string]any{"email": "ada" + fmt.Sprint(b.account) + "@acme.test",
			"password": "taken-over-1"}}); r.Status != http.StatusUnauthorized {
			t.Errorf("the refused password signs in: %d", r.Status)
		}

		ninaPath := b.acc("/agents/%d", ninaID)
		up := b.must(request{Method: "PATCH", Path: ninaPath, Token: b.admin, Body: map[string]any{"role": "administrator", "availability": "online"}}).Object(t)
		if up["role"] != "administrator" {
			t.Errorf("the changed agent: %v", up)
		}
		if r := b.do(request{Method: "PATCH", Path: b.acc("/agents/%d", b.adminID), Token: b.admin, Body: map[string]any{"role": "agent"}}); r.Status != 422 {
			t.Errorf("an administrator demoting themselves: %d %s", r.Status, r.Body)
		}
		if r := b.do(request{Method: "PATCH", Path: ninaPath, Token: b.agent, Body: map[string]any{"role": "agent"}}); r.Status != 401 {
			t.Errorf("an agent changing a role: %d", r.Status)
		}
		if r := b.do(request{Method: "PATCH", Path: b.acc("/agents/%d", num(t, them, "id")+100000), Token: b.admin, Body: map[string]any{"role": "agent"}}); r.Status != 404 {
			t.Errorf("no such agent: %d", r.Status)
		}
		if r := b.do(request{Method: "DELETE", Path: fmt.Sprintf("/api/v1/accounts/%d/agents/%d", o.account, ninaID), Token: b.admin}); r.Status != 401 {
			t.Errorf("another account's agents: %d, want 401 (not a member), as Chatwoot answers", r.Status)
		}

		b.must(request{Method: "DELETE", Path: ninaPath, Token: b.admin})
		token := nina["access_token"]
		if token == nil {
			// The agent JSON holds no token: sign in for one.
			p := b.do(request{Method: "POST", Path: "/auth/sign_in", Body: map[string]any{"email": "nina@acme.test", "password": "first-password-1"}})
			token = p.Object(t)["data"].(map[string]any)["access_token"]
		}
		if r := b.do(request{Method: "GET", Path: b.acc("/conversations"), Token: token.(string)}); r.Status != 401 {
			t.Errorf("the removed agent at the account's conversations: %d", r.Status)
		}
	})
}
