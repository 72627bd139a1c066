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
func BenchmarkMessage(b *testing.B) {
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
				benchMessages(b, s, bot)
			})
		}
	}
}

func benchMessages(b *testing.B, s *store.Store, withBot bool) {
	key, err := auth.NewKey("0123456789abcdef0123456789abcdef")
	if err != nil {
		b.Fatal(err)
	}
	a := app.New(app.Config{Store: s, Key: key, Renderer: &chatwoot.Renderer{PublicURL: func() string { return "http://baton.test" }},
		Limits: app.Limits{MessagesPerMinute: 1 << 30}})
	sys := baton.NewContextWithActor(context.Background(), baton.SystemActor)
	acc, err := a.CreateAccount(sys, app.AccountInput{Name: ptr("Acme")})
	if err != nil {
		b.Fatal(err)
	}
	inbox, err := a.CreateInbox(sys, acc.ID, app.InboxInput{Name: ptr("API"), ChannelType: baton.ChannelAPI})
	if err != nil {
		b.Fatal(err)
	}
	if withBot {
		v, err := a.CreateAgentBot(sys, acc.ID, app.AgentBotInput{Name: ptr("Bot"), OutgoingURL: ptr("http://127.0.0.1:9/bot")})
		if err != nil {
			b.Fatal(err)
		}
		if err := a.SetInboxAgentBot(sys, acc.ID, inbox.ID, v.Bot.ID); err != nil {
			b.Fatal(err)
		}
	}
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
	var next atomic.Int64
	b.SetParallelism(16)
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	defer func() { b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op") }()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c := customers[next.Add(1)%int64(len(customers))]
			if _, err := a.PublicCreateMessage(c.ctx, c.conv, app.PublicMessageInput{Content: ptr("Where is my order?")}); err != nil {
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
