package agent_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp/kb"

	"github.com/batonhq/baton/internal/browsertest"
)

// TestProfile: a person changes their own name and display name from the
// profile page, their e-mail with their current password, and their
// password with the current one and a confirmation; refused forms come
// back with the reason and what was typed; a new password signs out every
// other browser but keeps this one; another account's profile path is not
// found.
func TestProfile(t *testing.T) {
	t.Parallel()
	w := setup(t)
	sam, other := w.browser(), w.browser()
	sam.signIn(w.agentMail, password)
	other.signIn(w.agentMail, password)
	path := fmt.Sprintf("/app/accounts/%d/profile", w.account)
	p := sam.get(path)
	if p.status != http.StatusOK || !strings.Contains(p.body, `value="Sam Agent"`) || !strings.Contains(p.body, `href="`+path+`"`) {
		t.Fatalf("the profile page: %d %.400s", p.status, p.body)
	}
	form := func(p page, fields ...string) url.Values {
		v := url.Values{"csrf_token": {p.csrf(t)}}
		for i := 0; i < len(fields); i += 2 {
			v.Set(fields[i], fields[i+1])
		}
		return v
	}

	r := sam.post(path, form(p, "name", "Sam Agent", "display_name", "Sammy", "email", w.agentMail))
	if r.status != http.StatusOK || !strings.Contains(r.body, "Your profile is saved.") || !strings.Contains(r.body, "Sammy</a>") {
		t.Errorf("a new display name: %d %.600s", r.status, r.body)
	}

	// A new e-mail: refused without the current password, kept in the form.
	r = sam.post(path, form(p, "name", "Sam Agent", "email", "samuel@acme.test"))
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Current password is needed") ||
		!strings.Contains(r.body, `value="samuel@acme.test"`) || !strings.Contains(r.body, `aria-describedby="profile-current-hint profile-error" aria-invalid="true"`) {
		t.Errorf("a new e-mail without the password: %d %.800s", r.status, r.body)
	}
	r = sam.post(path, form(p, "name", "Sam Agent", "email", "samuel@acme.test", "current_password", password))
	if r.status != http.StatusOK || !strings.Contains(r.body, `value="samuel@acme.test"`) {
		t.Errorf("a new e-mail: %d %.600s", r.status, r.body)
	}

	pw := path + "/password"
	for _, c := range []struct {
		fields []string
		want   string
	}{
		{[]string{"current_password", "wrong-one", "password", "new-password-1", "password_confirmation", "new-password-1"}, "Invalid current password"},
		{[]string{"current_password", password, "password", "new-password-1", "password_confirmation", "new-password-2"}, "doesn&#39;t match"},
		{[]string{"current_password", password, "password", "short", "password_confirmation", "short"}, "too short"},
	} {
		if r := sam.post(pw, form(p, c.fields...)); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, c.want) ||
			!strings.Contains(r.body, `id="password-error"`) {
			t.Errorf("%v: %d, want 422 saying %q: %.800s", c.fields, r.status, c.want, r.body)
		}
	}
	r = sam.post(pw, form(p, "current_password", password, "password", "new-password-1", "password_confirmation", "new-password-1"))
	if r.status != http.StatusOK || !strings.Contains(r.body, "signed out everywhere else") {
		t.Errorf("the new password: %d %.600s", r.status, r.body)
	}
	if got := other.get(path); !strings.HasPrefix(got.url, "/app/login") {
		t.Errorf("the other browser after the new password is at %s", got.url)
	}
	if got := sam.get(path); got.status != http.StatusOK {
		t.Errorf("this browser after the new password: %d %s", got.status, got.url)
	}
	if got := w.browser().signIn("samuel@acme.test", "new-password-1"); strings.HasPrefix(got.url, "/app/login") {
		t.Error("the new e-mail and password do not sign in")
	}
	if got := w.browser().signIn("samuel@acme.test", password); !strings.HasPrefix(got.url, "/app/login") {
		t.Error("the old password still signs in")
	}

	// The access token, shown and reset.
	p = sam.get(path)
	old := regexp.MustCompile(`id="profile-token-value" class="token" value="([^"]+)"`).FindStringSubmatch(p.body)
	if old == nil {
		t.Fatalf("the page shows no access token:\n%s", p.body)
	}
	if r := sam.post(path+"/token", form(p)); r.status != http.StatusOK || !strings.Contains(r.body, "The old one no longer works") ||
		strings.Contains(r.body, old[1]) {
		t.Errorf("the token's reset: %d %.300s", r.status, r.body)
	}
	w.Call("GET", "/api/v1/profile", old[1], nil, http.StatusUnauthorized)

	if got := sam.get(fmt.Sprintf("/app/accounts/%d/profile", w.account+1000)); got.status != http.StatusNotFound {
		t.Errorf("another account's profile path: %d", got.status)
	}
}

// TestBrowserProfile: the profile page is reached from one's name in the
// top bar with the keyboard, passes the audit in light and dark, and a
// password refused there says why next to the form, its field marked.
func TestBrowserProfile(t *testing.T) {
	t.Parallel()
	w := setup(t)
	b := w.signedInTab(t, w.agentMail)
	b.tabTo(`a.who`)
	b.keys(kb.Enter)
	b.waitFor("the profile", `location.pathname.endsWith("/profile") && document.readyState === "complete"`)
	browsertest.Audit(t, b.ctx)
	b.tabTo("#password-current")
	b.keys("not-my-password")
	b.tabTo("#password-new")
	b.keys("new-password-1")
	b.tabTo("#password-confirm")
	b.keys("new-password-1" + kb.Enter)
	b.waitFor("the refusal", `document.getElementById("password-error") !== null`)
	if got := js[string](b, `document.getElementById("password-error").textContent`); got != "Invalid current password" {
		t.Errorf("the refusal says %q", got)
	}
	if js[string](b, `document.getElementById("password-current").getAttribute("aria-invalid")`) != "true" {
		t.Error("the current password's field is not marked invalid")
	}
	if got := js[string](b, `document.activeElement.id`); got != "password-current" {
		t.Errorf("the focus is on %q after the refusal, not on the field to mend", got)
	}
	b.shot("profile-refused")
}
