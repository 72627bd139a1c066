package agent_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/batontest"
	"github.com/batonhq/baton/internal/store/storetest"
)

// BenchmarkConversationList renders the "All open" queue page with 50
// conversations (each with a contact, messages and a handoff) for a
// signed-in agent, over HTTP on SQLite: the server's whole time per page.
//
//	go test ./internal/web/agent/ -run '^$' -bench ConversationList -benchtime 200x
func BenchmarkConversationList(b *testing.B) {
	w := setup(b)
	for i := range 50 {
		id := w.customer(fmt.Sprintf("Customer %02d", i), fmt.Sprintf("c%d@example.com", i), "Hello, I need help with my order")
		w.handOff(id, "Customer asked for a person", "Needs help with an order")
	}
	br := w.browser()
	br.signIn(w.agentMail, password)
	url := fmt.Sprintf("%s/app/accounts/%d/conversations?queue=open", w.URL, w.account)
	check := func() {
		if n := countRows(br.page(b, url)); n != 50 {
			b.Fatalf("%d rows, want 50", n)
		}
	}
	check()
	b.ResetTimer()
	for b.Loop() {
		check()
	}
}

func countRows(body string) int { return strings.Count(body, "<tr data-conversation=") }

// page gets a page the benchmark reads, failing on anything but 200.
func (b *browser) page(tb *testing.B, url string) string {
	res, err := b.client.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		tb.Fatalf("status %d", res.StatusCode)
	}
	return string(body)
}

// BenchmarkConversationPage renders a conversation of 1,000 messages: the
// page shows the newest 60 and loads older ones on scroll, so its cost does
// not grow with the transcript.
//
//	go test ./internal/web/agent/ -run '^$' -bench ConversationPage -benchtime 200x
func BenchmarkConversationPage(b *testing.B) {
	w := setup(b)
	id := w.customer("Long Talker", "long@example.com", "message 0")
	for i := 1; i < 1000; i++ {
		w.say("long-talker", id, fmt.Sprintf("message %d", i))
	}
	br := w.browser()
	br.signIn(w.agentMail, password)
	url := fmt.Sprintf("%s/app/accounts/%d/conversations/%d", w.URL, w.account, id)
	for b.Loop() {
		if !strings.Contains(br.page(b, url), "message 999") {
			b.Fatal("the page lacks the newest message")
		}
	}
}

