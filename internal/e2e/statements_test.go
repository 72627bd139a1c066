package e2e_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/batontest"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// TestMessageStatements counts the statements (on PostgreSQL: the round
// trips, BEGIN and COMMIT included) that a message costs on the paths users
// run: a customer's message through the public API without a bot and with
// one connected, and a bot's reply through the Application API with its
// token. The counts are written in docs/performance.md; the test fails if
// one grows past them, so that a statement added to the hot path is a
// decision, not an accident.
func TestMessageStatements(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := start(t, s)
		customer := func(source string) (context.Context, int64) {
			c := e.customer(source)
			return baton.NewContextWithCredential(context.Background(),
				baton.ContactCredential{InboxIdentifier: e.identifier, SourceID: source}), c
		}
		// say posts messages and returns the statements of the last: the
		// first of a conversation may do what later ones need not (the
		// contact's last activity), and the steady state is what counts.
		say := func(ctx context.Context, conv int64) int64 {
			t.Helper()
			var n func() int64
			for range 3 {
				var cctx context.Context
				cctx, n = store.CountStatements(ctx)
				if _, err := e.App.PublicCreateMessage(cctx, conv, app.PublicMessageInput{Content: ptr("hello")}); err != nil {
					t.Fatal(err)
				}
			}
			return n()
		}
		// Before issue 8's work: SQLite 7, 19 and 25; PostgreSQL 9, 21
		// and 27. Before the event snapshot's surroundings were read in
		// one statement: SQLite 11 and 16, PostgreSQL 10 and 15 with a bot.
		// Before a message was written with its live event on PostgreSQL
		// (store.CreateMessageLive): 5, 7 and 11. Before a bot's account was
		// read with its inboxes in it (store.FindAccountForBot) and its token
		// with the bot (store.FindTokenOwner): a bot's reply 12 on SQLite,
		// 10 on PostgreSQL. Before the lookup read the snapshot's
		// surroundings where a bot hears (store.MessageTarget's Around):
		// with a bot 8 and 10 on SQLite, 6 and 8 on PostgreSQL. Before a
		// message nobody but live clients hears was one statement on
		// PostgreSQL (store.CreateQuietMessage): a customer's 4 there.
		limits := map[string]map[string]int64{
			"sqlite":   {"customer": 4, "customer, bot": 7, "bot reply": 9},
			"postgres": {"customer": 1, "customer, bot": 5, "bot reply": 7},
		}[s.Dialect()]
		check := func(what string, n int64) {
			t.Helper()
			t.Logf("%s: %s message: %d statements", s.Dialect(), what, n)
			if n > limits[what] {
				t.Errorf("%s message: %d statements, at most %d expected", what, n, limits[what])
			}
		}

		ctx, conv := customer("alone")
		check("customer", say(ctx, conv))

		b := newBot(t, nil)
		e.connect(b, "")
		ctx, conv = customer("with-bot")
		check("customer, bot", say(ctx, conv))

		// The bot's reply, authenticated as the HTTP surface does.
		var n func() int64
		for range 3 {
			var cctx context.Context
			cctx, n = store.CountStatements(context.Background())
			actor, err := e.App.Authenticate(cctx, b.token)
			if err != nil {
				t.Fatal(err)
			}
			cctx = baton.NewContextWithActor(cctx, actor)
			if _, err := e.App.CreateMessage(cctx, e.accountID, conv, app.MessageInput{Content: ptr("hi there")}); err != nil {
				t.Fatal(err)
			}
		}
		check("bot reply", n())
	})
}

// TestTypingStatements: a widget visitor's typing indicator that no webhook
// hears is its live event alone, written in one statement beside the reads
// of the visitor, their conversation and the webhooks: four in all, where a
// transaction made it four on SQLite and six on PostgreSQL (BEGIN and
// COMMIT counted there). Live clients still hear of it.
func TestTypingStatements(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := start(t, s)
		site := newWidgetSite(e)
		visit, err := e.App.WidgetConfig(baton.NewContextWithCredential(context.Background(),
			baton.ContactCredential{WebsiteToken: site.token}))
		if err != nil {
			t.Fatal(err)
		}
		visitor := baton.NewContextWithCredential(context.Background(),
			baton.ContactCredential{WebsiteToken: site.token, WidgetToken: visit.Token})
		m, err := e.App.WidgetCreateMessage(visitor, app.WidgetMessageInput{Content: ptr("hello")})
		if err != nil {
			t.Fatal(err)
		}
		ctx, n := store.CountStatements(visitor)
		if err := e.App.WidgetTyping(ctx, "on"); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: a typing indicator: %d statements", s.Dialect(), n())
		if n() > 4 {
			t.Errorf("a typing indicator ran %d statements, at most 4 expected", n())
		}
		events, err := s.Read().LiveEventsAfter(context.Background(), 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if last := events[len(events)-1]; last.Name != baton.EventConversationTypingOn || last.ConversationID != m.ConversationID {
			t.Errorf("the last live event is %s of conversation %d, want %s of %d", last.Name, last.ConversationID,
				baton.EventConversationTypingOn, m.ConversationID)
		}
	})
}

