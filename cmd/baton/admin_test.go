package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestAdmin(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, in *install) {
		stdout, stderr, err := in.run(t, "admin", "platform-app", "create", "--name", "Provisioner", "--json")
		if err != nil {
			t.Fatalf("platform-app create: %v\n%s", err, stderr)
		}
		app := one(t, stdout)
		jsonID(t, app)
		if token, _ := app["access_token"].(string); len(token) != 24 || app["name"] != "Provisioner" {
			t.Errorf("platform app: %v, want its name and a 24-character token", app)
		}

		stdout, stderr, err = in.run(t, "admin", "account", "create", "--name=Acme", "--json")
		if err != nil {
			t.Fatalf("account create: %v\n%s", err, stderr)
		}
		account := one(t, stdout)
		accountID := jsonID(t, account)
		if account["name"] != "Acme" {
			t.Errorf("account: %v", account)
		}
		if _, ok := account["access_token"]; ok {
			t.Errorf("an account has no token, and printed one: %v", account)
		}

		stdout, stderr, err = in.run(t, "admin", "user", "create", "--account", accountID, "--name", "Sam",
			"--email", "sam@acme.test", "--password", "correct-horse-9", "--role", "agent", "--json")
		if err != nil {
			t.Fatalf("user create: %v\n%s", err, stderr)
		}
		user := one(t, stdout)
		jsonID(t, user)
		if token, _ := user["access_token"].(string); len(token) != 24 || user["email"] != "sam@acme.test" ||
			user["role"] != "agent" || user["account_id"] != account["id"] {
			t.Errorf("user: %v", user)
		}

		// Without --json the same facts are printed for people.
		stdout, stderr, err = in.run(t, "admin", "user", "create", "--account", accountID, "--name", "Alex",
			"--email", "alex@acme.test", "--password", "correct-horse-9", "--role", "administrator")
		if err != nil {
			t.Fatalf("user create: %v\n%s", err, stderr)
		}
		if !strings.Contains(stdout, "alex@acme.test") || !strings.Contains(stdout, "administrator of account "+accountID) ||
			!strings.Contains(stdout, "access token: ") {
			t.Errorf("user create printed:\n%s", stdout)
		}

		// Bad input: an error (main prints it on one line and exits 1) and
		// nothing on stdout.
		for _, args := range [][]string{
			{"admin"},
			{"admin", "account"},
			{"admin", "account", "delete", "--name", "A"},
			{"admin", "account", "create"},
			{"admin", "account", "create", "--json"},
			{"admin", "account", "create", "--name"},
			{"admin", "account", "create", "--name", "Acme", "Corp"},
			{"admin", "account", "create", "--name", "A", "--no-such-flag"},
			{"admin", "account", "create", "--name", "A", "--log-level", "loud"},
			{"admin", "platform-app", "create", "--name", "   "},
			{"admin", "platform-app", "create", "--json"},
			{"admin", "user", "create", "--name", "N", "--email", "n@acme.test", "--password", "correct-horse-9"},
			{"admin", "user", "create", "--account", "abc", "--name", "N", "--email", "n@acme.test", "--password", "correct-horse-9"},
			{"admin", "user", "create", "--account", "0", "--name", "N", "--email", "n@acme.test", "--password", "correct-horse-9"},
			{"admin", "user", "create", "--account", "-1", "--name", "N", "--email", "n@acme.test", "--password", "correct-horse-9"},
			{"admin", "user", "create", "--account", "999999", "--name", "N", "--email", "n@acme.test", "--password", "correct-horse-9"},
			{"admin", "user", "create", "--account", accountID, "--email", "n@acme.test", "--password", "correct-horse-9"},
			{"admin", "user", "create", "--account", accountID, "--name", "N", "--password", "correct-horse-9"},
			{"admin", "user", "create", "--account", accountID, "--name", "N", "--email", "n@acme.test"},
			{"admin", "user", "create", "--account", accountID, "--name", "N", "--email", "not-an-email", "--password", "correct-horse-9"},
			{"admin", "user", "create", "--account", accountID, "--name", "N", "--email", "n@acme.test", "--password", "correct-horse-9", "--role", "owner"},
			// No role: none is given silently.
			{"admin", "user", "create", "--account", accountID, "--name", "N", "--email", "n@acme.test", "--password", "correct-horse-9"},
			// An inbox that is not there: the user is not made either.
			{"admin", "user", "create", "--account", accountID, "--name", "N", "--email", "n@acme.test", "--password", "correct-horse-9", "--role", "agent", "--inbox", "999"},
			{"admin", "user", "create", "--account", accountID, "--name", "N", "--email", "n@acme.test", "--password", "correct-horse-9", "--role", "agent", "--inbox", "1,x"},
			{"admin", "user", "add", "--account", accountID, "--user", "999999", "--role", "agent"},
			{"admin", "user", "add", "--account", "999999", "--user", "1", "--role", "agent"},
			{"admin", "user", "create", "--account", accountID, "--name", "Twin", "--email", "sam@acme.test", "--password", "correct-horse-9", "--json"},
		} {
			stdout, _, err := in.run(t, args...)
			if err == nil {
				t.Errorf("%q: no error", args)
				continue
			}
			if stdout != "" {
				t.Errorf("%q: printed on stdout:\n%s", args, stdout)
			}
			if msg := err.Error(); msg == "" || strings.Contains(msg, "\n") {
				t.Errorf("%q: error %q is not one line", args, msg)
			}
		}

		// The failed commands made nothing: the duplicate e-mail's user
		// and the blank platform app are not there.
		stdout, stderr, err = in.run(t, "admin", "user", "create", "--account", accountID, "--name", "N",
			"--email", "n@acme.test", "--password", "correct-horse-9", "--role", "agent", "--json")
		if err != nil {
			t.Fatalf("user create after the failures: %v\n%s", err, stderr)
		}
		one(t, stdout)
	})
}

