package e2e_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// TestBotDisconnected checks what disconnecting a bot does: its pending
// conversations stay pending, new ones start open, no more events go to
// it, and without an inbox in the account its token is refused there.
func TestBotDisconnected(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e, b := startBot(t, s)
		before := e.customer("casey")
		if got := e.status(before); got != "pending" {
			t.Fatalf("a conversation with the bot connected is %s, want pending", got)
		}
		e.call("POST", e.acc(fmt.Sprintf("/inboxes/%v/set_agent_bot", e.inbox["id"])), e.adminToken, `{"agent_bot":null}`, 200)
		if got := e.call("GET", e.acc(fmt.Sprintf("/inboxes/%v/agent_bot", e.inbox["id"])), e.adminToken, "", 200).(map[string]any); len(got) != 0 {
			t.Fatalf("the inbox's bot after disconnecting: %v", got)
		}
		if got := e.status(before); got != "pending" {
			t.Fatalf("disconnecting the bot left a pending conversation %s", got)
		}
		after := e.customer("dana")
		if got := e.status(after); got != "open" {
			t.Fatalf("a new conversation without a bot is %s, want open", got)
		}

		// The customer of the pending conversation writes: nothing is
		// queued for the bot (deliveries are written with the message).
		n := len(e.deliveries(b.id))
		e.say("casey", before, "Anyone there?")
		if got := len(e.deliveries(b.id)); got != n {
			t.Fatalf("%d deliveries for a disconnected bot, want %d", got, n)
		}

		// The bot belongs to the account but has no inbox in it any more.
		for _, path := range []string{fmt.Sprintf("/conversations/%d/messages", before), fmt.Sprintf("/conversations/%d/toggle_status", before)} {
			got := e.call("POST", e.acc(path), b.token, `{"content":"Still here","status":"open"}`, 401).(map[string]any)
			if got["error"] != "Bot is not authorized to access this account" {
				t.Fatalf("POST %s: %v", path, got)
			}
		}
	})
}

// TestBotNeverConnected checks that an account's bot connected to no inbox
// may not act in its own account.
func TestBotNeverConnected(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := start(t, s)
		v := e.call("POST", e.acc("/agent_bots"), e.adminToken, `{"name":"Idle","outgoing_url":"http://127.0.0.1:9/hook"}`, 200).(map[string]any)
		token := v["access_token"].(string)
		conv := e.customer("casey")
		for _, c := range []struct{ method, path, body string }{
			{"POST", fmt.Sprintf("/conversations/%d/messages", conv), `{"content":"Hello"}`},
			{"POST", fmt.Sprintf("/conversations/%d/toggle_status", conv), `{"status":"open"}`},
			{"GET", fmt.Sprintf("/conversations/%d", conv), ""},
		} {
			got := e.call(c.method, e.acc(c.path), token, c.body, 401).(map[string]any)
			if got["error"] != "Bot is not authorized to access this account" {
				t.Fatalf("%s %s: %v", c.method, c.path, got)
			}
		}
	})
}

// TestGlobalBot runs one global bot in two accounts that connect it, and
// checks it is refused in a third that does not.
func TestGlobalBot(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e1 := start(t, s)
		e2 := start(t, s)
		e3 := start(t, s)
		b := newBot(t, nil)
		sys := baton.NewContextWithActor(context.Background(), baton.SystemActor)
		v, err := e1.App.PlatformCreateAgentBot(sys, 0, app.AgentBotInput{Name: ptr("Concierge"), OutgoingURL: ptr(b.URL)})
		if err != nil {
			t.Fatal(err)
		}
		if v.Bot.AccountID != 0 || v.AccessToken == "" {
			t.Fatalf("global bot: account %d, token %q", v.Bot.AccountID, v.AccessToken)
		}
		b.id, b.token = v.Bot.ID, v.AccessToken

		for i, e := range []*env{e1, e2} {
			e.call("POST", e.acc(fmt.Sprintf("/inboxes/%v/set_agent_bot", e.inbox["id"])), e.adminToken,
				fmt.Sprintf(`{"agent_bot":%d}`, b.id), 200)
			source := fmt.Sprintf("guest%d", i)
			conv := e.customer(source)
			if got := e.status(conv); got != "pending" {
				t.Fatalf("account %d: a new conversation is %s, want pending", e.accountID, got)
			}
			text := fmt.Sprintf("Hello from account %d", e.accountID)
			e.say(source, conv, text)
			ev := b.next(t, incoming(text))
			if dig(ev, "account", "id") != float64(e.accountID) || dig(ev, "conversation", "id") != float64(conv) {
				t.Fatalf("event for account %v conversation %v, want %d/%d", dig(ev, "account", "id"),
					dig(ev, "conversation", "id"), e.accountID, conv)
			}
			path := e.convPath(conv)
			msg := e.call("POST", path+"/messages", b.token, `{"content":"Welcome!"}`, 200).(map[string]any)
			if dig(msg, "sender", "id") != float64(b.id) || dig(msg, "sender", "type") != "agent_bot" {
				t.Fatalf("account %d: reply sender %v", e.accountID, msg["sender"])
			}
			e.call("POST", path+"/toggle_status", b.token, `{"status":"open"}`, 200)
			if got := e.status(conv); got != "open" {
				t.Fatalf("account %d: after the handoff the conversation is %s, want open", e.accountID, got)
			}
		}

		conv := e3.customer("walker")
		got := e3.call("POST", e3.acc(fmt.Sprintf("/conversations/%d/messages", conv)), b.token, `{"content":"Hi"}`, 401).(map[string]any)
		if got["error"] != "Bot is not authorized to access this account" {
			t.Fatalf("an account that did not connect the global bot: %v", got)
		}
	})
}

// TestSetAnotherAccountsBot checks that an account cannot connect another
// account's bot (Chatwoot 4.6 allows it; Baton answers 404, as newer
// Chatwoot does), and that nothing changed.
func TestSetAnotherAccountsBot(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := start(t, s)
		other := start(t, s)
		theirs := newBot(t, nil)
		other.connect(theirs, "")
		got := e.call("POST", e.acc(fmt.Sprintf("/inboxes/%v/set_agent_bot", e.inbox["id"])), e.adminToken,
			fmt.Sprintf(`{"agent_bot":%d}`, theirs.id), 404).(map[string]any)
		if got["error"] != "Resource could not be found" {
			t.Fatalf("set_agent_bot with another account's bot: %v", got)
		}
		if got := e.call("GET", e.acc(fmt.Sprintf("/inboxes/%v/agent_bot", e.inbox["id"])), e.adminToken, "", 200).(map[string]any); len(got) != 0 {
			t.Fatalf("the inbox's bot after a refused set_agent_bot: %v", got)
		}
		if got := e.status(e.customer("casey")); got != "open" {
			t.Fatalf("a new conversation is %s, want open (no bot)", got)
		}
	})
}
