package agent_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/batontest"
	"github.com/batonhq/baton/internal/delivery"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// password is every test user's password, the one batontest's NewUser gives.
const password = "password123"

// world is a test's server (a batontest World with the agent app at /app,
// the website widget, the live channel and the delivery engine running) and one account with
// an administrator, an agent who works its API inbox, a bot (a
// batontest.Bot that records what it receives) connected to that inbox,
// and a second account with an agent of its own.
type world struct {
	*batontest.World
	account   int64
	adminMail string
	agentMail string
	agentID   int64
	other     string // the other account's agent's e-mail
	inbox     *baton.Inbox
	botID     int64
	botToken  string
	bot       *recorder
}

// recorder is the bot, with the questions the tests ask of what it received.
type recorder struct{ *batontest.Bot }

// wait returns the first event for which match is true, waiting up to
// thirty seconds for it.
func (r *recorder) wait(t testing.TB, what string, match func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		r.Mu.Lock()
		for _, e := range r.Events {
			if match(e) {
				r.Mu.Unlock()
				return e
			}
		}
		r.Mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the bot never received %s", what)
	return nil
}

// count returns how many events match.
func (r *recorder) count(match func(map[string]any) bool) int {
	r.Mu.Lock()
	defer r.Mu.Unlock()
	n := 0
	for _, e := range r.Events {
		if match(e) {
			n++
		}
	}
	return n
}

func ptr[T any](v T) *T { return &v }

func setup(t testing.TB) *world {
	t.Helper()
	s := storetest.OpenSQLite(t)
	return setupOn(t, s)
}

func setupOn(t testing.TB, s *store.Store) *world {
	t.Helper()
	w := &world{World: batontest.Start(t, batontest.Options{Store: s, RunEngine: true, Live: true, Agent: true, Widget: true,
		App: func(c *app.Config) { c.Limits = app.Limits{MessagesPerMinute: 1 << 30} },
		Engine: func(c *delivery.Config) {
			c.Timeout, c.Schedule, c.Attempts = 5*time.Second, []time.Duration{100 * time.Millisecond}, 3
		}})}
	w.bot = &recorder{batontest.NewBot(t, nil)}
	// wait and count look at Events and nothing reads Received, so it is
	// emptied as events come, lest a test of a thousand messages fill it
	// and block the bot.
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	go func() {
		for {
			select {
			case <-w.bot.Received:
			case <-stop:
				return
			}
		}
	}()

	user := func(account int64, name, role string) (int64, string) {
		email := fmt.Sprintf("%s%d@acme.test", strings.ToLower(strings.Fields(name)[0]), account)
		id, _ := w.NewUser(account, name, email, role)
		return id, email
	}
	w.account = w.NewAccount("Acme")
	_, w.adminMail = user(w.account, "Ada Admin", "administrator")
	w.agentID, w.agentMail = user(w.account, "Sam Agent", "agent")
	w.inbox = w.NewInbox(w.account, "Support API", baton.ChannelAPI)
	sys := batontest.System()
	if _, err := w.App.ChangeInboxMembers(sys, w.account, w.inbox.ID, app.MembersAdd, []int64{w.agentID}); err != nil {
		t.Fatal(err)
	}
	bot, err := w.App.CreateAgentBot(sys, w.account, app.AgentBotInput{Name: ptr("Order Bot"), OutgoingURL: ptr(w.bot.URL + "/hook")})
	if err != nil {
		t.Fatal(err)
	}
	w.botID, w.botToken = bot.Bot.ID, bot.AccessToken
	if err := w.App.SetInboxAgentBot(sys, w.account, w.inbox.ID, bot.Bot.ID); err != nil {
		t.Fatal(err)
	}
	_, w.other = user(w.NewAccount("Other"), "Olga Other", "administrator")
	return w
}