// TestQuietMessages: a customer's message is written without the lookup,
// in one statement on PostgreSQL and four on SQLite's group commit, when
// it changes nothing but its conversation's activity and nobody but live
// clients hears of it (store.CreateQuietMessage); every
// other message is written in a transaction that does what it implies.
// Each case but the first checks one of the statement's conditions, in a
// world of its own (what the app remembers of the inbox's listeners would
// hide one case behind another): it fails when that condition is left out.
// The conditions are the same SQL on both databases.
func TestQuietMessages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		// quiet starts a world with a conversation whose customer has
		// written once: the next message is a quiet one.
		quiet := func(t *testing.T) (*env, int64) {
			e := start(t, s)
			conv := e.customer("quiet")
			e.say("quiet", conv, "one")
			return e, conv
		}
		t.Run("quiet", func(t *testing.T) {
			e, conv := quiet(t)
			cctx, n := store.CountStatements(baton.NewContextWithCredential(ctx,
				baton.ContactCredential{InboxIdentifier: e.identifier, SourceID: "quiet"}))
			m, err := e.App.PublicCreateMessage(cctx, conv, app.PublicMessageInput{Content: ptr("quiet"), EchoID: "e1"})
			if err != nil {
				t.Fatal(err)
			}
			if s.Dialect() == "postgres" && n() != 1 {
				t.Fatalf("a quiet message took %d statements, want 1", n())
			}
			if m.ID == 0 || m.ConversationDisplayID != conv || m.Sender == nil || m.Sender.Contact.Name != "Casey" {
				t.Fatalf("the message written %+v", m)
			}
			if got := e.messages(conv); len(got) != 2 || got[1]["content"] != "quiet" || got[1]["id"] != float64(m.ID) {
				t.Fatalf("the conversation holds %v", got)
			}
			// Live clients hear of it as of any message, echo id included.
			events, err := e.Store.Read().LiveEventsAfter(ctx, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			var last *store.LiveEvent
			for _, ev := range events {
				if ev.AccountID == e.accountID {
					last = ev
				}
			}
			if last == nil {
				t.Fatal("no live event of the account")
			}
			if last.Name != baton.EventMessageCreated || last.MessageID != m.ID || last.ConversationID != m.ConversationID ||
				last.AccountID != m.AccountID || !strings.Contains(string(last.Data), `"e1"`) {
				t.Fatalf("the last live event %+v (%s), want the message's", last, last.Data)
			}
		})
		for _, status := range []string{"resolved", "snoozed"} {
			t.Run(status, func(t *testing.T) {
				e, conv := quiet(t)
				e.call("POST", e.convPath(conv)+"/toggle_status", e.adminToken, fmt.Sprintf(`{"status":%q}`, status), 200)
				e.say("quiet", conv, "back")
				if got := e.status(conv); got != "open" {
					t.Fatalf("a message to a %s conversation left it %s, want open", status, got)
				}
			})
		}
		t.Run("answered", func(t *testing.T) {
			e, conv := quiet(t)
			e.call("POST", e.convPath(conv)+"/messages", e.adminToken, `{"content":"an answer"}`, 200)
			if w := e.conversation(conv)["waiting_since"]; w != float64(0) {
				t.Fatalf("waiting since %v after the answer", w)
			}
			e.say("quiet", conv, "a question")
			if w := e.conversation(conv)["waiting_since"]; w == float64(0) {
				t.Fatal("the customer's message after an answer did not start the wait")
			}
		})
		t.Run("a minute later", func(t *testing.T) {
			e, conv := quiet(t)
			e.Clock.Add(2 * time.Minute)
			e.say("quiet", conv, "later")
			contactID := int64(dig(e.conversation(conv), "meta", "sender", "id").(float64))
			contact, err := e.Store.Read().FindContact(ctx, e.accountID, contactID)
			if err != nil {
				t.Fatal(err)
			}
			if at := contact.LastActivityAt; at == nil || e.Clock.Now().Sub(*at) > time.Minute {
				t.Fatalf("the contact's last activity %v, a message later", at)
			}
		})
		t.Run("webhook", func(t *testing.T) {
			e, conv := quiet(t)
			hook := newBot(t, nil)
			e.call("POST", e.acc("/webhooks"), e.adminToken,
				fmt.Sprintf(`{"url":%q,"subscriptions":["message_created"],"inbox_id":%v}`, hook.URL, e.inbox["id"]), 200)
			e.say("quiet", conv, "hooked")
			hook.next(t, func(ev map[string]any) bool { return ev["content"] == "hooked" })
		})
		t.Run("bot", func(t *testing.T) {
			e, conv := quiet(t)
			b := newBot(t, nil)
			e.connect(b, "")
			e.say("quiet", conv, "to the bot")
			b.next(t, incoming("to the bot"))
		})
		t.Run("concurrent", func(t *testing.T) {
			// Messages at once into one conversation, as a customer
			// double-sending or a retrying client: each is written once,
			// with its live event, whichever way each went.
			e, conv := quiet(t)
			const n = 20
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for i := range n {
				wg.Go(func() {
					cctx := baton.NewContextWithCredential(ctx, baton.ContactCredential{InboxIdentifier: e.identifier, SourceID: "quiet"})
					_, err := e.App.PublicCreateMessage(cctx, conv, app.PublicMessageInput{Content: ptr(fmt.Sprint("m", i))})
					errs <- err
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			got := map[string]int{}
			for _, m := range e.messages(conv) {
				got[m["content"].(string)]++
			}
			events, err := e.Store.Read().LiveEventsAfter(ctx, 0, 1000)
			if err != nil {
				t.Fatal(err)
			}
			live := 0
			for _, ev := range events {
				if ev.Name == baton.EventMessageCreated && ev.AccountID == e.accountID {
					live++
				}
			}
			for i := range n {
				if c := got[fmt.Sprint("m", i)]; c != 1 {
					t.Errorf("message m%d written %d times", i, c)
				}
			}
			if live != n+1 { // and the first message's
				t.Errorf("%d live events of a new message, want %d", live, n+1)
			}
		})
		t.Run("many conversations at once", func(t *testing.T) {
			// Customers of many conversations writing at once: on
			// PostgreSQL their messages are written together, several to
			// a statement. Each message must land in its own conversation,
			// in the order its customer sent it, with its own sender, and
			// with a live event that is its own.
			e := start(t, s)
			const convs, each = 24, 4
			ids := make([]int64, convs)
			for k := range convs {
				ids[k] = e.customer(fmt.Sprint("c", k))
				e.say(fmt.Sprint("c", k), ids[k], "first")
			}
			written := make([][]*baton.Message, convs)
			var wg sync.WaitGroup
			errs := make(chan error, convs)
			for k := range convs {
				wg.Go(func() {
					cctx := baton.NewContextWithCredential(ctx, baton.ContactCredential{InboxIdentifier: e.identifier, SourceID: fmt.Sprint("c", k)})
					for i := range each {
						m, err := e.App.PublicCreateMessage(cctx, ids[k], app.PublicMessageInput{Content: ptr(fmt.Sprintf("c%d-%d", k, i))})
						if err != nil {
							errs <- err
							return
						}
						written[k] = append(written[k], m)
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			events, err := e.Store.Read().LiveEventsAfter(ctx, 0, 1000)
			if err != nil {
				t.Fatal(err)
			}
			byMessage := map[int64]*store.LiveEvent{}
			for _, ev := range events {
				if ev.AccountID == e.accountID && ev.Name == baton.EventMessageCreated {
					byMessage[ev.MessageID] = ev
				}
			}
			for k, conv := range ids {
				got := e.messages(conv)
				if len(got) != each+1 {
					t.Fatalf("conversation %d holds %d messages, want %d", conv, len(got), each+1)
				}
				for i, m := range written[k] {
					want := fmt.Sprintf("c%d-%d", k, i)
					if got[i+1]["content"] != want || got[i+1]["id"] != float64(m.ID) {
						t.Errorf("conversation %d's message %d is %v (id %v), want %s (id %d)", conv, i+1, got[i+1]["content"], got[i+1]["id"], want, m.ID)
					}
					if m.ConversationDisplayID != conv || m.Sender == nil || m.Sender.Contact.ID != m.SenderID {
						t.Errorf("message %s was returned as %+v", want, m)
					}
					sender := got[i+1]["sender"].(map[string]any)
					if sender["id"] != float64(m.SenderID) || got[0]["sender"].(map[string]any)["id"] != sender["id"] {
						t.Errorf("message %s's sender %v, want the conversation's contact", want, sender["id"])
					}
					ev := byMessage[m.ID]
					if ev == nil || ev.ConversationID != m.ConversationID {
						t.Errorf("message %s (id %d) has the live event %+v", want, m.ID, ev)
					}
				}
			}
		})
		t.Run("crossing conversations", func(t *testing.T) {
			// Customers writing into the same conversations in different
			// orders, many at once (a contact with several conversations,
			// retries): every message is written, once, and none fails.
			// Two statements that write the same conversations in
			// different orders would wait for each other until PostgreSQL
			// ended one with an error (a deadlock); a process runs one such
			// statement at a time, and postgres'
			// TestQuietMessagesAcrossProcesses checks two processes.
			e := start(t, s)
			const convs, writers, each = 6, 16, 12
			ids := make([]int64, convs)
			for k := range convs {
				ids[k] = e.customer(fmt.Sprint("x", k))
				e.say(fmt.Sprint("x", k), ids[k], "first")
			}
			var wg sync.WaitGroup
			errs := make(chan error, writers*each)
			for w := range writers {
				wg.Go(func() {
					for i := range each {
						k := (w*7 + i*(1+w%5)) % convs
						cctx := baton.NewContextWithCredential(ctx, baton.ContactCredential{InboxIdentifier: e.identifier, SourceID: fmt.Sprint("x", k)})
						if _, err := e.App.PublicCreateMessage(cctx, ids[k], app.PublicMessageInput{Content: ptr(fmt.Sprint(w, "-", i))}); err != nil {
							errs <- err
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			var total int
			if err := s.DB().QueryRowContext(ctx, `SELECT count(*) FROM messages WHERE account_id = $1 AND message_type = $2`,
				e.accountID, int(baton.MessageIncoming)).Scan(&total); err != nil {
				t.Fatal(err)
			}
			if total != convs+writers*each {
				t.Fatalf("%d messages written, want %d", total, convs+writers*each)
			}
		})
		t.Run("assigned to a bot", func(t *testing.T) {
			e, conv := quiet(t)
			b := newBot(t, nil)
			v := e.call("POST", e.acc("/agent_bots"), e.adminToken, fmt.Sprintf(`{"name":"Helper","outgoing_url":%q}`, b.URL), 200)
			e.call("POST", e.convPath(conv)+"/assignments", e.adminToken,
				fmt.Sprintf(`{"assignee_id":%v,"assignee_type":"AgentBot"}`, dig(v, "id")), 200)
			e.say("quiet", conv, "to the assignee")
			b.next(t, incoming("to the assignee"))
		})
	})
}

// TestMessageFlood: the flood guard counts every message of a
// conversation, whoever writes it and on whichever path (a quiet message,
// one a bot hears, a reply through the Application API), and a minute
// after its minute began the conversation takes messages again.
func TestMessageFlood(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		clock := batontest.NewClock(time.Now())
		e := startWith(t, batontest.Options{Store: s, Clock: clock, App: func(c *app.Config) { c.Limits.MessagesPerMinute = 3 }})
		customer := func(source string, conv int64, status int) {
			t.Helper()
			e.call("POST", fmt.Sprintf("/public/api/v1/inboxes/%s/contacts/%s/conversations/%d/messages", e.identifier, source, conv),
				"", `{"content":"hello"}`, status)
		}
		reply := func(token string, conv int64, status int) {
			t.Helper()
			e.call("POST", e.convPath(conv)+"/messages", token, `{"content":"Let me check."}`, status)
		}

		// Quiet messages, then a person's reply: the fourth message of the
		// minute is refused, whoever writes it, until the minute ends.
		conv := e.customer("quiet")
		for range 3 {
			customer("quiet", conv, 200)
		}
		customer("quiet", conv, 429)
		reply(e.adminToken, conv, 429)
		clock.Add(59 * time.Second)
		customer("quiet", conv, 429)
		clock.Add(time.Second)
		customer("quiet", conv, 200)
		reply(e.adminToken, conv, 200)
		customer("quiet", conv, 200)
		customer("quiet", conv, 429)

		// With a bot connected (on PostgreSQL, the optimistic write), its
		// replies counted with the customer's.
		b := newBot(t, nil)
		e.connect(b, "")
		conv = e.customer("heard")
		customer("heard", conv, 200)
		reply(b.token, conv, 200)
		customer("heard", conv, 200)
		customer("heard", conv, 429)
		reply(b.token, conv, 429)
		clock.Add(time.Minute)
		customer("heard", conv, 200)
	})
}
