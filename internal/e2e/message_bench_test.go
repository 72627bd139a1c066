package e2e_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/auth"
	"github.com/batonhq/baton/internal/chatwoot"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// BenchmarkMessage measures a customer's message through the public API's
// use case (app.PublicCreateMessage, the HTTP surface left out), many at
// once over 400 conversations, without a bot and with one connected (its
// events and deliveries written, no engine sending them), on both
// databases. ns/op is the wall time per message with 16 callers per core;
// cpu-µs/op the process's CPU time (user and system) per message, the
// steadier figure on a shared machine (on PostgreSQL without the
// database server's).
//
//	go test -run XXX -bench BenchmarkMessage -benchtime 5s ./internal/e2e
func BenchmarkMessage(b *testing.B) { benchEach(b, benchMessages) }

// BenchmarkWidgetMessage is BenchmarkMessage through the widget's use
// case (app.WidgetCreateMessage): 400 visitors of a web widget inbox, each
// with a conversation.
//
//	go test -run XXX -bench BenchmarkWidgetMessage -benchtime 5s ./internal/e2e
func BenchmarkWidgetMessage(b *testing.B) { benchEach(b, benchWidgetMessages) }

// benchEach runs bench on each database, without a bot and with one.
func benchEach(b *testing.B, bench func(b *testing.B, s *store.Store, withBot bool)) {
	for _, db := range []string{"sqlite", "postgres"} {
		for _, bot := range []bool{false, true} {
			name := db + "/no_bot"
			if bot {
				name = db + "/bot"
			}
			b.Run(name, func(b *testing.B) {
				var s *store.Store
				if db == "sqlite" {
					s = storetest.OpenSQLite(b)
				} else {
					s = storetest.OpenPostgres(b)
				}
				bench(b, s, bot)
			})
		}
	}
}

func benchMessages(b *testing.B, s *store.Store, withBot bool) {
	a, inbox := benchInbox(b, s, baton.ChannelAPI, withBot)
	type customer struct {
		ctx  context.Context
		conv int64
	}
	customers := make([]customer, 400)
	for i := range customers {
		source := fmt.Sprint("customer-", i)
		cred := func(source string) context.Context {
			return baton.NewContextWithCredential(context.Background(),
				baton.ContactCredential{InboxIdentifier: inbox.Identifier, SourceID: source})
		}
		if _, _, err := a.PublicCreateContact(cred(""), app.PublicContactInput{SourceID: source}); err != nil {
			b.Fatal(err)
		}
		c, err := a.PublicCreateConversation(cred(source), nil)
		if err != nil {
			b.Fatal(err)
		}
		customers[i] = customer{ctx: cred(source), conv: c.DisplayID}
	}
	benchParallel(b, func(i int64) error {
		c := customers[i%int64(len(customers))]
		_, err := a.PublicCreateMessage(c.ctx, c.conv, app.PublicMessageInput{Content: ptr("Where is my order?")})
		return err
	})
}

func benchWidgetMessages(b *testing.B, s *store.Store, withBot bool) {
	a, inbox := benchInbox(b, s, baton.ChannelWebWidget, withBot)
	visitors := make([]context.Context, 400)
	site := baton.NewContextWithCredential(context.Background(), baton.ContactCredential{WebsiteToken: inbox.WebsiteToken})
	for i := range visitors {
		visit, err := a.WidgetConfig(site)
		if err != nil {
			b.Fatal(err)
		}
		visitors[i] = baton.NewContextWithCredential(context.Background(),
			baton.ContactCredential{WebsiteToken: inbox.WebsiteToken, WidgetToken: visit.Token})
		if _, err := a.WidgetCreateMessage(visitors[i], app.WidgetMessageInput{Content: ptr("Hello")}); err != nil {
			b.Fatal(err)
		}
	}
	benchParallel(b, func(i int64) error {
		_, err := a.WidgetCreateMessage(visitors[i%int64(len(visitors))], app.WidgetMessageInput{Content: ptr("Where is my order?")})
		return err
	})
}

// benchApp is an App on s as cmd/baton makes one (its event renderer, no
// flood guard to reach) and an account in it.
func benchApp(b *testing.B, s *store.Store) (*app.App, *baton.Account) {
	key, err := auth.NewKey("0123456789abcdef0123456789abcdef")
	if err != nil {
		b.Fatal(err)
	}
	a := app.New(app.Config{Store: s, Key: key, Renderer: &chatwoot.Renderer{PublicURL: func() string { return "http://baton.test" }},
		Limits: app.Limits{MessagesPerMinute: 1 << 30}})
	acc, err := a.CreateAccount(baton.NewContextWithActor(context.Background(), baton.SystemActor), app.AccountInput{Name: ptr("Acme")})
	if err != nil {
		b.Fatal(err)
	}
	return a, acc
}

// benchBot connects a bot to the inbox: its events and deliveries are
// written, and no engine sends them.
// benchInbox starts the app on s with an inbox of the channel, its bot
// connected when withBot.
func benchInbox(b *testing.B, s *store.Store, channel string, withBot bool) (*app.App, *baton.Inbox) {
	a, acc := benchApp(b, s)
	sys := baton.NewContextWithActor(context.Background(), baton.SystemActor)
	inbox, err := a.CreateInbox(sys, acc.ID, app.InboxInput{Name: ptr("Inbox"), ChannelType: channel})
	if err != nil {
		b.Fatal(err)
	}
	if withBot {
		benchBot(b, a, acc.ID, inbox.ID)
	}
	return a, inbox
}

func benchBot(b *testing.B, a *app.App, accountID, inboxID int64) {
	sys := baton.NewContextWithActor(context.Background(), baton.SystemActor)
	v, err := a.CreateAgentBot(sys, accountID, app.AgentBotInput{Name: ptr("Bot"), OutgoingURL: ptr("http://127.0.0.1:9/bot")})
	if err != nil {
		b.Fatal(err)
	}
	if err := a.SetInboxAgentBot(sys, accountID, inboxID, v.Bot.ID); err != nil {
		b.Fatal(err)
	}
}

// benchParallel runs message(n) for the nth message, 16 callers a core,
// and reports the process's CPU time a message.
func benchParallel(b *testing.B, message func(n int64) error) {
	var next atomic.Int64
	b.SetParallelism(16)
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	defer func() { b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op") }()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := message(next.Add(1)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
