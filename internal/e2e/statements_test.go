package e2e_test

import (
	"context"
	"testing"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
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
		// with a bot 8 and 10 on SQLite, 6 and 8 on PostgreSQL.
		limits := map[string]map[string]int64{
			"sqlite":   {"customer": 4, "customer, bot": 7, "bot reply": 9},
			"postgres": {"customer": 4, "customer, bot": 5, "bot reply": 7},
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