// customer starts a conversation as a customer of the API inbox and says
// something; it is the bot's (pending).
func (w *world) customer(name, email, text string) int64 {
	w.T.Helper()
	source := strings.ToLower(strings.ReplaceAll(name, " ", "-"))
	ctx := w.asCustomer(source)
	if _, _, err := w.App.PublicCreateContact(ctx, app.PublicContactInput{SourceID: source,
		ContactInput: app.ContactInput{Name: &name, Email: &email}}); err != nil {
		w.T.Fatal(err)
	}
	c, err := w.App.PublicCreateConversation(ctx, nil)
	if err != nil {
		w.T.Fatal(err)
	}
	w.say(source, c.DisplayID, text)
	return c.DisplayID
}

// asCustomer is a context carrying the customer's public API credential.
func (w *world) asCustomer(source string) context.Context {
	return baton.NewContextWithCredential(context.Background(),
		baton.ContactCredential{InboxIdentifier: w.inbox.Identifier, SourceID: source})
}

// say posts a customer's message.
func (w *world) say(source string, id int64, text string) {
	w.T.Helper()
	if _, err := w.App.PublicCreateMessage(w.asCustomer(source), id, app.PublicMessageInput{Content: &text}); err != nil {
		w.T.Fatal(err)
	}
}

// handOff has the bot tell the customer, write private notes and hand the
// conversation to people with a reason and a summary, through the API with
// its token, as a bot does.
func (w *world) handOff(id int64, reason, summary string, notes ...string) {
	w.T.Helper()
	conv := fmt.Sprintf("/api/v1/accounts/%d/conversations/%d", w.account, id)
	w.Call("POST", conv+"/messages", w.botToken, map[string]any{"content": "I am handing you to a person now."}, http.StatusOK)
	for _, n := range notes {
		w.Call("POST", conv+"/messages", w.botToken, map[string]any{"content": n, "private": true}, http.StatusOK)
	}
	w.Call("POST", conv+"/toggle_status", w.botToken, map[string]any{"status": "open",
		"handoff": map[string]any{"reason": reason, "summary": summary}}, http.StatusOK)
}

// browser is an HTTP client with cookies, like a browser without script.
type browser struct {
	t      testing.TB
	w      *world
	client *http.Client
}

func (w *world) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: w.T, w: w, client: &http.Client{Jar: jar}}
}

type page struct {
	status int
	body   string
	url    string
}

func (b *browser) get(path string) page {
	b.t.Helper()
	res, err := b.client.Get(b.w.URL + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return page{status: res.StatusCode, body: string(body), url: res.Request.URL.Path}
}

func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	res, err := b.client.PostForm(b.w.URL+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return page{status: res.StatusCode, body: string(body), url: res.Request.URL.Path}
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// csrf is the token of the forms on the page.
func (p page) csrf(t testing.TB) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no csrf_token on the page %s", p.url)
	}
	return m[1]
}

// signIn signs in through the form and returns the page it lands on.
func (b *browser) signIn(email, pass string) page {
	b.t.Helper()
	login := b.get("/app/login")
	return b.post("/app/login", url.Values{"csrf_token": {login.csrf(b.t)}, "email": {email}, "password": {pass}})
}

// TestBarePrefixesNotFound: the API's prefixes and the app's static
// directory, asked for with or without a trailing slash, are not found,
// not redirected to themselves (the server cleans a trailing slash off).
func TestBarePrefixesNotFound(t *testing.T) {
	t.Parallel()
	w := setup(t)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, p := range []string{"/api", "/api/", "/public", "/public/", "/platform", "/platform/", "/app/static", "/app/static/"} {
		res, err := client.Get(w.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d (Location %q), want 404", p, res.StatusCode, res.Header.Get("Location"))
		}
	}
}