// BenchmarkConversationPageCanned renders a conversation of a few messages
// in an account with 500 canned responses of about 200 characters each, and
// reports the page's size as sent (bytes/page) and gzipped (gzip-bytes/page):
// what every conversation page costs a person to load.
//
//	go test ./internal/web/agent/ -run '^$' -bench ConversationPageCanned -benchtime 200x
func BenchmarkConversationPageCanned(b *testing.B) {
	w := setup(b)
	w.seedCannedResponses(500)
	id := w.customer("Casey Customer", "casey@example.com", "Where is my parcel?")
	w.handOff(id, "Customer asked for a person", "Parcel late.")
	br := w.browser()
	br.signIn(w.agentMail, password)
	url := fmt.Sprintf("%s/app/accounts/%d/conversations/%d", w.URL, w.account, id)
	var body string
	for b.Loop() {
		if body = br.page(b, url); !strings.Contains(body, "Where is my parcel?") {
			b.Fatal("the page lacks the customer's message")
		}
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	_, _ = zw.Write([]byte(body))
	_ = zw.Close()
	b.ReportMetric(float64(len(body)), "bytes/page")
	b.ReportMetric(float64(z.Len()), "gzip-bytes/page")
}

// seedCannedResponses makes n canned responses of about 200 characters,
// short codes reply-000, reply-001, …
func (w *world) seedCannedResponses(n int) {
	w.T.Helper()
	sys := batontest.System()
	for i := range n {
		code := fmt.Sprintf("reply-%03d", i)
		content := fmt.Sprintf("Thank you for writing to us about case %d. We have looked into it and your order will be "+
			"with you within three working days; you will get an e-mail with the tracking number as soon as it ships.", i)
		if _, err := w.App.CreateCannedResponse(sys, w.account, app.CannedResponseInput{ShortCode: &code, Content: &content}); err != nil {
			w.T.Fatal(err)
		}
	}
}

// BenchmarkCannedChoices answers the reply box's picker in an account with
// 500 canned responses, over HTTP on SQLite for a signed-in agent: "/"
// alone (the first 20 by short code), a prefix that 10 short codes start
// with, and a word only the contents hold (every one matches: the first
// 20 of 500 by short code).
//
//	go test ./internal/web/agent/ -run '^$' -bench CannedChoices -benchtime 200x
func BenchmarkCannedChoices(b *testing.B) {
	w := setup(b)
	w.seedCannedResponses(500)
	br := w.browser()
	br.signIn(w.agentMail, password)
	for _, c := range []struct {
		name, search string
		n            int
	}{{"slash alone", "", 20}, {"a prefix", "reply-01", 10}, {"the contents' word", "tracking", 20}} {
		b.Run(c.name, func(b *testing.B) {
			url := fmt.Sprintf("%s/app/accounts/%d/canned_responses?search=%s", w.URL, w.account, c.search)
			for b.Loop() {
				if n := strings.Count(br.page(b, url), `"short_code"`); n != c.n {
					b.Fatalf("%d choices, want %d", n, c.n)
				}
			}
		})
	}
}

// BenchmarkConversationSearch renders the "All open" queue page searched
// for words, for a signed-in agent of the inbox, over HTTP, with 2,000
// conversations of 50 messages each (about 110 characters a message) on
// SQLite and, when BATON_TEST_POSTGRES_URL is set, PostgreSQL: the search
// reads every message (all are within its window) for a word that only
// one message holds (of ASCII letters, or not: "münchen", which the
// database lowers) or that none does, and stops at each conversation's
// first match for a word that every message holds. "counts" is the poll a
// searched page makes every few seconds for the queues' counts.
//
//	go test ./internal/web/agent/ -run '^$' -bench ConversationSearch -benchtime 20x
func BenchmarkConversationSearch(b *testing.B) {
	benchOnStores(b, func(b *testing.B, w *world) {
		w.seedConversations(2000, 50)
		// One message, of the newest conversation, holds the rare word.
		id := w.customer("Rare Word", "rare@example.com", "My parcel zanzibar-7 is lost")
		w.handOff(id, "Customer asked for a person", "Lost parcel")
		// And one a word of letters that are not ASCII, in capitals.
		id = w.customer("Rare Letters", "letters@example.com", "Mein Paket aus MÜNCHEN-7 ist verloren")
		w.handOff(id, "Customer asked for a person", "Lost parcel")
		br := w.browser()
		br.signIn(w.agentMail, password)
		for _, c := range []struct {
			name, path string
			rows       int
		}{
			{"rare word", "/conversations?queue=open&q=zanzibar", 1},
			{"rare word not ASCII", "/conversations?queue=open&q=m%C3%BCnchen", 1},
			{"two words", "/conversations?queue=open&q=order+100021", 1},
			{"every message's word", "/conversations?queue=open&q=tracking", 50},
			{"no match", "/conversations?queue=open&q=quixotic", 0},
			{"a contact's name", "/conversations?queue=open&q=Seed+Customer+1999", -1},
			{"counts", "/counts?q=zanzibar", -1},
		} {
			b.Run(c.name, func(b *testing.B) {
				url := fmt.Sprintf("%s/app/accounts/%d%s", w.URL, w.account, c.path)
				for b.Loop() {
					if n := countRows(br.page(b, url)); c.rows >= 0 && n != c.rows {
						b.Fatalf("%d rows, want %d", n, c.rows)
					}
				}
			})
		}
	})
}

// seedConversations writes n conversations of the inbox, each with its
// contact and size messages, the customer's and the bot's in turn, with
// SQL of its own (a bulk insert the app has no use for): all open but
// every fourth resolved and every fourth pending, all active now, the
// customer's messages asking after order conversation id × 100 + i.
func (w *world) seedConversations(n, size int) {
	w.T.Helper()
	ctx := context.Background()
	db := w.Store.DB()
	now := w.Clock.Now().UnixMicro()
	seq := func(n int) string {
		return fmt.Sprintf(`WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < %d) `, n)
	}
	var base int64
	if err := db.QueryRowContext(ctx, `SELECT last_display_id FROM accounts WHERE id = $1`, w.account).Scan(&base); err != nil {
		w.T.Fatal(err)
	}
	// Rows are made in id order (ORDER BY): which conversation is open,
	// and which message holds which number, follow the ids, and a
	// planner free to read contacts through another index (their activity's)
	// made them in another.
	for _, st := range []struct {
		query string
		args  []any
	}{
		{seq(n) + `INSERT INTO contacts (account_id, name, email, created_at, updated_at)
			SELECT CAST($1 AS BIGINT), 'Seed Customer ' || i, 'seed' || i || '@example.com', CAST($2 AS BIGINT),
				CAST($2 AS BIGINT) FROM seq`, []any{w.account, now}},
		{`INSERT INTO contact_inboxes (contact_id, inbox_id, source_id, pubsub_token, created_at, updated_at)
			SELECT c.id, $2, 'seed-' || c.id, 'seed-pubsub-' || c.id, $3, $3 FROM contacts c
			WHERE c.account_id = $1 AND c.name LIKE 'Seed Customer %' ORDER BY c.id`, []any{w.account, w.inbox.ID, now}},
		{`INSERT INTO conversations (account_id, inbox_id, display_id, contact_id, contact_inbox_id, uuid, status,
				last_activity_at, created_at, updated_at)
			SELECT $1, $2, $4 + ci.id, ci.contact_id, ci.id, 'seed-' || ci.id,
				CASE ci.id % 4 WHEN 1 THEN 1 WHEN 2 THEN 2 ELSE 0 END, $3 - ci.id, $3, $3
			FROM contact_inboxes ci WHERE ci.inbox_id = $2 AND ci.source_id LIKE 'seed-%' ORDER BY ci.id`,
			[]any{w.account, w.inbox.ID, now, base}},
		{seq(size) + `INSERT INTO messages (account_id, inbox_id, conversation_id, message_type, content, sender_type,
				sender_id, created_at, updated_at)
			SELECT v.account_id, v.inbox_id, v.id, i % 2,
				CASE i % 2 WHEN 0 THEN 'Hello, I need help with my order ' || (v.id * 100 + i) ||
					'. It should have come last week; could you check the tracking, please?'
				ELSE 'Thanks for waiting. Order ' || (v.id * 100 + i) ||
					' is on its way, and you will get an e-mail with the tracking number soon.' END,
				CASE i % 2 WHEN 0 THEN 'Contact' ELSE 'AgentBot' END, CASE i % 2 WHEN 0 THEN v.contact_id ELSE 0 END,
				$2 - v.id * 1000 + i, $2 - v.id * 1000 + i
			FROM conversations v, seq WHERE v.account_id = $1 AND v.uuid LIKE 'seed-%'`, []any{w.account, now}},
		{`UPDATE accounts SET last_display_id = (SELECT MAX(display_id) FROM conversations WHERE account_id = $1)
			WHERE id = $1`, []any{w.account}},
	} {
		if _, err := db.ExecContext(ctx, st.query, st.args...); err != nil {
			w.T.Fatalf("seed: %v\n%s", err, st.query)
		}
	}
	if w.Store.Dialect() == "postgres" {
		// The test schema was emptied by deleting its rows, which leaves
		// them dead in the tables and their indexes (with the ids the
		// new rows take again): vacuumed, and analyzed, as autovacuum
		// would have them after a bulk load.
		if _, err := db.ExecContext(ctx, `VACUUM ANALYZE contacts, contact_inboxes, conversations, messages`); err != nil {
			w.T.Fatal(err)
		}
	}
}

// BenchmarkLabels answers the labels field's suggestions (GET labels) for
// a signed-in agent, over HTTP, in an account of 20,000 conversations, each
// with two of 300 labels, on SQLite and, when BATON_TEST_POSTGRES_URL is
// set, PostgreSQL: the labels of the newest app.LabelsRecent, each once,
// the first app.MaxLabels of them. Asked for once a page, when the field
// is first typed in; the page itself does not read them.
//
//	go test ./internal/web/agent/ -run '^$' -bench Labels -benchtime 50x
func BenchmarkLabels(b *testing.B) {
	benchOnStores(b, func(b *testing.B, w *world) {
		w.seedConversations(20000, 1)
		labels := `'["label-' || (id % 300) || '","label-' || ((id + 7) % 300) || '"]'`
		if w.Store.Dialect() == "postgres" {
			labels = "CAST(" + labels + " AS JSONB)"
		}
		if _, err := w.Store.DB().ExecContext(context.Background(), `UPDATE conversations SET labels = `+labels+
			` WHERE account_id = $1`, w.account); err != nil {
			b.Fatal(err)
		}
		if w.Store.Dialect() == "postgres" {
			if _, err := w.Store.DB().ExecContext(context.Background(), `VACUUM ANALYZE conversations`); err != nil {
				b.Fatal(err)
			}
		}
		br := w.browser()
		br.signIn(w.agentMail, password)
		url := fmt.Sprintf("%s/app/accounts/%d/labels", w.URL, w.account)
		for b.Loop() {
			if n := strings.Count(br.page(b, url), `"label-`); n != app.MaxLabels {
				b.Fatalf("%d labels, want %d", n, app.MaxLabels)
			}
		}
	})
}

// benchOnStores runs the benchmark on a world on SQLite and, when
// BATON_TEST_POSTGRES_URL is set, on PostgreSQL.
func benchOnStores(b *testing.B, bench func(b *testing.B, w *world)) {
	b.Run("sqlite", func(b *testing.B) { bench(b, setupOn(b, storetest.OpenSQLite(b))) })
	if os.Getenv("BATON_TEST_POSTGRES_URL") != "" {
		b.Run("postgres", func(b *testing.B) { bench(b, setupOn(b, storetest.OpenPostgres(b))) })
	}
}

// BenchmarkConversationFilter runs Chatwoot's conversation filter over
// HTTP with an administrator's token, on 10,000 conversations of which a
// tenth have a custom attribute tier gold and seats a number: a page and
// its counts, per condition.
//
//	go test ./internal/web/agent/ -run '^$' -bench ConversationFilter -benchtime 20x
func BenchmarkConversationFilter(b *testing.B) {
	benchOnStores(b, func(b *testing.B, w *world) {
		w.seedConversations(10000, 1)
		if _, err := w.Store.DB().ExecContext(context.Background(), `UPDATE conversations SET custom_attributes =
			'{"tier":"gold","seats":12}' WHERE account_id = $1 AND id % 10 = 0`, w.account); err != nil {
			b.Fatal(err)
		}
		if w.Store.Dialect() == "postgres" {
			if _, err := w.Store.DB().ExecContext(context.Background(), `ANALYZE`); err != nil {
				b.Fatal(err)
			}
		}
		_, token := w.NewUser(w.account, "Filter Admin", fmt.Sprintf("filter%d@acme.test", w.account), "administrator")
		cond := func(key, op string, v any) map[string]any {
			return map[string]any{"attribute_key": key, "filter_operator": op, "values": []any{v}, "query_operator": "AND"}
		}
		for _, c := range []struct {
			name  string
			conds []map[string]any
		}{
			{"status", []map[string]any{cond("status", "equal_to", "open")}},
			{"custom text", []map[string]any{cond("tier", "equal_to", "gold")}},
			{"custom number", []map[string]any{cond("seats", "is_greater_than", 10)}},
			{"status and custom", []map[string]any{cond("status", "equal_to", "open"), cond("tier", "equal_to", "gold")}},
		} {
			b.Run(c.name, func(b *testing.B) {
				for b.Loop() {
					w.Call("POST", fmt.Sprintf("/api/v1/accounts/%d/conversations/filter", w.account), token,
						map[string]any{"payload": c.conds}, http.StatusOK)
				}
			})
		}
	})
}
