package agent_test

import (
	"bytes"
	"fmt"
	"html"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/batonhq/baton/internal/batontest"
)

func TestSignInAndOut(t *testing.T) {
	t.Parallel()
	w := setup(t)
	b := w.browser()

	if p := b.get(fmt.Sprintf("/app/accounts/%d/conversations", w.account)); p.url != "/app/login" {
		t.Fatalf("signed out, the queues led to %s, want the sign-in page", p.url)
	}
	if p := b.signIn(w.agentMail, "wrong-password"); p.status != http.StatusUnauthorized || !strings.Contains(p.body, "do not match") {
		t.Fatalf("wrong password: %d at %s", p.status, p.url)
	}
	p := b.signIn(w.agentMail, password)
	if p.status != http.StatusOK || p.url != fmt.Sprintf("/app/accounts/%d/conversations", w.account) {
		t.Fatalf("sign-in landed on %s with %d", p.url, p.status)
	}
	// The session cookie is HttpOnly and SameSite; only its hash is stored.
	res, err := http.PostForm(w.URL+"/app/login", url.Values{})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	u, _ := url.Parse(w.URL)
	var session *http.Cookie
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == "baton_session" {
			session = c
		}
	}
	if session == nil {
		t.Fatal("no session cookie")
	}
	out := b.post("/app/logout", url.Values{"csrf_token": {p.csrf(t)}})
	if out.url != "/app/login" {
		t.Fatalf("sign-out led to %s", out.url)
	}
	if p := b.get(fmt.Sprintf("/app/accounts/%d/conversations", w.account)); p.url != "/app/login" {
		t.Errorf("after sign-out the queues led to %s", p.url)
	}
}

