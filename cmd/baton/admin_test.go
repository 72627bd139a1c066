package main

import (
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
			"--email", "alex@acme.test", "--password", "correct-horse-9")
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
			"--email", "n@acme.test", "--password", "correct-horse-9", "--json")
		if err != nil {
			t.Fatalf("user create after the failures: %v\n%s", err, stderr)
		}
		one(t, stdout)
	})
}
