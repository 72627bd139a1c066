package realtime_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/batontest"
	"github.com/batonhq/baton/internal/realtime"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/postgres"
	"github.com/batonhq/baton/internal/store/storetest"
	"github.com/coder/websocket"
)

func ptr[T any](v T) *T { return &v }

// node is one Baton process: an app and a hub on a store, served over real
// HTTP with /cable.
type node struct {
	app   *app.App
	hub   *realtime.Hub
	url   string
	store *store.Store
}

// world is a test's world: one process (or two on one PostgreSQL), an
// account with an administrator, an agent who works the API inbox, an
// agent who works no inbox, and a second account with its administrator.
type world struct {
	t        testing.TB
	nodes    []*node
	account  int64
	api      *baton.Inbox
	admin    person
	agent    person // works the API inbox
	idle     person // works no inbox
	other    int64  // another account
	outsider person // the other account's administrator
}

type person struct {
	id     int64
	token  string
	pubsub string
}

// newNode starts a process on s, a world of batontest's with the live
// channel. pgURL, when set, is the PostgreSQL database s opened: the hub
// then hears of commits through LISTEN. mod, when set, changes the hub's
// settings.
func newNode(t testing.TB, s *store.Store, pgURL string, mod func(*realtime.Config)) *node {
	t.Helper()
	// Every reading of the app's clock moves it a second, so that times are
	// ordered and deterministic without sleeping; the hub keeps the wall
	// clock unless mod gives it another.
	w := batontest.Start(t, batontest.Options{Store: s, Live: true, PostgresURL: pgURL, Hub: mod,
		Clock: batontest.NewTickingClock(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC), time.Second),
		App:   func(c *app.Config) { c.Limits.MessagesPerMinute = 1 << 30 }})
	return &node{app: w.App, hub: w.Hub, url: w.URL, store: w.Store}
}

// newPostgresNode starts another process on the PostgreSQL database at
// url, with a store of its own that keeps to conns connections (when not
// 0), hearing of every process's commits through LISTEN.
func newPostgresNode(t testing.TB, url string, conns int) *node {
	t.Helper()
	s, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	if conns != 0 {
		s.LimitConnections(conns)
	}
	t.Cleanup(func() { s.Close() })
	return newNode(t, s, url, nil)
}

// setup builds a world of one process on SQLite.
func setup(t testing.TB) *world {
	t.Helper()
	return populate(t, newNode(t, storetest.OpenSQLite(t), "", nil))
}

func populate(t testing.TB, nodes ...*node) *world {
	t.Helper()
	w := &world{t: t, nodes: nodes}
	a := nodes[0].app
	sys := baton.NewContextWithActor(context.Background(), baton.SystemActor)
	acc, err := a.CreateAccount(sys, app.AccountInput{Name: ptr("Acme")})
	if err != nil {
		t.Fatal(err)
	}
	w.account = acc.ID
	user := func(account int64, name, role string) person {
		email := fmt.Sprintf("%s%d@acme.test", name, account)
		u, token, err := a.CreateUserInAccount(sys, account, app.UserInput{Name: ptr(name), Email: &email, Password: ptr("password123")}, role)
		if err != nil {
			t.Fatal(err)
		}
		p := person{id: u.ID, token: token}
		var profile struct {
			PubsubToken string `json:"pubsub_token"`
		}
		w.call(http.MethodGet, "/api/v1/profile", token, nil, &profile)
		if profile.PubsubToken == "" {
			t.Fatal("the profile shows no pubsub_token")
		}
		p.pubsub = profile.PubsubToken
		// Busy: people who connect are not routed conversations (the
		// handoff's business), so each test's events are its own.
		w.call(http.MethodPost, "/api/v1/profile/availability", token,
			map[string]any{"profile": map[string]any{"availability": "busy", "account_id": account}}, nil)
		return p
	}
	w.admin = user(acc.ID, "Ada", "administrator")
	w.agent = user(acc.ID, "Alan", "agent")
	w.idle = user(acc.ID, "Ida", "agent")
	if w.api, err = a.CreateInbox(sys, acc.ID, app.InboxInput{Name: ptr("API"), ChannelType: baton.ChannelAPI}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.ChangeInboxMembers(sys, acc.ID, w.api.ID, app.MembersAdd, []int64{w.agent.id}); err != nil {
		t.Fatal(err)
	}
	other, err := a.CreateAccount(sys, app.AccountInput{Name: ptr("Other")})
	if err != nil {
		t.Fatal(err)
	}
	w.other = other.ID
	w.outsider = user(other.ID, "Olga", "administrator")
	return w
}

// call sends a JSON request to the first process and decodes the answer
// into out, failing on any status but 200.
func (w *world) call(method, path, token string, body, out any) {
	w.t.Helper()
	w.callOn(0, method, path, token, body, out)
}

func (w *world) callOn(i int, method, path, token string, body, out any) {
	w.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, w.nodes[i].url+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("api_access_token", token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		w.t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			w.t.Fatalf("%s %s: %v\n%s", method, path, err, raw)
		}
	}
}

// customer is a contact of the API inbox, made through the public API.
type customer struct {
	source string
	pubsub string
	conv   int64 // display id of their conversation
}

func (w *world) customer(name string) *customer {
	w.t.Helper()
	var c struct {
		SourceID    string `json:"source_id"`
		PubsubToken string `json:"pubsub_token"`
	}
	w.call(http.MethodPost, "/public/api/v1/inboxes/"+w.api.Identifier+"/contacts", "", map[string]any{"name": name}, &c)
	var conv struct {
		ID int64 `json:"id"`
	}
	w.call(http.MethodPost, w.publicPath(&customer{source: c.SourceID})+"/conversations", "", nil, &conv)
	w.sync()
	return &customer{source: c.SourceID, pubsub: c.PubsubToken, conv: conv.ID}
}

// sync waits until every process has fanned out what was committed.
func (w *world) sync() {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, n := range w.nodes {
		if err := n.hub.Sync(ctx); err != nil {
			w.t.Fatal(err)
		}
	}
}

func (w *world) publicPath(c *customer) string {
	return "/public/api/v1/inboxes/" + w.api.Identifier + "/contacts/" + c.source
}

// say posts a customer's message.
func (w *world) say(c *customer, text string) {
	w.t.Helper()
	w.call(http.MethodPost, fmt.Sprintf("%s/conversations/%d/messages", w.publicPath(c), c.conv), "", map[string]any{"content": text}, nil)
}

