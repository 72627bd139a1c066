package e2e_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/batontest"
	"github.com/batonhq/baton/internal/delivery"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// The delivery log, redelivery, replay, pull, metrics and retention.

// clocked is an env on a clock the test moves, with metrics served at
// /metrics behind a token.
type clocked struct {
	*env
}

const metricsToken = "scrape-secret"

// startClocked is start with the engine and the app on a clock the test
// moves, and metrics wired as cmd/baton wires them.
func startClocked(t *testing.T, s *store.Store) *clocked {
	t.Helper()
	return &clocked{startWith(t, batontest.Options{Store: s, Clock: batontest.NewWallClock(), RunEngine: true, MetricsToken: metricsToken,
		Engine: func(c *delivery.Config) {
			c.Timeout, c.PollInterval = 2*time.Second, 20*time.Millisecond
			c.Schedule = []time.Duration{time.Second, time.Second, time.Second}
		}})}
}

func system() context.Context {
	return baton.NewContextWithActor(context.Background(), baton.SystemActor)
}

// user makes a user with the role in the account and returns its token.
func (e *env) user(accountID int64, role string) string {
	e.t.Helper()
	_, token, err := e.App.CreateUserInAccount(system(), accountID, app.UserInput{Name: ptr("Sam"),
		Email: ptr(fmt.Sprintf("%s%d-%d@acme.test", role, accountID, time.Now().UnixNano())), Password: ptr("password123")}, role)
	if err != nil {
		e.t.Fatal(err)
	}
	return token
}

// otherAdmin makes another account and returns it with its administrator's token.
func (e *env) otherAdmin() (int64, string) {
	e.t.Helper()
	acc, err := e.App.CreateAccount(system(), app.AccountInput{Name: ptr("Other")})
	if err != nil {
		e.t.Fatal(err)
	}
	return acc.ID, e.user(acc.ID, "administrator")
}

// log returns a page of the bot's delivery log.
func (e *env) log(botID int64, query string) ([]map[string]any, map[string]any) {
	e.t.Helper()
	page := e.call("GET", e.acc(fmt.Sprintf("/agent_bots/%d/deliveries?%s", botID, query)), e.adminToken, "", 200).(map[string]any)
	var out []map[string]any
	for _, d := range page["payload"].([]any) {
		out = append(out, d.(map[string]any))
	}
	return out, page["meta"].(map[string]any)
}

// settle moves the clock on until none of the bot's deliveries is pending.
func (c *clocked) settle(botID int64) {
	c.t.Helper()
	eventually(c.t, "the bot's deliveries to settle", func() bool {
		c.Clock.Add(2 * time.Second)
		ds, _ := c.log(botID, "status=pending")
		return len(ds) == 0
	})
}

