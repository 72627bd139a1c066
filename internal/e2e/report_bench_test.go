package e2e_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// BenchmarkReports measures Chatwoot's account reports (reports/summary,
// which reads the range and the one before it, GET reports, the CSV
// downloads and reports/conversations) and the agent app's people report,
// through their use cases, on a year of one
// account's history: BATON_BENCH_CONVERSATIONS conversations (default
// 20,000) spread evenly over the year, ten messages each (five from the
// customer, four replies and a private note from one of five people), and
// a first response, a resolution and an assignment each, half of each
// time in business hours; every tenth labelled vip, every fiftieth open.
// ns/op is one report; on PostgreSQL the tables are
// analyzed after they are filled, and vacuumed, as autovacuum would.
//
//	go test -run XXX -bench BenchmarkReports -benchtime 20x ./internal/e2e
//	BATON_BENCH_CONVERSATIONS=100000 go test -run XXX -bench BenchmarkReports -benchtime 5x -timeout 30m ./internal/e2e
func BenchmarkReports(b *testing.B) {
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("BATON_BENCH_CONVERSATIONS")); err == nil && v > 0 {
		n = v
	}
	for _, db := range []string{"sqlite", "postgres"} {
		b.Run(db, func(b *testing.B) {
			var s *store.Store
			if db == "sqlite" {
				s = storetest.OpenSQLite(b)
			} else {
				s = storetest.OpenPostgres(b)
			}
			a, acc, people, end := reportHistory(b, s, n)
			sys := baton.NewContextWithActor(context.Background(), baton.SystemActor)
			month := app.AccountReportQuery{Type: "account", Since: end.AddDate(0, 0, -30), Until: end}
			year := app.AccountReportQuery{Type: "account", Since: end.AddDate(-1, 0, 0), Until: end}
			of := func(rq app.AccountReportQuery, typ, id string) app.AccountReportQuery {
				rq.Type, rq.ID = typ, id
				return rq
			}
			byMonth := year
			byMonth.GroupBy = "month"
			cases := []struct {
				name string
				run  func() error
			}{
				{"summary/30_days", func() error { _, _, err := a.ReportSummary(sys, acc, month); return err }},
				{"summary/365_days", func() error { _, _, err := a.ReportSummary(sys, acc, year); return err }},
				{"summary/agent_30_days", func() error {
					_, _, err := a.ReportSummary(sys, acc, of(month, "agent", fmt.Sprint(people[0])))
					return err
				}},
				{"summary/label_30_days", func() error { _, _, err := a.ReportSummary(sys, acc, of(month, "label", "vip")); return err }},
				{"series/conversations_30_days_by_day", func() error {
					_, _, err := a.ReportSeries(sys, acc, app.MetricConversations, month)
					return err
				}},
				{"series/outgoing_365_days_by_month", func() error {
					_, _, err := a.ReportSeries(sys, acc, app.MetricOutgoing, byMonth)
					return err
				}},
				{"series/first_response_365_days_by_month", func() error {
					_, _, err := a.ReportSeries(sys, acc, app.MetricFirstResponse, byMonth)
					return err
				}},
				{"people/30_days", func() error { _, err := a.PeopleReport(sys, acc, month.Since, month.Until); return err }},
				{"summary/30_days_business_hours", func() error {
					rq := month
					rq.BusinessHours = true
					_, _, err := a.ReportSummary(sys, acc, rq)
					return err
				}},
				{"download/agents_30_days", func() error { _, err := a.ReportSummaries(sys, acc, app.SummaryByAgent, month); return err }},
				{"download/inboxes_365_days", func() error { _, err := a.ReportSummaries(sys, acc, app.SummaryByInbox, year); return err }},
				{"download/labels_30_days", func() error { _, err := a.ReportSummaries(sys, acc, app.SummaryByLabel, month); return err }},
				{"conversations/account", func() error { _, err := a.ConversationMetrics(sys, acc); return err }},
				{"conversations/agents", func() error { _, err := a.AgentConversationMetrics(sys, acc, 0, 1); return err }},
			}
			for _, c := range cases {
				b.Run(c.name, func(b *testing.B) {
					for b.Loop() {
						if err := c.run(); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}

// reportHistory fills s with a year of an account's history of n
// conversations (see BenchmarkReports), and returns the app, the account,
// its five people and the year's end.
func reportHistory(b *testing.B, s *store.Store, n int) (*app.App, int64, []int64, time.Time) {
	b.Helper()
	ctx := context.Background()
	a, inbox := benchInbox(b, s, baton.ChannelAPI, false)
	sys := baton.NewContextWithActor(ctx, baton.SystemActor)
	var people []int64
	for i := range 5 {
		u, _, err := a.CreateUserInAccount(sys, inbox.AccountID, app.UserInput{Name: ptr(fmt.Sprint("Person ", i)),
			Email: ptr(fmt.Sprintf("person%d@acme.test", i)), Password: ptr("password123")}, "agent")
		if err != nil {
			b.Fatal(err)
		}
		people = append(people, u.ID)
	}
	cred := baton.NewContextWithCredential(ctx, baton.ContactCredential{InboxIdentifier: inbox.Identifier})
	contact, ci, err := a.PublicCreateContact(cred, app.PublicContactInput{SourceID: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	end := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	start := end.AddDate(-1, 0, 0).UnixMicro()
	step := (end.UnixMicro() - start) / int64(n)
	t0 := time.Now()
	db := s.DB()
	seq := func(name string, max int) string {
		return `WITH RECURSIVE ` + name + `(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM ` + name + ` WHERE i < ` + strconv.Itoa(max) + `) `
	}
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO conversations (account_id, inbox_id, display_id, contact_id, contact_inbox_id, uuid, status,
			assignee_id, last_activity_at, created_at, updated_at) ` + seq("seq", n) + `
			SELECT CAST($1 AS BIGINT), CAST($2 AS BIGINT), i, CAST($3 AS BIGINT), CAST($4 AS BIGINT), 'bench-' || i, 1,
				CASE i % 5 WHEN 0 THEN CAST($5 AS BIGINT) WHEN 1 THEN CAST($6 AS BIGINT) WHEN 2 THEN CAST($7 AS BIGINT)
					WHEN 3 THEN CAST($8 AS BIGINT) ELSE CAST($9 AS BIGINT) END,
				CAST($10 AS BIGINT) + i * CAST($11 AS BIGINT), CAST($10 AS BIGINT) + i * CAST($11 AS BIGINT),
				CAST($10 AS BIGINT) + i * CAST($11 AS BIGINT) FROM seq`,
			[]any{inbox.AccountID, inbox.ID, contact.ID, ci.ID, people[0], people[1], people[2], people[3], people[4], start, step}},
		{`UPDATE conversations SET labels = '["vip"]' WHERE account_id = $1 AND display_id % 10 = 0`, []any{inbox.AccountID}},
		// Every fiftieth open, half of those waiting for a reply.
		{`UPDATE conversations SET status = 0, first_reply_created_at = created_at + 240000000,
			waiting_since = CASE WHEN display_id % 100 = 0 THEN created_at + 600000000 END
			WHERE account_id = $1 AND display_id % 50 = 0`, []any{inbox.AccountID}},
		{`INSERT INTO messages (account_id, inbox_id, conversation_id, message_type, content, private, sender_type,
			sender_id, created_at, updated_at) ` + seq("k", 10) + `
			SELECT v.account_id, v.inbox_id, v.id, CASE WHEN k.i % 2 = 1 THEN 0 ELSE 1 END, 'text', k.i = 10,
				CASE WHEN k.i % 2 = 1 THEN 'Contact' ELSE 'User' END,
				CASE WHEN k.i % 2 = 1 THEN v.contact_id ELSE v.assignee_id END,
				v.created_at + k.i * 60000000, v.created_at + k.i * 60000000
			FROM conversations v CROSS JOIN k WHERE v.account_id = $1`, []any{inbox.AccountID}},
		{`INSERT INTO reporting_events (account_id, inbox_id, conversation_id, user_id, name, started_at, created_at,
				business_value)
			SELECT v.account_id, v.inbox_id, v.id, v.assignee_id, e.name, v.created_at, v.created_at + e.after + (v.id % 60) * 1000000,
				(e.after + (v.id % 60) * 1000000) / 2
			FROM conversations v CROSS JOIN (SELECT 'first_response' AS name, 240000000 AS after
				UNION ALL SELECT 'conversation_resolved', 3600000000 UNION ALL SELECT 'conversation_assigned', 0) e
			WHERE v.account_id = $1`, []any{inbox.AccountID}},
	} {
		if _, err := db.ExecContext(ctx, q.sql, q.args...); err != nil {
			b.Fatalf("%v\n%s", err, q.sql)
		}
	}
	if s.Dialect() == "postgres" {
		if _, err := db.ExecContext(ctx, `VACUUM ANALYZE conversations, messages, reporting_events`); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("%s: %d conversations, %d messages, %d reporting events written in %v", s.Dialect(), n, n*10, n*3,
		time.Since(t0).Round(time.Millisecond))
	return a, inbox.AccountID, people, end
}

// BenchmarkReportHistory measures migration 00037 on the year of
// BenchmarkReports (BATON_BENCH_CONVERSATIONS conversations), each
// resolved an hour after it began as its activity message says, every
// tenth reopened by its customer and resolved again, with none of those
// resolutions recorded: ns/op is one migration from 00036 to 00037 (the
// business values of every event and the resolutions and reopenings
// recorded from the activity messages and handoffs); taking it down again
// between runs is not timed.
//
//	BATON_BENCH_CONVERSATIONS=100000 go test -run XXX -bench BenchmarkReportHistory -benchtime 2x -timeout 30m ./internal/e2e
func BenchmarkReportHistory(b *testing.B) {
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("BATON_BENCH_CONVERSATIONS")); err == nil && v > 0 {
		n = v
	}
	for _, db := range []string{"sqlite", "postgres"} {
		b.Run(db, func(b *testing.B) {
			var s *store.Store
			dialect := goose.DialectSQLite3
			if db == "sqlite" {
				s = storetest.OpenSQLite(b)
			} else {
				s, dialect = storetest.OpenPostgres(b), goose.DialectPostgres
			}
			_, acc, _, _ := reportHistory(b, s, n)
			ctx := context.Background()
			for _, q := range []string{
				`INSERT INTO messages (account_id, inbox_id, conversation_id, message_type, content, created_at, updated_at)
					SELECT v.account_id, v.inbox_id, v.id, 2, 'Conversation was marked resolved by Person 0',
						v.created_at + 3600000000, v.created_at + 3600000000 FROM conversations v WHERE v.account_id = $1`,
				`INSERT INTO messages (account_id, inbox_id, conversation_id, message_type, content, created_at, updated_at)
					SELECT v.account_id, v.inbox_id, v.id, 2, t.content, v.created_at + t.after, v.created_at + t.after
					FROM conversations v CROSS JOIN (SELECT 'System reopened the conversation due to a new incoming message.' AS content,
						7200000000 AS after UNION ALL SELECT 'Conversation was resolved by Casey', 10800000000) t
					WHERE v.account_id = $1 AND v.display_id % 10 = 0`,
			} {
				if _, err := s.DB().ExecContext(ctx, q, acc); err != nil {
					b.Fatalf("%v\n%s", err, q)
				}
			}
			p, err := goose.NewProvider(dialect, s.DB(), os.DirFS(filepath.Join("..", "store", db, "migrations")))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() {
				if _, err := p.Up(ctx); err != nil {
					b.Errorf("migrating up again: %v", err)
				}
			})
			for b.Loop() {
				b.StopTimer()
				if _, err := p.DownTo(ctx, 36); err != nil {
					b.Fatal(err)
				}
				if _, err := s.DB().ExecContext(ctx, `DELETE FROM reporting_events WHERE name IN ('conversation_resolved', 'conversation_opened')`); err != nil {
					b.Fatal(err)
				}
				if db == "postgres" {
					if _, err := s.DB().ExecContext(ctx, `VACUUM ANALYZE messages, reporting_events`); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				if _, err := p.UpTo(ctx, 37); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			var resolved, opened int
			if err := s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FILTER (WHERE name = 'conversation_resolved'),
				COUNT(*) FILTER (WHERE name = 'conversation_opened') FROM reporting_events`).Scan(&resolved, &opened); err != nil {
				b.Fatal(err)
			}
			if resolved != n+n/10 || opened != n/10 {
				b.Fatalf("%d resolutions and %d reopenings recorded, want %d and %d", resolved, opened, n+n/10, n/10)
			}
		})
	}
}