// contact makes a contact in the account, as its administrator, and
// returns its id.
func (w *world) contact(name, email string) int64 {
	w.t.Helper()
	var created struct {
		Payload struct {
			Contact struct {
				ID int64 `json:"id"`
			} `json:"contact"`
		} `json:"payload"`
	}
	w.call(http.MethodPost, fmt.Sprintf("/api/v1/accounts/%d/contacts", w.account), w.admin.token,
		map[string]any{"name": name, "email": email}, &created)
	return created.Payload.Contact.ID
}

// reply posts an agent's message (private: a note).
func (w *world) reply(p person, c *customer, text string, private bool) {
	w.t.Helper()
	w.call(http.MethodPost, fmt.Sprintf("/api/v1/accounts/%d/conversations/%d/messages", w.account, c.conv), p.token,
		map[string]any{"content": text, "private": private}, nil)
}

// client is a live connection, read frame by frame.
type client struct {
	t      testing.TB
	ws     *websocket.Conn
	frames chan map[string]any
	raw    chan []byte
	data   map[string]json.RawMessage // the latest data of each event, as sent
}

func (w *world) dial(i int) *client {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	url := strings.Replace(w.nodes[i].url, "http://", "ws://", 1) + "/cable"
	ws, res, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"actioncable-v1-json", "actioncable-unsupported"},
		HTTPHeader: http.Header{"Origin": []string{"https://shop.example"}}})
	if err != nil {
		w.t.Fatal(err)
	}
	if got := res.Header.Get("Sec-WebSocket-Protocol"); got != "actioncable-v1-json" {
		w.t.Fatalf("subprotocol %q", got)
	}
	c := &client{t: w.t, ws: ws, frames: make(chan map[string]any, 1000), raw: make(chan []byte, 1000),
		data: map[string]json.RawMessage{}}
	go func() {
		defer close(c.frames)
		for {
			_, b, err := ws.Read(context.Background())
			if err != nil {
				return
			}
			var f map[string]any
			_ = json.Unmarshal(b, &f)
			if f["type"] == "ping" {
				continue
			}
			c.raw <- b
			c.frames <- f
		}
	}()
	w.t.Cleanup(func() { ws.CloseNow() })
	if f := c.next(); f["type"] != "welcome" {
		w.t.Fatalf("first frame %v", f)
	}
	<-c.raw
	return c
}

func (c *client) send(v any) {
	c.t.Helper()
	b, _ := json.Marshal(v)
	if err := c.ws.Write(context.Background(), websocket.MessageText, b); err != nil {
		c.t.Fatal(err)
	}
}

// next returns the next frame other than a ping.
func (c *client) next() map[string]any {
	c.t.Helper()
	select {
	case f, ok := <-c.frames:
		if !ok {
			c.t.Fatal("connection closed")
		}
		return f
	case <-time.After(10 * time.Second):
		c.t.Fatal("no frame within 10 s")
	}
	return nil
}

// subscribe subscribes with the identifier and returns the answer's type.
func (c *client) subscribe(identifier string) string {
	c.t.Helper()
	c.send(map[string]any{"command": "subscribe", "identifier": identifier})
	for {
		f := c.next()
		<-c.raw
		if t, ok := f["type"].(string); ok {
			if f["identifier"] != identifier {
				c.t.Fatalf("identifier not echoed: %v", f)
			}
			return t
		}
	}
}

func contactIdentifier(token string) string {
	return `{"channel":"RoomChannel","pubsub_token":"` + token + `"}`
}

func userIdentifier(p person, account int64) string {
	return fmt.Sprintf(`{"channel":"RoomChannel","pubsub_token":"%s","account_id":%d,"user_id":%d}`, p.pubsub, account, p.id)
}

// event waits for the next message frame of the named event and returns
// its data, failing if another event but presence arrives first.
func (c *client) event(name string) map[string]any {
	c.t.Helper()
	for {
		f := c.next()
		c.keep(<-c.raw)
		msg, _ := f["message"].(map[string]any)
		if msg == nil || msg["event"] == "presence.update" {
			continue
		}
		if msg["event"] != name {
			c.t.Fatalf("want %s, got %s: %v", name, msg["event"], msg["data"])
		}
		data, _ := msg["data"].(map[string]any)
		return data
	}
}

// events collects the next n events (presence aside), by name.
func (c *client) events(n int) map[string]map[string]any {
	c.t.Helper()
	out := map[string]map[string]any{}
	for len(out) < n {
		f := c.next()
		c.keep(<-c.raw)
		msg, _ := f["message"].(map[string]any)
		if msg == nil || msg["event"] == "presence.update" {
			continue
		}
		data, _ := msg["data"].(map[string]any)
		out[msg["event"].(string)] = data
	}
	return out
}

// keep remembers a frame's data as sent, for golden files.
func (c *client) keep(raw []byte) {
	var f struct {
		Message struct {
			Event string          `json:"event"`
			Data  json.RawMessage `json:"data"`
		} `json:"message"`
	}
	if json.Unmarshal(raw, &f) == nil && f.Message.Event != "" {
		c.data[f.Message.Event] = f.Message.Data
	}
}

// quiet checks that no event but presence arrives within a moment.
func (c *client) quiet() {
	c.t.Helper()
	deadline := time.After(300 * time.Millisecond)
	for {
		select {
		case f, ok := <-c.frames:
			if !ok {
				return
			}
			<-c.raw
			if msg, _ := f["message"].(map[string]any); msg != nil && msg["event"] != "presence.update" {
				c.t.Fatalf("unexpected frame: %v", f)
			}
		case <-deadline:
			return
		}
	}
}

func TestPlainRequestIsNotFound(t *testing.T) {
	t.Parallel()
	w := setup(t)
	res, err := http.Get(w.nodes[0].url + "/cable")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 404 || string(body) != "Page not found" {
		t.Fatalf("%d %q", res.StatusCode, body)
	}
}

