package realtime

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/app"
)

// keep remembers an event of the account, as dispatch does.
func keep(h *Hub, account, id int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.remember(&entry{id: id, at: h.now(), event: &app.LiveEvent{Event: baton.Event{ID: id, AccountID: account}}})
}

func ids(events []*entry) []int64 {
	out := make([]int64, len(events))
	for i, e := range events {
		out[i] = e.id
	}
	return out
}

// TestResumeReadsItsAccount: a resuming subscription reads its account's
// events kept after the one it names, in the order they went out (on
// PostgreSQL a late commit goes out after higher ids), and none of the
// other accounts', however many: the whole ring was read, under the hub's
// lock, for each resume. Events forgotten from the ring are forgotten from
// their account's too.
func TestResumeReadsItsAccount(t *testing.T) {
	t.Parallel()
	h := New(Config{ResumeEvents: 100})
	for id := int64(1); id <= 3; id++ {
		keep(h, 1, id)
	}
	for id := int64(4); id <= 53; id++ {
		keep(h, 2, id)
	}
	keep(h, 1, 60)
	keep(h, 1, 55) // committed late
	keep(h, 2, 61)
	for _, c := range []struct {
		after int64
		want  []int64
	}{{1, []int64{2, 3, 60, 55}}, {2, []int64{3, 60, 55}}, {60, []int64{55}}, {55, []int64{}}, {30, []int64{60, 55}}} {
		missed, _, ok := h.since(1, c.after)
		if !ok || !slices.Equal(ids(missed), c.want) {
			t.Errorf("account 1 after %d: %v (kept: %v), want %v", c.after, ids(missed), ok, c.want)
		}
	}
	if _, _, ok := h.since(1, 999); ok {
		t.Error("an event never kept was found")
	}
	// Account 2's events push account 1's out of the ring.
	for id := int64(100); id < 300; id++ {
		keep(h, 2, id)
	}
	if _, _, ok := h.since(1, 2); ok {
		t.Error("an event forgotten by the ring was found")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.kept[1] != nil {
		t.Errorf("account 1 keeps %d events, none in the ring", len(h.kept[1].entries))
	}
	if k := h.kept[2]; k == nil || len(k.entries) != 100 || k.entries[0] != h.ring[0] || k.cut > 100 {
		t.Errorf("account 2 keeps %v, the ring %d events from %d", k, len(h.ring), h.ring[0].id)
	}
}

// TestResumeReadsOutsideTheLock: what a resuming subscription reads outside
// the hub's lock is not written meanwhile, as events are kept and
// forgotten (run with -race), and stays the account's, in order.
func TestResumeReadsOutsideTheLock(t *testing.T) {
	t.Parallel()
	h := New(Config{ResumeEvents: 500})
	keep(h, 1, 1)
	var writer sync.WaitGroup
	writer.Go(func() {
		for id := int64(2); id < 20000; id++ {
			keep(h, id%3, id)
		}
	})
	done := make(chan struct{})
	go func() { writer.Wait(); close(done) }()
	for reads := 0; ; reads++ {
		select {
		case <-done:
			if reads == 0 {
				t.Fatal("no read while events were kept")
			}
			return
		default:
		}
		h.mu.Lock()
		from := h.ring[len(h.ring)/2].id
		h.mu.Unlock()
		missed, _, ok := h.since(1, from)
		if !ok {
			continue // forgotten meanwhile
		}
		var last uint64
		for _, e := range missed {
			if e.event.AccountID != 1 || e.seq <= last || e.id <= from {
				t.Fatalf("after %d, read %d (account %d, place %d after %d)", from, e.id, e.event.AccountID, e.seq, last)
			}
			last = e.seq
		}
	}
}

// TestPresenceReadsItsAccount: the contacts an account's agents are told
// are online here are read from the account's own subscriptions; every
// presence change walked every contact online here, of every account,
// under the hub's lock. A subscription's end leaves nothing behind.
func TestPresenceReadsItsAccount(t *testing.T) {
	t.Parallel()
	h := New(Config{})
	c := &conn{hub: h, subs: map[string]*subscription{}}
	var subs []*subscription
	join := func(who *app.Subscriber) {
		s := &subscription{c: c, who: who}
		h.mu.Lock()
		h.listen(who.AccountID)
		if ok, _ := h.register(c, fmt.Sprint(len(subs)), s, h.endings); !ok {
			t.Fatal("not registered")
		}
		h.mu.Unlock()
		subs = append(subs, s)
	}
	join(&app.Subscriber{AccountID: 1, ContactID: 10, ContactInboxID: 100})
	join(&app.Subscriber{AccountID: 1, ContactID: 10, ContactInboxID: 101})
	join(&app.Subscriber{AccountID: 1, ContactID: 11, ContactInboxID: 102})
	join(&app.Subscriber{AccountID: 1, UserID: 5})
	for i := range int64(1000) {
		join(&app.Subscriber{AccountID: 2, ContactID: 1000 + i, ContactInboxID: 2000 + i})
	}
	if got := h.contactsHere(1); len(got) != 2 || !got[10] || !got[11] {
		t.Errorf("account 1's contacts here: %v, want 10 and 11", got)
	}
	h.mu.Lock()
	if r := h.rooms[1]; r == nil || len(r.contacts) != 3 || len(r.users) != 1 {
		t.Errorf("account 1's room: %+v", r)
	}
	for _, s := range subs {
		h.drop(s)
	}
	if len(h.rooms) != 0 || len(h.contacts) != 0 {
		t.Errorf("after every subscription ended: %d rooms, %d contact inboxes", len(h.rooms), len(h.contacts))
	}
	h.mu.Unlock()
}

// TestSuspensionRefusesSubscriptionUnderway: a subscription checked before
// its account was suspended here (its account read as active) is refused
// when it comes to register; another account's is not, nor one checked
// after.
func TestSuspensionRefusesSubscriptionUnderway(t *testing.T) {
	t.Parallel()
	h := New(Config{Now: func() time.Time { return time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC) }})
	c := &conn{hub: h, subs: map[string]*subscription{}}
	checked := h.endings
	h.endAccount(1)
	h.mu.Lock()
	defer h.mu.Unlock()
	register := func(account int64, identifier string, endings uint64) (bool, bool) {
		return h.register(c, identifier, &subscription{c: c, who: &app.Subscriber{AccountID: account, ContactID: 1, ContactInboxID: account}}, endings)
	}
	if ok, refused := register(1, "a", checked); ok || !refused {
		t.Errorf("checked before the suspension: registered %v, refused %v", ok, refused)
	}
	if ok, _ := register(2, "b", checked); !ok {
		t.Error("another account's subscription was not registered")
	}
	if ok, _ := register(1, "c", h.endings); !ok {
		t.Error("a subscription checked after the suspension (active again) was not registered")
	}
}

