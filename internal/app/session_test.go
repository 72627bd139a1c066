package app_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/batontest"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

func TestSignIn(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	w := setup(t, storetest.OpenSQLite(t), func(c *app.Config) { c.Now = func() time.Time { return now } })
	ctx := context.Background()
	email := fmt.Sprintf("agent%d@acme.test", w.account.ID)

	if _, err := w.app.SignIn(ctx, app.SignInInput{Email: email, Password: "wrong-password", Addr: "a"}); baton.ErrorCode(err) != baton.EUNAUTHORIZED {
		t.Fatalf("wrong password: %v, want unauthorized", err)
	}
	if _, err := w.app.SignIn(ctx, app.SignInInput{Email: "nobody@acme.test", Password: "password123", Addr: "a"}); baton.ErrorCode(err) != baton.EUNAUTHORIZED {
		t.Fatalf("unknown e-mail: %v, want unauthorized", err)
	}
	in, err := w.app.SignIn(ctx, app.SignInInput{Email: " " + email + " ", Password: "password123", Addr: "a"})
	if err != nil {
		t.Fatal(err)
	}
	actor, err := w.app.AuthenticateSession(ctx, in.Token, store.SessionWeb, "", "")
	if err != nil || actor.User.ID != w.agentID {
		t.Fatalf("session: %v %v", actor, err)
	}
	// A web session is not a device session, and a device needs its client and uid.
	if _, err := w.app.AuthenticateSession(ctx, in.Token, store.SessionDevice, "", email); err == nil {
		t.Error("a web session authenticated as a device")
	}
	dev, err := w.app.SignIn(ctx, app.SignInInput{Email: email, Password: "password123", Addr: "a", Kind: store.SessionDevice, Client: "c1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.app.AuthenticateSession(ctx, dev.Token, store.SessionDevice, "c2", email); err == nil {
		t.Error("a device session with another client id authenticated")
	}
	if _, err := w.app.AuthenticateSession(ctx, dev.Token, store.SessionDevice, "c1", "other@acme.test"); err == nil {
		t.Error("a device session with another uid authenticated")
	}
	if _, err := w.app.AuthenticateSession(ctx, dev.Token, store.SessionDevice, "c1", email); err != nil {
		t.Error(err)
	}

	// A new name leaves the sessions; a new password ends them all.
	if _, _, err := w.app.UpdateUser(batontest.System(), w.agentID, app.UserInput{Name: ptr("Agent")}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.app.AuthenticateSession(ctx, in.Token, store.SessionWeb, "", ""); err != nil {
		t.Fatalf("a new name ended the session: %v", err)
	}
	if _, _, err := w.app.UpdateUser(batontest.System(), w.agentID, app.UserInput{Password: ptr("password456")}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.app.AuthenticateSession(ctx, in.Token, store.SessionWeb, "", ""); baton.ErrorCode(err) != baton.EUNAUTHORIZED {
		t.Errorf("a web session outlived a new password: %v", err)
	}
	if _, err := w.app.AuthenticateSession(ctx, dev.Token, store.SessionDevice, "c1", email); baton.ErrorCode(err) != baton.EUNAUTHORIZED {
		t.Errorf("a device session outlived a new password: %v", err)
	}
	if in, err = w.app.SignIn(ctx, app.SignInInput{Email: email, Password: "password456", Addr: "a"}); err != nil {
		t.Fatal(err)
	}
	if dev, err = w.app.SignIn(ctx, app.SignInInput{Email: email, Password: "password456", Addr: "a", Kind: store.SessionDevice, Client: "c1"}); err != nil {
		t.Fatal(err)
	}

	// Expiry.
	now = now.Add(app.WebSessionLifetime)
	if _, err := w.app.AuthenticateSession(ctx, in.Token, store.SessionWeb, "", ""); err == nil {
		t.Error("an expired session authenticated")
	}
	// Sign-out ends the session.
	if err := w.app.SignOut(ctx, dev.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := w.app.AuthenticateSession(ctx, dev.Token, store.SessionDevice, "c1", email); err == nil {
		t.Error("a signed-out session authenticated")
	}
}

func TestSignInRateLimited(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	w := setup(t, storetest.OpenSQLite(t), func(c *app.Config) { c.Now = func() time.Time { return now } })
	ctx := context.Background()
	email := fmt.Sprintf("agent%d@acme.test", w.account.ID)
	// Ten failures against one account, from different addresses, stop even
	// the right password for a while.
	for i := range 10 {
		if _, err := w.app.SignIn(ctx, app.SignInInput{Email: email, Password: "wrong-password", Addr: fmt.Sprint(i)}); baton.ErrorCode(err) != baton.EUNAUTHORIZED {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if _, err := w.app.SignIn(ctx, app.SignInInput{Email: email, Password: "password123", Addr: "x"}); baton.ErrorCode(err) != baton.ERATELIMIT {
		t.Fatalf("after 10 failures: %v, want rate limited", err)
	}
	// Fifty failures from one address stop that address for every account.
	for i := range 50 {
		w.app.SignIn(ctx, app.SignInInput{Email: fmt.Sprintf("n%d@acme.test", i), Password: "wrong-password", Addr: "bad"})
	}
	admin := fmt.Sprintf("admin%d@acme.test", w.account.ID)
	if _, err := w.app.SignIn(ctx, app.SignInInput{Email: admin, Password: "password123", Addr: "bad"}); baton.ErrorCode(err) != baton.ERATELIMIT {
		t.Fatalf("from a limited address: %v, want rate limited", err)
	}
	if _, err := w.app.SignIn(ctx, app.SignInInput{Email: admin, Password: "password123", Addr: "good"}); err != nil {
		t.Fatalf("from another address: %v", err)
	}
	// The window ends.
	now = now.Add(16 * time.Minute)
	if _, err := w.app.SignIn(ctx, app.SignInInput{Email: email, Password: "password123", Addr: "x"}); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}