// TestAdminMembers: a user made with --inbox works those inboxes (an agent
// sees their conversations), and `user add` makes an existing user a member
// of another account, each with the role given.
func TestAdminMembers(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, in *install) {
		must := func(args ...string) map[string]any {
			t.Helper()
			stdout, stderr, err := in.run(t, append(args, "--json")...)
			if err != nil {
				t.Fatalf("%q: %v\n%s", args, err, stderr)
			}
			return one(t, stdout)
		}
		acme, globex := jsonID(t, must("admin", "account", "create", "--name", "Acme")), jsonID(t, must("admin", "account", "create", "--name", "Globex"))
		admin, _ := must("admin", "user", "create", "--account", acme, "--name", "Alex", "--email", "alex@acme.test",
			"--password", "correct-horse-9", "--role", "administrator")["access_token"].(string)

		p := in.start(t, "", "serve", "--addr", "127.0.0.1:0")
		req, _ := http.NewRequest(http.MethodPost, p.url+"/api/v1/accounts/"+acme+"/inboxes",
			strings.NewReader(`{"name":"Support","channel":{"type":"api"}}`))
		req.Header.Set("api_access_token", admin)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var inbox map[string]any
		if err := json.NewDecoder(res.Body).Decode(&inbox); err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("inbox create: %d %v", res.StatusCode, err)
		}
		res.Body.Close()
		if err := p.stop(); err != nil {
			t.Fatal(err)
		}
		inboxID := jsonID(t, inbox)

		// A bot's signing secret, in both forms, at its creation and again
		// with its token.
		bot := must("admin", "bot", "create", "--account", acme, "--name", "Order Bot", "--outgoing-url", "http://127.0.0.1:9/hook")
		secret, _ := bot["secret"].(string)
		if secret == "" || bot["webhook_secret"] != "whsec_"+base64.StdEncoding.EncodeToString([]byte(secret)) {
			t.Errorf("bot create printed %v", bot)
		}
		if again := must("admin", "bot", "token", "--bot", jsonID(t, bot)); again["secret"] != secret || again["webhook_secret"] != bot["webhook_secret"] {
			t.Errorf("bot token printed %v, want the secret again", again)
		}

		sam := must("admin", "user", "create", "--account", acme, "--name", "Sam", "--email", "sam@acme.test",
			"--password", "correct-horse-9", "--role", "agent", "--inbox", inboxID)
		if ids, _ := sam["inbox_ids"].([]any); len(ids) != 1 || ids[0] != inbox["id"] {
			t.Errorf("user create --inbox printed %v", sam)
		}
		samID, token := jsonID(t, sam), sam["access_token"].(string)
		added := must("admin", "user", "add", "--account", globex, "--user", samID, "--role", "administrator")
		if added["role"] != "administrator" || fmt.Sprint(added["account_id"]) != globex {
			t.Errorf("user add printed %v", added)
		}

		p = in.start(t, "", "serve", "--addr", "127.0.0.1:0")
		code, body := get(t, p.url+"/api/v1/profile", token)
		var profile struct {
			Accounts []struct {
				ID   json.Number `json:"id"`
				Role string      `json:"role"`
			} `json:"accounts"`
		}
		if err := json.Unmarshal([]byte(body), &profile); code != http.StatusOK || err != nil {
			t.Fatalf("profile: %d %s", code, body)
		}
		roles := map[string]string{}
		for _, a := range profile.Accounts {
			roles[a.ID.String()] = a.Role
		}
		if roles[acme] != "agent" || roles[globex] != "administrator" || len(roles) != 2 {
			t.Errorf("Sam's accounts: %v, want agent of %s and administrator of %s", roles, acme, globex)
		}
		code, body = get(t, p.url+"/api/v1/accounts/"+acme+"/inboxes", token)
		if code != http.StatusOK || !strings.Contains(body, `"name":"Support"`) {
			t.Errorf("the agent's inboxes: %d %s", code, body)
		}
	})
}