// TestFavicon: every page names the app's icon, which is served as SVG,
// so that a tab shows Baton's, and the browser asks for no /favicon.ico.
func TestFavicon(t *testing.T) {
	t.Parallel()
	w := setup(t)
	if p := w.browser().get("/app/login"); !strings.Contains(p.body, `<link rel="icon" href="/app/static/favicon.svg" type="image/svg+xml">`) {
		t.Errorf("the sign-in page names no icon:\n%.600s", p.body)
	}
	res, err := http.Get(w.URL + "/app/static/favicon.svg")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(string(body), "<svg") {
		t.Errorf("the icon: %d %q %.80s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
}

// TestOpeningMarksSeen: a person who opens a conversation has seen it: its
// unread count in the queues starts again from there.
func TestOpeningMarksSeen(t *testing.T) {
	t.Parallel()
	w := setup(t)
	id := w.customer("Casey Customer", "casey@example.com", "Where is my parcel?")
	w.handOff(id, "Customer asked for a person", "Parcel late.")
	sys := batontest.System()
	before, err := w.App.Conversation(sys, w.account, id)
	if err != nil || before.UnreadCount == 0 || before.AgentLastSeenAt != nil {
		t.Fatalf("before anyone looked: unread %d, seen at %v (%v)", before.UnreadCount, before.AgentLastSeenAt, err)
	}
	b := w.browser()
	b.signIn(w.adminMail, password)
	if p := b.get(fmt.Sprintf("/app/accounts/%d/conversations/%d", w.account, id)); p.status != http.StatusOK {
		t.Fatalf("the conversation page: %d", p.status)
	}
	after, err := w.App.Conversation(sys, w.account, id)
	if err != nil || after.UnreadCount != 0 || after.AgentLastSeenAt == nil {
		t.Fatalf("after it was opened: unread %d, seen at %v (%v)", after.UnreadCount, after.AgentLastSeenAt, err)
	}
}

// TestCustomerTextIsIsolated: a customer's name and last message are set
// apart from the text around them (<bdi>), in the list, the conversation
// and the contact's pages: a name holding a right-to-left override
// (U+202E) turned around what followed it on its row or heading, the
// unread badge and the conversation's number among it.
func TestCustomerTextIsIsolated(t *testing.T) {
	t.Parallel()
	w := setup(t)
	name, text := "\u202eevil Casey", "\u202eflipped text"
	id := w.customer(name, "casey@example.com", text)
	c, err := w.App.Conversation(batontest.System(), w.account, id)
	if err != nil {
		t.Fatal(err)
	}
	b := w.browser()
	b.signIn(w.adminMail, password)
	acc := fmt.Sprintf("/app/accounts/%d", w.account)
	for path, want := range map[string][]string{
		acc + "/conversations?queue=bot":                {"<bdi>" + name + "</bdi>", "<bdi>" + text + "</bdi>"},
		fmt.Sprintf("%s/conversations/%d", acc, id):     {`<h1 id="conv-title" tabindex="-1"><bdi>` + name + "</bdi>", `id="contact-link"><bdi>` + name + "</bdi>"},
		fmt.Sprintf("%s/contacts/%d", acc, c.ContactID): {`<h1 id="contact-name"><bdi>` + name + "</bdi>", "<dd><bdi>" + name + "</bdi>"},
		acc + "/contacts":                               {"<bdi>" + name + "</bdi>"},
	} {
		p := b.get(path)
		if p.status != http.StatusOK {
			t.Fatalf("%s: %d", path, p.status)
		}
		for _, s := range want {
			if !strings.Contains(p.body, s) {
				t.Errorf("%s does not hold %q", path, s)
			}
		}
	}
}

// TestEmptyQueuePointsElsewhere: a queue with nothing in it links the
// queues that have something, with their counts, as a search that finds
// nothing does: the app opens on Waiting, empty whenever auto-assignment
// has given everything out or the bots hold it, and a newcomer saw only
// "No conversations here."
func TestEmptyQueuePointsElsewhere(t *testing.T) {
	t.Parallel()
	w := setup(t)
	w.customer("Casey Customer", "casey@example.com", "Where is my parcel?") // the bot's
	b := w.browser()
	b.signIn(w.adminMail, password)
	p := b.get(fmt.Sprintf("/app/accounts/%d/conversations", w.account))
	want := fmt.Sprintf(`No conversations here. <a href="/app/accounts/%d/conversations?queue=bot">Bot: 1</a>`, w.account)
	if p.status != http.StatusOK || !strings.Contains(p.body, want) {
		t.Errorf("the empty Waiting queue (%d) does not hold %q:\n%s", p.status, want, p.body)
	}
}
