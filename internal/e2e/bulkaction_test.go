package e2e_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/batonhq/baton/internal/batontest"
	"github.com/batonhq/baton/internal/store"
	"github.com/batonhq/baton/internal/store/storetest"
)

// TestBulkActionEvents: a bulk action raises, for each conversation, the
// very events the single endpoint raises, for bots and for live clients:
// a bulk open of the bot's conversations is a handoff the bot hears of, as
// a toggle_status to open is, and a bulk pending hands them back, the bot
// hearing that as it hears a toggle_status to pending. Conversation a
// takes the single endpoints, b and c one bulk action together.
func TestBulkActionEvents(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e, b := startBot(t, s)
		convs := map[string]int64{}
		for _, name := range []string{"a", "b", "c"} {
			convs[name] = e.customer("bulk-" + name)
			e.say("bulk-"+name, convs[name], "Hello from "+name)
			waitFor(t, "the bot to hear "+name, func() bool {
				return b.heard(0, func(ev map[string]any) bool {
					return ev["event"] == "message_created" && ev["content"] == "Hello from "+name
				})
			})
			if got := e.status(convs[name]); got != "pending" {
				t.Fatalf("conversation %s is %s, want the bot's (pending)", name, got)
			}
		}
		a, bc := convs["a"], []int64{convs["b"], convs["c"]}
		bulk := e.acc("/bulk_actions")
		for round, status := range []string{"open", "pending"} {
			bot, live := len(b.eventNames()), e.lastLive()
			e.call("POST", e.convPath(a)+"/toggle_status", e.adminToken, fmt.Sprintf(`{"status":%q}`, status), 200)
			got := e.call("POST", bulk, e.adminToken, fmt.Sprintf(`{"type":"Conversation","ids":[%d,%d],"fields":{"status":%q}}`, bc[0], bc[1], status), 200).(map[string]any)
			if fmt.Sprint(got["updated"]) != fmt.Sprintf("[%d %d]", bc[0], bc[1]) || len(got["skipped"].([]any)) != 0 {
				t.Fatalf("bulk %s answered %v", status, got)
			}
			for id := range slices.Values(append([]int64{a}, bc...)) {
				if st := e.status(id); st != status {
					t.Fatalf("after %s, conversation %d is %s", status, id, st)
				}
			}
			// A customer's message in each closes the round: within a
			// conversation the bot hears in order, so when it has them, it
			// has everything the change raised.
			for name, id := range convs {
				e.say("bulk-"+name, id, fmt.Sprintf("end of round %d", round))
			}
			for _, id := range convs {
				waitFor(t, fmt.Sprintf("the end of round %d in conversation %d", round, id), func() bool {
					return b.heard(bot, func(ev map[string]any) bool {
						return ev["event"] == "message_created" && ev["content"] == fmt.Sprintf("end of round %d", round) && conversationOf(ev) == id
					})
				})
			}
			heard := b.eventsSince(bot)
			want := heard[a]
			if !slices.Contains(want, "conversation_status_changed") || len(want) < 3 {
				t.Fatalf("round %s: the bot heard of a's toggle_status %v, want its status change among them", status, want)
			}
			lives := e.liveSince(live)
			for _, id := range bc {
				if !slices.Equal(heard[id], want) {
					t.Errorf("round %s: the bot heard of conversation %d's bulk change %v, of the single endpoint's %v", status, id, heard[id], want)
				}
				if !slices.Equal(lives[id], lives[a]) {
					t.Errorf("round %s: live clients heard of conversation %d's bulk change %v, of the single endpoint's %v", status, id, lives[id], lives[a])
				}
			}
			for _, id := range bc {
				if !b.heard(bot, func(ev map[string]any) bool {
					return ev["event"] == "conversation_status_changed" && conversationOf(ev) == id && ev["status"] == status
				}) {
					t.Errorf("round %s: the bot did not hear conversation %d's status become %s", status, id, status)
				}
			}
		}
	})
}

// conversationOf is the display id of the conversation an event is about.
func conversationOf(ev map[string]any) int64 {
	if c, ok := ev["conversation"].(map[string]any); ok {
		n, _ := c["id"].(float64)
		return int64(n)
	}
	n, _ := ev["id"].(float64)
	return int64(n)
}

// eventsSince is the names of the events the bot received after the first
// n, by conversation (display id), message events with their type.
func (b *bot) eventsSince(n int) map[int64][]string {
	b.Mu.Lock()
	defer b.Mu.Unlock()
	out := map[int64][]string{}
	for _, ev := range b.Events[n:] {
		s, _ := ev["event"].(string)
		if mt, ok := ev["message_type"].(string); ok {
			s += ":" + mt
		}
		id := conversationOf(ev)
		out[id] = append(out[id], s)
	}
	return out
}

// heard reports whether the bot received, after its first n events, one
// that matches.
func (b *bot) heard(n int, match func(ev map[string]any) bool) bool {
	b.Mu.Lock()
	defer b.Mu.Unlock()
	return slices.ContainsFunc(b.Events[n:], match)
}

// lastLive is the id of the newest live event.
func (e *env) lastLive() int64 {
	e.t.Helper()
	evs, _, err := e.App.LiveEventsSince(context.Background(), 0, nil, 100000, func(int64) bool { return false })
	if err != nil {
		e.t.Fatal(err)
	}
	if len(evs) == 0 {
		return 0
	}
	return evs[len(evs)-1].ID
}

// liveSince is the names of the live events after the id, by conversation
// (display id).
func (e *env) liveSince(after int64) map[int64][]string {
	e.t.Helper()
	evs, _, err := e.App.LiveEventsSince(context.Background(), after, nil, 100000, func(int64) bool { return false })
	if err != nil {
		e.t.Fatal(err)
	}
	display := map[int64]int64{}
	out := map[int64][]string{}
	for _, ev := range evs {
		if ev.ConversationID == 0 {
			continue
		}
		id, ok := display[ev.ConversationID]
		if !ok {
			c, err := e.Store.Read().FindConversationByID(batontest.System(), ev.ConversationID)
			if err != nil {
				e.t.Fatal(err)
			}
			id, display[ev.ConversationID] = c.DisplayID, c.DisplayID
		}
		out[id] = append(out[id], ev.Name)
	}
	return out
}