// TestAdminUserPassword: `baton admin user password` gives a user who
// forgot theirs a new password, read from standard input (or --password),
// and ends their sessions: the old password and an open session no longer
// sign in, the new one does. An unknown e-mail, a short password and no
// password at all are refused with a clear error.
func TestAdminUserPassword(t *testing.T) {
	t.Parallel()
	eachDatabase(t, func(t *testing.T, in *install) {
		runIn := func(stdin string, args ...string) (string, string, error) {
			t.Helper()
			var out, errOut syncBuffer
			err := run(t.Context(), args, in.getenv, strings.NewReader(stdin), &out, &errOut)
			return out.String(), errOut.String(), err
		}
		stdout, stderr, err := in.run(t, "admin", "account", "create", "--name", "Acme", "--json")
		if err != nil {
			t.Fatalf("account create: %v\n%s", err, stderr)
		}
		acme := jsonID(t, one(t, stdout))
		if _, stderr, err := in.run(t, "admin", "user", "create", "--account", acme, "--name", "Sam", "--email", "sam@acme.test",
			"--password", "correct-horse-9", "--role", "agent"); err != nil {
			t.Fatalf("user create: %v\n%s", err, stderr)
		}
		p := in.start(t, "", "serve", "--addr", "127.0.0.1:0")
		signIn := func(password string) (int, string) {
			t.Helper()
			body, _ := json.Marshal(map[string]string{"email": "sam@acme.test", "password": password})
			res, err := http.Post(p.url+"/auth/sign_in", "application/json", strings.NewReader(string(body)))
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			return res.StatusCode, res.Header.Get("access-token") + "|" + res.Header.Get("client")
		}
		code, session := signIn("correct-horse-9")
		if code != http.StatusOK {
			t.Fatalf("sign-in before: %d", code)
		}

		stdout, stderr, err = runIn("battery-staple-7\n", "admin", "user", "password", "--email", "Sam@Acme.test")
		if err != nil || !strings.Contains(stdout, "sam@acme.test") || !strings.Contains(stdout, "sessions are ended") {
			t.Fatalf("user password: %v %s %s", err, stdout, stderr)
		}
		if code, _ := signIn("correct-horse-9"); code != http.StatusUnauthorized {
			t.Errorf("the old password: %d, want 401", code)
		}
		if code, _ := signIn("battery-staple-7"); code != http.StatusOK {
			t.Errorf("the new password: %d, want 200", code)
		}
		token, client, _ := strings.Cut(session, "|")
		req, _ := http.NewRequest(http.MethodGet, p.url+"/auth/validate_token", nil)
		req.Header.Set("access-token", token)
		req.Header.Set("client", client)
		req.Header.Set("uid", "sam@acme.test")
		if code, _ := do(t, req); code != http.StatusUnauthorized {
			t.Errorf("the session opened before: %d, want 401", code)
		}

		for _, c := range []struct {
			stdin string
			args  []string
			want  string
		}{
			{"", []string{"--email", "nobody@acme.test", "--password", "long-enough-1"}, `no user with the e-mail "nobody@acme.test"`},
			{"short\n", []string{"--email", "sam@acme.test"}, "too short (minimum is 8 characters)"},
			{"", []string{"--email", "sam@acme.test"}, "no password"},
			{"", []string{"--password", "long-enough-1"}, "--email is required"},
		} {
			if _, _, err := runIn(c.stdin, append([]string{"admin", "user", "password"}, c.args...)...); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("user password %v: %v, want an error saying %q", c.args, err, c.want)
			}
		}
		if code, _ := signIn("battery-staple-7"); code != http.StatusOK {
			t.Errorf("a refused change changed the password: %d", code)
		}
	})
}