func TestSubscriptions(t *testing.T) {
	t.Parallel()
	w := setup(t)
	casey := w.customer("Casey")
	// padded is Casey's identifier padded to n bytes.
	padded := func(n int) string {
		id := `{"channel":"RoomChannel","pubsub_token":"` + casey.pubsub + `","pad":"`
		return id + strings.Repeat("x", n-len(id)-2) + `"}`
	}
	tests := []struct {
		name, identifier, want string
	}{
		{"contact", contactIdentifier(casey.pubsub), "confirm_subscription"},
		// The identifier is echoed as sent, spacing and key order included.
		{"contact spaced", `{ "pubsub_token" : "` + casey.pubsub + `", "channel":"RoomChannel"}`, "confirm_subscription"},
		{"agent", userIdentifier(w.agent, w.account), "confirm_subscription"},
		{"agent, account id as a string", fmt.Sprintf(`{"channel":"RoomChannel","pubsub_token":"%s","account_id":"%d","user_id":%d}`, w.agent.pubsub, w.account, w.agent.id), "confirm_subscription"},
		{"unknown contact token", contactIdentifier("nope"), "reject_subscription"},
		{"empty token", contactIdentifier(""), "reject_subscription"},
		{"user token as a contact", contactIdentifier(w.agent.pubsub), "reject_subscription"},
		{"user in another account", userIdentifier(w.agent, w.other), "reject_subscription"},
		{"another user's id", fmt.Sprintf(`{"channel":"RoomChannel","pubsub_token":"%s","account_id":%d,"user_id":%d}`, w.agent.pubsub, w.account, w.admin.id), "reject_subscription"},
		{"access token as pubsub token", fmt.Sprintf(`{"channel":"RoomChannel","pubsub_token":"%s","account_id":%d,"user_id":%d}`, w.agent.token, w.account, w.agent.id), "reject_subscription"},
		{"contact token as a user", fmt.Sprintf(`{"channel":"RoomChannel","pubsub_token":"%s","account_id":%d,"user_id":%d}`, casey.pubsub, w.account, w.agent.id), "reject_subscription"},
		{"other channel", `{"channel":"AppearanceChannel","pubsub_token":"` + casey.pubsub + `"}`, "reject_subscription"},
		{"not JSON", `RoomChannel`, "reject_subscription"},
		// Each frame repeats the identifier: a long one is refused.
		{"identifier of 1 KiB", padded(1024), "confirm_subscription"},
		{"identifier over 1 KiB", padded(1025), "reject_subscription"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := w.dial(0).subscribe(tt.identifier); got != tt.want {
				t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
			}
		})
	}
}

func TestTooManySubscriptions(t *testing.T) {
	t.Parallel()
	n := newNode(t, storetest.OpenSQLite(t), "", func(c *realtime.Config) { c.MaxSubscriptions = 2 })
	w := populate(t, n)
	c := w.dial(0)
	for i, want := range []string{"confirm_subscription", "confirm_subscription", "reject_subscription"} {
		if got := c.subscribe(contactIdentifier(w.customer(fmt.Sprint("Casey ", i)).pubsub)); got != want {
			t.Errorf("subscription %d: %s, want %s", i, got, want)
		}
	}
}

// TestOneSubscriptionPerSubscriber: a connection holds one subscription of
// a contact, or of a user in an account, whatever the identifier says
// beside the token: a second under another identifier is refused (the
// same identifier again is ignored, as Rails does). Each would be sent
// every frame again: a client subscribing its contact 50 times on each of
// 20 connections had 5 messages of its own sent back as 760 MB, and the
// server grew from 40 MB to 800 MB. A user's other account, and another
// connection of the same contact, are subscribed as before.
func TestOneSubscriptionPerSubscriber(t *testing.T) {
	t.Parallel()
	w := setup(t)
	casey := w.customer("Casey")
	c := w.dial(0)
	if got := c.subscribe(contactIdentifier(casey.pubsub)); got != "confirm_subscription" {
		t.Fatalf("the contact: %s", got)
	}
	again := fmt.Sprintf(`{"channel":"RoomChannel","pubsub_token":"%s","n":1}`, casey.pubsub)
	if got := c.subscribe(again); got != "reject_subscription" {
		t.Errorf("the contact again under another identifier: %s, want reject_subscription", got)
	}
	if got := c.subscribe(userIdentifier(w.admin, w.account)); got != "confirm_subscription" {
		t.Fatalf("a user beside the contact: %s", got)
	}
	spaced := fmt.Sprintf(`{"channel":"RoomChannel","pubsub_token":"%s","user_id":%d,"account_id":%d}`, w.admin.pubsub, w.admin.id, w.account)
	if got := c.subscribe(spaced); got != "reject_subscription" {
		t.Errorf("the user again in the same account: %s, want reject_subscription", got)
	}
	other := w.dial(0)
	if got := other.subscribe(again); got != "confirm_subscription" {
		t.Errorf("the contact on another connection: %s", got)
	}
	w.say(casey, "once")
	heard := map[any]int{}
	for heard[contactIdentifier(casey.pubsub)] == 0 || heard[userIdentifier(w.admin, w.account)] == 0 {
		f := c.next()
		<-c.raw
		if msg, _ := f["message"].(map[string]any); msg != nil && msg["event"] == "message.created" {
			heard[f["identifier"]]++
		}
	}
	c.quiet() // nothing more: each subscription heard it once
}

func TestUpdatePresence(t *testing.T) {
	t.Parallel()
	w := setup(t)
	c := w.dial(0)
	id := userIdentifier(w.agent, w.account)
	c.subscribe(id)
	c.send(map[string]any{"command": "message", "identifier": id, "data": `{"action":"update_presence"}`})
	f := c.next()
	<-c.raw
	msg, _ := f["message"].(map[string]any)
	if msg["event"] != "presence.update" {
		t.Fatalf("%v", f)
	}
	data := msg["data"].(map[string]any)
	users := data["users"].(map[string]any)
	if users[fmt.Sprint(w.agent.id)] != "busy" || data["account_id"] != float64(w.account) {
		t.Fatalf("presence %v", data)
	}
	if _, ok := data["contacts"]; !ok {
		t.Fatalf("an agent's presence has no contacts: %v", data)
	}
}

