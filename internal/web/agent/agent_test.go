package agent_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/auth"
	"github.com/batonhq/baton/internal/chatwoot"
	"github.com/batonhq/baton/internal/delivery"
	"github.com/batonhq/baton/internal/filestore"
	"github.com/batonhq/baton/internal/realtime"
	"github.com/batonhq/baton/internal/server"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
	"github.com/batonhq/baton/internal/web/agent"
)

// password is every test user's password.
const password = "password123"

// world is a test's server: the Chatwoot API and the agent app on one
// address, the delivery engine running, and one account with an
// administrator, an agent who works its API inbox, a bot (an httptest
// server that records what it receives) connected to that inbox, and a
// second account with an agent of its own.
type world struct {
	t         testing.TB
	app       *app.App
	url       string
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

// recorder is the bot: it keeps every event it receives.
type recorder struct {
	mu     sync.Mutex
	events []map[string]any
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var e map[string]any
	_ = json.NewDecoder(req.Body).Decode(&e)
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

// wait returns the first event for which match is true, waiting up to ten
// seconds for it.
func (r *recorder) wait(t testing.TB, what string, match func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		for _, e := range r.events {
			if match(e) {
				r.mu.Unlock()
				return e
			}
		}
		r.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the bot never received %s", what)
	return nil
}

// count returns how many events match.
func (r *recorder) count(match func(map[string]any) bool) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.events {
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
	key, err := auth.NewKey("0123456789abcdef0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filestore.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	var base string
	publicURL := func() string { return base }
	engine := delivery.New(delivery.Config{Store: s, Key: key, Logger: quiet, Timeout: 5 * time.Second,
		Schedule: []time.Duration{100 * time.Millisecond}, Attempts: 3})
	var hub *realtime.Hub
	a := app.New(app.Config{Store: s, Key: key, Files: files, Logger: quiet,
		Limits: app.Limits{MessagesPerMinute: 1 << 30}, Renderer: &chatwoot.Renderer{PublicURL: publicURL}, OnEvent: engine.Wake,
		OnLive: func() { hub.Wake() }})
	hub = realtime.New(realtime.Config{App: a, Renderer: &chatwoot.Cable{PublicURL: publicURL}, Logger: quiet})
	api := chatwoot.New(chatwoot.Config{App: a, Logger: quiet, PublicURL: publicURL})
	web := agent.New(agent.Config{App: a, Logger: quiet, PublicURL: publicURL})
	mux := http.NewServeMux()
	mux.Handle("/app", web)
	mux.Handle("/app/", web)
	mux.Handle("/", api)
	srv := server.New(server.Config{Handler: mux, Cable: hub, Logger: quiet})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	base = "http://" + srv.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	engine.Start(ctx)
	if err := hub.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		hub.Stop()
		engine.Stop()
		_ = srv.Stop(context.Background())
	})

	w := &world{t: t, app: a, url: base, bot: &recorder{}}
	botServer := httptest.NewServer(w.bot)
	t.Cleanup(botServer.Close)
	sys := baton.NewContextWithActor(context.Background(), baton.SystemActor)
	acc, err := a.CreateAccount(sys, app.AccountInput{Name: ptr("Acme")})
	if err != nil {
		t.Fatal(err)
	}
	w.account = acc.ID
	user := func(account int64, name, role string) (*baton.User, string) {
		email := fmt.Sprintf("%s%d@acme.test", strings.ToLower(strings.Fields(name)[0]), account)
		u, _, err := a.CreateUserInAccount(sys, account, app.UserInput{Name: ptr(name), Email: &email, Password: ptr(password)}, role)
		if err != nil {
			t.Fatal(err)
		}
		return u, email
	}
	_, w.adminMail = user(acc.ID, "Ada Admin", "administrator")
	agentUser, agentMail := user(acc.ID, "Sam Agent", "agent")
	w.agentMail, w.agentID = agentMail, agentUser.ID
	if w.inbox, err = a.CreateInbox(sys, acc.ID, app.InboxInput{Name: ptr("Support API"), ChannelType: baton.ChannelAPI}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.ChangeInboxMembers(sys, acc.ID, w.inbox.ID, app.MembersAdd, []int64{agentUser.ID}); err != nil {
		t.Fatal(err)
	}
	bot, err := a.CreateAgentBot(sys, acc.ID, app.AgentBotInput{Name: ptr("Order Bot"), OutgoingURL: ptr(botServer.URL + "/hook")})
	if err != nil {
		t.Fatal(err)
	}
	w.botID, w.botToken = bot.Bot.ID, bot.AccessToken
	if err := a.SetInboxAgentBot(sys, acc.ID, w.inbox.ID, bot.Bot.ID); err != nil {
		t.Fatal(err)
	}
	other, err := a.CreateAccount(sys, app.AccountInput{Name: ptr("Other")})
	if err != nil {
		t.Fatal(err)
	}
	_, w.other = user(other.ID, "Olga Other", "administrator")
	return w
}

// customer starts a conversation as a customer of the API inbox and says
// something; it is the bot's (pending).
func (w *world) customer(name, email, text string) int64 {
	w.t.Helper()
	source := strings.ToLower(strings.ReplaceAll(name, " ", "-"))
	ctx := w.asCustomer(source)
	if _, _, err := w.app.PublicCreateContact(ctx, app.PublicContactInput{SourceID: source,
		ContactInput: app.ContactInput{Name: &name, Email: &email}}); err != nil {
		w.t.Fatal(err)
	}
	c, err := w.app.PublicCreateConversation(ctx, nil)
	if err != nil {
		w.t.Fatal(err)
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
	w.t.Helper()
	if _, err := w.app.PublicCreateMessage(w.asCustomer(source), id, app.PublicMessageInput{Content: &text}); err != nil {
		w.t.Fatal(err)
	}
}

// handOff has the bot tell the customer, write private notes and hand the
// conversation to people with a reason and a summary, through the API with
// its token, as a bot does.
func (w *world) handOff(id int64, reason, summary string, notes ...string) {
	w.t.Helper()
	conv := fmt.Sprintf("%s/api/v1/accounts/%d/conversations/%d", w.url, w.account, id)
	w.botCall("POST", conv+"/messages", map[string]any{"content": "I am handing you to a person now."})
	for _, n := range notes {
		w.botCall("POST", conv+"/messages", map[string]any{"content": n, "private": true})
	}
	w.botCall("POST", conv+"/toggle_status", map[string]any{"status": "open",
		"handoff": map[string]any{"reason": reason, "summary": summary}})
}

func (w *world) botCall(method, u string, body any) {
	w.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, u, strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("api_access_token", w.botToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		got, _ := io.ReadAll(res.Body)
		w.t.Fatalf("bot %s %s: %d %s", method, u, res.StatusCode, got)
	}
}

// browser is an HTTP client with cookies, like a browser without script.
type browser struct {
	t      testing.TB
	w      *world
	client *http.Client
}

func (w *world) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: w.t, w: w, client: &http.Client{Jar: jar}}
}

type page struct {
	status int
	body   string
	url    string
}

func (b *browser) get(path string) page {
	b.t.Helper()
	res, err := b.client.Get(b.w.url + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return page{status: res.StatusCode, body: string(body), url: res.Request.URL.Path}
}

func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	res, err := b.client.PostForm(b.w.url+path, form)
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

func asSystem() context.Context {
	return baton.NewContextWithActor(context.Background(), baton.SystemActor)
}