// TestRemovalRefusesSubscriptionUnderway: a user's subscription checked
// before a presence change that no longer counts them among the account's
// members (removed, deleted) is refused when it comes to register, as one
// checked before a suspension is; another member's, one of another
// account, and one checked after the change are registered.
func TestRemovalRefusesSubscriptionUnderway(t *testing.T) {
	t.Parallel()
	h := New(Config{Now: func() time.Time { return time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC) }})
	c := &conn{hub: h, subs: map[string]*subscription{}}
	checked := h.endings
	h.mu.Lock()
	defer h.mu.Unlock()
	h.keepMembers(1, map[int64]bool{8: true}) // as presenceChanged does
	register := func(account, user int64, identifier string, endings uint64) (bool, bool) {
		return h.register(c, identifier, &subscription{c: c, who: &app.Subscriber{AccountID: account, UserID: user}}, endings)
	}
	if ok, refused := register(1, 7, "removed", checked); ok || !refused {
		t.Errorf("checked before the removal: registered %v, refused %v", ok, refused)
	}
	if ok, _ := register(1, 8, "member", checked); !ok {
		t.Error("a member's subscription was not registered")
	}
	if ok, _ := register(2, 7, "other account", checked); !ok {
		t.Error("another account's subscription was not registered")
	}
	if ok, _ := register(1, 7, "after", h.endings); !ok {
		t.Error("a subscription checked after the change (a member again) was not registered")
	}
}