// TestWhoHearsWhat is the security rule: a contact hears only of their
// own conversation, never private notes or activity messages; an agent
// only of the inboxes they work, administrators of the whole account;
// nobody of another account.
func TestWhoHearsWhat(t *testing.T) {
	t.Parallel()
	w := setup(t)
	casey, mallory := w.customer("Casey"), w.customer("Mallory")
	contact := w.dial(0)
	contact.subscribe(contactIdentifier(casey.pubsub))
	other := w.dial(0)
	other.subscribe(contactIdentifier(mallory.pubsub))
	admin := w.dial(0)
	admin.subscribe(userIdentifier(w.admin, w.account))
	agent := w.dial(0)
	agent.subscribe(userIdentifier(w.agent, w.account))
	idle := w.dial(0)
	idle.subscribe(userIdentifier(w.idle, w.account))
	outsider := w.dial(0)
	outsider.subscribe(userIdentifier(w.outsider, w.other))

	w.say(casey, "Where is my order?")
	for _, c := range []*client{contact, admin, agent} {
		if d := c.event("message.created"); d["content"] != "Where is my order?" {
			t.Fatalf("%v", d)
		}
	}
	w.reply(w.agent, casey, "a note", true)
	for _, c := range []*client{admin, agent} {
		if d := c.event("message.created"); d["content"] != "a note" || d["private"] != true {
			t.Fatalf("%v", d)
		}
	}
	// An activity message: agents hear of it, the contact does not.
	w.call(http.MethodPost, fmt.Sprintf("/api/v1/accounts/%d/conversations/%d/toggle_status", w.account, casey.conv), w.agent.token,
		map[string]any{"status": "resolved"}, nil)
	for _, c := range []*client{admin, agent} {
		got := c.events(3)
		if got["conversation.status_changed"] == nil || got["conversation.updated"] == nil {
			t.Fatalf("%v", got)
		}
		if d := got["message.created"]; d == nil || d["message_type"] != float64(2) {
			t.Fatalf("%v", got)
		}
	}
	if d := contact.event("conversation.status_changed"); d["status"] != "resolved" {
		t.Fatalf("%v", d)
	}
	contact.event("conversation.updated")
	w.reply(w.agent, casey, "It ships today.", false)
	// The next thing the contact hears is the public reply: the note and
	// the activity message never reached them.
	if d := contact.events(2)["message.created"]; d == nil || d["content"] != "It ships today." {
		t.Fatalf("%v", d)
	}
	for _, c := range []*client{other, idle, outsider} {
		c.quiet()
	}
}

// TestContactShape pins that the contact gets the contact-side slice, not
// Chatwoot's agent payload with the contact inbox's pubsub token.
func TestContactShape(t *testing.T) {
	t.Parallel()
	w := setup(t)
	casey := w.customer("Casey")
	contact := w.dial(0)
	contact.subscribe(contactIdentifier(casey.pubsub))
	w.call(http.MethodPost, fmt.Sprintf("/api/v1/accounts/%d/conversations/%d/toggle_status", w.account, casey.conv), w.admin.token,
		map[string]any{"status": "resolved"}, nil)
	f := contact.next()
	raw := <-contact.raw
	for f["message"] == nil || f["message"].(map[string]any)["event"] == "presence.update" {
		f, raw = contact.next(), <-contact.raw
	}
	raw = raw[bytes.Index(raw, []byte(`"message"`)):] // the identifier holds the token, of course
	if bytes.Contains(raw, []byte(casey.pubsub)) || bytes.Contains(raw, []byte("contact_inbox")) || bytes.Contains(raw, []byte(`"meta"`)) {
		t.Fatalf("the contact was sent the agent payload: %s", raw)
	}
}

// golden compares a frame's data with testdata/name.golden.json, after
// replacing what differs from run to run.
func golden(t *testing.T, name string, data json.RawMessage, replace map[string]string) {
	t.Helper()
	var b bytes.Buffer
	if err := json.Indent(&b, data, "", "  "); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	s := b.String()
	for from, to := range replace {
		s = strings.ReplaceAll(s, from, to)
	}
	// Times are the test clock's, which moves at every reading: what is
	// pinned is their form (unix seconds, a float, an ISO string).
	s = regexp.MustCompile(`"20\d\d-\d\d-\d\dT[0-9:.]+Z"`).ReplaceAllString(s, `"<iso time>"`)
	s = regexp.MustCompile(`\b18935\d{5}\.\d+\b`).ReplaceAllString(s, `<unix float>`)
	s = regexp.MustCompile(`\b18935\d{5}\b`).ReplaceAllString(s, `<unix>`)
	batontest.Golden(t, name, []byte(s+"\n"))
}