// refusing is a bot that answers 400 to the customer message "poison"
// until fixed is set, and 200 to everything else.
func refusing(t *testing.T, fixed *atomic.Bool) *bot {
	return newBot(t, func(b *bot, ev map[string]any, w http.ResponseWriter, r *http.Request) {
		if ev["content"] == "poison" && !fixed.Load() {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"error":"cannot digest"}`)
		}
	})
}

// startPoisoned is startClocked with a refusing bot connected, to which
// the customer Casey says "hello", "poison" and "after"; it returns once
// the deliveries settled, the poison parked unless fixed was set.
func startPoisoned(t *testing.T, s *store.Store, fixed *atomic.Bool) (*clocked, *bot, int64) {
	t.Helper()
	c := startClocked(t, s)
	b := refusing(t, fixed)
	c.connect(b, "")
	conv := c.customer("casey")
	for _, m := range []string{"hello", "poison", "after"} {
		c.say("casey", conv, m)
	}
	c.settle(b.id)
	return c, b, conv
}

// scrape reads /metrics with the token.
func (c *clocked) scrape() string {
	c.t.Helper()
	req, _ := http.NewRequest("GET", c.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+metricsToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
		c.t.Fatalf("GET /metrics: %d %s: %s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	return string(body)
}

// TestDeliveryLogAndRedeliver parks an event a bot refuses, finds it in the
// log with its three attempts, and redelivers it once the bot is fixed.
func TestDeliveryLogAndRedeliver(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		var fixed atomic.Bool
		c, b, conv := startPoisoned(t, s, &fixed)

		// The parked delivery, with its three attempts; the lane moved on.
		parked, _ := c.log(b.id, "status=parked")
		if len(parked) != 1 {
			t.Fatalf("%d parked deliveries, want 1: %v", len(parked), parked)
		}
		p := parked[0]
		if p["event"] != "message_created" || p["conversation_id"] != float64(conv) || p["attempts"] != float64(3) ||
			p["next_attempt_at"] != nil || p["last_error"] != "400 Bad Request" || p["payload"] != nil {
			t.Fatalf("parked delivery %v", p)
		}
		attempts := p["attempts_log"].([]any)
		if len(attempts) != 3 {
			t.Fatalf("%d attempts in the log, want 3", len(attempts))
		}
		for _, a := range attempts {
			a := a.(map[string]any)
			if a["status_code"] != float64(400) || a["response_excerpt"] != `{"error":"cannot digest"}` ||
				a["error"] != "400 Bad Request" || a["latency_ms"].(float64) < 0 {
				t.Fatalf("attempt %v", a)
			}
			if _, err := time.Parse(time.RFC3339, a["attempted_at"].(string)); err != nil {
				t.Fatalf("attempted_at: %v", err)
			}
		}
		// The bot saw the same X-Chatwoot-Delivery on each attempt.
		b.Mu.Lock()
		var seen []string
		for i, ev := range b.Events {
			if ev["content"] == "poison" {
				seen = append(seen, b.Headers[i].Get("X-Chatwoot-Delivery"))
			}
		}
		b.Mu.Unlock()
		if len(seen) != 3 || seen[0] != p["id"] || seen[2] != p["id"] {
			t.Fatalf("delivery ids %v, want 3 × %v", seen, p["id"])
		}
		if got, _ := c.log(b.id, "status=succeeded&event=message_created"); len(got) != 2 || got[0]["attempts_log"].([]any)[0].(map[string]any)["status_code"] != float64(200) {
			t.Fatalf("succeeded message deliveries: %v", got)
		}

		// The single delivery carries the payload as sent.
		one := c.call("GET", c.acc(fmt.Sprintf("/agent_bots/%d/deliveries/%s", b.id, p["id"])), c.adminToken, "", 200).(map[string]any)
		if dig(one, "payload", "content") != "poison" || dig(one, "payload", "event") != "message_created" {
			t.Fatalf("single delivery payload %v", one["payload"])
		}

		// Newest first; pages by cursor cover the whole log once.
		all, meta := c.log(b.id, "per_page=100")
		if meta["next"] != nil || len(all) < 3 {
			t.Fatalf("whole log: %d deliveries, meta %v", len(all), meta)
		}
		if !slices.IsSortedFunc(all, func(x, y map[string]any) int {
			return strings.Compare(y["created_at"].(string), x["created_at"].(string))
		}) {
			t.Fatalf("the log is not newest first")
		}
		var walked []any
		for cursor := ""; ; {
			page, meta := c.log(b.id, "per_page=2&before="+cursor)
			for _, d := range page {
				walked = append(walked, d["id"])
			}
			if meta["next"] == nil {
				break
			}
			cursor = meta["next"].(string)
		}
		if want := ids(all); !slices.Equal(walked, want) {
			t.Fatalf("pages by cursor %v, want %v", walked, want)
		}
		if page2, _ := c.log(b.id, "per_page=2&page=2"); len(page2) == 0 || page2[0]["id"] != all[2]["id"] {
			t.Fatalf("page 2: %v", ids(page2))
		}

		// Filters.
		if got, _ := c.log(b.id, fmt.Sprintf("conversation_id=%d&per_page=100", conv)); len(got) != len(all) {
			t.Fatalf("%d deliveries of the conversation, want %d", len(got), len(all))
		}
		if got, _ := c.log(b.id, "conversation_id=999"); len(got) != 0 {
			t.Fatalf("deliveries of no conversation: %v", got)
		}
		if got, _ := c.log(b.id, fmt.Sprint("since=", c.Clock.Now().Add(time.Hour).Unix())); len(got) != 0 {
			t.Fatalf("deliveries since an hour ahead: %v", got)
		}
		if got, _ := c.log(b.id, "until="+url.QueryEscape(c.Clock.Now().Add(-time.Hour).Format(time.RFC3339))); len(got) != 0 {
			t.Fatalf("deliveries until an hour ago: %v", got)
		}
		if got, _ := c.log(b.id, "per_page=100&until="+url.QueryEscape(c.Clock.Now().Add(time.Minute).Format(time.RFC3339))); len(got) != len(all) {
			t.Fatalf("deliveries until now: %d, want %d", len(got), len(all))
		}
		path := c.acc(fmt.Sprintf("/agent_bots/%d/deliveries", b.id))
		c.call("GET", path+"?status=lost", c.adminToken, "", 400)
		c.call("GET", path+"?since=yesterday", c.adminToken, "", 400)

		// Who may look: administrators of the account, never agents or bots;
		// another account does not find the bot.
		c.call("GET", path, c.user(c.accountID, "agent"), "", 401)
		c.call("GET", path, b.token, "", 401)
		other, otherToken := c.otherAdmin()
		c.call("GET", fmt.Sprintf("/api/v1/accounts/%d/agent_bots/%d/deliveries", other, b.id), otherToken, "", 404)
		c.call("GET", path, otherToken, "", 401)
		c.call("GET", path+"/no-such-delivery", c.adminToken, "", 404)

		// Metrics: two attempts to retry, then parked; the others succeeded.
		text := c.scrape()
		for _, want := range []string{
			fmt.Sprintf("baton_deliveries_total{bot=\"%d\",outcome=\"parked\"} 1\n", b.id),
			fmt.Sprintf("baton_deliveries_total{bot=\"%d\",outcome=\"retry\"} 2\n", b.id),
			fmt.Sprintf("baton_deliveries_total{bot=\"%d\",outcome=\"succeeded\"} %d\n", b.id, len(all)-1),
			fmt.Sprintf("baton_delivery_attempt_seconds_count{bot=\"%d\"} %d\n", b.id, len(all)+2),
			fmt.Sprintf("baton_delivery_attempt_seconds_bucket{bot=\"%d\",le=\"+Inf\"} %d\n", b.id, len(all)+2),
			fmt.Sprintf("baton_delivery_backlog{bot=\"%d\"} 0\n", b.id),
			fmt.Sprintf("baton_breaker_open{bot=\"%d\"} 0\n", b.id),
			"# TYPE baton_delivery_attempt_seconds histogram\n",
			"baton_database_up 1\n",
			"go_goroutines ",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("metrics lack %q:\n%s", want, text)
			}
		}

		// The bot is fixed; a redelivery is a new delivery that succeeds.
		fixed.Store(true)
		drain(b)
		re := c.call("POST", path+"/"+p["id"].(string)+"/redeliver", c.adminToken, "", 200).(map[string]any)
		if re["id"] == p["id"] || re["status"] != "pending" || re["attempts"] != float64(0) || dig(re, "payload", "content") != "poison" {
			t.Fatalf("redelivery %v", re)
		}
		b.next(t, incoming("poison"))
		b.Mu.Lock()
		got := b.Headers[len(b.Headers)-1].Get("X-Chatwoot-Delivery")
		b.Mu.Unlock()
		if got != re["id"] {
			t.Fatalf("the redelivery came as %s, want %s", got, re["id"])
		}
		eventually(t, "the redelivery to succeed", func() bool {
			d := c.call("GET", path+"/"+re["id"].(string), c.adminToken, "", 200).(map[string]any)
			return d["status"] == "succeeded" && len(d["attempts_log"].([]any)) == 1
		})
		if d := c.call("GET", path+"/"+p["id"].(string), c.adminToken, "", 200).(map[string]any); d["status"] != "parked" {
			t.Fatalf("the original after redelivery: %v", d["status"])
		}
		c.call("POST", path+"/no-such-delivery/redeliver", c.adminToken, "", 404)
		c.call("POST", path+"/"+p["id"].(string)+"/redeliver", c.user(c.accountID, "agent"), "", 401)

		// Metrics show the gauges from the database: a pending backlog, an
		// open breaker; and ask for the token.
		if err := s.Write(context.Background(), func(q *store.Queries) error {
			return q.RecordBreakerOutcome(context.Background(), baton.BotTarget(b.id), false, c.Clock.Now().Add(time.Hour))
		}); err != nil {
			t.Fatal(err)
		}
		c.say("casey", conv, "held back")
		pending, _ := c.log(b.id, "status=pending")
		c.Clock.Add(6 * time.Second) // past the gauges the last scrape read
		text = c.scrape()
		for _, want := range []string{fmt.Sprintf(`baton_delivery_backlog{bot="%d"} %d`, b.id, len(pending)), fmt.Sprintf(`baton_breaker_open{bot="%d"} 1`, b.id)} {
			if !strings.Contains(text, want+"\n") {
				t.Errorf("metrics lack %q:\n%s", want, text)
			}
		}
		res, err := http.Get(c.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 401 {
			t.Fatalf("/metrics without the token: %d", res.StatusCode)
		}
	})
}

// drain drops the events the bot received so far from its queue.
func drain(b *bot) {
	for {
		select {
		case <-b.Received:
		default:
			return
		}
	}
}

func ids(ds []map[string]any) []any {
	var out []any
	for _, d := range ds {
		out = append(out, d["id"])
	}
	return out
}

// TestReplay replays a conversation's events to its bot, from the start
// and from a point in time: they arrive again, in order, as new deliveries.
func TestReplay(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		c := startClocked(t, s)
		b := newBot(t, nil)
		c.connect(b, "")
		conv := c.customer("casey")
		c.say("casey", conv, "one")
		b.next(t, incoming("one"))
		// Recorded before the clock jumps past the attempt's lease, so it is
		// not taken for the attempt of a dead process and sent again.
		c.settled(b.id)
		c.Clock.Add(time.Minute)
		mark := c.Clock.Now()
		c.Clock.Add(time.Minute)
		c.say("casey", conv, "two")
		c.say("casey", conv, "three")
		b.next(t, incoming("three"))
		c.settle(b.id)
		before := len(b.eventNames())
		if before != 3 {
			t.Fatalf("%d events before the replay, want 3: %v", before, b.eventNames())
		}

		path := c.acc(fmt.Sprintf("/agent_bots/%d/replay", b.id))
		got := c.call("POST", path, c.adminToken, fmt.Sprintf(`{"conversation_id":%d}`, conv), 200).(map[string]any)
		if got["deliveries"] != float64(3) {
			t.Fatalf("replay from the start: %v", got)
		}
		for _, want := range []string{"one", "two", "three"} {
			b.next(t, incoming(want))
		}
		got = c.call("POST", path, c.adminToken, fmt.Sprintf(`{"conversation_id":%d,"since":%q}`, conv, mark.Format(time.RFC3339Nano)), 200).(map[string]any)
		if got["deliveries"] != float64(2) {
			t.Fatalf("replay since the mark: %v", got)
		}
		b.next(t, incoming("two"))
		b.next(t, incoming("three"))
		c.settle(b.id)
		var contents []any
		b.Mu.Lock()
		for _, ev := range b.Events {
			contents = append(contents, ev["content"])
		}
		b.Mu.Unlock()
		if want := []any{"one", "two", "three", "one", "two", "three", "two", "three"}; !slices.Equal(contents, want) {
			t.Fatalf("the bot received %v, want %v", contents, want)
		}
		// Unix seconds work too; ahead of every event, nothing is replayed.
		got = c.call("POST", path, c.adminToken, fmt.Sprintf(`{"conversation_id":%d,"since":%d}`, conv, c.Clock.Now().Add(time.Hour).Unix()), 200).(map[string]any)
		if got["deliveries"] != float64(0) {
			t.Fatalf("replay since an hour ahead: %v", got)
		}
		c.call("POST", path, c.adminToken, `{"conversation_id":999}`, 404)
		c.call("POST", path, c.adminToken, `{}`, 422)
		c.call("POST", path, c.adminToken, `{"conversation_id":1,"since":"soon"}`, 400)
		c.call("POST", path, c.user(c.accountID, "agent"), fmt.Sprintf(`{"conversation_id":%d}`, conv), 401)
	})
}

// TestPullEvents has a bot pull its events with a cursor, and only its own.
func TestPullEvents(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		c := startClocked(t, s)
		b := newBot(t, nil)
		c.connect(b, "")
		conv := c.customer("casey")
		for _, m := range []string{"one", "two", "three"} {
			c.say("casey", conv, m)
		}
		// Another bot in another inbox: its events are not b's.
		other := newBot(t, nil)
		inbox := c.call("POST", c.acc("/inboxes"), c.adminToken, `{"name":"Sales","channel":{"type":"api"}}`, 200).(map[string]any)
		v := c.call("POST", c.acc("/agent_bots"), c.adminToken, fmt.Sprintf(`{"name":"Other","outgoing_url":%q}`, other.URL), 200).(map[string]any)
		other.token, other.id = v["access_token"].(string), int64(v["id"].(float64))
		c.call("POST", c.acc(fmt.Sprintf("/inboxes/%v/set_agent_bot", inbox["id"])), c.adminToken, fmt.Sprintf(`{"agent_bot":%d}`, other.id), 200)
		pub := "/public/api/v1/inboxes/" + inbox["inbox_identifier"].(string) + "/contacts"
		c.call("POST", pub, "", `{"source_id":"dana"}`, 200)
		oc := c.call("POST", pub+"/dana/conversations", "", `{}`, 200).(map[string]any)
		c.call("POST", fmt.Sprintf("%s/dana/conversations/%v/messages", pub, oc["id"]), "", `{"content":"not for b"}`, 200)
		c.settle(b.id)
		c.settle(other.id)

		pull := func(token string, after any, limit int) ([]map[string]any, any) {
			t.Helper()
			page := c.call("GET", c.acc(fmt.Sprintf("/agent_bots/events?after=%v&limit=%d", after, limit)), token, "", 200).(map[string]any)
			var out []map[string]any
			for _, e := range page["payload"].([]any) {
				out = append(out, e.(map[string]any))
			}
			return out, page["meta"].(map[string]any)["next"]
		}
		var events []map[string]any
		cursor := any(0)
		for range 10 {
			page, next := pull(b.token, cursor, 2)
			if len(page) > 2 {
				t.Fatalf("a page of %d events, limit 2", len(page))
			}
			if len(page) == 0 {
				if next != cursor {
					t.Fatalf("an empty page moved the cursor from %v to %v", cursor, next)
				}
				break
			}
			if next != page[len(page)-1]["id"] {
				t.Fatalf("next %v, want the last id %v", next, page[len(page)-1]["id"])
			}
			events, cursor = append(events, page...), next
		}
		var contents []any
		var last float64
		for _, ev := range events {
			if id := ev["id"].(float64); id <= last {
				t.Fatalf("event ids not increasing: %v after %v", id, last)
			} else {
				last = id
			}
			if ev["delivery_status"] != "succeeded" || ev["conversation_id"] != float64(conv) || dig(ev, "payload", "event") != ev["event"] {
				t.Fatalf("pulled event %v", ev)
			}
			contents = append(contents, dig(ev, "payload", "content"))
		}
		if want := []any{"one", "two", "three"}; !slices.Equal(contents, want) {
			t.Fatalf("pulled %v, want %v", contents, want)
		}
		if got, _ := pull(other.token, 0, 100); len(got) != 1 || dig(got[0], "payload", "content") != "not for b" {
			t.Fatalf("the other bot pulled %v", got)
		}

		// Bots only, and only where they serve.
		c.call("GET", c.acc("/agent_bots/events"), c.adminToken, "", 401)
		c.call("GET", c.acc("/agent_bots/events"), "", "", 401)
		otherAccount, _ := c.otherAdmin()
		c.call("GET", fmt.Sprintf("/api/v1/accounts/%d/agent_bots/events", otherAccount), b.token, "", 401)
		c.call("GET", c.acc("/agent_bots/events?after=x"), b.token, "", 400)
	})
}

// TestRetention prunes succeeded deliveries past the retention time, with
// their events, and keeps parked ones and recent ones.
func TestRetention(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		c, b, conv := startPoisoned(t, s, new(atomic.Bool))
		if all, _ := c.log(b.id, "per_page=100"); len(all) != 3 {
			t.Fatalf("%d deliveries before pruning, want 3", len(all))
		}

		// A day later, a fresh message; the log is kept for an hour.
		c.Clock.Add(24 * time.Hour)
		c.say("casey", conv, "fresh")
		b.next(t, incoming("fresh"))
		c.settle(b.id)
		r := c.App.NewRetention(time.Hour, 10*time.Millisecond)
		r.Start(context.Background())
		var left []map[string]any
		eventually(t, "the old succeeded deliveries to be pruned", func() bool {
			left, _ = c.log(b.id, "per_page=100")
			return len(left) == 2
		})
		r.Stop()
		if left[0]["status"] != "succeeded" || left[1]["status"] != "parked" || len(left[1]["attempts_log"].([]any)) != 3 {
			t.Fatalf("left after pruning: %v", left)
		}
		// The events of the pruned deliveries are gone too; the parked and
		// the fresh ones stay.
		page := c.call("GET", c.acc("/agent_bots/events"), b.token, "", 200).(map[string]any)
		var contents []any
		for _, ev := range page["payload"].([]any) {
			contents = append(contents, dig(ev, "payload", "content"))
		}
		if want := []any{"poison", "fresh"}; !slices.Equal(contents, want) {
			t.Fatalf("events left %v, want %v", contents, want)
		}
		// Pruning again finds nothing.
		d, e, err := c.App.PruneDeliveries(context.Background(), time.Hour)
		if err != nil || d != 0 || e != 0 {
			t.Fatalf("second pruning: %d deliveries, %d events, %v", d, e, err)
		}
	})
}