func TestSessionCookieAttributes(t *testing.T) {
	t.Parallel()
	w := setup(t)
	b := w.browser()
	login := b.get("/app/login")
	client := &http.Client{Jar: b.client.Jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.PostForm(w.URL+"/app/login", url.Values{"csrf_token": {login.csrf(t)}, "email": {w.agentMail}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var c *http.Cookie
	for _, x := range res.Cookies() {
		if x.Name == "baton_session" {
			c = x
		}
	}
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure || len(c.Value) < 32 {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, not Secure over plain HTTP, a long token", c)
	}
}

func TestLoginNeedsItsFormToken(t *testing.T) {
	t.Parallel()
	w := setup(t)
	b := w.browser()
	b.get("/app/login")
	p := b.post("/app/login", url.Values{"csrf_token": {"forged"}, "email": {w.agentMail}, "password": {password}})
	if p.status != http.StatusForbidden {
		t.Fatalf("login with a forged form token: %d, want 403", p.status)
	}
}

func TestCSRFRefusedWithoutToken(t *testing.T) {
	t.Parallel()
	w := setup(t)
	id := w.customer("Casey", "casey@example.com", "Hello")
	b := w.browser()
	p := b.signIn(w.agentMail, password)
	conv := fmt.Sprintf("/app/accounts/%d/conversations/%d", w.account, id)
	for _, action := range []string{"/messages", "/take_over", "/resolve", "/hand_back"} {
		r := b.post(conv+action, url.Values{"content": {"forged"}})
		if r.status != http.StatusForbidden {
			t.Errorf("%s without a token: %d, want 403", action, r.status)
		}
		r = b.post(conv+action, url.Values{"content": {"forged"}, "csrf_token": {"x" + p.csrf(t)}})
		if r.status != http.StatusForbidden {
			t.Errorf("%s with a wrong token: %d, want 403", action, r.status)
		}
	}
	if out := b.post("/app/logout", url.Values{}); out.status != http.StatusForbidden {
		t.Errorf("sign-out without a token: %d, want 403", out.status)
	}
	// Nothing happened: the conversation is still the bot's, with no reply.
	c, err := w.App.Conversation(batontest.System(), w.account, id)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status.String() != "pending" || c.AssigneeID != 0 {
		t.Errorf("after forged posts: status %s assignee %d", c.Status, c.AssigneeID)
	}
	page := b.get(conv)
	if strings.Contains(page.body, "forged") {
		t.Error("a forged reply was posted")
	}
}

func TestAnotherAccountSeesNothing(t *testing.T) {
	t.Parallel()
	w := setup(t)
	id := w.customer("Casey Secret", "casey@example.com", "My card number is 4242")
	b := w.browser()
	b.signIn(w.other, password)
	for _, path := range []string{
		fmt.Sprintf("/app/accounts/%d/conversations", w.account),
		fmt.Sprintf("/app/accounts/%d/conversations/%d", w.account, id),
		fmt.Sprintf("/app/accounts/%d/conversations/%d/messages", w.account, id),
		fmt.Sprintf("/app/accounts/%d/counts", w.account),
		fmt.Sprintf("/app/accounts/%d/settings/inboxes", w.account),
	} {
		p := b.get(path)
		if p.status != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, p.status)
		}
		if strings.Contains(p.body, "Casey") || strings.Contains(p.body, "4242") {
			t.Errorf("%s shows the other account's conversation", path)
		}
	}
}

func TestAgentRefusedAdministration(t *testing.T) {
	t.Parallel()
	w := setup(t)
	b := w.browser()
	p := b.signIn(w.agentMail, password)
	if strings.Contains(p.body, "/settings/inboxes") {
		t.Error("an agent's navigation links to the administration")
	}
	for _, path := range []string{"/settings/inboxes", "/settings/agents", "/settings/bots", "/settings/bots/1/deliveries", "/settings/teams", "/reports/bots"} {
		r := b.get(fmt.Sprintf("/app/accounts/%d%s", w.account, path))
		if r.status != http.StatusForbidden {
			t.Errorf("agent at %s: %d, want 403", path, r.status)
		}
	}
	r := b.post(fmt.Sprintf("/app/accounts/%d/settings/agents", w.account), url.Values{"csrf_token": {p.csrf(t)},
		"name": {"Eve"}, "email": {"eve@acme.test"}, "password": {"password123"}, "role": {"administrator"}})
	if r.status != http.StatusForbidden {
		t.Errorf("agent creating an administrator: %d, want 403", r.status)
	}
}

func TestAvailability(t *testing.T) {
	t.Parallel()
	w := setup(t)
	b := w.browser()
	p := b.signIn(w.agentMail, password)
	r := b.post(fmt.Sprintf("/app/accounts/%d/availability", w.account), url.Values{"csrf_token": {p.csrf(t)}, "availability": {"busy"}})
	if r.status != http.StatusOK || !strings.Contains(r.body, `<option value="busy" selected>`) {
		t.Fatalf("after choosing busy: %d", r.status)
	}
	aus, err := w.App.Agents(batontest.System(), w.account)
	if err != nil {
		t.Fatal(err)
	}
	for _, au := range aus {
		if au.UserID == w.agentID && au.Availability.String() != "busy" {
			t.Errorf("availability %s, want busy", au.Availability)
		}
	}
}

// TestFormsRefuseBadText: a form with a NUL character or bytes that are
// not UTF-8 (which no browser sends, but anyone may) is refused with 400
// before it reaches a use case, on every form of the app and the sign-in,
// and changes nothing: PostgreSQL cannot store such text, and answered
// 500.
func TestFormsRefuseBadText(t *testing.T) {
	t.Parallel()
	onBothStores(t, func(t *testing.T, w *world) {
		sys := batontest.System()
		id := w.customer("Casey Customer", "casey@example.com", "Hello")
		c, err := w.App.Conversation(sys, w.account, id)
		if err != nil {
			t.Fatal(err)
		}
		b := w.browser()
		token := b.signIn(w.adminMail, password).csrf(t)
		acc := fmt.Sprintf("/app/accounts/%d", w.account)
		conv := fmt.Sprintf("%s/conversations/%d", acc, id)
		contact := fmt.Sprintf("%s/contacts/%d", acc, c.ContactID)
		messages := func() int {
			t.Helper()
			page, err := w.App.Messages(sys, w.account, id, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			return len(page.Messages)
		}
		before := messages()

		for _, bad := range []string{"a\x00b", "a\xffb"} {
			for path, form := range map[string]url.Values{
				contact:                            {"name": {bad}, "email": {"casey@example.com"}},
				conv + "/messages":                 {"content": {bad}},
				conv + "/labels":                   {"labels": {bad}},
				conv + "/hand_back":                {"note": {bad}},
				acc + "/conversations/bulk":        {"ids": {itoa(id)}, "do": {"label"}, "label": {bad}},
				acc + "/settings/teams":            {"name": {bad}},
				acc + "/settings/canned_responses": {"short_code": {"hi"}, "content": {bad}},
				conv + "/messages?x=1":             {"content": {"fine"}, bad: {"a key"}},
			} {
				form.Set("csrf_token", token)
				if p := b.post(path, form); p.status != http.StatusBadRequest || !strings.Contains(p.body, "UTF-8 text without NUL characters") {
					t.Errorf("%s with %q: %d, want 400 saying why", path, bad, p.status)
				}
			}
			// A reply with files, as the page sends it: a field, or a
			// file's name (one with a NUL does not parse as a part's
			// header at all, and the form with it is refused for its
			// token).
			parts := []struct{ field, file string }{{bad, "note.txt"}}
			if !strings.Contains(bad, "\x00") {
				parts = append(parts, struct{ field, file string }{"fine", bad})
			}
			for _, part := range parts {
				var body bytes.Buffer
				mw := multipart.NewWriter(&body)
				_ = mw.WriteField("csrf_token", token)
				_ = mw.WriteField("content", part.field)
				fw, _ := mw.CreateFormFile("attachments", part.file)
				_, _ = fw.Write([]byte("hello"))
				_ = mw.Close()
				res, err := b.client.Post(w.URL+conv+"/messages", mw.FormDataContentType(), &body)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode != http.StatusBadRequest {
					t.Errorf("a reply with files, field %q, file %q: %d, want 400", part.field, part.file, res.StatusCode)
				}
			}
			// The sign-in, from another browser.
			other := w.browser()
			login := other.get("/app/login")
			if p := other.post("/app/login", url.Values{"csrf_token": {login.csrf(t)}, "email": {bad + w.agentMail},
				"password": {password}}); p.status != http.StatusBadRequest || !strings.Contains(p.body, "UTF-8 text without NUL characters") {
				t.Errorf("signing in as %q: %d, want 400 saying why", bad, p.status)
			}
		}

		if n := messages(); n != before {
			t.Errorf("the conversation has %d messages, had %d", n, before)
		}
		after, err := w.App.Conversation(sys, w.account, id)
		if err != nil || len(after.Labels) != 0 || after.Status != c.Status {
			t.Errorf("the conversation changed: labels %q, status %s (%v)", after.Labels, after.Status, err)
		}
		ct, _, err := w.App.Contact(sys, w.account, c.ContactID)
		if err != nil || ct.Name != "Casey Customer" {
			t.Errorf("the contact is now %q (%v)", ct.Name, err)
		}
		if teams, _, err := w.App.Teams(sys, w.account); err != nil || len(teams) != 0 {
			t.Errorf("teams: %d (%v)", len(teams), err)
		}
		if crs, err := w.App.CannedResponses(sys, w.account, ""); err != nil || len(crs) != 0 {
			t.Errorf("canned responses: %d (%v)", len(crs), err)
		}
	})
}

// TestFormSizeLimit: a form without files is read whole into memory, so
// it is bounded far below the upload limit (100 MB, which a 60 MB
// contact edit used to be read up to, and written back in the refusal's
// page): past 4 MiB it is 413 and changes nothing; a long form within it
// reaches its handler.
func TestFormSizeLimit(t *testing.T) {
	t.Parallel()
	w := setup(t)
	id := w.customer("Casey Customer", "casey@example.com", "Hello")
	c, err := w.App.Conversation(batontest.System(), w.account, id)
	if err != nil {
		t.Fatal(err)
	}
	b := w.browser()
	token := b.signIn(w.adminMail, password).csrf(t)
	contact := fmt.Sprintf("/app/accounts/%d/contacts/%d", w.account, c.ContactID)
	big := b.post(contact, url.Values{"csrf_token": {token}, "name": {strings.Repeat("n", 4<<20)}, "email": {"casey@example.com"}})
	if big.status != http.StatusRequestEntityTooLarge || !strings.Contains(big.body, "The form is too large.") || len(big.body) > 1<<20 {
		t.Errorf("a contact edit of 4 MiB: %d, %d bytes", big.status, len(big.body))
	}
	long := b.post(contact, url.Values{"csrf_token": {token}, "name": {strings.Repeat("n", 3<<20)}, "email": {"casey@example.com"}})
	if long.status != http.StatusUnprocessableEntity || !strings.Contains(long.body, "Name is too long") {
		t.Errorf("a contact edit of 3 MiB: %d, want the handler's 422", long.status)
	}
	ct, _, err := w.App.Contact(batontest.System(), w.account, c.ContactID)
	if err != nil || ct.Name != "Casey Customer" {
		t.Errorf("the contact is now %.20q (%v)", ct.Name, err)
	}
}

// TestSignInLinkPage: a link from the Platform API's users/{id}/login
// signs the person in: without script the page asks them to continue (a
// preview or a mail scanner does not use the link up), with it the browser
// goes on at once and lands in their account; used, the link says so.
func TestSignInLinkPage(t *testing.T) {
	t.Parallel()
	w := setup(t)
	u := w.Call("POST", "/platform/api/v1/users", w.Platform, map[string]any{"name": "Lina Link", "email": "lina@acme.test",
		"password": "password123"}, http.StatusOK).(map[string]any)
	id := int64(u["id"].(float64))
	if _, err := w.App.AddAccountUser(batontest.System(), w.account, id, "agent"); err != nil {
		t.Fatal(err)
	}
	link := func() string {
		t.Helper()
		v := w.Call("GET", fmt.Sprintf("/platform/api/v1/users/%d/login", id), w.Platform, nil, http.StatusOK).(map[string]any)
		return strings.TrimPrefix(v["url"].(string), w.URL)
	}

	// Without script: the page, then its form.
	b := w.browser()
	p := b.get(link())
	if p.status != http.StatusOK || !strings.Contains(p.body, `id="link-sign-in"`) || !strings.Contains(p.body, "lina@acme.test") {
		t.Fatalf("the link's page: %d %.600s", p.status, p.body)
	}
	form := url.Values{"csrf_token": {p.csrf(t)}}
	for _, name := range []string{"email", "sso_auth_token"} {
		m := regexp.MustCompile(`name="` + name + `" value="([^"]*)"`).FindStringSubmatch(p.body)
		if m == nil {
			t.Fatalf("the form has no %s", name)
		}
		form.Set(name, html.UnescapeString(m[1]))
	}
	if r := b.post("/app/login", form); r.status != http.StatusOK || !strings.HasSuffix(r.url, "/conversations") {
		t.Errorf("signing in with the link: %d at %s", r.status, r.url)
	}
	again := w.browser()
	form.Set("csrf_token", again.get("/app/login").csrf(t))
	if r := again.post("/app/login", form); r.status != http.StatusUnauthorized || !strings.Contains(r.body, "expired or was used") {
		t.Errorf("the link again: %d %.300s", r.status, r.body)
	}

	// With script: straight in.
	tab := w.tab(t)
	tab.open(link())
	tab.waitFor("the account", `location.pathname.endsWith("/conversations") && document.readyState === "complete"`)
	if got := js[string](tab, `document.querySelector("a.who").textContent`); !strings.Contains(got, "Lina Link") {
		t.Errorf("signed in as %q", got)
	}
}