// TestEventPayloads pins every event's payload, for agents and for the
// contact, with golden files.
func TestEventPayloads(t *testing.T) {
	t.Parallel()
	w := setup(t)
	casey := w.customer("Casey")
	contact := w.dial(0)
	contact.subscribe(contactIdentifier(casey.pubsub))
	agent := w.dial(0)
	agent.subscribe(userIdentifier(w.agent, w.account))
	admin := w.dial(0)
	admin.subscribe(userIdentifier(w.admin, w.account))
	var ci struct {
		SourceID string `json:"source_id"`
	}
	w.call(http.MethodGet, w.publicPath(casey), "", nil, &ci)
	replace := map[string]string{casey.pubsub: "<pubsub_token>", casey.source: "<source_id>", w.api.Identifier: "<inbox_identifier>"}

	// The echo id the customer's widget sent comes back with the message.
	w.call(http.MethodPost, fmt.Sprintf("%s/conversations/%d/messages", w.publicPath(casey), casey.conv), "",
		map[string]any{"content": "Where is my order?", "echo_id": "echo-7"}, nil)
	agent.event("message.created")
	golden(t, "message_created_agent", agent.data["message.created"], replace)
	contact.event("message.created")
	golden(t, "message_created_contact", contact.data["message.created"], replace)
	admin.event("message.created")

	// An agent's reply names its performer, for agents.
	// (The first reply changes the conversation too: conversation.updated.)
	w.reply(w.admin, casey, "On its way", false)
	agent.events(2)
	golden(t, "message_created_reply_agent", agent.data["message.created"], replace)
	contact.events(2)
	golden(t, "message_created_reply_contact", contact.data["message.created"], replace)
	admin.events(2)

	// A question the customer answers: message.updated with what changed
	// (previous_changes), which Chatwoot's widget fires chatwoot:on-message
	// on.
	var question struct {
		ID int64 `json:"id"`
	}
	w.call(http.MethodPost, fmt.Sprintf("/api/v1/accounts/%d/conversations/%d/messages", w.account, casey.conv), w.admin.token,
		map[string]any{"content": "Which order?", "content_type": "input_select",
			"content_attributes": map[string]any{"items": []map[string]string{{"title": "A-1", "value": "a1"}, {"title": "B-2", "value": "b2"}}}},
		&question)
	agent.event("message.created")
	contact.event("message.created")
	admin.event("message.created")
	w.call(http.MethodPatch, fmt.Sprintf("%s/conversations/%d/messages/%d", w.publicPath(casey), casey.conv, question.ID), "",
		map[string]any{"submitted_values": []map[string]string{{"title": "B-2", "value": "b2"}}}, nil)
	agent.event("message.updated")
	golden(t, "message_updated_answer_agent", agent.data["message.updated"], replace)
	contact.event("message.updated")
	golden(t, "message_updated_answer_contact", contact.data["message.updated"], replace)
	admin.event("message.updated")
	// A message deleted: its content and attributes change.
	w.call(http.MethodDelete, fmt.Sprintf("/api/v1/accounts/%d/conversations/%d/messages/%d", w.account, casey.conv, question.ID),
		w.admin.token, nil, nil)
	agent.event("message.updated")
	golden(t, "message_updated_deleted_agent", agent.data["message.updated"], replace)
	contact.event("message.updated")
	admin.event("message.updated")

	w.call(http.MethodPost, fmt.Sprintf("/api/v1/accounts/%d/conversations/%d/toggle_typing_status", w.account, casey.conv), w.agent.token,
		map[string]any{"typing_status": "on"}, nil)
	contact.event("conversation.typing_on")
	golden(t, "typing_on_contact", contact.data["conversation.typing_on"], replace)
	admin.event("conversation.typing_on")
	golden(t, "typing_on_admin", admin.data["conversation.typing_on"], replace)
	agent.quiet() // never back to the typist

	w.call(http.MethodPost, fmt.Sprintf("/api/v1/accounts/%d/conversations/%d/assignments", w.account, casey.conv), w.admin.token,
		map[string]any{"assignee_id": w.agent.id}, nil)
	agent.events(3) // with the activity message
	golden(t, "conversation_updated_agent", agent.data["conversation.updated"], replace)
	golden(t, "assignee_changed_agent", agent.data["assignee.changed"], replace)
	golden(t, "activity_message_agent", agent.data["message.created"], replace)
	contact.event("conversation.updated")
	golden(t, "conversation_updated_contact", contact.data["conversation.updated"], replace)

	w.call(http.MethodPost, fmt.Sprintf("%s/conversations/%d/update_last_seen", w.publicPath(casey), casey.conv), "", nil, nil)
	agent.event("conversation.read")
	golden(t, "conversation_read_agent", agent.data["conversation.read"], replace)

	w.call(http.MethodPost, fmt.Sprintf("%s/conversations/%d/toggle_typing", w.publicPath(casey), casey.conv), "",
		map[string]any{"typing_status": "on"}, nil)
	agent.event("conversation.typing_on")
	golden(t, "typing_on_from_contact_agent", agent.data["conversation.typing_on"], replace)

	dana := w.contact("Dana", "dana@example.com")
	agent.event("contact.created")
	golden(t, "contact_created_agent", agent.data["contact.created"], replace)
	w.call(http.MethodDelete, fmt.Sprintf("/api/v1/accounts/%d/contacts/%d", w.account, dana), w.admin.token, nil, nil)
	agent.event("contact.deleted")
	golden(t, "contact_deleted_agent", agent.data["contact.deleted"], replace)

	w.call(http.MethodPost, fmt.Sprintf("/api/v1/accounts/%d/conversations", w.account), w.admin.token,
		map[string]any{"source_id": ci.SourceID, "inbox_id": w.api.ID}, nil)
	agent.event("conversation.created")
	golden(t, "conversation_created_agent", agent.data["conversation.created"], replace)
	contact.event("conversation.created")
	golden(t, "conversation_created_contact", contact.data["conversation.created"], replace)
}

// TestAcrossProcesses runs two processes on one PostgreSQL: clients of
// the first hear, in order, what happens through the second.
func TestAcrossProcesses(t *testing.T) {
	t.Parallel()
	url := storetest.PostgresURL(t)
	a, b := newPostgresNode(t, url, 4), newPostgresNode(t, url, 4)
	w := populate(t, a, b)
	casey := w.customer("Casey")
	contact := w.dial(0)
	contact.subscribe(contactIdentifier(casey.pubsub))
	agent := w.dial(0)
	agent.subscribe(userIdentifier(w.agent, w.account))
	for i := range 5 {
		w.callOn(1, http.MethodPost, fmt.Sprintf("/api/v1/accounts/%d/conversations/%d/messages", w.account, casey.conv),
			w.agent.token, map[string]any{"content": fmt.Sprint("reply ", i)}, nil)
	}
	for _, c := range []*client{contact, agent} {
		for i := 0; i < 5; {
			got := c.events(1)
			if d := got["message.created"]; d != nil {
				if d["content"] != fmt.Sprint("reply ", i) {
					t.Fatalf("out of order: %v", d)
				}
				i++
			}
		}
	}
}

// TestTypingExpires: a typing indicator nobody turns off ends by itself
// after the timeout (a bot that crashed mid-answer), and at once when the
// typist's message arrives.
func TestTypingExpires(t *testing.T) {
	t.Parallel()
	clk := batontest.NewClock(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	n := newNode(t, storetest.OpenSQLite(t), "", func(c *realtime.Config) { c.Now = clk.Now })
	w := populate(t, n)
	casey := w.customer("Casey")
	contact := w.dial(0)
	contact.subscribe(contactIdentifier(casey.pubsub))
	typing := func(status string) {
		w.call(http.MethodPost, fmt.Sprintf("/api/v1/accounts/%d/conversations/%d/toggle_typing_status", w.account, casey.conv),
			w.agent.token, map[string]any{"typing_status": status}, nil)
	}

	typing("on")
	contact.event("conversation.typing_on")
	clk.Add(29 * time.Second)
	contact.quiet() // not yet
	clk.Add(2 * time.Second)
	if d := contact.event("conversation.typing_off"); d["user"].(map[string]any)["id"] != float64(w.agent.id) {
		t.Fatalf("%v", d)
	}

	typing("on")
	contact.event("conversation.typing_on")
	w.reply(w.agent, casey, "Here it is.", false)
	got := contact.events(3) // the conversation's first reply, the end of typing, the message
	if got["conversation.typing_off"] == nil || got["message.created"]["content"] != "Here it is." {
		t.Fatalf("%v", got)
	}
	clk.Add(time.Minute)
	contact.quiet() // ended once
}

// TestResume: a client that says which event it saw last gets what it
// missed, with event ids; one that names an event no longer kept is told
// to refetch; a plain client sees no ids.
func TestResume(t *testing.T) {
	t.Parallel()
	w := setup(t)
	casey := w.customer("Casey")
	c := w.dial(0)
	id := fmt.Sprintf(`{"channel":"RoomChannel","pubsub_token":"%s","last_event_id":0}`, casey.pubsub)
	c.subscribe(id)
	w.say(casey, "one")
	c.event("message.created")
	var first struct {
		Message struct {
			EventID int64 `json:"event_id"`
		} `json:"message"`
	}
	w.say(casey, "two")
	w.say(casey, "three")
	seen := 0
	var last int64
	for seen < 2 {
		f := c.next()
		b := <-c.raw
		if msg, _ := f["message"].(map[string]any); msg != nil && msg["event"] == "message.created" {
			_ = json.Unmarshal(b, &first)
			if first.Message.EventID == 0 {
				t.Fatalf("no event id: %s", b)
			}
			if seen == 0 {
				last = first.Message.EventID
			}
			seen++
		}
	}
	// Reconnect having seen "two": "three" comes again, "two" does not.
	again := w.dial(0)
	again.subscribe(fmt.Sprintf(`{"channel":"RoomChannel","pubsub_token":"%s","last_event_id":%d}`, casey.pubsub, last))
	if d := again.events(1)["message.created"]; d == nil || d["content"] != "three" {
		t.Fatalf("%v", d)
	}
	// An id past the log's end is told to refetch at once: the hub does
	// not read the log again and again waiting for it.
	reads, asked := w.nodes[0].hub.Stats().Reads, time.Now()
	stale := w.dial(0)
	stale.subscribe(fmt.Sprintf(`{"channel":"RoomChannel","pubsub_token":"%s","last_event_id":1000000}`, casey.pubsub))
	if d := stale.events(1)["resume.refetch"]; d == nil {
		t.Fatal("no refetch")
	}
	if got := w.nodes[0].hub.Stats().Reads - reads; got > 5 {
		t.Errorf("a resume past the log's end made %d reads of it in %v", got, time.Since(asked).Round(time.Millisecond))
	}
	plain := w.dial(0)
	plain.subscribe(contactIdentifier(casey.pubsub))
	w.say(casey, "four")
	for {
		f := plain.next()
		b := <-plain.raw
		if bytes.Contains(b, []byte("event_id")) {
			t.Fatalf("a plain client was sent event ids: %s", b)
		}
		if msg, _ := f["message"].(map[string]any); msg != nil && msg["event"] == "message.created" {
			break
		}
	}
}

// TestPresenceReachesTheTeam: a user who connects is online (as they set
// it: busy here) for the account's agents, and offline once gone.
func TestPresenceReachesTheTeam(t *testing.T) {
	t.Parallel()
	w := setup(t)
	admin := w.dial(0)
	admin.subscribe(userIdentifier(w.admin, w.account))
	agent := w.dial(0)
	agent.subscribe(userIdentifier(w.agent, w.account))
	key := fmt.Sprint(w.agent.id)
	wait := func(want string) {
		t.Helper()
		for {
			f := admin.next()
			<-admin.raw
			msg, _ := f["message"].(map[string]any)
			if msg == nil || msg["event"] != "presence.update" {
				continue
			}
			users := msg["data"].(map[string]any)["users"].(map[string]any)
			if got, _ := users[key].(string); got == want || (want == "" && users[key] == nil) {
				return
			}
		}
	}
	wait("busy")
	agent.ws.CloseNow()
	wait("") // gone: left out, as Chatwoot leaves out who is offline
}

// TestRemovedMemberIsDisconnected: a user removed from the account (as
// the Platform API and the agent app's administrators do) or deleted has
// their subscriptions to it ended: the connection is closed with Rails'
// remote disconnect, nothing reaches it after, and the subscription is
// refused when the client comes back. They kept hearing
// of who was online in the account, and could ask, for as long as they
// stayed connected. The rest of the team is told they are gone.
func TestRemovedMemberIsDisconnected(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		for _, how := range []string{"removed", "deleted"} {
			t.Run(how, func(t *testing.T) {
				w := populate(t, newNode(t, s, "", nil))
				admin := w.dial(0)
				admin.subscribe(userIdentifier(w.admin, w.account))
				agent := w.dial(0)
				agent.subscribe(userIdentifier(w.agent, w.account))
				sys := baton.NewContextWithActor(context.Background(), baton.SystemActor)
				var err error
				if how == "removed" {
					err = w.nodes[0].app.RemoveAccountUser(sys, w.account, w.agent.id)
				} else {
					err = w.nodes[0].app.DeleteUser(sys, w.agent.id)
				}
				if err != nil {
					t.Fatal(err)
				}
				// Presence of events read before the change committed may
				// come first.
				for {
					f := agent.next()
					<-agent.raw
					if f["type"] == "disconnect" {
						if f["reason"] != "remote" || f["reconnect"] != true {
							t.Fatalf("disconnect frame %v, want Rails' remote disconnect", f)
						}
						break
					}
				}
				for f := range agent.frames {
					t.Fatalf("after the disconnect frame: %v", f)
				}
				if got := w.dial(0).subscribe(userIdentifier(w.agent, w.account)); got != "reject_subscription" {
					t.Fatalf("coming back, the %s user's subscription got %s", how, got)
				}
				for {
					f := admin.next()
					<-admin.raw
					msg, _ := f["message"].(map[string]any)
					if msg == nil || msg["event"] != "presence.update" {
						continue
					}
					if users := msg["data"].(map[string]any)["users"].(map[string]any); users[fmt.Sprint(w.agent.id)] == nil {
						break // the team is told
					}
				}
			})
		}
	})
}

// TestSuspendedAccountIsDisconnected: suspending an account (the Platform
// API) ends its live subscriptions on every process, its agents' and its
// widget visitors': the connections are closed with Rails' remote
// disconnect, nothing reaches them after, and the subscriptions are
// refused when the clients come back, until the account is active again.
// They kept hearing of the account (a visitor, of the agents' replies) for
// as long as they stayed connected. Another account's go on.
func TestSuspendedAccountIsDisconnected(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		suspend(t, populate(t, newNode(t, s, "", nil)), 0)
	})
	t.Run("across processes", func(t *testing.T) {
		url := storetest.PostgresURL(t)
		suspend(t, populate(t, newPostgresNode(t, url, 0), newPostgresNode(t, url, 0)), 1)
	})
}

// suspend suspends the world's account on process by, its clients
// connected to the first.
func suspend(t *testing.T, w *world, by int) {
	t.Helper()
	sys := baton.NewContextWithActor(context.Background(), baton.SystemActor)
	status := func(s string) {
		t.Helper()
		if _, err := w.nodes[by].app.UpdateAccount(sys, w.account, app.AccountInput{Status: ptr(s)}); err != nil {
			t.Fatal(err)
		}
	}
	subscribers := endAccount(t, w, "suspended", func() { status("suspended") })
	status("active")
	for who, id := range subscribers {
		if got := w.dial(0).subscribe(id); got != "confirm_subscription" {
			t.Fatalf("the account active again, the %s's subscription got %s", who, got)
		}
	}
}

// endAccount subscribes an agent and a widget visitor of the world's
// account on the first process, and another account's user, then ends the
// account with end, which must disconnect the first two and leave the
// other be; they are refused when they come back. It returns the
// subscriptions' identifiers by who holds them.
func endAccount(t *testing.T, w *world, how string, end func()) map[string]string {
	t.Helper()
	sys := baton.NewContextWithActor(context.Background(), baton.SystemActor)
	a := w.nodes[0].app
	web, err := a.CreateInbox(sys, w.account, app.InboxInput{Name: ptr("Web"), ChannelType: baton.ChannelWebWidget})
	if err != nil {
		t.Fatal(err)
	}
	visit, err := a.WidgetConfig(baton.NewContextWithCredential(context.Background(), baton.ContactCredential{WebsiteToken: web.WebsiteToken}))
	if err != nil {
		t.Fatal(err)
	}
	subscribers := map[string]string{
		"agent":   userIdentifier(w.agent, w.account),
		"visitor": contactIdentifier(visit.ContactInbox.PubsubToken),
	}
	clients := map[string]*client{}
	for who, id := range subscribers {
		clients[who] = w.dial(0)
		if got := clients[who].subscribe(id); got != "confirm_subscription" {
			t.Fatalf("the %s's subscription got %s", who, got)
		}
	}
	outsider := w.dial(0)
	outsider.subscribe(userIdentifier(w.outsider, w.other))
	end()
	for who, c := range clients {
		// Presence of events read before the account ended may come
		// first.
		for {
			f := c.next()
			<-c.raw
			if f["type"] == "disconnect" {
				if f["reason"] != "remote" || f["reconnect"] != true {
					t.Fatalf("the %s's disconnect frame %v, want Rails' remote disconnect", who, f)
				}
				break
			}
		}
		for f := range c.frames {
			t.Fatalf("the %s's connection, after the disconnect frame: %v", who, f)
		}
		if got := w.dial(0).subscribe(subscribers[who]); got != "reject_subscription" {
			t.Fatalf("coming back to the %s account, the %s's subscription got %s", how, who, got)
		}
	}
	outsider.send(map[string]any{"command": "message", "identifier": userIdentifier(w.outsider, w.other),
		"data": `{"action":"update_presence"}`})
	for {
		f := outsider.next()
		<-outsider.raw
		if msg, _ := f["message"].(map[string]any); msg != nil && msg["event"] == "presence.update" {
			break // another account's subscription goes on
		}
	}
	return subscribers
}

// TestDeletedAccountIsDisconnected: deleting an account (the Platform
// API) ends its live subscriptions on every process, as suspending it
// does: its agents' and its widget visitors' connections are closed with
// Rails' remote disconnect, nothing reaches them after, and they are
// refused when they come back. They kept hearing of the account for as
// long as they stayed connected. Another account's go on.
func TestDeletedAccountIsDisconnected(t *testing.T) {
	t.Parallel()
	del := func(t *testing.T, w *world, by int) {
		t.Helper()
		sys := baton.NewContextWithActor(context.Background(), baton.SystemActor)
		endAccount(t, w, "deleted", func() {
			if err := w.nodes[by].app.DeleteAccount(sys, w.account); err != nil {
				t.Fatal(err)
			}
		})
	}
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		del(t, populate(t, newNode(t, s, "", nil)), 0)
	})
	t.Run("across processes", func(t *testing.T) {
		url := storetest.PostgresURL(t)
		del(t, populate(t, newPostgresNode(t, url, 0), newPostgresNode(t, url, 0)), 1)
	})
}

// TestResumeOnAnotherProcess runs three processes on one PostgreSQL: a
// client of the first that saw some events resumes on the second, which
// was running when they were committed, and gets what it missed; on the
// third, started after them, it is told to refetch.
func TestResumeOnAnotherProcess(t *testing.T) {
	t.Parallel()
	url := storetest.PostgresURL(t)
	a, b := newPostgresNode(t, url, 4), newPostgresNode(t, url, 4)
	w := populate(t, a, b)
	casey := w.customer("Casey")
	c := w.dial(0)
	c.subscribe(fmt.Sprintf(`{"channel":"RoomChannel","pubsub_token":"%s","last_event_id":0}`, casey.pubsub))
	for _, text := range []string{"one", "two", "three"} {
		w.callOn(1, http.MethodPost, fmt.Sprintf("%s/conversations/%d/messages", w.publicPath(casey), casey.conv), "",
			map[string]any{"content": text}, nil)
	}
	var ids []int64
	for len(ids) < 3 {
		f := c.next()
		raw := <-c.raw
		if msg, _ := f["message"].(map[string]any); msg != nil && msg["event"] == "message.created" {
			var frame struct {
				Message struct {
					EventID int64 `json:"event_id"`
				} `json:"message"`
			}
			if err := json.Unmarshal(raw, &frame); err != nil || frame.Message.EventID == 0 {
				t.Fatalf("no event id: %s", raw)
			}
			ids = append(ids, frame.Message.EventID)
		}
	}
	w.sync()
	// Having seen "two", on the second process: "three" comes again.
	again := w.dial(1)
	again.subscribe(fmt.Sprintf(`{"channel":"RoomChannel","pubsub_token":"%s","last_event_id":%d}`, casey.pubsub, ids[1]))
	if d := again.events(1)["message.created"]; d == nil || d["content"] != "three" {
		t.Fatalf("resumed on another process: %v", d)
	}
	// A process started after the events never had them: refetch.
	w.nodes = append(w.nodes, newPostgresNode(t, url, 4))
	late := w.dial(2)
	late.subscribe(fmt.Sprintf(`{"channel":"RoomChannel","pubsub_token":"%s","last_event_id":%d}`, casey.pubsub, ids[1]))
	if d := late.events(1)["resume.refetch"]; d == nil {
		t.Fatal("a process started after the events did not say to refetch")
	}
}

// TestDeafHubReadsSeldom: a process where nobody listens reads the live
// event log at most every 25 ms (deafRead), not after each of its commits
// (a process serving only the API read it hundreds of times a second for
// nobody); once someone subscribes, it reads at once again.
func TestDeafHubReadsSeldom(t *testing.T) {
	t.Parallel()
	w := setup(t)
	hub := w.nodes[0].hub
	casey := w.customer("Casey")
	w.sync()
	reads, start := hub.Stats().Reads, time.Now()
	for i := range 100 {
		w.say(casey, fmt.Sprint("unheard ", i))
	}
	elapsed := time.Since(start)
	// One read a 25 ms, one more for the read under way, one for a
	// subscription's signal left over.
	if got, limit := hub.Stats().Reads-reads, int64(elapsed/(25*time.Millisecond))+2; got > limit {
		t.Errorf("%d reads of the log in %v with nobody listening, want at most %d", got, elapsed, limit)
	}
	w.sync()
	c := w.dial(0)
	c.subscribe(contactIdentifier(casey.pubsub))
	w.say(casey, "heard")
	if d := c.events(1)["message.created"]; d == nil || d["content"] != "heard" {
		t.Fatalf("after subscribing: %v", d)
	}
}

// TestUnheardEventsAreSkipped: the events of an account nobody listens to
// on a process are not loaded nor rendered there (they cost a quarter of a
// busy server's CPU for nobody), and a client that then resumes from
// before them still gets them: they are loaded when it asks.
func TestUnheardEventsAreSkipped(t *testing.T) {
	t.Parallel()
	w := setup(t)
	hub := w.nodes[0].hub
	casey := w.customer("Casey")
	w.sync()
	from, err := w.nodes[0].app.LastLiveEventID(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rendered := hub.Stats().Events
	w.say(casey, "one")
	w.say(casey, "two")
	w.sync()
	if n := hub.Stats().Events - rendered; n != 0 {
		t.Fatalf("%d events rendered with nobody listening, want none", n)
	}
	c := w.dial(0)
	c.subscribe(fmt.Sprintf(`{"channel":"RoomChannel","pubsub_token":"%s","last_event_id":%d}`, casey.pubsub, from))
	var got []any
	for len(got) < 2 {
		f := c.next()
		<-c.raw
		if msg, _ := f["message"].(map[string]any); msg != nil && msg["event"] == "message.created" {
			got = append(got, msg["data"].(map[string]any)["content"])
		}
	}
	if fmt.Sprint(got) != "[one two]" {
		t.Fatalf("resumed with %v, want [one two]", got)
	}
	// Listened to now: the next event is rendered as it comes.
	rendered = hub.Stats().Events
	w.say(casey, "three")
	if d := c.events(1)["message.created"]; d == nil || d["content"] != "three" {
		t.Fatalf("after the resume: %v", d)
	}
	if hub.Stats().Events == rendered {
		t.Fatal("an event of an account listened to was not rendered")
	}
}

// TestLateCommitIsNotLost: on PostgreSQL ids are taken in one order and
// committed in another. A live event whose transaction is still open when
// a later one is read and sent is sent once it commits (the hub asks for
// the id it read past again), not lost; and a client resuming from the
// later one gets it (what it missed follows the order events went out
// in, not their ids).
func TestLateCommitIsNotLost(t *testing.T) {
	t.Parallel()
	url := storetest.PostgresURL(t)
	n := newPostgresNode(t, url, 0)
	w := populate(t, n)
	ann, bea := w.contact("Ann", "ann@example.com"), w.contact("Bea", "bea@example.com")
	w.sync()
	admin := w.dial(0)
	resume := func(from int64) string {
		return fmt.Sprintf(`{"channel":"RoomChannel","pubsub_token":"%s","account_id":%d,"user_id":%d,"last_event_id":%d}`,
			w.admin.pubsub, w.account, w.admin.id, from)
	}
	admin.subscribe(resume(0))

	// A transaction that wrote a live event about Ann and has not
	// committed: its id comes before the next one's.
	tx, err := n.store.DB().Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`INSERT INTO live_events (account_id, contact_id, name, data, created_at)
		VALUES ($1, $2, $3, '{}', $4)`, w.account, ann, baton.EventContactUpdated, time.Now().UnixMicro()); err != nil {
		t.Fatal(err)
	}
	// Bea's change commits after it and is sent.
	w.call(http.MethodPatch, fmt.Sprintf("/api/v1/accounts/%d/contacts/%d", w.account, bea), w.admin.token,
		map[string]any{"name": "Bea B"}, nil)
	var beas struct {
		Message struct {
			Event   string         `json:"event"`
			Data    map[string]any `json:"data"`
			EventID int64          `json:"event_id"`
		} `json:"message"`
	}
	for beas.Message.Event != "contact.updated" {
		admin.next()
		if err := json.Unmarshal(<-admin.raw, &beas); err != nil {
			t.Fatal(err)
		}
	}
	if beas.Message.Data["name"] != "Bea B" || beas.Message.EventID == 0 {
		t.Fatalf("first contact.updated: %+v", beas.Message)
	}
	// Ann's commits now: sent too.
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	n.hub.Wake()
	if d := admin.event("contact.updated"); d["name"] != "Ann" {
		t.Fatalf("the late commit: %v", d)
	}
	again := w.dial(0)
	again.subscribe(resume(beas.Message.EventID))
	if d := again.event("contact.updated"); d["name"] != "Ann" {
		t.Fatalf("resumed after Bea's change: %v", d)
	}
}
